"""Running action chains (StackStorm's ``action-chain`` runner) on the engine.

Each node runs as a child action execution of the chain, started like a workflow's task
(write-ahead: recorded with the decision that starts it, started after the commit). The
engine keeps no chain state: when a node ends, the chain's child executions as the store
holds them are folded by ``wfops.action_chain.progress`` into the next node (or the
chain's end), so a chain adopted after a crash goes on from its records, and its nodes
run once. A chain is a workflow for the lifecycle (as in StackStorm): pause lets the
running node finish and stops before the next (a running sub-workflow node is paused
too); resume goes on (resuming a paused sub-workflow node first); cancel stops after the
running node (a sub-workflow node is canceled) and ends the chain canceled.

Everything here runs inside the engine's transaction.
"""

from __future__ import annotations

from wfops import errors, ids, lifecycle
from wfops import statuses as s
from wfops.action_chain import progress as chain_progress
from wfops.action_chain.rendering import RenderError
from wfops.action_chain.spec import ChainError, load_chain
from wfops.engine import actions, driver
from wfops.engine.executions import insert_execution, set_execution_status
from wfops.engine.records import ChainStep, Outcome

ACTION_CHAIN = "action-chain"


def start(engine, execution_id: str, action, params: dict, task) -> None:
    """Start chain execution ``execution_id`` (its record exists) run for ``task`` (its
    parent's task or chain node; None at the top): running, then its first node."""
    set_execution_status(engine, execution_id, s.RUNNING)
    engine.memory.add_chain(execution_id)
    if task is not None:
        engine.memory.track(execution_id, task)
    advance(engine, execution_id)


def ended_nodes(store, chain_id: str) -> tuple[list, bool]:
    """The chain's nodes that ran, in order, and whether one is still active. O(nodes)."""
    ended, active = [], False
    for child in store.child_executions(chain_id):
        name = (child.get("context") or {}).get("chain", {}).get("name")
        if name is None:
            continue
        if child["status"] not in s.COMPLETED and child["status"] != s.PAUSED:
            active = True
            continue
        ended.append(chain_progress.Ended(name, child["id"], child["status"], child["result"],
                                          child["start_timestamp"], child["end_timestamp"] or child["start_timestamp"]))
    return ended, active


def datastore_names(engine, record: dict) -> dict:
    """The datastore as the chain's values see it (``st2kv.system``, ``st2kv.user``)."""
    from wfops.datastore.jinja_lookup import chain_names

    return chain_names(engine.store, record["context"].get("user") or engine.user)


def fold(engine, record: dict):
    """(the chain's definition, its progress) from the store; raises ChainError."""
    action = engine.registry.get(record["action_ref"])
    spec = load_chain(action.entry_point)
    ended, _ = ended_nodes(engine.store, record["id"])
    return spec, chain_progress.progress(spec, record["parameters"], ended, datastore_names(engine, record))


def _display_published(record: dict, engine) -> bool:
    try:
        action = engine.registry.get(record["action_ref"])
    except errors.WfopsError:
        return True
    value = record["parameters"].get("display_published",
                                     (action.parameters.get("display_published") or {}).get("default", True))
    return value is not False


def advance(engine, chain_id: str) -> None:
    """Carry the chain on from what its nodes left: end it (canceled, paused, or as the
    last node says), or start its next node. Does nothing while a node is active, so it
    can be called again safely (after an adoption). O(nodes)."""
    store = engine.store
    record = store.get_execution(chain_id)
    if record is None or record["status"] in s.COMPLETED:
        return
    _, active = ended_nodes(store, chain_id)
    if active:
        return
    try:
        spec, state = fold(engine, record)
    except (ChainError, errors.WfopsError) as e:
        finish(engine, record, s.FAILED, {"tasks": [], "error": str(e)})
        return
    result = chain_progress.chain_result(state, _display_published(record, engine))
    status = record["status"]
    if status == s.CANCELING:
        finish(engine, record, s.CANCELED, result)
    elif status in (s.PAUSING, s.PAUSED) or state.status == s.PAUSED:
        _show(engine, record, s.PAUSED, result)
    elif state.error or state.next is None:
        finish(engine, record, state.status, result)
    else:
        _start_node(engine, record, state, result)


def _show(engine, record: dict, status: str, result=None) -> None:
    """The chain shows ``status`` (not an end); its parent's task follows (L3, L5)."""
    set_execution_status(engine, record["id"], status, result, with_result=result is not None)
    if record["id"] in engine.memory.actions and status in lifecycle.PARENT_TASK_FOLLOWS:
        driver.deliver(engine, Outcome(record["id"], status, None, final=False, workflow=True))


def finish(engine, record: dict, status: str, result: dict) -> None:
    """End the chain with ``status`` and ``result``; its parent (a workflow's task or a
    chain's node) gets the outcome, a top-level chain's tree is released."""
    engine.memory.release_chain(record["id"])
    driver.deliver(engine, Outcome(record["id"], status, result, workflow=True))


