"""Re-running a workflow execution from tasks (rules R1 to R13), in the owning engine.

The planner decides; this module hands the conductor only the plan's collapsed requests,
so Orquesta's own one-level collapse can never make a task run twice.
"""

from __future__ import annotations

import contextlib

from wfops import errors, ids
from wfops import statuses as s
from wfops.engine import definitions
from wfops.engine.journal import JournaledConductor


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


def restore_conductor(store, wf: dict) -> JournaledConductor:
    spec = definitions.load_spec(wf["definition"], wf["action_ref"])
    entries = store.journal_after(wf["id"], wf["snapshot_seq"])
    return JournaledConductor.restore(spec, wf["input"], wf["parent_context"], wf["snapshot"], entries)


def workflow_of(store, execution: dict) -> dict:
    wf_id = execution["context"].get("workflow_execution")
    if execution["runner_type"] != "orquesta" or not wf_id:
        raise errors.InvalidOperation(
            'Execution "%s" is not a workflow execution (runner type "%s"); only workflows can '
            "be re-run from tasks. Use `wfops execution re-run %s` without --tasks to run it again."
            % (execution["id"], execution["runner_type"], execution["id"])
        )
    return store.get_workflow_execution(wf_id)


def state_for(store, execution: dict) -> dict:
    """The planner's run state of ``execution``'s workflow, from the store."""
    wf = workflow_of(store, execution)
    return run_state(store, wf["id"], restore_conductor(store, wf).conductor)


def _checked_state(store, wf: dict, execution: dict, payload: dict, conductor=None) -> dict:
    """The run state of ``wf`` (from ``conductor``, else from the store); raises
    ``Conflict`` when it is not the one ``payload["fingerprint"]`` (if any) was computed
    from."""
    from wfops import planner

    jc = conductor or restore_conductor(store, wf)
    state = run_state(store, wf["id"], jc.conductor)
    if payload.get("fingerprint"):
        planner.check_fingerprint(payload["fingerprint"], state, execution["id"])
    return state


def plan_for(store, execution: dict, payload: dict, conductor=None):
    """Plan the re-run described by ``payload`` against the stored state (or the state of
    ``conductor``, the owning engine's). A ``payload["fingerprint"]`` is checked first
    (R13): a plan computed from another state is refused as a ``Conflict`` whatever else
    the request asks."""
    from wfops import planner

    wf = workflow_of(store, execution)
    state = _checked_state(store, wf, execution, payload, conductor)
    spec = definitions.load_spec(wf["definition"], wf["action_ref"])
    request = planner.RerunRequest(
        tasks=list(payload.get("tasks") or []),
        no_reset=list(payload.get("no_reset") or []),
        failed=bool(payload.get("failed")),
        force=bool(payload.get("force")),
        parameters=payload.get("parameters") or None,
        items=payload.get("items") or None,
        context=payload.get("context") or None,
        skips=list(payload.get("skip") or []),
        results=payload.get("result") or None,
        publish=payload.get("publish") or None,
    )
    from wfops.planner.extras import plan_with_extras

    return plan_with_extras(spec, state, request, execution_id=execution["id"])


