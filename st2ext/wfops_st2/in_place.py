"""E4 on a paused workflow: the skip in place, as the wfops-operation runner applies it to
StackStorm's records (the embedded host's counterpart is ``engine.reruns._skip_in_place``).

No new execution: the skipped tasks are recorded on the paused workflow execution itself,
which then resumes. The conductor StackStorm stored is corrected with the ``stage``
entries of ``wfops.corrections``, asked to resume, then given the ``skip`` entries (the
same order as the embedded host: resumed before the skips, whose task events take it out
of ``paused``; after the staging, so that a workflow with nothing left to run does not
complete). The record is saved ``resuming`` (st2workflowengine takes a workflow
execution from its resume queue), the skipped tasks' task execution records written, the
paused action execution brought to running and its paused sub-workflows resumed through
StackStorm's own request (L4), and only then is the workflow status published."""

from __future__ import annotations

import copy
from typing import Any, Dict, Mapping, Optional

from wfops import corrections
from wfops_st2 import audit as audit_entries
from wfops_st2 import conducting, item_records
from wfops_st2.records import Records

PAUSED = "paused"
RESUMING = "resuming"
ACTIVE = frozenset(["running", "resuming"])
NOTHING_RUNS = ('Skipping tasks of workflow execution "%s" as requested would start no task: nothing the '
                "request stages can run. Nothing was changed; check the request with --dry-run.")
NOT_PAUSED = ('Workflow execution "%s" is %s, no longer paused: nothing was changed; plan the skip again '
              "(wfops.plan) and ask again.")


class Refused(Exception):
    """The skip cannot be applied; ``message`` says why (``status``: the HTTP status)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def corrected_record(workflow: Mapping[str, Any], planned, execution_id: str) -> Dict[str, Any]:
    """The workflow execution record after the in-place skips of ``planned``: the
    conductor staged, resuming, the skips applied, saved as ``resuming``. Raises Refused
    (Orquesta's refusal, or a workflow that would be left resuming with no task to run).
    O(state + plan)."""
    conductor = conducting.conductor(workflow)
    try:
        for entry in corrections.stage_entries(planned):
            corrections.apply(conductor, entry)
        conductor.request_workflow_status(RESUMING)
        for skip in planned.skips:
            corrections.apply(conductor, corrections.skip_entry(skip))
    except Exception as e:  # noqa: BLE001 - Orquesta's refusal, word for word
        raise Refused("Orquesta refused the skip: %s" % e) from None
    state = conductor.workflow_state
    if (conductor.get_workflow_status() in ACTIVE and not state.has_active_tasks
            and not any(staged.get("ready") for staged in state.staged)):
        raise Refused(NOTHING_RUNS % execution_id)
    data = conductor.serialize()
    record = copy.deepcopy(dict(workflow))
    for key in ("spec", "graph", "state", "errors"):
        record[key] = data[key]
    record["status"] = RESUMING
    return record


def skip_in_place(records: Records, planned, execution: Mapping[str, Any], workflow: Mapping[str, Any],
                  latest: Mapping[tuple, Mapping], given: Mapping[str, Any], user: Optional[str], now: str,
                  operation_execution: Optional[str] = None, comment: Optional[str] = None) -> Dict[str, Any]:
    """Apply the in-place skips of ``planned`` (checked, under the workflow execution's
    lock) to the paused ``workflow``; ``latest`` holds each (task, route)'s latest task
    execution record, ``given`` the request as given (for the audit). Returns ``{"plan",
    "execution"}``, the execution being the paused one, now running. Raises Refused
    before anything changes."""
    if workflow.get("status") != PAUSED:
        raise Refused(NOT_PAUSED % (workflow["id"], workflow.get("status")), 409)
    paused_id = workflow.get("action_execution") or execution["id"]
    record = corrected_record(workflow, planned, execution["id"])
    records.save_workflow(record)
    try:
        for skip in planned.skips:
            records.insert_task_execution(item_records.skipped_record(
                latest.get((skip.task, skip.route)) or {}, workflow["id"], skip.task, skip.route, skip.result))
        after = records.resume_in_place(paused_id, user)
    except Exception:
        records.save_workflow(workflow)
        raise
    outcome = {"execution": paused_id, "in_place": True, "status_before": PAUSED,
               "status_after": after.get("status"), "resumed": True}
    for target in dict.fromkeys([execution["id"], paused_id]):
        records.append_audit(target, audit_entries.audit_entry(
            "skip", user, given, now, plan=planned.to_dict(), outcome=outcome, comment=comment,
            operation_execution=operation_execution))
    records.publish_workflow_status(workflow["id"])
    return {"plan": planned.to_dict(), "execution": records.execution(paused_id)}
