"""Driving workflows: conductor calls through the journal, task records, settling (what
runs next, the status mirrored to the records), and outcomes handed to conductors.

Orquesta is imported only once a workflow runs (so that commands which do not run one
start fast). Every function here runs inside a store transaction (they open one, which joins the
caller's): the journal entries, the records they produce and the actions they start
commit together, and actions start only after that commit (``wfops.engine.dispatch``).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from wfops import errors, ids, lifecycle
from wfops import statuses as s
from wfops.engine import actions, crash_points, runtime_context
from wfops.engine.executions import insert_execution, set_execution_status
from wfops.engine.memory import MISSING
from wfops.engine.records import LiveWorkflow, Outcome, TaskAction, TaskRecord
from wfops.expressions import kv_reads
from wfops.timestamps import now_iso

SNAPSHOT_MIN_ENTRIES = 256

# Runner types the engine runs itself besides orquesta, registered by their module
# (``wfops.engine.chains``: action-chain), so that this module needs none of them:
# runner type -> start(engine, execution_id, action, params, task), in a transaction.
ENGINE_RUNNERS: dict[str, Callable] = {}
# What a tracked execution that is no workflow's task runs (a chain's node): its type ->
# handler(engine, step, outcome), called with the outcome once it is recorded.
STEP_HANDLERS: dict[type, Callable] = {}


# -- starting -------------------------------------------------------------------------


def start_workflow(engine, execution_id: str, root: str, action, params: dict, spec, context: dict,
                   parent: TaskAction | None, parent_context: dict | None, *,
                   hold_until: float = 0.0) -> LiveWorkflow:
    """Create the workflow execution of action execution ``execution_id`` and run it.
    ``parent``/``parent_context``: for a sub-workflow, its task in the parent and the
    parent's workflow context; ``hold_until`` (monotonic time): no task starts before it
    (st2's launch delay)."""
    wf_id = ids.new_id()
    with open(action.entry_point, encoding="utf-8") as handle:
        definition = handle.read()
    workflow_context = {"st2": runtime_context.st2_context(execution_id, wf_id, action, context)}
    if parent is not None:
        workflow_context["parent"] = parent_context or {}
    now = now_iso()
    store = engine.store
    with store.transaction():
        store.insert_workflow_execution({
            "id": wf_id, "action_execution": execution_id, "action_ref": action.ref,
            "definition": definition, "status": s.REQUESTED, "input": params,
            "parent_context": workflow_context, "snapshot": None, "snapshot_seq": 0,
            "journal_seq": 0, "created": now, "updated": now,
        })
        record = store.get_execution(execution_id)
        store.update_execution(execution_id, context=dict(record["context"], workflow_execution=wf_id))
        from wfops.engine.journal import JournaledConductor  # Orquesta: imported when needed

        jc = JournaledConductor.new(spec, params, workflow_context)
        # Reading the status renders the input and vars (st2kv() may read the datastore):
        # those answers go with the first entry, whose replay renders them again.
        with kv_reads.recording() as rendering:
            created_status = jc.status
        live = LiveWorkflow(wf_id, execution_id, root, jc, 0, 0, {}, parent, hold_until=hold_until)
        engine.memory.add_workflow(live)
        if created_status in s.COMPLETED:
            # Its input or vars could not be rendered: Orquesta failed it as it was made
            # (the errors say why); as in st2, it is not requested to run.
            mirror_status(engine, live, created_status)
            return live
        journal(engine, live, {"op": "status", "status": s.RUNNING}, earlier_reads=rendering)
        settle(engine, live)
    return live


# -- the journal ------------------------------------------------------------------------


def journal(engine, live: LiveWorkflow, entry: dict, earlier_reads: dict | None = None) -> Any:
    """Apply one conductor call and record it, with the task records it changes; every
    so many entries, a snapshot. A snapshot's size grows with the task sequence and the
    items recorded, so one is taken after twice that many entries: amortised O(1) per
    entry. ``earlier_reads``: datastore answers found before the call that its replay
    needs (``kv_reads``). Returns the call's value."""
    store = engine.store
    with store.transaction():
        engine.memory.touch(live)
        with kv_reads.recording(earlier_reads) as answers:
            value = live.jc.apply(entry)
        if answers:  # what st2kv() read, for the replay (journal.JournaledConductor.restore)
            entry = dict(entry, kv=answers)
        live.journal_seq += 1
        store.append_journal(live.wf_id, live.journal_seq, entry)
        _sync_task_records(engine, live, entry)
        if live.journal_seq - live.snapshot_seq >= max(SNAPSHOT_MIN_ENTRIES, 2 * _snapshot_size(live)):
            snapshot(engine, live)
    return value


def _snapshot_size(live: LiveWorkflow) -> int:
    """The task entries plus the item results a snapshot of ``live`` holds. O(with-items
    tasks)."""
    return len(live.jc.sequence) + sum(len(results) for results in live.jc.items.values())


def snapshot(engine, live: LiveWorkflow) -> None:
    """Store the serialized conductor; the journal before it is dropped."""
    with engine.store.transaction():
        engine.store.write_snapshot(live.wf_id, live.journal_seq, live.jc.snapshot())
        crash_points.reach("snapshot")
        live.snapshot_seq = live.journal_seq


def _sync_task_records(engine, live: LiveWorkflow, entry: dict) -> None:
    """Mirror to the task execution records what ``entry`` changed in the conductor's task
    sequence: insert the entries it added, update the statuses it changed. An action event
    (``task``, ``item``) can change only entries not yet completed (``live.open_records``),
    so it looks at those alone: O(open entries), not O(sequence). Workflow-level entries
    (``status``, ``rerun``, ``skip``: rare) look at the whole sequence."""
    store = engine.store
    sequence = live.jc.sequence
    now = None
    for index in range(len(live.task_records), len(sequence)):
        task_state = sequence[index]
        prev_ids = [
            live.task_records[i].id
            for i in sorted(set(task_state.get("prev", {}).values()))
            if i in live.task_records
        ]
        try:
            inbound = live.jc.conductor.get_task_context(task_state["ctxs"]["in"])
        except Exception:
            inbound = {}
        record = TaskRecord(ids.new_id(), task_state.get("status") or s.REQUESTED)
        now = now or now_iso()
        store.insert_task_execution({
            "id": record.id, "workflow_execution": live.wf_id, "action_execution": live.execution_id,
            "task_id": task_state["id"], "route": task_state["route"], "seq_index": index,
            "status": record.status, "prev": prev_ids, "context": inbound, "result": None,
            "skipped": 0, "start_timestamp": now, "end_timestamp": None,
        })
        live.task_records[index] = record
        if record.status not in s.COMPLETED:
            live.open_records.add(index)
    op = entry["op"]
    if op == "context":
        index = live.jc.conductor._get_task_state_idx(entry["task"], entry["route"])
        if index is not None and index in live.task_records:
            inbound = live.jc.conductor.get_task_context(sequence[index]["ctxs"]["in"])
            store.update_task_execution(live.task_records[index].id, context=inbound)
    if op not in ("task", "item", "status", "rerun", "skip"):
        return
    indexes = sorted(live.open_records) if op in ("task", "item") else range(len(sequence))
    for index in indexes:
        task_state = sequence[index]
        known = live.task_records[index]
        status = task_state.get("status") or s.REQUESTED
        if status in s.COMPLETED:
            live.open_records.discard(index)
        else:
            live.open_records.add(index)
        if known.status == status:
            continue
        fields: dict[str, Any] = {"status": status}
        if status in s.COMPLETED:
            fields["end_timestamp"] = now = now or now_iso()
            fields["published"] = _published(live, task_state)
            if task_state.get("skipped"):
                fields["skipped"] = 1
                fields["result"] = entry.get("result")
            if op == "item" and entry["task"] == task_state["id"]:
                from wfops.engine.journal import items_key

                fields["result"] = live.jc.items.get(items_key(entry["task"], entry["route"]))
            elif op == "task" and entry["task"] == task_state["id"]:
                fields["result"] = entry.get("result")
        store.update_task_execution(known.id, **fields)
        known.status = status


def _published(live: LiveWorkflow, task_state: dict) -> dict:
    """What a completed task's transitions published (their new context entries)."""
    contexts = live.jc.conductor.workflow_state.contexts
    published: dict = {}
    for index in (task_state.get("ctxs", {}).get("out") or {}).values():
        if 0 <= index < len(contexts):
            published.update(contexts[index])
    return published


def task_record_id(live: LiveWorkflow, task_id: str, route: int) -> str | None:
    """The task execution id of ``task_id``'s latest execution on ``route``."""
    index = live.jc.conductor._get_task_state_idx(task_id, route)
    if index is None or index not in live.task_records:
        return None
    return live.task_records[index].id


# -- moving a workflow forward ---------------------------------------------------------


def settle(engine, live: LiveWorkflow) -> None:
    """After any change: schedule what is due, then mirror the workflow status to the
    records (and, for a sub-workflow, to its parent's task)."""
    with engine.store.transaction():
        status = live.jc.status
        if status in s.RUNNING_GROUP or (
            status == s.FAILED and live.jc.conductor.workflow_state.get_staged_tasks()
        ):
            _schedule_next(engine, live)
            status = live.jc.status
        mirror_status(engine, live, status)


def mirror_status(engine, live: LiveWorkflow, status: str) -> None:
    """Write the conductor's ``status`` to the workflow and action execution records;
    a completed workflow is finished (output, result) once none of its actions runs."""
    store = engine.store
    if status not in s.COMPLETED:
        # The records of a workflow this engine runs change only through here and
        # Engine.set_execution_status (which forgets what was seen): read them only when
        # the status differs from what they were last seen to show.
        if live.mirrored == (live.execution_id, status):
            return
        if store.workflow_and_execution_status(live.wf_id, live.execution_id) == (status, status):
            engine.memory.touch(live)  # a rollback reloads it, forgetting what was seen
            live.mirrored = (live.execution_id, status)
            return
    live.mirrored = None
    if status in s.COMPLETED and has_active_actions(engine, live.wf_id):
        # Orquesta fails a workflow at once while other tasks still run; show the status
        # now, keep recording those tasks' outcomes, and finish when the last one ends.
        store.update_workflow_execution(live.wf_id, status=status, updated=now_iso())
        set_execution_status(engine, live.execution_id, status)
        return
    if status in s.COMPLETED:
        record = store.get_execution(live.execution_id)
        if live.jc.conductor.get_workflow_output() is None:
            journal(engine, live, {"op": "output"})
            status = live.jc.status
        result: dict[str, Any] = {"output": live.jc.conductor.get_workflow_output()}
        if status in s.ABENDED:  # st2: errors only for an abended workflow
            result["errors"] = live.jc.conductor.errors
        store.update_workflow_execution(live.wf_id, status=status, updated=now_iso())
        snapshot(engine, live)
        set_execution_status(engine, live.execution_id, status, result, with_result=True)
        engine.memory.release_workflow(live)
        if live.parent is not None:
            deliver(engine, Outcome(live.execution_id, status, result, workflow=True))
        elif record and record["parent"] is None:
            store.release_root(live.root, engine.id)
        return
    store.update_workflow_execution(live.wf_id, status=status, updated=now_iso())
    set_execution_status(engine, live.execution_id, status)
    engine.memory.touch(live)
    live.mirrored = (live.execution_id, status)
    if status == s.PAUSED:
        snapshot(engine, live)
    if live.parent is not None and status in lifecycle.PARENT_TASK_FOLLOWS:
        deliver(engine, Outcome(live.execution_id, status, None, final=False, workflow=True))


def has_active_actions(engine, wf_id: str) -> bool:
    return bool(engine.memory.actions_of(wf_id))


def _schedule_next(engine, live: LiveWorkflow) -> None:
    for task in journal(engine, live, {"op": "next"}):
        if live.jc.stale_join(task["id"], task["route"]):
            journal(engine, live, {"op": "drop", "task": task["id"], "route": task["route"]})
            continue
        _schedule_task(engine, live, task)


def _schedule_task(engine, live: LiveWorkflow, task: dict) -> None:
    task_id, route = task["id"], task["route"]
    has_items = "items_count" in task
    action_less = getattr(live.jc.conductor.spec.tasks.get_task(task_id), "action", None) is None
    if action_less or (has_items and task["items_count"] == 0):
        # Nothing to run (st2: an action-less task, or no items, succeeds at once).
        journal(engine, live, {"op": "task", "task": task_id, "route": route, "status": s.RUNNING})
        journal(engine, live, {"op": "task", "task": task_id, "route": route, "status": s.SUCCEEDED,
                               "result": None if action_less else []})
        settle(engine, live)
        return
    delay = max(task.get("delay") or 0, live.hold_until - time.monotonic())
    for action_spec in task["actions"]:
        item_id = action_spec.get("item_id") if has_items else None
        _schedule_action(engine, live, task, action_spec, item_id, delay)


def event_entry(task: TaskAction, status: str, result: Any = None) -> dict:
    """The journal entry of an action execution event of ``task`` (task or item)."""
    if task.item is None:
        entry = {"op": "task", "task": task.task, "route": task.route, "status": status}
    else:
        entry = {"op": "item", "task": task.task, "route": task.route, "item": task.item,
                 "count": task.count, "status": status}
    if status in s.COMPLETED:
        entry["result"] = result
    return entry


def _schedule_action(engine, live: LiveWorkflow, task: dict, action_spec: dict, item_id, delay) -> None:
    task_action = TaskAction(live.wf_id, task["id"], task["route"], item_id, task.get("items_count"))
    ref = action_spec["action"]
    problem = None
    action = None
    params: dict = {}
    try:
        from wfops.parameters import validate_parameters

        action = engine.registry.get(ref)
        params = validate_parameters(action, action_spec.get("input") or {})
    except errors.WfopsError as e:
        problem = str(e)
    journal(engine, live, event_entry(task_action, s.DELAYED if delay else s.RUNNING))
    task_execution = task_record_id(live, task_action.task, task_action.route)
    execution_id = ids.new_id()
    context = {
        "user": engine.user,
        "parent": {"execution_id": live.execution_id},
        "orquesta": {
            "workflow_execution_id": live.wf_id,
            "task_execution_id": task_execution,
            "task_id": task_execution,
            "task_name": task_action.task,
            "task_route": task_action.route,
            "item_id": item_id,
        },
    }
    if action is None:
        from wfops.packs.action_spec import ActionSpec

        action = ActionSpec(
            ref=ref, pack=ref.split(".")[0], name=ref.split(".")[-1],
            runner_type="unknown", entry_point=None, parameters={}, description="",
            enabled=True, pack_path="", metadata_file="",
        )
        params = action_spec.get("input") or {}
    # A plain action that starts now is recorded running at once (one write, not an
    # insert and an update); its log still shows scheduled, then running.
    starts_now = not delay and problem is None and action.runner_type != "orquesta" \
        and action.runner_type not in ENGINE_RUNNERS
    record = insert_execution(
        engine, execution_id, action, params, context, parent=live.execution_id,
        root=live.root, task_execution=task_execution, item_id=item_id,
        status=s.DELAYED if delay else (s.RUNNING if starts_now else s.SCHEDULED),
        logged=(s.SCHEDULED,) if starts_now else (),
    )
    if problem is not None:
        engine.memory.track(execution_id, task_action)
        deliver(engine, Outcome(execution_id, s.FAILED, {"error": problem}))
        return
    if delay:
        engine.memory.track(execution_id, task_action)
        engine.memory.add_timer(delay, lambda: start_delayed(engine, execution_id, action, params, task_action))
        return
    if starts_now:
        if engine.progress:
            engine.progress({"execution": execution_id, "status": s.RUNNING, "record": record})
        actions.start(engine, execution_id, action, params, task_action, recorded_running=True)
        return
    _start_task_action(engine, live, execution_id, action, params, task_action)


def start_delayed(engine, execution_id: str, action, params: dict, task: TaskAction) -> None:
    """A delayed task's time has come: start it (or, canceled meanwhile, end it)."""
    live = engine.memory.live.get(task.wf_id)
    if live is None or engine.store.get_execution_status(execution_id) != s.DELAYED:
        return
    with engine.store.transaction():
        if live.jc.status in (s.CANCELING, s.CANCELED):
            deliver(engine, Outcome(execution_id, s.CANCELED, None))  # it never starts
            return
        # Running or pausing: a delayed task counts as active, so it runs like one.
        journal(engine, live, event_entry(task, s.RUNNING))
        _start_task_action(engine, live, execution_id, action, params, task)


def _start_task_action(engine, live: LiveWorkflow, execution_id: str, action, params: dict,
                       task: TaskAction) -> None:
    if action.runner_type in ENGINE_RUNNERS:
        ENGINE_RUNNERS[action.runner_type](engine, execution_id, action, params, task)
        return
    if action.runner_type != "orquesta":
        actions.start(engine, execution_id, action, params, task)
        return
    set_execution_status(engine, execution_id, s.RUNNING)
    engine.memory.track(execution_id, task)
    record = engine.store.get_execution(execution_id)
    from wfops.engine import definitions

    spec, problems = definitions.action_problems(action, engine.registry, engine.cache_dir)
    if problems:
        fail_to_start(engine, execution_id, problems)
        return
    start_workflow(engine, execution_id, live.root, action, params, spec, record["context"], task,
                   live.jc.conductor.get_workflow_parent_context())


def fail_to_start(engine, execution_id: str, problems: list[dict]) -> None:
    """End workflow execution ``execution_id``, which could not start, failed with
    ``problems`` (StackStorm's error entries) as its ``result.errors``; a sub-workflow
    hands the failure to its parent's task."""
    result = {"errors": problems, "output": None}
    if execution_id in engine.memory.actions:
        deliver(engine, Outcome(execution_id, s.FAILED, result))
        return
    set_execution_status(engine, execution_id, s.FAILED, result, with_result=True)
    record = engine.store.get_execution(execution_id)
    if record is not None and record["parent"] is None:
        engine.store.release_root(record["root"], engine.id)


# -- outcomes ----------------------------------------------------------------------------


def deliver(engine, outcome: Outcome) -> None:
    """Record an action's outcome and hand it to its workflow's conductor."""
    with engine.store.transaction():
        outcome = actions.final_outcome(engine, outcome)
        task = actions.record_outcome(engine, outcome)
        if task is None or task is MISSING:
            return
        if type(task) in STEP_HANDLERS:
            STEP_HANDLERS[type(task)](engine, task, outcome)
            return
        live = engine.memory.live.get(task.wf_id)
        if live is None:
            return
        status = outcome.status
        if (outcome.final or status == s.PENDING) and not outcome.workflow:
            # An end, or an inquiry's pending (its task pending pauses the workflow).
            entry = event_entry(task, status, outcome.result)
            journal(engine, live, entry)
        else:
            entry = _follow_sub_workflow(engine, live, task, outcome)
            if entry is None:
                return
        if entry["op"] == "item" and _items_all_started(live, task.task, task.route):
            # An item that leaves its task running stages nothing, and every item has
            # started: asking the conductor for next tasks would only re-render all N
            # items (O(N^2) in Orquesta 1.2.0) to find none.
            mirror_status(engine, live, live.jc.status)
            return
        settle(engine, live)


def _follow_sub_workflow(engine, live: LiveWorkflow, task: TaskAction, outcome: Outcome) -> dict | None:
    """Bring the parent's task for a sub-workflow to the status the sub-workflow shows
    (``lifecycle.PARENT_TASK_FOLLOWS``; its end, for a final outcome). Orquesta takes a
    task from a pause status back to running only in steps (pausing -> resuming ->
    running) and an action's end only from running, so the steps are sent in turn.
    Returns the last entry journaled (None: the task already shows that status)."""
    wanted = outcome.status if outcome.final else lifecycle.PARENT_TASK_FOLLOWS[outcome.status]
    task_state = live.jc.conductor.get_task_state_entry(task.task, task.route)
    current = task_state.get("status") if task_state is not None else None
    if task.item is not None:  # an item: Orquesta judges the task from all its items
        steps = [] if current == wanted and not outcome.final else [wanted]
    else:
        steps = lifecycle.task_steps(current, wanted)
    entry = None
    for step in steps:
        entry = event_entry(task, step, outcome.result if step == wanted else None)
        journal(engine, live, entry)
    return entry


def _items_all_started(live: LiveWorkflow, task_id: str, route: int) -> bool:
    """True when the with-items task is still running and none of its items is waiting
    to start (no ``concurrency`` left to fill)."""
    if live.jc.status != s.RUNNING:
        return False
    state = live.jc.conductor.workflow_state
    staged = state.get_staged_task(task_id, route)
    if staged is None or not staged.get("items"):
        return False
    task_state = live.jc.conductor.get_task_state_entry(task_id, route)
    if task_state is None or task_state.get("status") != s.RUNNING:
        return False
    items_spec = getattr(live.jc.conductor.spec.tasks.get_task(task_id), "with", None)
    if items_spec is not None and getattr(items_spec, "concurrency", None) is None:
        # Without a concurrency limit, each get_next_tasks() starts every waiting item.
        return True
    return all(item.get("status") != s.UNSET for item in staged["items"])
