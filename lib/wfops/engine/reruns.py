"""Re-running a workflow execution from tasks (rules R1 to R13), in the owning engine.

The planner decides; this module hands the conductor only the plan's collapsed requests,
so Orquesta's own one-level collapse can never make a task run twice.
"""

from __future__ import annotations

import time

from wfops import corrections, errors, ids, lifecycle
from wfops import statuses as s
from wfops.engine import definitions
from wfops.engine.audit import audit
from wfops.engine.ownership import engine_alive, restore_conductor
from wfops.rerun_request import RerunRequest


def item_statuses(store, wf_id: str) -> dict[int, list[str]]:
    """For each with-items task execution: the latest status of each item, counting
    every earlier attempt of the same task and route (an item not re-run keeps its
    status)."""
    latest: dict[tuple[str, int], dict[int, str]] = {}
    result: dict[int, list[str]] = {}
    for task_execution in store.task_executions(wf_id):
        key = (task_execution["task_id"], task_execution["route"])
        items = [r for r in store.executions_of_task(task_execution["id"]) if r["item_id"] is not None]
        if not items and key not in latest:
            continue
        per_item = latest.setdefault(key, {})
        for record in items:
            per_item[record["item_id"]] = record["status"]
        if per_item:
            count = max(per_item) + 1
            result[task_execution["seq_index"]] = [per_item.get(i, s.SUCCEEDED) for i in range(count)]
    return result


def run_state(store, wf_id: str, conductor) -> dict:
    """The planner's view of a workflow execution: Orquesta's state plus item statuses."""
    state = conductor.workflow_state.serialize()
    state["items"] = item_statuses(store, wf_id)
    return state


def workflow_of(store, execution: dict) -> dict:
    """The workflow execution record of ``execution``; raises NotAWorkflow (for an action
    chain too: StackStorm re-runs only Orquesta workflows from tasks)."""
    wf_id = execution["context"].get("workflow_execution")
    if execution["runner_type"] != "orquesta" or not wf_id:
        raise errors.NotAWorkflow(execution["id"], execution["runner_type"])
    return store.get_workflow_execution(wf_id)


def state_for(store, execution: dict) -> dict:
    """The planner's run state of ``execution``'s workflow, from the store."""
    wf = workflow_of(store, execution)
    return run_state(store, wf["id"], restore_conductor(store, wf).conductor)


def _checked_state(store, wf: dict, execution: dict, request: RerunRequest, conductor=None) -> dict:
    """The run state of ``wf`` (from ``conductor``, else from the store); raises
    ``Conflict`` when it is not the one ``request.fingerprint`` (if any) was computed
    from."""
    from wfops import planner

    jc = conductor or restore_conductor(store, wf)
    state = run_state(store, wf["id"], jc.conductor)
    if request.fingerprint:
        planner.check_fingerprint(request.fingerprint, state, execution["id"])
    return state


def plan_for(store, execution: dict, request: RerunRequest, conductor=None):
    """Plan ``request`` against the stored state (or the state of ``conductor``, the
    owning engine's). A ``request.fingerprint`` is checked first (R13): a plan computed
    from another state is refused as a ``Conflict`` whatever else the request asks."""
    from wfops.planner.extras import plan_with_extras

    wf = workflow_of(store, execution)
    state = _checked_state(store, wf, execution, request, conductor)
    spec = definitions.load_spec(wf["definition"], wf["action_ref"])
    return plan_with_extras(spec, state, request, execution_id=execution["id"])


def apply_rerun(engine, execution_id: str, payload: dict) -> dict:
    """Re-run ``execution_id`` from tasks in ``engine`` (which owns the workflow), or, for
    skips on a paused workflow, skip in place and resume it. ``payload`` is the
    :class:`RerunRequest`'s :meth:`~RerunRequest.to_payload` (as the command table carries it).

    A refusal or a failure changes nothing: it happens in one engine transaction, which
    rolls the store back and puts the engine's memory back as the store has it."""
    request = RerunRequest.from_payload(payload)
    store = engine.store
    original = store.get_execution(execution_id)
    if original is None:
        raise errors.ExecutionNotFound(execution_id)
    wf = workflow_of(store, original)
    if wf["id"] not in engine.live:
        current = store.get_execution(wf["action_execution"])
        holder = store.get_execution(current["root"])["owner"]
        if holder not in (None, engine.id) and engine_alive(store, holder):
            _checked_state(store, wf, original, request)  # a stale plan is refused as such, first
            raise errors.Conflict(
                'Workflow execution of "%s" is being run by another process (execution "%s"). '
                "Wait until it completes, or cancel it, then plan the re-run again."
                % (execution_id, current["id"])
            )
    live = engine.live.get(wf["id"]) or engine.load_workflow(wf["id"])
    plan = plan_for(store, original, request, conductor=live.jc)  # checks the fingerprint first
    if request.dry_run:
        return {"id": execution_id, "plan": plan.to_dict(), "dry_run": True}
    if plan.in_place:
        return _skip_in_place(engine, live, original, plan, request)
    return _rerun_from_tasks(engine, live, original, plan, request)


