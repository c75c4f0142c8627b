"""Hooks of the schemathesis run in ``test_schemathesis.py`` (loaded by the ``schemathesis``
command through ``SCHEMATHESIS_HOOKS``; configured by the environment the test sets).

- ``WFOPS_FUZZ_RISKY``: comma-separated refs of the loaded actions that could run a
  command. A request that would launch one is never generated, and never sent: should
  one get through generation, ``before_call`` stops the run with an error.
- ``WFOPS_FUZZ_IDS``: ids of executions the test created; ``WFOPS_FUZZ_TASKS``: task names
  of their workflows. Half of the generated path ids and task names are taken from them,
  so that operations get past "not found" into their checks on real executions.
"""

from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import strategies as st

RISKY = frozenset(filter(None, os.environ.get("WFOPS_FUZZ_RISKY", "").split(",")))
IDS = [i for i in os.environ.get("WFOPS_FUZZ_IDS", "").split(",") if i]
TASKS = [t for t in os.environ.get("WFOPS_FUZZ_TASKS", "").split(",") if t]


def _launched_action(method: str, path: str, body) -> str | None:
    """The action ref a ``POST /executions`` body names, if any."""
    if method.upper() != "POST" or not path.rstrip("/").endswith("/executions"):
        return None
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if isinstance(body, dict) and isinstance(body.get("action"), str):
        return body["action"]
    return None


def _risky(method: str, path: str, body) -> bool:
    return _launched_action(method, path, body) in RISKY


@schemathesis.hook
def filter_case(context, case) -> bool:
    return not _risky(case.method, case.path, case.body)


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    body = kwargs.get("json", kwargs.get("data", case.body))
    if _risky(case.method, case.path, body):
        raise RuntimeError("refusing to send a request that launches %s" % _launched_action(case.method, case.path, body))


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    if not IDS or not isinstance(path_parameters, dict) or "id" not in path_parameters:
        return st.just(path_parameters)

    def real(execution_id: str, task: str | None) -> dict:
        parameters = dict(path_parameters, id=execution_id)
        if "task" in parameters and task is not None:
            parameters["task"] = task
        return parameters

    tasks = st.sampled_from(TASKS) if TASKS else st.none()
    return st.one_of(st.just(path_parameters), st.builds(real, st.sampled_from(IDS), tasks))


@schemathesis.hook
def flatmap_body(context, body):
    operation = context.operation
    if not TASKS or operation is None or not operation.path.endswith("/re_run") or not isinstance(body, dict):
        return st.just(body)

    def with_tasks(tasks: list[str]) -> dict:
        changed = dict(body, tasks=tasks)
        changed.pop("parameters", None)
        return changed

    return st.one_of(st.just(body), st.lists(st.sampled_from(TASKS), max_size=3).map(with_tasks))
