"""What the operations need from StackStorm's persistence, as one small interface.

:class:`Records` is implemented on st2common for st2actionrunner (``st2_records``, not
part of the core) and in memory by :class:`MemoryRecords` for tests. Documents are plain
dicts with the fields of StackStorm's models (``WorkflowExecutionDB``,
``TaskExecutionDB``, ``ActionExecutionDB``); ids are strings.
"""

from __future__ import annotations

import abc
import contextlib
import copy
import itertools
import threading
from typing import Any, Dict, Iterator, List, Mapping, Optional

from wfops_st2.audit import AUDIT_KEY

WORKFLOW_RUNNERS = ("orquesta", "action-chain")  # StackStorm's WORKFLOW_RUNNER_TYPES


class NotFound(LookupError):
    """No record with that id."""


class Records(abc.ABC):
    """StackStorm's records of workflow executions, as the operations use them."""

    @abc.abstractmethod
    def lock(self, workflow_execution_id: str):
        """A context manager holding StackStorm's coordination lock of the workflow
        execution (the one st2workflowengine takes while it handles a completion)."""

    @abc.abstractmethod
    def execution(self, execution_id: str) -> Dict[str, Any]:
        """The action execution (NotFound when there is none)."""

    @abc.abstractmethod
    def workflow(self, workflow_execution_id: str) -> Dict[str, Any]:
        """The workflow execution record: ``action_execution, spec, graph, input, context,
        state, status, output, errors``."""

    @abc.abstractmethod
    def task_executions(self, workflow_execution_id: str) -> List[Dict[str, Any]]:
        """The task execution records of the workflow execution, by start time."""

    @abc.abstractmethod
    def children(self, execution_id: str) -> List[Dict[str, Any]]:
        """The action executions of the tasks of an action execution (direct children)."""

    @abc.abstractmethod
    def save_workflow(self, record: Mapping[str, Any]) -> None:
        """Write the workflow execution record (every field given), unpublished."""

    @abc.abstractmethod
    def insert_task_execution(self, record: Mapping[str, Any]) -> str:
        """Insert a task execution record; its id."""

    @abc.abstractmethod
    def create_rerun_execution(self, original: Mapping[str, Any], context: Mapping[str, Any]) -> Dict[str, Any]:
        """A new action execution of ``original``'s action with its parameters and
        ``context`` merged into its own, created ``running`` without being scheduled."""

    @abc.abstractmethod
    def workflow_context(self, execution: Mapping[str, Any]) -> Dict[str, Any]:
        """``context.st2`` and ``context.parent`` of a workflow execution record run by
        ``execution`` (as the orquesta runner builds them for the execution it runs)."""

    @abc.abstractmethod
    def fail_execution(self, execution_id: str, message: str) -> None:
        """Mark an execution created by an operation failed, with ``message`` in its
        result's errors (the operation could not be applied)."""

    @abc.abstractmethod
    def append_audit(self, execution_id: str, entry: Mapping[str, Any]) -> None:
        """Append ``entry`` to the execution's audit (atomically; never rewrites)."""

    @abc.abstractmethod
    def publish_workflow_status(self, workflow_execution_id: str) -> None:
        """Tell st2workflowengine the workflow execution changed status."""

    @abc.abstractmethod
    def resume_in_place(self, execution_id: str, user: Optional[str]) -> Dict[str, Any]:
        """A paused workflow's action execution (and its live action) brought to
        ``running`` with ``resumed_by`` in its context, as StackStorm's resume leaves it,
        without the action runner's round trip (the skip in place has already corrected
        and will publish the workflow execution); each paused sub-workflow among its
        children resumed through StackStorm's own request (L4). The execution after."""

    @abc.abstractmethod
    def request_lifecycle(self, operation: str, execution_id: str, user: Optional[str]) -> Dict[str, Any]:
        """``pause``, ``resume`` or ``cancel`` through StackStorm's own requests (what its
        API does); the execution after the request."""


