"""The task execution records (``TaskExecutionDB``) an operation writes beside the
corrected conductor, and the item statuses it restages: pure functions on dicts shaped
as StackStorm stores them; none reads a clock or does I/O. Statuses are Orquesta's
strings. (The corrections of the conductor itself are ``wfops.corrections``.)"""

from __future__ import annotations

import copy
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

UNSET = "null"  # orquesta.statuses.UNSET
RUNNING = "running"
SUCCEEDED = "succeeded"
ABENDED = frozenset(["failed", "timeout", "abandoned"])
SKIPPED_RESULT = "__wfops_skipped_result"


def staged_items(statuses: Sequence[Optional[str]]) -> List[Dict[str, str]]:
    """The staged items of a with-items task restaged before a re-run (Orquesta dropped
    its staged entry): each item with the status its records show (``None``: never ran).
    O(items)."""
    return [{"status": status if status is not None else UNSET} for status in statuses]


def complete_items_record(previous: Mapping[str, Any], rerun: Iterable[int]) -> Dict[str, Any]:
    """R6 (and E3): the task execution record for a with-items re-run that keeps items.

    A copy of the task's ``previous`` record (its latest), ``running``, without id and
    timestamps, whose ``result.items`` keeps each item not in ``rerun`` as it was and
    has ``None`` for the items that run again. StackStorm's ``request_task_execution``
    reuses the latest itemized running record of a task and route, so the re-run's items
    complete this record and the accumulated result Orquesta sees has every item.
    O(items)."""
    again = set(rerun)
    items: List[Any] = list(((previous.get("result") or {}).get("items")) or [])
    record = {
        key: copy.deepcopy(value) for key, value in previous.items()
        if key not in ("id", "start_timestamp", "end_timestamp", "status", "result")
    }
    record["status"] = RUNNING
    record["itemized"] = True
    record["result"] = {"items": [None if i in again else copy.deepcopy(item) for i, item in enumerate(items)]}
    return record


def skipped_record(previous: Mapping[str, Any], workflow_execution: str, task: str, route: int,
                   result: Any) -> Dict[str, Any]:
    """E4: the task execution record of a skipped task, ``succeeded`` without running, with
    the inbound context of its ``previous`` record (the failed execution). StackStorm keeps
    a dict as a task's result: a supplied dict is the record's ``result``; any supplied
    result is also kept under a hidden context key, which the task context view reads
    (keys starting with ``__`` are not shown). O(size of the context)."""
    context = dict(copy.deepcopy(previous.get("context") or {}))
    context[SKIPPED_RESULT] = copy.deepcopy(result)
    record = {
        "workflow_execution": workflow_execution,
        "task_name": previous.get("task_name") or task,
        "task_id": task,
        "task_route": route,
        "task_spec": copy.deepcopy(previous.get("task_spec") or {}),
        "itemized": False,
        "context": context,
        "status": SUCCEEDED,
        "result": copy.deepcopy(result) if isinstance(result, dict) else None,
    }
    return record


def rerun_items(statuses: Sequence[Optional[str]], reset: bool, chosen: Optional[Iterable[int]] = None) -> List[int]:
    """The items a re-run runs again: ``chosen`` (E3) when given, every item when
    ``reset``, else those abended or never run (R6). O(items)."""
    if chosen is not None:
        return sorted(set(chosen))
    if reset:
        return list(range(len(statuses)))
    return [i for i, status in enumerate(statuses) if status is None or status in ABENDED or status == UNSET]
