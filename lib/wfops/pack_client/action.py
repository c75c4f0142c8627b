"""The base class of the pack's actions: the connection, and st2's result convention.

On StackStorm the base is ``st2common.runners.base_action.Action`` (the python runner
requires it). Where ``st2common`` is not installed and nothing stands in for it (wfops's
python-script runner provides a stand-in), a minimal base with the same constructor is
used, so that the actions import anywhere.

Every action returns ``(succeeded, result)``. A refusal is ``(False, {"error": message,
"status": http status})``, the message kept word for word from the API (or the planner),
so that ChatOps and workflows can show it.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

try:  # pragma: no cover - depends on the host
    from st2common.runners.base_action import Action as _Base
except Exception:  # noqa: BLE001 - absent, or present but unusable here

    class _Base:  # type: ignore[no-redef]
        def __init__(self, config=None, action_service=None):
            self.config = config or {}
            self.action_service = action_service
            self.logger = logging.getLogger("actions.python.%s" % type(self).__name__)


from wfops.pack_client.api import ApiError
from wfops.pack_client.backends import Backend, BackendError, connect
from wfops.pack_client.options import OptionError, split_list
from wfops.pack_client.settings import SettingsError


def failure(error: Exception) -> tuple[bool, dict]:
    status = getattr(error, "status", 400)
    message = getattr(error, "message", None) or str(error)
    return False, {"error": message, "status": status}


class WfopsAction(_Base):
    """Base of the wfops pack's actions."""

    def __init__(self, config=None, *args, **kwargs):
        super().__init__(config, *args, **kwargs)
        self._backend: Backend | None = None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = connect(getattr(self, "config", None) or {})
        return self._backend

    def perform(self, operation: Callable[[Backend], Any]) -> tuple[bool, Any]:
        """``(True, operation(backend))``, or ``(False, {"error": ...})`` when refused."""
        try:
            return True, operation(self.backend)
        except (BackendError, ApiError, OptionError, SettingsError) as e:
            return failure(e)

    def each_execution(self, ids: Any, operation: Callable[[Backend, str], Any]) -> tuple[bool, dict]:
        """Apply ``operation`` to every id; the result maps each id to the outcome (an
        execution summary) or to the refusal's message, as the st2 pack's actions do.
        Succeeds only when every id succeeded."""
        names = split_list(ids)
        if not names:
            return False, {"error": "Give at least one execution id.", "status": 400}
        try:
            backend = self.backend
        except (BackendError, ApiError, SettingsError) as e:
            return failure(e)
        result: dict[str, Any] = {}
        ok = True
        for execution_id in names:
            try:
                result[execution_id] = operation(backend, execution_id)
            except (BackendError, ApiError) as e:
                ok = False
                result[execution_id] = getattr(e, "message", None) or str(e)
        return ok, result
