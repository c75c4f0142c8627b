"""The in-process handle on the embedded host: the store, the packs, and (when this
process runs workflows) an engine. The command line and the REST API go through it.

Operations on an execution owned by another process are sent to that process through the
``commands`` table. When no live engine owns the execution, a detached engine process
(``wfops engine --until-idle``) is started to adopt it and carry the operation out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import platformdirs

from wfops import errors, ids
from wfops import statuses as s
from wfops.identity import current_user
from wfops.store.database import Store

if TYPE_CHECKING:
    from wfops.engine.host import Engine
    from wfops.packs.registry import ActionRegistry

COMMAND_TIMEOUT_SECONDS = float(os.environ.get("WFOPS_COMMAND_TIMEOUT", "60"))


def home_dir() -> str:
    return os.environ.get("WFOPS_HOME") or platformdirs.user_data_dir("wfops")


class Session:
    """Store + registry + an engine, the last two made on first need: commands that only
    read the store import neither Orquesta nor the engine, and read no pack metadata."""

    def __init__(self, home: str | None = None, *, user: str | None = None):
        self.home = home or home_dir()
        os.makedirs(self.home, exist_ok=True)
        self.store = Store(os.path.join(self.home, "wfops.db"))
        self.user = user or current_user()
        self._registry: ActionRegistry | None = None
        self._engine: Engine | None = None

    @property
    def registry(self) -> ActionRegistry:
        """The packs' actions (:func:`wfops.packs.registry.load_registry`, its parsed
        metadata cached under the home directory), loaded on first use."""
        if self._registry is None:
            from wfops.packs.registry import load_registry

            self._registry = load_registry(cache_dir=self.home)
        return self._registry

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from wfops.engine.host import Engine

            self._engine = Engine(self.store, self.registry, user=self.user)
        return self._engine

    def close(self, wait: bool = True) -> None:
        if self._engine is not None:
            self._engine.close(wait=wait)
            self._engine = None
        self.store.close()

    # -- reading -----------------------------------------------------------------------

    def get_execution(self, execution_id: str) -> dict:
        record = self.store.get_execution(execution_id)
        if record is None and len(execution_id) < 24:
            matches = self.store.find_executions_by_prefix(execution_id)
            if len(matches) == 1:
                record = matches[0]
        if record is None:
            raise errors.ExecutionNotFound('Execution "%s" cannot be found.' % execution_id)
        return record

    # -- launching -----------------------------------------------------------------------

    def launch(self, ref: str, parameters: dict, context: dict | None = None) -> str:
        return self.engine.launch(ref, parameters, context=context, user=self.user)

    def launch_detached(self, ref: str, parameters: dict, context: dict | None = None) -> str:
        """Check now, then run in a detached engine process; returns once the execution
        exists in the store."""
        self.engine.check_launch(ref, parameters)
        execution_id = ids.new_id()
        payload = {"ref": ref, "parameters": parameters, "context": context or {}, "id": execution_id}
        import json

        spawn_engine(self.home, ["--until-idle", "--launch", json.dumps(payload)], user=self.user)
        deadline = time.monotonic() + COMMAND_TIMEOUT_SECONDS
        while self.store.get_execution(execution_id) is None:
            if time.monotonic() > deadline:
                raise errors.WfopsError(
                    "The engine process did not start execution %s in time; see %s."
                    % (execution_id, os.path.join(self.home, "engine.log"))
                )
            time.sleep(0.05)
        return execution_id

    # -- operations on existing executions ------------------------------------------------

    def operate(self, operation: str, execution_id: str, payload: dict, *, run_here: bool = False) -> dict:
        """Carry out ``operation`` where the execution's tree is owned, and return the
        owner's answer. Raises the owner's refusal as a WfopsError.

        With ``run_here``, a tree that no live engine owns is adopted by this process's
        engine, which then runs what the operation starts (``wfops execution re-run``
        waits for the new execution, as ``wfops run`` does)."""
        from wfops.engine import commands
        from wfops.engine.ownership import engine_alive

        record = self.get_execution(execution_id)
        execution_id = record["id"]
        root = self._operated_root(operation, record)
        payload = dict(payload)
        payload.setdefault("user", self.user)
        if self._engine is not None and root["owner"] == self._engine.id:
            return commands.execute(self._engine, operation, execution_id, payload)
        if operation in ("pause", "resume", "cancel"):
            self._precheck_lifecycle(operation, record, root)
        owner_alive = engine_alive(self.store, root["owner"])
        if run_here and not owner_alive and self.engine.adopt(root["id"], root["owner"]):
            try:
                return commands.execute(self.engine, operation, execution_id, payload)
            finally:
                current = self.store.get_execution(root["id"])
                if current["status"] in s.COMPLETED:
                    self.store.release_root(root["id"], self.engine.id)
        seq = self.store.enqueue_command(root["id"], execution_id, operation, payload, time.time())
        if not engine_alive(self.store, self.store.get_execution(root["id"])["owner"]):
            spawn_engine(self.home, ["--until-idle"], user=self.user)
        return self._await(seq)

    def _operated_root(self, operation: str, record: dict) -> dict:
        """The root execution whose owner carries the operation out. A re-run acts on the
        workflow execution, which the latest re-run's tree may hold."""
        if operation == "rerun" and record["runner_type"] == "orquesta":
            wf_id = record["context"].get("workflow_execution")
            wf = self.store.get_workflow_execution(wf_id) if wf_id else None
            if wf is not None:
                current = self.store.get_execution(wf["action_execution"])
                return self.store.get_execution(current["root"])
        return self.store.get_execution(record["root"])

    def _precheck_lifecycle(self, operation: str, record: dict, root: dict) -> None:
        """Refuse at once what the owner would refuse, without waking an engine."""
        from wfops import lifecycle

        target = root if lifecycle.acts_on(operation, record["runner_type"]) == lifecycle.ROOT else record
        decision = lifecycle.check(operation, record["id"], target["status"], record["runner_type"])
        if decision.action == "refuse":
            raise errors.InvalidOperation(decision.message)

    def _await(self, seq: int) -> dict:
        from wfops.engine.ownership import engine_alive

        deadline = time.monotonic() + COMMAND_TIMEOUT_SECONDS
        last_check = time.monotonic()
        while True:
            command = self.store.get_command(seq)
            if command["state"] == "pending" and time.monotonic() - last_check > 1.0:
                # The owner may have let the tree go meanwhile: make sure some engine serves it.
                last_check = time.monotonic()
                root = self.store.get_execution(command["root"])
                if not engine_alive(self.store, root["owner"]):
                    spawn_engine(self.home, ["--until-idle"], user=self.user)
            if command["state"] == "done":
                return command["response"]
            if command["state"] == "error":
                raise _error_from_response(command["response"])
            if time.monotonic() > deadline:
                if not self.store.finish_command(seq, "withdrawn", {"message": "timed out"}):
                    continue  # the owner took it meanwhile: its answer is there now
                raise errors.WfopsError(
                    "No engine answered within %d s; the operation was withdrawn and nothing "
                    "changed. See %s." % (COMMAND_TIMEOUT_SECONDS, os.path.join(self.home, "engine.log"))
                )
            time.sleep(0.05)


_ERROR_TYPES = {cls.__name__: cls for cls in [
    errors.WfopsError, errors.NotFound, errors.ExecutionNotFound, errors.ActionNotFound,
    errors.ParameterError, errors.InvalidOperation, errors.Conflict, errors.WorkflowDefinitionError,
]}


def _error_from_response(response: dict) -> errors.WfopsError:
    error_type = _ERROR_TYPES.get(response.get("type"), errors.WfopsError)
    return error_type(response.get("message", "The operation failed."), problems=response.get("problems"))


def spawn_engine(home: str, arguments: list[str], user: str | None = None) -> subprocess.Popen:
    """Start a detached ``wfops engine`` process that outlives this one."""
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