def apply_rerun(engine, execution_id: str, payload: dict) -> dict:
    """Re-run ``execution_id`` from tasks in ``engine`` (which owns the workflow), or, for
    skips on a paused workflow, skip in place and resume it.

    A refusal or a failure changes nothing: the store is rolled back, and the engine's
    in-memory conductors are restored from it (:func:`_restoring_memory`)."""
    store = engine.store
    original = store.get_execution(execution_id)
    if original is None:
        raise errors.ExecutionNotFound('Execution "%s" cannot be found.' % execution_id)
    wf = workflow_of(store, original)
    if wf["id"] not in engine.live:
        from wfops.engine.host import engine_alive

        current = store.get_execution(wf["action_execution"])
        holder = store.get_execution(current["root"])["owner"]
        if holder not in (None, engine.id) and engine_alive(store, holder):
            _checked_state(store, wf, original, payload)  # a stale plan is refused as such, first
            raise errors.Conflict(
                'Workflow execution of "%s" is being run by another process (execution "%s"). '
                "Wait until it completes, or cancel it, then plan the re-run again."
                % (execution_id, current["id"])
            )
    live = engine.live.get(wf["id"]) or engine.load_workflow(wf["id"])
    plan = plan_for(store, original, payload, conductor=live.jc)  # checks the fingerprint first
    if payload.get("dry_run"):
        return {"id": execution_id, "plan": plan.to_dict(), "dry_run": True}
    with _restoring_memory(engine, live):
        if plan.in_place:
            return _skip_in_place(engine, live, original, plan, payload)
        return _rerun_from_tasks(engine, live, original, plan, payload)


def _rerun_from_tasks(engine, live, original: dict, plan, payload: dict) -> dict:
    """A new execution attached to the workflow execution, which re-runs per the plan."""
    from wfops.engine.commands import audit

    store = engine.store
    plan_data = plan.to_dict()
    new_id = ids.new_id()
    tasks = [r[0] if r[1] == 0 else "%s[%s]" % (r[0], r[1]) for r in plan.requests]
    # As st2 records it: the requested tasks less the no-reset ones.
    no_reset = {t.split("[")[0] for t in payload.get("no_reset") or []}
    reset = [t for t in tasks if t.split("[")[0] not in no_reset]
    context = dict(original["context"])
    context.pop("orquesta", None)
    context["user"] = payload.get("user") or engine.user
    context["re-run"] = {"ref": original["id"], "tasks": tasks, "reset": reset}
    action = engine.registry.get(original["action_ref"])
    with store.transaction():
        engine._insert_execution(
            new_id, action, original["parameters"], context, parent=original["parent"],
            root=new_id if original["parent"] is None else original["root"], owner=engine.id,
        )
        store.update_workflow_execution(live.wf_id, action_execution=new_id)
        engine.by_execution.pop(live.execution_id, None)
        live.execution_id = new_id
        live.root = new_id
        engine.by_execution[new_id] = live.wf_id
        engine._journal(live, {
            "op": "rerun",
            "requests": [list(r) for r in plan.requests],
            **_fixes(plan),
        })
        for selection in getattr(plan, "item_selections", []):
            engine._journal(live, {"op": "restage", "task": selection.task, "route": selection.route,
                                   "indices": list(selection.indices), "statuses": list(selection.statuses)})
        for override in getattr(plan, "contexts", []):
            engine._journal(live, {"op": "context", "task": override.task, "route": override.route,
                                   "values": override.values})
        for skip in getattr(plan, "skips", []):
            _apply_skip(engine, live, skip, new_id)
        operation = "skip" if getattr(plan, "skips", []) and not payload.get("tasks") else "re-run"
        audit(store, original["id"], context["user"], operation, _request_as_given(payload),
              plan=plan_data, outcome={"execution": new_id}, comment=payload.get("comment"))
        audit(store, new_id, context["user"], "created-by-re-run", _request_as_given(payload),
              plan=plan_data, outcome={"from": original["id"]}, comment=payload.get("comment"))
        engine._settle(live)
    return {"id": new_id, "status": store.get_execution(new_id)["status"], "plan": plan_data}


