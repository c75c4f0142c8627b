"""``task(name=None, route=None)``: the record of a task execution, as StackStorm's
Orquesta runner returns it.

Fields: ``task_execution_id``, ``workflow_execution_id``, ``task_name``, ``task_id``,
``route``, ``result``, ``status``, ``start_timestamp``, ``end_timestamp``. Without a name,
the current task; without a route, the current task's route, or, when the task did not
run on it, the latest earlier route the current one branched from (StackStorm's rule).

Where each field comes from: the task's place in Orquesta's task sequence, its route and
status from the conductor's workflow state (``__state``, always current); the id and the
timestamps from the host's ``task_executions`` record of that sequence entry; the result
from the current task's event when the task is the current one (its record is written
after the conductor has evaluated its transitions), else from the record. Timestamps are
wfops's ISO 8601 form (``2024-05-01T10:00:00.000000Z``); a task that has not ended has
``end_timestamp`` None (StackStorm prints ``"None"``), and a task completing in this very
event is given the current time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orquesta import constants
from orquesta import exceptions as exc

from wfops import statuses as s
from wfops.expressions.host import context_value, st2_context, store_of
from wfops.timestamps import now_iso


def sequence_index(state: Mapping, task_id: str, route: int) -> int | None:
    """Index in ``state["sequence"]`` of the latest execution of ``task_id`` on ``route``,
    or on the nearest earlier route that ``route`` branched from; None if there is none.

    ``state`` is Orquesta's serialized workflow state (``tasks``: ``"task__r<route>"`` ->
    index; ``routes``: per route, the splits it went through). O(routes^2) at worst."""
    pointers = state.get("tasks") or {}
    index = pointers.get(constants.TASK_STATE_ROUTE_FORMAT % (task_id, str(route)))
    if index is not None:
        return index
    routes: Sequence = state.get("routes") or []
    if route <= 0 or route >= len(routes):
        return None
    current = set(routes[route])
    for earlier in range(route - 1, -1, -1):
        if set(routes[earlier]) <= current:
            return sequence_index(state, task_id, earlier)
    return None


def task(context: Any, task_id: str | None = None, route: int | None = None) -> dict:
    """The task execution record of ``task_id`` (default: the current task)."""
    current = context_value(context, "__current_task") or {}
    if task_id is None:
        if not current.get("id"):
            raise exc.ExpressionEvaluationException(
                "task() without a task name needs a current task; name the task: task(\"name\")."
            )
        task_id = current["id"]
    if route is None:
        route = current.get("route", 0) or 0
    state = context_value(context, "__state") or {}
    index = sequence_index(state, task_id, int(route))
    if index is None:
        raise exc.ExpressionEvaluationException('Unable to find task execution for "%s".' % task_id)
    entry = state["sequence"][index]
    workflow_execution_id = st2_context(context, "task")["workflow_execution_id"]
    record = store_of(workflow_execution_id, "task").task_execution_at(workflow_execution_id, index) or {}
    status = entry.get("status") or s.REQUESTED
    is_current = current.get("id") == task_id and current.get("route") == entry.get("route")
    result = current.get("result") if is_current and "result" in current else record.get("result")
    end = record.get("end_timestamp")
    if end is None and status in s.COMPLETED:
        end = now_iso()
    return {
        "task_execution_id": record.get("id"),
        "workflow_execution_id": workflow_execution_id,
        "task_name": task_id,
        "task_id": task_id,
        "route": entry.get("route"),
        "result": result,
        "status": status,
        "start_timestamp": record.get("start_timestamp"),
        "end_timestamp": end,
    }
