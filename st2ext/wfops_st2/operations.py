"""The operations of the ``wfops-operation`` runner, over :class:`~wfops_st2.records.Records`
(StackStorm's persistence in st2actionrunner, memory in tests) and Orquesta
(:mod:`wfops_st2.conducting`). See docs/STACKSTORM.md, "The mechanism", for the steps of
a re-run from tasks and why each is done the way it is.

Built: :func:`rerun` (tasks, no-reset, failed, force, item selection, changed context,
skips, dry run, fingerprints; the conductor corrected by ``wfops.corrections``, as the
embedded host corrects its own) and :func:`task_context`, :func:`audit`,
:func:`lifecycle`; skips in place on a paused workflow by :mod:`wfops_st2.in_place`.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Mapping, Optional

from wfops import corrections, planner
from wfops.errors import WfopsError
from wfops.planner.extras import plan_with_extras
from wfops.rerun_request import RerunRequest, per_skip
from wfops_st2 import audit as audit_entries
from wfops_st2 import conducting, in_place, item_records
from wfops_st2.records import NotFound, Records
from wfops_st2.run_state import run_state
from wfops_st2.task_context import ViewError, task_context_view

COMPLETED = frozenset(["succeeded", "failed", "timeout", "abandoned", "canceled"])
RESUMING = "resuming"
NOT_FOUND_ID = 'Unable to identify resource with id "%s".'
TASKS_NOT_ORQUESTA = "Task option is only supported for Orquesta workflows."


class OperationError(Exception):
    """The operation was refused; ``message`` says why and what to do instead."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _load(records: Records, execution_id: str):
    try:
        execution = records.execution(execution_id)
    except NotFound:
        raise OperationError(NOT_FOUND_ID % execution_id, 404) from None
    if ((execution.get("runner") or {}).get("name")) != "orquesta":
        raise OperationError(TASKS_NOT_ORQUESTA)
    wf_id = (execution.get("context") or {}).get("workflow_execution")
    if not wf_id:
        raise OperationError('Execution "%s" has no workflow execution (it never started).' % execution_id)
    return execution, wf_id


def _request(request: Mapping[str, Any]) -> RerunRequest:
    """The request the pack's backend sent (:meth:`RerunRequest.to_payload`); a single
    skip's ``result`` and ``publish`` given alone are keyed by its task, as the wfops
    server's API keys them (:func:`wfops.rerun_request.per_skip`)."""
    data = dict(request)
    skips = list(data.get("skip") or [])
    try:
        for part in ("result", "publish"):
            if data.get(part) not in (None, {}, []):
                data[part] = per_skip(part, data[part], skips)
    except WfopsError as e:
        raise OperationError(e.message) from None
    return RerunRequest.from_payload(data)


def plan(records: Records, execution_id: str, request: Mapping[str, Any]):
    """The plan of ``request`` on the execution's workflow execution (an ExtendedPlan),
    with the records it was computed from. Raises OperationError."""
    execution, wf_id = _load(records, execution_id)
    workflow = records.workflow(wf_id)
    tasks = records.task_executions(wf_id)
    state = run_state(workflow["state"], tasks)
    spec = conducting.conductor(workflow).spec
    try:
        planned = plan_with_extras(spec, state, _request(request), execution_id)
        if request.get("fingerprint"):
            planner.check_fingerprint(request["fingerprint"], state, execution_id)
    except WfopsError as e:
        raise OperationError(e.message, e.http_status) from None
    return planned, execution, workflow, tasks, state


