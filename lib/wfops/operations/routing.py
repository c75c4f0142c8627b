"""Carrying an operation out where the execution's tree is owned.

One engine owns each tree of executions (``executions.owner``, D1). An operation on it is
carried out by that engine: in this process when its engine owns the tree (or adopts it,
when no live engine does and this process serves: ``run_here``), else by the owner, asked
through the ``commands`` table and awaited. When no live engine owns the tree a detached
engine process (``wfops engine --until-idle``) is started to adopt it and answer.
The owner's refusal comes back as the error class it raised (:func:`wfops.errors.from_response`).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Callable

from wfops import errors
from wfops import statuses as s

COMMAND_TIMEOUT_SECONDS = float(os.environ.get("WFOPS_COMMAND_TIMEOUT", "60"))


if TYPE_CHECKING:
    import subprocess


class _Elsewhere:
    """The operation must be carried out by the engine that owns ``root``."""

    def __init__(self, record: dict, root: dict):
        self.record = record
        self.root = root


def operate(session, operation: str, execution_id: str, payload: dict, *, run_here: bool = False,
            on_engine: Callable[[Callable[[], Any]], Any] | None = None) -> dict:
    """Carry out ``operation`` (``pause``/``resume``/``cancel``/``rerun``/``respond``) on
    ``execution_id`` where its tree is owned and return the owner's answer; raises the
    owner's refusal.

    ``on_engine(fn)`` runs ``fn`` where this process's engine may be used (the API's engine
    thread; called directly otherwise). With ``run_here``, a tree that no live engine owns
    is adopted by this process's engine, which then runs what the operation starts."""
    from wfops import lifecycle
    from wfops.engine import commands
    from wfops.engine.ownership import engine_alive

    store = session.store

    def here():
        record = session.get_execution(execution_id)
        root = operated_root(store, operation, record)
        engine = session.current_engine
        if engine is not None and root["owner"] == engine.id:
            return commands.execute(engine, operation, record["id"], payload)
        if run_here and not engine_alive(store, root["owner"]) and session.engine.adopt(root["id"], root["owner"]):
            try:
                return commands.execute(session.engine, operation, record["id"], payload)
            finally:
                if store.get_execution(root["id"])["status"] in s.COMPLETED:
                    store.release_root(root["id"], session.engine.id)
        return _Elsewhere(record, root)

    answer = on_engine(here) if on_engine is not None else here()
    if not isinstance(answer, _Elsewhere):
        return answer
    # Sent to the owner and awaited here (not on the API's engine thread, which goes on
    # running this process's executions meanwhile).
    if operation in lifecycle.OPERATIONS:
        precheck_lifecycle(operation, answer.record, store.get_execution(answer.root["id"]))
    if operation == "respond":
        precheck_respond(answer.record, payload)
    seq = store.enqueue_command(answer.root["id"], answer.record["id"], operation, dict(payload), time.time())
    if not engine_alive(store, store.get_execution(answer.root["id"])["owner"]):
        spawn_engine(session.home, ["--until-idle"], user=session.user)
    return await_command(session, seq)


def operated_root(store, operation: str, record: dict) -> dict:
    """The root execution whose owner carries the operation out. A re-run acts on the
    workflow execution, which the latest re-run's tree may hold."""
    if operation == "rerun" and record["runner_type"] == "orquesta":
        wf_id = record["context"].get("workflow_execution")
        wf = store.get_workflow_execution(wf_id) if wf_id else None
        if wf is not None:
            current = store.get_execution(wf["action_execution"])
            return store.get_execution(current["root"])
    return store.get_execution(record["root"])


def precheck_lifecycle(operation: str, record: dict, root: dict) -> None:
    """Refuse at once what the owner would refuse, without waking an engine."""
    from wfops import lifecycle

    target = root if lifecycle.acts_on(operation, record["runner_type"]) == lifecycle.ROOT else record
    decision = lifecycle.check(operation, record["id"], target["status"], record["runner_type"])
    if decision.action == lifecycle.REFUSE:
        raise errors.InvalidOperation(decision.message)


def precheck_respond(record: dict, payload: dict) -> None:
    """Refuse at once a response to an inquiry the owner would refuse (a ttl that passed is
    left to the owner, which times the inquiry out)."""
    from wfops import inquiries
    from wfops.identity import current_user

    problem = inquiries.respond_problem(record, payload.get("user") or current_user(), payload.get("response"))
    if problem is not None:
        raise problem


def await_command(session, seq: int) -> dict:
    """The answer to command ``seq``; raises the owner's refusal. A command no engine took
    within :data:`COMMAND_TIMEOUT_SECONDS` is withdrawn (then never applied)."""
    from wfops.engine.ownership import engine_alive

    store = session.store
    deadline = time.monotonic() + COMMAND_TIMEOUT_SECONDS
    last_check = time.monotonic()
    while True:
        command = store.get_command(seq)
        if command["state"] == "pending" and time.monotonic() - last_check > 1.0:
            # The owner may have let the tree go meanwhile: make sure some engine serves it.
            last_check = time.monotonic()
            root = store.get_execution(command["root"])
            if not engine_alive(store, root["owner"]):
                spawn_engine(session.home, ["--until-idle"], user=session.user)
        if command["state"] == "done":
            return command["response"]
        if command["state"] == "error":
            raise errors.from_response(command["response"])
        if time.monotonic() > deadline:
            if not store.finish_command(seq, "withdrawn", {"message": "timed out"}):
                continue  # the owner took it meanwhile: its answer is there now
            raise errors.WfopsError(
                "No engine answered within %d s; the operation was withdrawn and nothing "
                "changed. See %s." % (COMMAND_TIMEOUT_SECONDS, os.path.join(session.home, "engine.log"))
            )
        time.sleep(0.05)


def adopt_orphans_in_background(session) -> None:
    """Start a detached engine if an active tree has no live owner (a killed run's)."""
    from wfops.engine.ownership import engine_alive

    roots = session.store.roots_of_active_executions(tuple(sorted(s.ACTIVE)))
    if any(not engine_alive(session.store, r["owner"]) for r in roots):
        spawn_engine(session.home, ["--until-idle"], user=session.user)


def spawn_engine(home: str, arguments: list[str], user: str | None = None) -> subprocess.Popen:
    """Start a detached ``wfops engine`` process that outlives this one."""
    import subprocess
    import sys

    log_path = os.path.join(home, "engine.log")
    log = open(log_path, "ab")
    env = dict(os.environ)
    env["WFOPS_HOME"] = home
    if user:
        env["WFOPS_USER"] = user
    return subprocess.Popen(
        [sys.executable, "-m", "wfops.cli.main", "engine", *arguments],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
