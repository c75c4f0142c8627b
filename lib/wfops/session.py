"""The in-process handle on the embedded host: the store, the packs, and (when this
process runs workflows) an engine. The operations (:mod:`wfops.operations`) act through
it; where an operation is carried out is :mod:`wfops.operations.routing`'s to decide.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from wfops import errors, ids
from wfops.identity import current_user
from wfops.store.database import Store

if TYPE_CHECKING:
    from wfops.engine.host import Engine
    from wfops.packs.registry import ActionRegistry

def home_dir() -> str:
    home = os.environ.get("WFOPS_HOME")
    if home:
        return home
    import platformdirs  # only without WFOPS_HOME (its import costs more than a listing)

    return platformdirs.user_data_dir("wfops")


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
            raise errors.ExecutionNotFound(execution_id)
        return record

    @property
    def current_engine(self) -> Engine | None:
        """This process's engine if it has made one, without making one."""
        return self._engine

    # -- launching -----------------------------------------------------------------------

    def launch_detached(self, ref: str, parameters: dict, context: dict | None = None) -> str:
        """Check now, then run in a detached engine process; returns once the execution
        exists in the store."""
        import json

        from wfops.operations.routing import COMMAND_TIMEOUT_SECONDS, spawn_engine

        self.engine.check_launch(ref, parameters)
        execution_id = ids.new_id()
        payload = {"ref": ref, "parameters": parameters, "context": context or {}, "id": execution_id}
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