def rerun(records: Records, execution_id: str, request: Mapping[str, Any], user: Optional[str],
          now: str, operation_execution: Optional[str] = None, comment: Optional[str] = None) -> Dict[str, Any]:
    """Re-run ``execution_id`` from tasks as ``request`` asks (R1-R13, E2, E3), or with
    ``dry_run`` only plan it. Returns ``{"plan", "execution"}`` (the new execution, running;
    st2workflowengine continues it once its status is published). Raises OperationError;
    a refused request changes nothing."""
    planned, execution, workflow, tasks, state = plan(records, execution_id, request)
    if request.get("dry_run"):
        return {"plan": planned.to_dict(), "execution": None}
    if not planned.in_place and workflow.get("status") not in COMPLETED:
        raise OperationError('Unable to rerun workflow execution "%s" because it is not in a completed state.'
                             % workflow["id"])
    wf_id = workflow["id"]
    with records.lock(wf_id):
        # Nothing may have changed since the plan: plan again under the lock and compare.
        again = plan(records, execution_id, request)[0]
        if again.fingerprint != planned.fingerprint:
            raise OperationError("The workflow execution changed while the re-run was planned; ask again.", 409)
        if planned.in_place:
            try:
                return in_place.skip_in_place(records, planned, execution, records.workflow(wf_id),
                                              _latest_records(state, tasks), _as_given(request), user, now,
                                              operation_execution, comment)
            except in_place.Refused as e:
                raise OperationError(e.message, e.status) from None
        return _apply(records, planned, execution, workflow, tasks, state, request, user, now,
                      operation_execution, comment)


def _apply(records, planned, execution, workflow, tasks, state, request, user, now,
           operation_execution, comment) -> Dict[str, Any]:
    original = copy.deepcopy(workflow)
    record = copy.deepcopy(workflow)
    items = state.get("items") or {}
    chosen = {(s.task, s.route): s for s in planned.item_selections}
    skipped = {(k.task, k.route) for k in planned.skips}
    statuses_of = {(e.task, e.route): items.get(e.sequence_index) or [] for e in planned.rerun if e.items is not None}
    # 1-3. The corrections of wfops.corrections, as the embedded host applies them, on
    # StackStorm's Orquesta: the planner's fixes and with-items tasks restaged with their
    # items' statuses, Orquesta's re-run of the collapsed requests route by route, then
    # exact items (E3), changed inbound contexts (E2), skips (E4).
    try:
        data = corrections.corrected({k: record.get(k) for k in conducting.RECORD_FIELDS},
                                     corrections.rerun_entries(planned),
                                     lambda conductor, task, route, reset: item_records.staged_items(
                                         statuses_of.get((task, route)) or []))
    except Exception as e:  # noqa: BLE001 - Orquesta's refusal, word for word
        raise OperationError("Orquesta refused the re-run: %s" % e) from None
    for key in ("spec", "graph", "state"):
        record[key] = data[key]
    # Orquesta dropped the re-run tasks' errors (StackStorm's request_rerun does not save
    # that either). A task whose abended items are not all re-run keeps its errors.
    partial = {s.task for s in planned.item_selections
               if any(st in item_records.ABENDED for i, st in enumerate(s.statuses) if i not in s.indices)}
    record["errors"] = list(data.get("errors") or []) + [
        e for e in record.get("errors") or [] if e.get("task_id") in partial]
    # Published as resuming whatever the skips made of the conductor's status (running,
    # or completed when nothing follows them): st2workflowengine takes a workflow
    # execution from its resume queue only, then asks the conductor for the next tasks
    # and brings the records to the conductor's status.
    record["status"] = RESUMING
    # The stale-output fix: Orquesta's re-run reset the output; StackStorm's request_rerun
    # does not save that, and the conductor would then never render it again.
    record["output"] = None
    # 4. the new execution, attached to the workflow execution.
    operation = "skip" if planned.skips and not request.get("tasks") else "rerun"
    names = list(dict.fromkeys(t for t, _, _ in planned.requests))
    context = {
        "re-run": {"ref": execution["id"], "tasks": names,
                   "reset": list(dict.fromkeys(t for t, _, reset in planned.requests if reset))},
        "workflow_execution": workflow["id"],
        "wfops": audit_entries.created_by(execution["id"], operation, _as_given(request), operation_execution),
    }
    new = records.create_rerun_execution(execution, context)
    try:
        record["action_execution"] = new["id"]
        record["context"] = dict(record.get("context") or {}, **records.workflow_context(new))
        records.save_workflow(record)
        latest = _latest_records(state, tasks)
        # 5. complete results (R6, E3): the record StackStorm's engine reuses.
        for entry in planned.rerun:
            if entry.items is None or (entry.task, entry.route) in skipped:
                continue
            selection = chosen.get((entry.task, entry.route))
            statuses = statuses_of[(entry.task, entry.route)]
            again = item_records.rerun_items(statuses, entry.items == "all",
                                             selection.indices if selection else None)
            previous = latest.get((entry.task, entry.route))
            if previous is not None and len(again) < len(statuses):
                records.insert_task_execution(item_records.complete_items_record(previous, again))
        # 6. the skipped tasks' task executions, succeeded with the supplied result.
        for skip in planned.skips:
            records.insert_task_execution(item_records.skipped_record(
                latest.get((skip.task, skip.route)) or {}, workflow["id"], skip.task, skip.route, skip.result))
        records.append_audit(execution["id"], audit_entries.audit_entry(
            operation, user, _as_given(request), now, plan=planned.to_dict(),
            outcome={"execution": new["id"]}, comment=comment, operation_execution=operation_execution))
    except Exception as e:
        records.save_workflow(original)
        records.fail_execution(new["id"], "The re-run could not be applied: %s" % e)
        raise
    records.publish_workflow_status(workflow["id"])
    return {"plan": planned.to_dict(), "execution": records.execution(new["id"])}


