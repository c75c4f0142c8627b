"""Orquesta as the operations call it: a conductor from a stored workflow execution record,
re-run requests, the serialized state back. Works with StackStorm's Orquesta 1.6 and with
PyPI's 1.2.0 (on Python 3.10+ through wfops's compatibility layer, which ``import wfops``
installs)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Tuple

from orquesta import conducting, requests

import wfops  # noqa: F401 - the planner's package; installs the Orquesta compatibility layer

RECORD_FIELDS = ("spec", "graph", "input", "context", "state", "output", "errors")


def conductor(record: Mapping[str, Any]):
    """The conductor of a ``WorkflowExecutionDB``-shaped record."""
    return conducting.WorkflowConductor.deserialize({k: record.get(k) for k in RECORD_FIELDS})


def rerun_request(task: str, route: int, reset: bool):
    if hasattr(requests.TaskRerunRequest, "new"):  # Orquesta 1.3+
        return requests.TaskRerunRequest.new(task, route, reset_items=reset)
    return requests.TaskRerunRequest(task, route, reset_items=reset)


def rerun(record: Mapping[str, Any], plan_requests: Iterable[Tuple[str, int, bool]]) -> Dict[str, Any]:
    """Orquesta's ``request_workflow_rerun`` of ``plan_requests`` on ``record``: the
    serialized conductor (``spec, graph, state, output``...) after it."""
    c = conductor(record)
    c.request_workflow_rerun(task_requests=[rerun_request(t, r, x) for t, r, x in plan_requests])
    return c.serialize()


def state_of(c) -> Dict[str, Any]:
    return c.workflow_state.serialize()


def with_state(record: Dict[str, Any], state: Dict[str, Any]) -> Dict[str, Any]:
    return dict(record, state=state)
