"""wfops's corrections of a re-run, as functions on the serialized Orquesta state and the
task execution records StackStorm stores.

The operation calls them around Orquesta's own ``request_workflow_rerun`` (StackStorm's
Orquesta 1.6, in st2actionrunner):

- before: :func:`restage_items` for every with-items task the plan re-runs (Orquesta
  drops the staged entry of a with-items task once it succeeded, and its re-run then
  fails), :func:`prepare` (the planner's ``unstage``, ``hold``, ``stale_branches``);
- after: :func:`select_items` (E3), :func:`merge_context` (E2);
- on the records: :func:`clear_output` (the stale-output fix) and
  :func:`complete_items_record` (R6: the task execution record StackStorm's engine reuses,
  holding the kept items' results).

Each takes the state (a dict as ``WorkflowExecutionDB.state`` holds it) and changes it in
place; none reads a clock or does I/O. Statuses are Orquesta's strings.
"""

from __future__ import annotations

import copy
from typing import (
    Any,
    Dict,
    Iterable,
    List,
    Mapping,
    MutableMapping,
    Optional,
    Sequence,
)

UNSET = "null"  # orquesta.statuses.UNSET
RUNNING = "running"
SUCCEEDED = "succeeded"
ABENDED = frozenset(["failed", "timeout", "abandoned"])


def _staged(state: Mapping[str, Any], task: str, route: int) -> Optional[MutableMapping]:
    for entry in state.get("staged") or []:
        if entry["id"] == task and entry["route"] == route:
            return entry
    return None


def _latest_entry(state: Mapping[str, Any], task: str, route: int) -> Optional[MutableMapping]:
    index = (state.get("tasks") or {}).get("%s__r%d" % (task, route))
    if index is None:
        return None
    return state["sequence"][index]


def prepare(state: MutableMapping, unstage: Iterable = (), hold: Iterable = (),
            stale_branches: Iterable = ()) -> None:
    """The planner's fixes, before the re-run: remove the staged entries ``unstage``
    (``[task, route]`` pairs: staged by executions the re-run replaces), mark ``hold``
    not ready, and forget the latest-execution index of ``stale_branches`` (old join
    branches that run again, so the join does not count them). O(S + pairs) for S staged
    entries."""
    staged = state.setdefault("staged", [])
    for task, route in unstage:
        entry = _staged(state, task, route)
        if entry is not None:
            staged.remove(entry)
    for task, route in hold:
        entry = _staged(state, task, route)
        if entry is not None:
            entry["ready"] = False
    tasks = state.setdefault("tasks", {})
    for task, route in stale_branches:
        tasks.pop("%s__r%d" % (task, route), None)


def restage_items(state: MutableMapping, task: str, route: int, statuses: Sequence[Optional[str]]) -> MutableMapping:
    """The staged entry of with-items ``task`` on ``route``, added when Orquesta dropped
    it (with the inbound contexts and links of its latest execution), its items set to
    ``statuses`` (``None`` for an item that never ran). Returns the entry. Raises
    KeyError when the task never ran on that route. O(S)."""
    entry = _staged(state, task, route)
    if entry is None:
        latest = _latest_entry(state, task, route)
        if latest is None:
            raise KeyError("%s[%d]" % (task, route))
        entry = {
            "id": task,
            "ctxs": {"in": list((latest.get("ctxs") or {}).get("in") or [0])},
            "route": route,
            "prev": dict(latest.get("prev") or {}),
            "ready": True,
        }
        state.setdefault("staged", []).append(entry)
    entry["items"] = [{"status": status if status is not None else UNSET} for status in statuses]
    return entry


def select_items(state: MutableMapping, task: str, route: int, indices: Iterable[int],
                 statuses: Sequence[Optional[str]]) -> MutableMapping:
    """E3, after Orquesta's re-run: exactly ``indices`` of the staged with-items task run
    again; every other item keeps its status from ``statuses`` (Orquesta's no-reset re-run
    would run the abended ones too). Raises ValueError for an index out of range. O(items)."""
    chosen = set(indices)
    bad = sorted(i for i in chosen if i < 0 or i >= len(statuses))
    if bad:
        raise ValueError("%s[%d] has items 0 to %d; no item %s." % (
            task, route, len(statuses) - 1, ", ".join(str(i) for i in bad)))
    entry = restage_items(state, task, route, [None if i in chosen else s for i, s in enumerate(statuses)])
    entry.pop("completed", None)
    entry["ready"] = True
    return entry


def merge_context(state: MutableMapping, task: str, route: int, values: Mapping[str, Any]) -> int:
    """E2, after Orquesta's re-run: ``values`` merged over the inbound context of the
    staged ``task`` on ``route`` for this re-run only: a new context entry, last in merge
    order, referenced by the staged entry (the old execution's record keeps its own
    contexts). Returns the new context's index. Raises KeyError when the task is not
    staged. O(S)."""
    entry = _staged(state, task, route)
    if entry is None:
        raise KeyError("%s[%d] is not staged" % (task, route))
    contexts = state.setdefault("contexts", [])
    contexts.append(copy.deepcopy(dict(values)))
    index = len(contexts) - 1
    entry["ctxs"] = dict(entry.get("ctxs") or {}, **{"in": list((entry.get("ctxs") or {}).get("in") or []) + [index]})
    return index


def clear_output(workflow_record: MutableMapping) -> None:
    """The stale-output fix: Orquesta's re-run resets the workflow output, StackStorm's
    ``request_rerun`` does not save that, and the conductor then never renders it again.
    The re-run saves ``output`` as None."""
    workflow_record["output"] = None


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


def rerun_items(statuses: Sequence[Optional[str]], reset: bool, chosen: Optional[Iterable[int]] = None) -> List[int]:
    """The items a re-run runs again: ``chosen`` (E3) when given, every item when
    ``reset``, else those abended or never run (R6). O(items)."""
    if chosen is not None:
        return sorted(set(chosen))
    if reset:
        return list(range(len(statuses)))
    return [i for i, status in enumerate(statuses) if status is None or status in ABENDED or status == UNSET]