def _start_node(engine, record: dict, state, result: dict) -> None:
    node = state.next
    chain_context = {"parent": dict(record["context"], execution_id=record["id"])}
    datastore = datastore_names(engine, record)
    try:
        action = engine.registry.get(node.ref)
    except errors.WfopsError as e:
        result["error"] = ('Failed to run task "%s". Action with reference "%s" doesn\'t exist. %s'
                           % (node.name, node.ref, e))
        finish(engine, record, s.FAILED, result)
        return
    try:
        params = chain_progress.node_parameters(node, record["parameters"], state, chain_context, datastore)
    except RenderError as e:
        result["error"] = chain_progress.parameter_error(node, e)
        finish(engine, record, s.FAILED, result)
        return
    problem = None
    try:
        from wfops.parameters import cast_cli_values, validate_parameters

        params = validate_parameters(action, cast_cli_values(action, params))
    except errors.WfopsError as e:  # the node fails and the chain takes its on-failure
        problem = 'Failed running task "%s". %s' % (node.name, e)
    context = {
        "user": record["context"].get("user") or engine.user,
        "pack": action.pack,
        "parent": {"execution_id": record["id"], "user": record["context"].get("user"),
                   "pack": record["context"].get("pack")},
        "chain": {"name": node.name, "ref": node.ref},
    }
    child_id = ids.new_id()
    plain = action.runner_type != "orquesta" and action.runner_type not in driver.ENGINE_RUNNERS
    starts_now = problem is None and plain
    insert_execution(engine, child_id, action, params, context, parent=record["id"], root=record["root"],
                     status=s.RUNNING if starts_now else s.SCHEDULED,
                     logged=(s.SCHEDULED,) if starts_now else ())
    step = ChainStep(record["id"], node.name)
    if problem is not None:
        engine.memory.track(child_id, step)
        driver.deliver(engine, Outcome(child_id, s.FAILED, {"error": problem}))
        return
    if plain:
        actions.start(engine, child_id, action, params, step, recorded_running=True)
    elif action.runner_type in driver.ENGINE_RUNNERS:
        driver.ENGINE_RUNNERS[action.runner_type](engine, child_id, action, params, step)
    else:
        _start_workflow_node(engine, record, child_id, action, params, step)


def _start_workflow_node(engine, record: dict, child_id: str, action, params: dict, step: ChainStep) -> None:
    from wfops.engine import definitions

    set_execution_status(engine, child_id, s.RUNNING)
    engine.memory.track(child_id, step)
    spec, problems = definitions.action_problems(action, engine.registry)
    if problems:
        driver.fail_to_start(engine, child_id, problems)
        return
    child = engine.store.get_execution(child_id)
    driver.start_workflow(engine, child_id, record["root"], action, params, spec, child["context"], step, None)


def node_event(engine, step: ChainStep, outcome: Outcome) -> None:
    """A node's execution ended (its record says so by now), or a sub-workflow node
    paused or ran again: the chain follows (StackStorm pauses a chain whose node paused)."""
    record = engine.store.get_execution(step.chain)
    if record is None or record["status"] in s.COMPLETED:
        return
    if outcome.final:
        advance(engine, step.chain)
    elif outcome.status == s.PAUSED and record["status"] in (s.RUNNING, s.PAUSING):
        _show(engine, record, s.PAUSED)
    elif outcome.status == s.RUNNING and record["status"] in (s.PAUSED, s.PAUSING):
        _show(engine, record, s.RUNNING)


def active_node(engine, chain_id: str) -> str | None:
    """The chain's node execution not yet ended (running, or a paused sub-workflow)."""
    for child in reversed(engine.store.child_executions(chain_id)):
        if child["status"] not in s.COMPLETED:
            return child["id"]
    return None


def request_status(engine, chain_id: str, operation: str, user: str | None) -> None:
    """Pause, resume or cancel chain ``chain_id`` (already checked): as StackStorm, the
    request reaches a node that is a workflow (or chain); a plain node runs to its end,
    and the chain then stops (pause, cancel) or goes on (resume). O(nodes)."""
    store = engine.store
    record = store.get_execution(chain_id)
    child = active_node(engine, chain_id)
    child_runner = store.get_execution(child)["runner_type"] if child else None
    workflow_child = child_runner in ("orquesta", ACTION_CHAIN)
    if operation == "pause":
        _show(engine, record, s.PAUSING)
        if workflow_child and engine.status_of(child) in (s.RUNNING, s.RESUMING):
            engine.request_status(child, "pause", user)
    elif operation == "resume":
        _show(engine, record, s.RUNNING)
        if workflow_child and engine.status_of(child) in (s.PAUSED, s.PAUSING):
            engine.request_status(child, "resume", user)
    else:
        _show(engine, record, s.CANCELING, actions.canceled_result(user))
        if workflow_child and engine.status_of(child) not in s.COMPLETED | {s.CANCELING}:
            engine.request_status(child, "cancel", user)
    advance(engine, chain_id)


driver.ENGINE_RUNNERS[ACTION_CHAIN] = start
driver.STEP_HANDLERS[ChainStep] = node_event
