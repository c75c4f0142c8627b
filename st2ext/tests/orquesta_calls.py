"""Orquesta as the extension's shell calls it (StackStorm's 1.6 there; PyPI's 1.2.0 with
wfops's compatibility layer here): a conductor from a stored workflow execution record."""

from __future__ import annotations

import wfops  # noqa: F401 - Orquesta 1.2.0 on Python 3.10+ and networkx 3
from orquesta import conducting, requests


def conductor(record: dict):
    data = {k: record[k] for k in ("spec", "graph", "input", "context", "state", "output", "errors")}
    return conducting.WorkflowConductor.deserialize(data)


def rerun_request(task: str, route: int, reset: bool):
    if hasattr(requests.TaskRerunRequest, "new"):  # Orquesta 1.3+
        return requests.TaskRerunRequest.new(task, route, reset_items=reset)
    return requests.TaskRerunRequest(task, route, reset_items=reset)


def state_of(c) -> dict:
    return c.workflow_state.serialize()


def with_state(record: dict, state: dict) -> dict:
    return dict(record, state=state)