class MemoryRecords(Records):
    """Records held in dicts, for tests: what was written is readable back, and
    ``published`` lists the workflow executions whose status was published."""

    def __init__(self, executions: Optional[List[Mapping]] = None, workflows: Optional[List[Mapping]] = None,
                 task_executions: Optional[List[Mapping]] = None):
        self.executions = {str(e["id"]): copy.deepcopy(dict(e)) for e in executions or []}
        self.workflows = {str(w["id"]): copy.deepcopy(dict(w)) for w in workflows or []}
        self.tasks = [copy.deepcopy(dict(t)) for t in task_executions or []]
        self.published: List[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _new_id(self) -> str:
        return "%024x" % (0xFF0000000000000000000000 + next(self._ids))

    @contextlib.contextmanager
    def lock(self, workflow_execution_id: str) -> Iterator[None]:
        with self._lock:
            yield

    def execution(self, execution_id):
        try:
            return copy.deepcopy(self.executions[execution_id])
        except KeyError:
            raise NotFound(execution_id) from None

    def workflow(self, workflow_execution_id):
        try:
            return copy.deepcopy(self.workflows[workflow_execution_id])
        except KeyError:
            raise NotFound(workflow_execution_id) from None

    def task_executions(self, workflow_execution_id):
        found = [t for t in self.tasks if t["workflow_execution"] == workflow_execution_id]
        return copy.deepcopy(sorted(found, key=lambda t: str(t.get("start_timestamp") or "")))

    def children(self, execution_id):
        return [copy.deepcopy(e) for e in self.executions.values() if e.get("parent") == execution_id]

    def save_workflow(self, record):
        self.workflows[str(record["id"])] = copy.deepcopy(dict(record))

    def insert_task_execution(self, record):
        record = copy.deepcopy(dict(record))
        record["id"] = self._new_id()
        record.setdefault("start_timestamp", "9999-12-31 23:59:59.999999+00:00")
        self.tasks.append(record)
        return record["id"]

    def create_rerun_execution(self, original, context):
        new = {
            "id": self._new_id(),
            "action": copy.deepcopy(original.get("action")),
            "runner": copy.deepcopy(original.get("runner")),
            "parameters": copy.deepcopy(original.get("parameters") or {}),
            "status": "running",
            "context": dict(copy.deepcopy(original.get("context") or {}), **copy.deepcopy(dict(context))),
        }
        new["context"].pop(AUDIT_KEY, None)
        self.executions[new["id"]] = new
        return copy.deepcopy(new)

    def workflow_context(self, execution):
        return {
            "st2": {"action_execution_id": execution["id"], "api_url": "http://127.0.0.1/api/v1",
                    "user": (execution.get("context") or {}).get("user"),
                    "action": (execution.get("action") or {}).get("ref"), "runner": "orquesta"},
            "parent": copy.deepcopy(execution.get("context") or {}),
        }

    def fail_execution(self, execution_id, message):
        execution = self.executions[execution_id]
        execution["status"] = "failed"
        execution["result"] = {"errors": [{"message": message}], "output": None}

    def append_audit(self, execution_id, entry):
        execution = self.executions.get(execution_id)
        if execution is None:
            raise NotFound(execution_id)
        execution.setdefault("context", {}).setdefault(AUDIT_KEY, []).append(copy.deepcopy(dict(entry)))

    def publish_workflow_status(self, workflow_execution_id):
        self.published.append(workflow_execution_id)

    def resume_in_place(self, execution_id, user):
        execution = self.executions[execution_id]
        execution["status"] = "running"
        execution.setdefault("context", {})["resumed_by"] = user
        for child in self.executions.values():
            if child.get("parent") == execution_id and child.get("status") == "paused" and (
                    (child.get("runner") or {}).get("name") in WORKFLOW_RUNNERS):
                child["status"] = "resuming"
        return self.execution(execution_id)

    def request_lifecycle(self, operation, execution_id, user):
        statuses = {"pause": "pausing", "resume": "resuming", "cancel": "canceling"}
        self.executions[execution_id]["status"] = statuses[operation]
        return self.execution(execution_id)