def _skip_in_place(engine, live, original: dict, plan, payload: dict) -> dict:
    """Skips on a paused workflow: each skipped task is staged afresh and recorded as
    succeeded and skipped on the paused execution itself, then the workflow resumes as
    ``wfops execution resume`` would (paused sub-workflows too, L4)."""
    from wfops import lifecycle
    from wfops.engine.commands import audit
    from wfops.engine.host import live_status

    store = engine.store
    plan_data = plan.to_dict()
    execution_id = live.execution_id
    user = payload.get("user") or engine.user
    with store.transaction():
        engine._journal(live, {"op": "stage", "tasks": [[k.task, k.route] for k in plan.skips], **_fixes(plan)})
        # Resumed between the staging and the skips: before the staging, a workflow with
        # nothing left to run would complete at once on resume; after the skips, their
        # task events have taken it out of "paused" and Orquesta refuses the resume.
        engine._journal(live, {"op": "status", "status": s.RESUMING})
        for skip in plan.skips:
            _apply_skip(engine, live, skip, execution_id)
        for child in engine._child_workflows(live):
            if lifecycle.cascades_to("resume", live_status(engine, child)):
                engine.request_status(child, "resume")
        engine._settle(live)
        outcome = {"execution": execution_id, "in_place": True, "status_before": s.PAUSED,
                   "status_after": live_status(engine, execution_id), "resumed": True}
        for target in dict.fromkeys([original["id"], execution_id]):
            audit(store, target, user, "skip", _request_as_given(payload), plan=plan_data,
                  outcome=outcome, comment=payload.get("comment"))
    return {"id": execution_id, "status": store.get_execution(execution_id)["status"], "plan": plan_data}


def _fixes(plan) -> dict:
    """The plan's corrections of Orquesta 1.2.0, as a journal entry carries them."""
    return {
        "unstage": [list(u) for u in plan.unstage],
        "hold": [list(h) for h in plan.hold],
        "stale_branches": [list(b) for b in plan.stale_branches],
    }


@contextlib.contextmanager
def _restoring_memory(engine, live):
    """On any exception, put the engine's memory back as the store has it once the
    failed transaction is rolled back: the conductors of ``live``'s tree (journal replay
    is exact), which executions they are attached to, and the actions and timers the
    engine tracks. An action already handed to a worker cannot be called back; an apply
    only starts actions in its last step (settling), after every conductor change."""
    saved_live = {k: (v.execution_id, v.root, v.parent_task) for k, v in engine.live.items()}
    saved_by_execution = dict(engine.by_execution)
    saved_actions = dict(engine.actions)
    saved_timers = list(engine.timers)
    try:
        yield
    except BaseException:
        tree = {k for k, (_, root, _) in saved_live.items() if root == saved_live[live.wf_id][1]}
        for key in list(engine.live):
            if key not in saved_live or key in tree:
                del engine.live[key]
        engine.by_execution.clear()
        engine.by_execution.update(saved_by_execution)
        engine.actions.clear()
        engine.actions.update(saved_actions)
        engine.timers[:] = saved_timers
        for key in sorted(tree):
            execution, _, parent_task = saved_live[key]
            engine.load_workflow(key, execution).parent_task = parent_task
        raise


def _apply_skip(engine, live, skip, execution_id: str) -> None:
    """Record a skipped task: succeeded with the supplied result, marked skipped, with a
    child execution (no action runs) so that st2-style listings show it."""
    engine._journal(live, {"op": "skip", "task": skip.task, "route": skip.route,
                           "result": skip.result, "publish": dict(skip.publish or {})})
    task_execution = engine.task_record_id(live, skip.task, skip.route)
    spec = live.jc.conductor.spec.tasks.get_task(skip.task)
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
            "task_id": task_execution, "task_name": skip.task, "task_route": skip.route, "item_id": None,
        },
    }
    engine._insert_execution(record_id, action, {}, context, parent=execution_id, root=live.root,
                             task_execution=task_execution, status=s.SUCCEEDED)
    engine.store.update_execution(record_id, result=skip.result, end_timestamp=engine.store.get_execution(record_id)["start_timestamp"])


def _request_as_given(payload: dict) -> dict:
    keep = ("tasks", "no_reset", "failed", "force", "parameters", "fingerprint", "items", "context",
            "skip", "result", "publish")
    return {k: payload[k] for k in keep if payload.get(k) not in (None, [], False)}
