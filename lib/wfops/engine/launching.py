"""Starting a requested execution, as StackStorm does it: the request only records the
execution (``requested``) and answers; the engine starts it afterwards, on its loop.

A workflow that cannot start (its definition fails inspection, its input or vars cannot
be rendered) is not refused: its execution is created and fails, with StackStorm's error
entries in ``result.errors`` (``type``, ``message``, ``spec_path``, ``schema_path``). Only
what StackStorm refuses at the request (an unknown or disabled action, parameters that do
not fit its schema) is refused before anything is created (``Engine.check_launch``).
"""

from __future__ import annotations

from wfops import errors
from wfops import statuses as s
from wfops.engine import actions, driver
from wfops.engine.executions import set_execution_status


def start_requested(engine, execution_id: str, hold_until: float = 0.0) -> None:
    """Start top-level execution ``execution_id`` if it is still ``requested`` (a cancel
    may have come first); a workflow's tasks start no sooner than ``hold_until``
    (monotonic time: st2's launch delay). Runs in a transaction of the engine's loop; what it starts
    starts once that commits. O(1) besides the workflow's inspection."""
    store = engine.store
    record = store.get_execution(execution_id)
    if record is None or record["status"] != s.REQUESTED:
        return
    try:
        action = engine.registry.get(record["action_ref"])
    except errors.WfopsError as e:
        driver.fail_to_start(engine, execution_id, [{"message": e.message}])
        return
    if action.runner_type in driver.ENGINE_RUNNERS:
        driver.ENGINE_RUNNERS[action.runner_type](engine, execution_id, action, record["parameters"], None)
        return
    if action.runner_type != "orquesta":
        actions.start(engine, execution_id, action, record["parameters"], None)
        return
    from wfops.engine import definitions  # Orquesta: imported when a workflow starts

    spec, problems = definitions.action_problems(action, engine.registry, engine.cache_dir)
    if problems:
        driver.fail_to_start(engine, execution_id, problems)
        return
    driver.start_workflow(engine, execution_id, execution_id, action, record["parameters"], spec,
                          record["context"], None, None, hold_until=hold_until)


def cancel_requested(engine, execution_id: str, result: dict) -> bool:
    """Cancel a top-level execution that has not started yet (it never will): True when
    it was one. O(1)."""
    record = engine.store.get_execution(execution_id)
    if record is None or record["status"] != s.REQUESTED or record["parent"] is not None:
        return False
    set_execution_status(engine, execution_id, s.CANCELED, result, with_result=True)
    engine.store.release_root(record["root"], engine.id)
    return True
