"""Plain actions: starting one (after the transaction that records it commits) and
recording its outcome."""

from __future__ import annotations

import logging
import os
import threading
import traceback
from typing import Callable

from wfops import statuses as s
from wfops.engine import runtime_context
from wfops.engine.executions import set_execution_status
from wfops.engine.memory import MISSING
from wfops.engine.records import Outcome, TaskAction
from wfops.timestamps import now_iso

LOG = logging.getLogger("wfops.engine")


def output_recorder(store, execution_id: str, action) -> Callable[[str, str], None]:
    """What a runner calls (on its worker thread) with each line of output: stores it for
    the event stream."""

    def record(output_type: str, data: str) -> None:
        store.append_output({"execution_id": execution_id, "action_ref": action.ref,
                             "runner_ref": action.runner_type, "output_type": output_type,
                             "data": data, "timestamp": now_iso()})

    return record


def start(engine, execution_id: str, action, params: dict, task: TaskAction | None, *,
          recorded_running: bool = False) -> None:
    """Record ``execution_id`` running (unless ``recorded_running``: its record already
    says so), track it, and have a worker run it once the open transaction commits; its
    outcome is posted to ``engine.outcomes``. Must be called inside a transaction."""
    from wfops.runners import RunContext, get_runner

    if not recorded_running:
        set_execution_status(engine, execution_id, s.RUNNING)
    engine.memory.track(execution_id, task)
    runner = get_runner(action.runner_type)
    home = os.path.dirname(os.path.abspath(engine.store.path))
    env = dict(runtime_context.action_env(execution_id, action, home), WFOPS_EXECUTION_ID=execution_id)
    stop = threading.Event()
    ctx = RunContext(execution_id=execution_id, env=env, work_dir=None, stop=stop,
                     on_output=output_recorder(engine.store, execution_id, action))

    def work() -> None:
        try:
            outcome = runner.run(action, params, ctx)
            # pending (an inquiry) is not an end: the execution waits for a response.
            engine.outcomes.put(Outcome(execution_id, outcome.status, outcome.result,
                                        final=outcome.status != s.PENDING))
        except Exception as e:  # a runner bug must not lose the execution
            engine.outcomes.put(
                Outcome(execution_id, s.FAILED, {"error": str(e), "traceback": traceback.format_exc()})
            )
        finally:
            engine.jobs.finished()

    def start_now() -> None:
        engine.stops[execution_id] = stop
        if getattr(runner, "runs_inline", False):
            engine.jobs.started()
            work()  # nothing to wait for: no thread hand-off; the outcome still queues
            return
        engine.jobs.started()
        try:
            engine.pool.submit(work)
        except RuntimeError:
            # The engine is closing: the action never starts; its record says running,
            # so the next engine records it abandoned (D1: nothing ran unrecorded).
            engine.jobs.finished()
            LOG.warning("engine closing: action execution %s was not started", execution_id)

    engine.dispatcher.start_after_commit(execution_id, start_now)


def canceled_result(user: str | None) -> dict:
    """The result of an execution canceled by ``user`` (st2's)."""
    return {"message": "Action canceled by user.", "user": user}


def cancel(engine, execution_id: str, user: str | None) -> None:
    """Cancel plain action execution ``execution_id`` as StackStorm does: it is
    ``canceling`` with st2's result, its runner is told to stop once that is committed
    (the local runners kill the process's session), and whatever its runner then reports,
    it ends ``canceled`` (:func:`final_outcome`). One that has not started (delayed) ends
    canceled at once. Inside a transaction. O(1)."""
    result = canceled_result(user)
    stop = engine.stops.get(execution_id)
    if stop is None:  # not started (delayed): it never starts
        from wfops.engine import driver

        driver.deliver(engine, Outcome(execution_id, s.CANCELED, result))
        return
    set_execution_status(engine, execution_id, s.CANCELING, result, with_result=True)
    engine.store.after_commit(stop.set)


def final_outcome(engine, outcome: Outcome) -> Outcome:
    """``outcome`` as it is recorded: the end of an action whose cancellation was
    requested is ``canceled``, with the result the cancellation recorded. O(1)."""
    stop = engine.stops.get(outcome.execution_id)
    if stop is None or not stop.is_set() or not outcome.final or outcome.workflow:
        return outcome
    record = engine.store.get_execution(outcome.execution_id)
    result = record["result"] if record and record["status"] == s.CANCELING else None
    return Outcome(outcome.execution_id, s.CANCELED, result)


def record_outcome(engine, outcome: Outcome):
    """Record a final outcome on its execution and stop tracking it; a top-level action's
    tree is released. Returns the task it ran (None: a top-level action; ``MISSING``: an
    execution this engine did not track).

    ``pending`` (an inquiry waiting for its response) is recorded with its result, and the
    execution is no longer tracked: nothing runs until a response (``wfops.engine.inquiry``
    tracks it again then)."""
    if not outcome.final:
        if outcome.status == s.PENDING and not outcome.workflow:
            task = engine.memory.untrack(outcome.execution_id)
            if outcome.execution_id in engine.stops:
                engine.store.after_commit(lambda: engine.stops.pop(outcome.execution_id, None))
            set_execution_status(engine, outcome.execution_id, s.PENDING, outcome.result, with_result=True)
            return task
        return engine.memory.actions.get(outcome.execution_id, MISSING)
    task = engine.memory.untrack(outcome.execution_id)
    if outcome.execution_id in engine.stops:
        engine.store.after_commit(lambda: engine.stops.pop(outcome.execution_id, None))
    set_execution_status(engine, outcome.execution_id, outcome.status, outcome.result, with_result=True)
    if task is None or task is MISSING:
        record = engine.store.get_execution(outcome.execution_id)
        if record and record["parent"] is None:
            engine.store.release_root(record["root"], engine.id)
    return task
