""":class:`~wfops_st2.records.Records` on StackStorm's own persistence (st2common), for
the ``wfops-operation`` runner inside st2actionrunner. Imports st2common: not part of the
core, exercised against a real StackStorm only."""

from __future__ import annotations

import copy
from typing import Any, Dict

from bson import ObjectId
from st2common.constants import action as ac_const
from st2common.models.db.execution import ActionExecutionDB
from st2common.models.db.liveaction import LiveActionDB
from st2common.models.db.workflow import TaskExecutionDB
from st2common.persistence.execution import ActionExecution
from st2common.persistence.liveaction import LiveAction
from st2common.persistence.workflow import TaskExecution, WorkflowExecution
from st2common.services import action as ac_svc
from st2common.services import coordination as coord_svc
from st2common.util import api as api_util

from wfops_st2.audit import AUDIT_KEY
from wfops_st2.records import NotFound, Records

WORKFLOW_FIELDS = ("action_execution", "spec", "graph", "input", "context", "state", "status", "output",
                   "errors", "start_timestamp", "end_timestamp")
TASK_FIELDS = ("workflow_execution", "task_name", "task_id", "task_route", "task_spec", "delay", "itemized",
               "items_count", "items_concurrency", "context", "status", "result", "start_timestamp",
               "end_timestamp")
EXECUTION_FIELDS = ("action", "runner", "parameters", "context", "status", "parent", "children", "result",
                    "start_timestamp", "end_timestamp", "liveaction")


def _doc(model, fields) -> Dict[str, Any]:
    out = {"id": str(model.id)}
    for name in fields:
        value = getattr(model, name, None)
        out[name] = copy.deepcopy(value) if not hasattr(value, "isoformat") else str(value)
    return out


class St2Records(Records):
    def lock(self, workflow_execution_id):
        return coord_svc.get_coordinator(start_heart=True).get_lock(str(workflow_execution_id).encode())

    def execution(self, execution_id):
        try:
            return _doc(ActionExecution.get_by_id(execution_id), EXECUTION_FIELDS)
        except Exception:  # noqa: BLE001 - StackStormDBObjectNotFoundError, or not an ObjectId
            raise NotFound(execution_id) from None

    def workflow(self, workflow_execution_id):
        return _doc(WorkflowExecution.get_by_id(workflow_execution_id), WORKFLOW_FIELDS)

    def task_executions(self, workflow_execution_id):
        found = TaskExecution.query(workflow_execution=workflow_execution_id, order_by=["start_timestamp"])
        return [_doc(t, TASK_FIELDS) for t in found]

    def children(self, execution_id):
        return [_doc(e, EXECUTION_FIELDS) for e in ActionExecution.query(parent=execution_id)]

    def save_workflow(self, record):
        db = WorkflowExecution.get_by_id(record["id"])
        for name in ("action_execution", "spec", "graph", "input", "context", "state", "status", "output", "errors"):
            setattr(db, name, copy.deepcopy(record.get(name)))
        WorkflowExecution.update(db, publish=False)

    def insert_task_execution(self, record):
        fields = {k: copy.deepcopy(v) for k, v in record.items() if k in TASK_FIELDS and k != "start_timestamp"}
        db = TaskExecution.insert(TaskExecutionDB(**fields), publish=False)
        return str(db.id)

    def create_rerun_execution(self, original, context):
        user = (context.get("wfops") or {}).get("user") or (original.get("context") or {}).get("user")
        liveaction = LiveActionDB(action=original["action"]["ref"],
                                  parameters=copy.deepcopy(original.get("parameters") or {}),
                                  context=dict({"user": user}, **copy.deepcopy(dict(context))))
        liveaction, execution = ac_svc.create_request(liveaction, validate_params=False)
        liveaction = ac_svc.update_status(liveaction, ac_const.LIVEACTION_STATUS_RUNNING, context=liveaction.context)
        return self.execution(str(execution.id))

    def workflow_context(self, execution):
        context = execution.get("context") or {}
        st2 = {
            "action_execution_id": execution["id"],
            "api_url": api_util.get_full_public_api_url(),
            "user": context.get("user"),
            "pack": context.get("pack"),
            "action": (execution.get("action") or {}).get("ref"),
            "runner": (execution.get("runner") or {}).get("name"),
        }
        return {"st2": st2, "parent": copy.deepcopy(context)}

    def fail_execution(self, execution_id, message):
        execution = ActionExecution.get_by_id(execution_id)
        liveaction = LiveAction.get_by_id(execution.liveaction["id"])
        ac_svc.update_status(liveaction, ac_const.LIVEACTION_STATUS_FAILED,
                             result={"errors": [{"message": message}], "output": None})

    def append_audit(self, execution_id, entry):
        execution = ActionExecution.get_by_id(execution_id)
        push = {"$push": {"context.%s" % AUDIT_KEY: copy.deepcopy(dict(entry))}}
        # StackStorm copies the live action's context over the execution's on each status
        # change: the entry goes on both.
        ActionExecutionDB._get_collection().update_one({"_id": ObjectId(execution_id)}, push)
        LiveActionDB._get_collection().update_one({"_id": ObjectId(execution.liveaction["id"])}, push)

    def publish_workflow_status(self, workflow_execution_id):
        WorkflowExecution.publish_status(WorkflowExecution.get_by_id(workflow_execution_id))

    def resume_in_place(self, execution_id, user):
        execution = ActionExecution.get_by_id(execution_id)
        liveaction = LiveAction.get_by_id(execution.liveaction["id"])
        context = dict(liveaction.context or {}, resumed_by=user)
        ac_svc.update_status(liveaction, ac_const.LIVEACTION_STATUS_RUNNING, context=context)
        for child in ActionExecution.query(parent=execution_id):
            if (child.status == ac_const.LIVEACTION_STATUS_PAUSED
                    and (child.runner or {}).get("name") in ac_const.WORKFLOW_RUNNER_TYPES):
                ac_svc.request_resume(LiveAction.get_by_id(child.liveaction["id"]), user)
        return self.execution(execution_id)

    def request_lifecycle(self, operation: str, execution_id: str, user) -> Dict[str, Any]:
        execution = ActionExecution.get_by_id(execution_id)
        liveaction = LiveAction.get_by_id(execution.liveaction["id"])
        if operation == "pause":
            ac_svc.request_pause(liveaction, user)
        elif operation == "resume":
            ac_svc.request_resume(liveaction, user)
        else:
            ac_svc.request_cancellation(liveaction, user)
        return self.execution(execution_id)