def _rerun_from_tasks(engine, live, original: dict, plan, request: RerunRequest) -> dict:
    """A new execution attached to the workflow execution, which re-runs per the plan."""
    store = engine.store
    plan_data = plan.to_dict()
    new_id = ids.new_id()
    tasks = [r[0] if r[1] == 0 else "%s[%s]" % (r[0], r[1]) for r in plan.requests]
    # As st2 records it: the requested tasks less the no-reset ones.
    no_reset = {t.split("[")[0] for t in request.no_reset}
    reset = [t for t in tasks if t.split("[")[0] not in no_reset]
    # As st2 does, a re-run is a new top-level execution, whatever the original's parent
    # (a sub-workflow's or a chain node's): the parent keeps its status and tasks.
    context = {k: v for k, v in original["context"].items() if k not in ("orquesta", "parent", "chain")}
    context["user"] = request.user or engine.user
    context["re-run"] = {"ref": original["id"], "tasks": tasks, "reset": reset}
    action = engine.registry.get(original["action_ref"])
    with engine.transaction():
        engine.insert_execution(new_id, action, original["parameters"], context, parent=None,
                                root=new_id, owner=engine.id)
        engine.attach(live, new_id)
        for entry in corrections.rerun_entries(plan):
            if entry["op"] == "skip":
                _apply_skip(engine, live, entry, new_id)
            else:
                engine.journal(live, entry)
        # st2's re-run delay (ms): the tasks the re-run starts wait that long.
        live.hold_until = time.monotonic() + request.delay / 1000.0 if request.delay else 0.0
        operation = "skip" if getattr(plan, "skips", []) and not request.tasks else "re-run"
        audit(store, original["id"], context["user"], operation, request.audit_record(),
              plan=plan_data, outcome={"execution": new_id}, comment=request.comment)
        audit(store, new_id, context["user"], "created-by-re-run", request.audit_record(),
              plan=plan_data, outcome={"from": original["id"]}, comment=request.comment)
        engine.settle(live)
        _refuse_if_nothing_runs(live, original["id"])
    return {"id": new_id, "status": store.get_execution(new_id)["status"], "plan": plan_data}


def _skip_in_place(engine, live, original: dict, plan, request: RerunRequest) -> dict:
    """Skips on a paused workflow: each skipped task is staged afresh and recorded as
    succeeded and skipped on the paused execution itself, then the workflow resumes as
    ``wfops execution resume`` would (paused sub-workflows too, L4)."""
    store = engine.store
    plan_data = plan.to_dict()
    execution_id = live.execution_id
    user = request.user or engine.user
    with engine.transaction():
        for entry in corrections.stage_entries(plan):
            engine.journal(live, entry)
        # Resumed between the staging and the skips: before the staging, a workflow with
        # nothing left to run would complete at once on resume; after the skips, their
        # task events have taken it out of "paused" and Orquesta refuses the resume.
        engine.journal(live, {"op": "status", "status": s.RESUMING})
        for skip in plan.skips:
            _apply_skip(engine, live, corrections.skip_entry(skip), execution_id)
        for child in engine.child_workflows(live):
            if lifecycle.cascades_to("resume", engine.status_of(child)):
                engine.request_status(child, "resume")
        engine.settle(live)
        _refuse_if_nothing_runs(live, original["id"])
        outcome = {"execution": execution_id, "in_place": True, "status_before": s.PAUSED,
                   "status_after": engine.status_of(execution_id), "resumed": True}
        for target in dict.fromkeys([original["id"], execution_id]):
            audit(store, target, user, "skip", request.audit_record(), plan=plan_data,
                  outcome=outcome, comment=request.comment)
    return {"id": execution_id, "status": store.get_execution(execution_id)["status"], "plan": plan_data}


def _refuse_if_nothing_runs(live, execution_id: str) -> None:
    """A re-run must start something or end: one that left its workflow resuming with no
    task active (nothing it staged can run) would stay resuming forever. Raised inside
    the apply's transaction, so nothing changes."""
    if live.jc.status == s.RESUMING and not live.jc.conductor.workflow_state.has_active_tasks:
        raise errors.InvalidOperation(
            'Re-running workflow execution "%s" as requested would start no task: nothing the '
            "request stages can run. Nothing was changed; check the request with --dry-run."
            % execution_id
        )


def _apply_skip(engine, live, entry: dict, execution_id: str) -> None:
    """Record a skipped task (a ``skip`` entry of ``wfops.corrections``): succeeded with
    the supplied result, marked skipped, with a child execution (no action runs) so that
    st2-style listings show it."""
    engine.journal(live, entry)
    task, route = entry["task"], entry["route"]
    task_execution = engine.task_record_id(live, task, route)
    spec = live.jc.conductor.spec.tasks.get_task(task)
    ref = getattr(spec, "action", None) or "core.noop"
    try:
        action = engine.registry.get(ref)
    except errors.WfopsError:
        action = engine.registry.get("core.noop")
    record_id = ids.new_id()
    context = {
        "user": engine.user,
        "parent": {"execution_id": execution_id},
        "skipped": True,
        "orquesta": {
            "workflow_execution_id": live.wf_id, "task_execution_id": task_execution,
            "task_id": task_execution, "task_name": task, "task_route": route, "item_id": None,
        },
    }
    record = engine.insert_execution(record_id, action, {}, context, parent=execution_id, root=live.root,
                                     task_execution=task_execution, status=s.SUCCEEDED)
    engine.store.update_execution(record_id, result=entry["result"], end_timestamp=record["start_timestamp"])
