"""E8, the task context view, from the records StackStorm stores: status, inbound context,
rendered input, result (per item for with-items), what it published, and which task
executions led to it. The view has the embedded host's shape (``wfops execution context``).

Where each part is kept on StackStorm: the inbound context is ``TaskExecutionDB.context``
(Orquesta's bookkeeping under ``__`` keys left out); what a task published is the context
entry Orquesta added for each outbound transition (``state.contexts[ctxs.out[...]]`` of
its sequence entry); what led to it is the sequence entry's ``prev``; the rendered input
is the ``parameters`` of its action executions (``context.orquesta.task_execution_id``);
the result of a skipped task is the one supplied (``item_records.skipped_record``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from wfops_st2.item_records import SKIPPED_RESULT
from wfops_st2.run_state import records_by_entry


class ViewError(Exception):
    """The view cannot be shown; ``status`` is the HTTP status the pack answers with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _visible(context: Optional[Mapping]) -> Dict[str, Any]:
    return {k: v for k, v in (context or {}).items() if not str(k).startswith("__")}


def task_context_view(execution: Mapping, workflow: Mapping, records: Sequence[Mapping],
                      actions: Sequence[Mapping], task: str, route: Optional[int] = None,
                      item: Optional[int] = None) -> Dict[str, Any]:
    """The view of ``task``'s latest task execution (on ``route`` when given; one ``item``
    of a with-items task when given) in ``execution``'s workflow execution ``workflow``,
    from its task execution ``records`` and the task action executions ``actions``.
    Raises ViewError (404 for a task, route or item that does not exist). O(V + R + A)."""
    state = workflow.get("state") or {}
    sequence = state.get("sequence") or []
    mine = [r for r in records if r.get("task_id") == task]
    if not mine:
        defined = task in ((workflow.get("spec") or {}).get("spec") or {}).get("tasks", {})
        raise ViewError('Task "%s" %s in workflow execution "%s".' % (
            task, "has not run" if defined else "is not defined", execution["id"]), 404)
    if route is not None:
        on_route = [r for r in mine if int(r.get("task_route") or 0) == route]
        if not on_route:
            routes = sorted({int(r.get("task_route") or 0) for r in mine})
            raise ViewError('Task "%s" did not run on route %d; it ran on route(s) %s.' % (
                task, route, ", ".join(str(r) for r in routes)), 404)
        mine = on_route
    record = max(mine, key=lambda r: str(r.get("start_timestamp") or ""))
    by_entry = records_by_entry(sequence, records)
    index = next((i for i, r in by_entry.items() if r.get("id") == record.get("id")), None)
    entry = sequence[index] if index is not None else {}
    contexts = state.get("contexts") or []
    published = {}
    for transition, ctx_index in ((entry.get("ctxs") or {}).get("out") or {}).items():
        if isinstance(ctx_index, int) and 0 <= ctx_index < len(contexts):
            published[transition] = contexts[ctx_index]
    led_to_by = []
    for _, parent in sorted((entry.get("prev") or {}).items()):
        parent_record = by_entry.get(parent)
        led_to_by.append({
            "task_execution": parent_record.get("id") if parent_record else None,
            "task": sequence[parent]["id"], "route": sequence[parent].get("route", 0),
            "status": sequence[parent].get("status"),
        })
    view: Dict[str, Any] = {
        "execution": execution["id"],
        "workflow_execution": workflow.get("id"),
        "task_execution": record.get("id"),
        "task": task,
        "route": int(record.get("task_route") or 0),
        "status": record.get("status"),
        "skipped": bool(entry.get("skipped")),
        "start_timestamp": record.get("start_timestamp"),
        "end_timestamp": record.get("end_timestamp"),
        "context": _visible(record.get("context")),
        "published": published,
        "led_to_by": led_to_by,
    }
    own = _actions_of(actions, [record])
    if record.get("itemized"):
        # Items a no-reset re-run did not run again are those of the earlier records of
        # the task on this route (StackStorm's own re-run leaves them None here).
        earlier = [r for r in mine if r.get("task_route") == record.get("task_route")
                   and str(r.get("start_timestamp") or "") < str(record.get("start_timestamp") or "")]
        _items_view(view, record, _actions_of(actions, earlier) + own, task, item)
    else:
        if item is not None:
            raise ViewError('Task "%s" is not a with-items task; --item does not apply.' % task)
        latest = own[-1] if own else None
        view["input"] = latest.get("parameters") if latest else None
        view["action_execution"] = latest.get("id") if latest else None
        view["result"] = record.get("result") if record.get("result") is not None else (
            latest.get("result") if latest else None)
        if entry.get("skipped") and SKIPPED_RESULT in (record.get("context") or {}):
            view["result"] = record["context"][SKIPPED_RESULT]
    return view


def _actions_of(actions: Sequence[Mapping], records: Sequence[Mapping]) -> List[Mapping]:
    """The action executions of the task execution ``records``, by start time."""
    ids = {r.get("id") for r in records}
    found = [a for a in actions if ((a.get("context") or {}).get("orquesta") or {}).get("task_execution_id") in ids]
    return sorted(found, key=lambda a: str(a.get("start_timestamp") or ""))


def _items_view(view: Dict[str, Any], record: Mapping, own: List[Mapping], task: str,
                item: Optional[int]) -> None:
    latest: Dict[int, Mapping] = {}
    for action in own:
        latest[int(action["context"]["orquesta"]["item_id"])] = action
    stored = ((record.get("result") or {}).get("items")) or []
    per_item = []
    for i in range(max(len(stored), max(latest) + 1 if latest else 0)):
        action = latest.get(i)
        kept = stored[i] if i < len(stored) and isinstance(stored[i], Mapping) else {}
        per_item.append({
            "item": i,
            "execution": action.get("id") if action else None,
            "status": action.get("status") if action else kept.get("status"),
            "input": action.get("parameters") if action else None,
            "result": action.get("result") if action else kept.get("result"),
        })
    if item is not None:
        chosen = [p for p in per_item if p["item"] == item]
        if not chosen:
            raise ViewError('Task "%s" has no item %d; its items are 0 to %d.' % (
                task, item, len(per_item) - 1), 404)
        per_item = chosen
    view["items"] = per_item
    view["result"] = record.get("result")