def _latest_records(state: Mapping[str, Any], tasks: List[Mapping]) -> Dict[tuple, Mapping]:
    latest: Dict[tuple, Mapping] = {}
    for record in tasks:
        latest[(record["task_id"], int(record.get("task_route") or 0))] = record
    return latest


def _as_given(request: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in request.items() if v not in (None, [], {}, False) and k != "fingerprint"}


def task_context(records: Records, execution_id: str, task: str, route: Optional[int] = None,
                 item: Optional[int] = None) -> Dict[str, Any]:
    """E8 for ``task`` of the execution's workflow execution."""
    execution, wf_id = _load(records, execution_id)
    workflow = records.workflow(wf_id)
    tasks = records.task_executions(wf_id)
    actions: List[Dict[str, Any]] = []
    for record_id in {workflow.get("action_execution"), execution_id}:
        if record_id:
            actions += records.children(record_id)
    ref = (execution.get("context") or {}).get("re-run", {}).get("ref")
    while ref:
        actions += records.children(ref)
        ref = (records.execution(ref).get("context") or {}).get("re-run", {}).get("ref")
    try:
        return task_context_view(execution, workflow, tasks, actions, task, route, item)
    except ViewError as e:
        raise OperationError(e.message, e.status) from None


def audit(records: Records, execution_id: str) -> List[Dict[str, Any]]:
    """E7: the entries on the execution, oldest first."""
    try:
        return audit_entries.entries(records.execution(execution_id))
    except NotFound:
        raise OperationError(NOT_FOUND_ID % execution_id, 404) from None


def lifecycle(records: Records, operation: str, execution_id: str, user: Optional[str], now: str,
              operation_execution: Optional[str] = None, comment: Optional[str] = None) -> Dict[str, Any]:
    """Pause, resume or cancel (L1-L6) through StackStorm's own requests, checked first
    with wfops's lifecycle table (the same decisions and wording as the embedded host).
    The audit entry is appended before the request is made: StackStorm's action runner
    rewrites the live action's context from the copy it loads when it handles the
    request, so an entry written after the request could be lost. A request StackStorm
    still refuses (the status changed in between) gets a second entry saying so."""
    from wfops import lifecycle as lifecycle_table

    try:
        execution = records.execution(execution_id)
    except NotFound:
        raise OperationError(NOT_FOUND_ID % execution_id, 404) from None
    decision = lifecycle_table.check(operation, execution_id, execution.get("status"),
                                     (execution.get("runner") or {}).get("name"))
    if decision.action == "refuse":
        raise OperationError(decision.message, 409 if operation != "cancel" else 400)
    if decision.action == "noop":
        return {"execution": execution, "changed": False, "message": decision.message}
    records.append_audit(execution_id, audit_entries.audit_entry(
        operation, user, {}, now, outcome={"status_before": execution.get("status"), "requested": decision.requests},
        comment=comment, operation_execution=operation_execution))
    try:
        after = records.request_lifecycle(operation, execution_id, user)
    except Exception as e:  # noqa: BLE001 - StackStorm's refusal, word for word
        records.append_audit(execution_id, audit_entries.audit_entry(
            operation, user, {}, now, outcome={"refused": str(e)}, operation_execution=operation_execution))
        raise OperationError(str(e), 409) from None
    return {"execution": after, "changed": True}
