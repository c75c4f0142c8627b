"""The wfops-st2 runner extension as the pack reaches it on a StackStorm: runner type
``wfops-operation``, action ``wfops.operate`` (docs/STACKSTORM.md).

:class:`Extension` finds out whether the StackStorm has the extension
(``GET /runnertypes/wfops-operation``), creates the ``wfops.operate`` action the first
time it is missing (it cannot be in the pack's actions/: ``st2 pack install`` fails on a
runner type StackStorm does not have), runs one operation as an execution of it and
waits for its result. Everything goes through StackStorm's API.
"""

from __future__ import annotations

import time
from typing import Any

from wfops import statuses as s
from wfops.pack_client.api import ApiClient, ApiError, quote_segment

RUNNER_TYPE = "wfops-operation"
ACTION = "wfops.operate"
INSTALL = ("install the wfops-st2 runner extension on this StackStorm (pip install it into "
           "StackStorm's virtualenv, then st2ctl reload --register-runners; see the pack's README)")


class OperationRefused(Exception):
    """The operation was refused (or failed); ``message`` and ``status`` as the runner
    reported them."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class Extension:
    """The extension on one StackStorm API."""

    def __init__(self, api: ApiClient, interval: float = 0.5, timeout: float = 600.0):
        self.api = api
        self.interval = interval
        self.timeout = timeout
        self._present: bool | None = None

    @property
    def present(self) -> bool:
        """Whether the runner type is registered (asked once)."""
        if self._present is None:
            try:
                self.api.get("/runnertypes/%s" % RUNNER_TYPE)
                self._present = True
            except ApiError as e:
                if e.status != 404:
                    raise
                self._present = False
        return self._present

    def _ensure_action(self) -> None:
        try:
            self.api.get("/actions/%s" % quote_segment(ACTION))
            return
        except ApiError as e:
            if e.status != 404:
                raise
        try:
            from wfops_st2.metadata import operation_action_metadata
        except ImportError:
            raise OperationRefused(
                "The runner type %s is registered, but the wfops-st2 package is not importable "
                "here to create %s: %s." % (RUNNER_TYPE, ACTION, INSTALL), 501) from None
        self.api.request("POST", "/actions", operation_action_metadata())

    def run(self, operation: str, execution_id: str, request: dict[str, Any] | None = None,
            comment: str | None = None) -> Any:
        """The result of ``operation`` on ``execution_id`` (the ``wfops.operate``
        execution's result). Raises OperationRefused with the runner's message."""
        self._ensure_action()
        parameters: dict[str, Any] = {"operation": operation, "id": execution_id, "request": request or {}}
        if comment:
            parameters["comment"] = comment
        doc = self.api.request("POST", "/executions", {"action": ACTION, "parameters": parameters})
        deadline = time.monotonic() + self.timeout
        while doc.get("status") not in s.COMPLETED:
            if time.monotonic() > deadline:
                raise OperationRefused('%s execution "%s" is still %s after %s s.'
                                       % (ACTION, doc.get("id"), doc.get("status"), self.timeout), 504)
            time.sleep(self.interval)
            doc = self.api.execution(doc["id"])
        result = doc.get("result") or {}
        if doc.get("status") != s.SUCCEEDED:
            message = result.get("error") if isinstance(result, dict) else None
            raise OperationRefused(str(message or "%s failed: %s" % (ACTION, result)),
                                   int(result.get("status") or 400) if isinstance(result, dict) else 400)
        return result


def backend_class():
    """StackStormBackend that uses the extension where StackStorm has it (imported here:
    backends imports this module only when it connects)."""
    from wfops.pack_client.backends import BackendError, StackStormBackend, render_plan
    from wfops.pack_client.options import RerunOptions
    from wfops.pack_client.summary import execution_summary
    from wfops.rerun_request import TaskRef

    class StackStormWithExtension(StackStormBackend):
        """A real StackStorm; every operation goes through the wfops-st2 extension when
        its runner type is registered, else as :class:`StackStormBackend` does."""

        def __init__(self, api):
            super().__init__(api)
            self.extension = Extension(api)

        def _operate(self, operation: str, execution_id: str, request=None, comment=None):
            try:
                return self.extension.run(operation, execution_id, request, comment)
            except OperationRefused as e:
                raise BackendError(e.message, e.status) from None
            except ApiError as e:
                raise BackendError(e.message, e.status) from None

        def pause(self, execution_id, comment=None):
            if not self.extension.present:
                return super().pause(execution_id, comment)
            return self._operate("pause", execution_id, comment=comment)["execution"]

        def resume(self, execution_id, comment=None):
            if not self.extension.present:
                return super().resume(execution_id, comment)
            return self._operate("resume", execution_id, comment=comment)["execution"]

        def cancel(self, execution_id, comment=None):
            if not self.extension.present:
                return super().cancel(execution_id, comment)
            return self._operate("cancel", execution_id, comment=comment)["execution"]

        def task_context(self, execution_id, task):
            if not self.extension.present:
                return super().task_context(execution_id, task)
            try:
                ref = TaskRef.parse(task)
            except ValueError as e:
                raise BackendError(str(e)) from None
            return self._operate("task_context", execution_id, {"task": ref.name, "route": ref.route})

        def audit(self, execution_id):
            if not self.extension.present:
                return super().audit(execution_id)
            return self._operate("audit", execution_id)["entries"]

        def rerun(self, options: RerunOptions) -> dict:
            rerun = options.rerun_request()
            if rerun.from_beginning or not self.extension.present:
                return super().rerun(options)
            request = {k: v for k, v in rerun.to_payload().items()
                       if k not in ("execution_id", "comment", "delay", "user")}
            answer = self._operate("rerun", options.id, request, options.comment)
            plan = answer.get("plan") or {}
            result = {
                "backend": self.name, "extension": RUNNER_TYPE, "request": options.request(),
                "dry_run": options.dry_run, "plan": plan, "plan_text": render_plan(plan),
                "warnings": list(plan.get("warnings") or []),
            }
            if answer.get("execution"):
                result["execution"] = execution_summary(answer["execution"])
            return result

    return StackStormWithExtension
