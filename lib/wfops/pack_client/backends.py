"""The two APIs the pack's actions can drive, behind one interface.

- :class:`WfopsBackend`: the wfops server (``wfops serve``, the embedded host's REST API).
  It plans and applies every operation itself, extras included (``re_run`` with ``items``,
  ``context``, ``skip``, ``result``, ``publish``, ``force``, ``dry_run``, ``comment``; task
  context; audit).
- :class:`StackStormBackend`: a real StackStorm, which has none of wfops's endpoints. A
  re-run from tasks is planned here, with the same planner, from the run state rebuilt out
  of StackStorm's executions and the workflow definition (:mod:`.st2_state`), then submitted
  as StackStorm's own ``re_run`` (the collapsed tasks, reset = tasks - no_reset). What
  StackStorm's API cannot do is refused, naming what it lacks.

:func:`connect` finds out which one an API is: the wfops server serves an OpenAPI document
titled "wfops ..." at ``/openapi.json``; StackStorm does not.
"""

from __future__ import annotations

import abc
import time
from typing import Any, Mapping

import yaml

from wfops import statuses as s
from wfops.pack_client import summary
from wfops.pack_client.api import ApiClient, ApiError, quote_segment
from wfops.pack_client.options import RerunOptions
from wfops.pack_client.settings import ConnectionSettings

WFOPS = "wfops"
STACKSTORM = "stackstorm"

# StackStorm's wording.
NOT_FOUND_ID = 'Unable to identify resource with id "%s".'
TASKS_NOT_ORQUESTA = "Task option is only supported for Orquesta workflows."

ST2_RERUN_FIELDS = "parameters, tasks, reset and delay"
ST2_LACKS = {
    "items": "items (re-running chosen items of a with-items task)",
    "context": "context (a changed inbound context for a task)",
    "skip": "skip (recording a failed task as succeeded and going on)",
    "result": "result (the result of a skipped task)",
    "publish": "publish (the variables a skipped task publishes)",
}
USE_WFOPS = ("Run the operation through the wfops server (wfops serve), or install the wfops-st2 runner "
             "extension on this StackStorm, to use it.")


class BackendError(Exception):
    """An operation was refused; ``message`` says why and what to do instead."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class Unsupported(BackendError):
    def __init__(self, message: str):
        super().__init__(message, status=501)


def _refusal(error: ApiError) -> BackendError:
    return BackendError(error.message, error.status)


def render_plan(plan: Mapping | None) -> str:
    """The plan as text (the planner's own rendering when it is a full plan)."""
    if not plan:
        return ""
    if "fingerprint" in plan and "execution_id" in plan:
        try:
            from wfops.planner import Plan, render_text

            return render_text(Plan.from_dict(dict(plan)))
        except Exception:  # noqa: BLE001 - a plan from a newer server: show it raw
            pass
    if plan.get("mode") == "from_beginning":
        params = plan.get("parameters") or {}
        text = "Re-run from the beginning: a new execution with a new workflow execution."
        if params:
            text += "\n  parameters: %s" % ", ".join(sorted(params))
        return text
    return yaml.safe_dump(dict(plan), default_flow_style=False, sort_keys=True)


class Backend(abc.ABC):
    """What the pack's actions and sensor need from an API."""

    name = ""

    def __init__(self, api: ApiClient):
        self.api = api

    # -- reading -------------------------------------------------------------------------

    def execution(self, execution_id: str) -> dict:
        try:
            return self.api.execution(execution_id)
        except ApiError as e:
            if e.status == 404:
                raise BackendError(NOT_FOUND_ID % execution_id, 404) from None
            raise _refusal(e) from None

    def children(self, execution_id: str) -> list[dict]:
        try:
            return self.api.children(execution_id, depth=-1)
        except ApiError as e:
            raise _refusal(e) from None

    def executions(self, **query) -> list[dict]:
        try:
            return self.api.executions(**query)
        except ApiError as e:
            raise _refusal(e) from None

    def action(self, ref: str) -> dict | None:
        try:
            return self.api.action(ref)
        except ApiError as e:
            if e.status == 404:
                return None
            raise _refusal(e) from None

    def status(self, execution_id: str, wait: bool = False, timeout: float = 600.0,
               interval: float = 1.0) -> dict:
        """The execution's summary with its failed tasks and how to re-run them; with
        ``wait``, once it has completed (or paused)."""
        deadline = time.monotonic() + timeout
        doc = self.execution(execution_id)
        while wait and doc.get("status") not in s.COMPLETED | {s.PAUSED}:
            if time.monotonic() > deadline:
                raise BackendError(
                    'Execution "%s" is still %s after %s s.' % (execution_id, doc.get("status"), timeout), 408)
            time.sleep(interval)
            doc = self.execution(execution_id)
        out = summary.execution_summary(doc)
        runner = summary.runner_type(doc)
        if runner in ("orquesta", "action-chain"):
            failed = summary.failed_tasks(doc["id"], self.children(doc["id"]))
            out["failed_tasks"] = failed
            if doc.get("status") in s.ABENDED or doc.get("status") == s.CANCELED:
                out["suggested_rerun"] = summary.suggested_rerun(doc["id"], failed, by_task=runner == "orquesta")
        return out

    # -- operations ----------------------------------------------------------------------

    @abc.abstractmethod
    def pause(self, execution_id: str, comment: str | None = None) -> dict:
        """Carried out by each backend in its own way."""

    @abc.abstractmethod
    def resume(self, execution_id: str, comment: str | None = None) -> dict:
        """Carried out by each backend in its own way."""

    @abc.abstractmethod
    def cancel(self, execution_id: str, comment: str | None = None) -> dict:
        """Carried out by each backend in its own way."""

    @abc.abstractmethod
    def rerun(self, options: RerunOptions) -> dict:
        """Carried out by each backend in its own way."""

    @abc.abstractmethod
    def task_context(self, execution_id: str, task: str) -> dict:
        """Carried out by each backend in its own way."""

    @abc.abstractmethod
    def audit(self, execution_id: str) -> list:
        """Carried out by each backend in its own way."""

    def _update(self, execution_id: str, status: str, body_extra: dict | None = None) -> dict:
        body = {"status": status}
        body.update(body_extra or {})
        try:
            return self.api.request("PUT", "/executions/%s" % quote_segment(execution_id), body)
        except ApiError as e:
            raise _refusal(e) from None

    def _delete(self, execution_id: str, query: dict | None = None) -> dict:
        try:
            doc = self.api.request("DELETE", "/executions/%s" % quote_segment(execution_id), query=query)
        except ApiError as e:
            raise _refusal(e) from None
        return doc if isinstance(doc, dict) else {"id": execution_id}


class WfopsBackend(Backend):
    """The wfops server: every operation and extra is the server's."""

    name = WFOPS

    def pause(self, execution_id, comment=None):
        return self._update(execution_id, "pausing", {"comment": comment} if comment else None)

    def resume(self, execution_id, comment=None):
        return self._update(execution_id, "resuming", {"comment": comment} if comment else None)

    def cancel(self, execution_id, comment=None):
        return self._delete(execution_id, {"comment": comment} if comment else None)

    def rerun(self, options: RerunOptions) -> dict:
        body = options.rerun_request().to_api_body()
        try:
            answer = self.api.request("POST", "/executions/%s/re_run" % quote_segment(options.id), body)
        except ApiError as e:
            raise _refusal(e) from None
        plan = answer.get("plan")
        result: dict[str, Any] = {
            "backend": self.name,
            "request": options.request(),
            "dry_run": options.dry_run,
            "plan": plan,
            "plan_text": render_plan(plan),
            "warnings": list((plan or {}).get("warnings") or []),
        }
        if not options.dry_run:
            result["execution"] = summary.execution_summary(answer)
        return result

    def task_context(self, execution_id, task):
        try:
            return self.api.get("/executions/%s/tasks/%s/context"
                                % (quote_segment(execution_id), quote_segment(task)))
        except ApiError as e:
            raise _refusal(e) from None

    def audit(self, execution_id):
        try:
            return self.api.get("/executions/%s/audit" % quote_segment(execution_id)) or []
        except ApiError as e:
            raise _refusal(e) from None


class StackStormBackend(Backend):
    """A real StackStorm: plan here, submit StackStorm's own ``re_run``."""

    name = STACKSTORM

    def pause(self, execution_id, comment=None):
        return self._update(execution_id, "pausing")

    def resume(self, execution_id, comment=None):
        return self._update(execution_id, "resuming")

    def cancel(self, execution_id, comment=None):
        doc = self._delete(execution_id)
        if doc.get("faultstring") and "status" not in doc:
            # StackStorm answers 200 with only a faultstring when it cannot cancel (a
            # completed execution: "Action cannot be canceled. State = succeeded.").
            raise BackendError(str(doc["faultstring"]))
        return doc

    def task_context(self, execution_id, task):
        raise Unsupported(
            "StackStorm's API cannot show a task's context: it has no endpoint for the variables "
            "a task sees, its rendered input or what it published (st2 issue 4532). " + USE_WFOPS)

    def audit(self, execution_id):
        raise Unsupported(
            "StackStorm's API keeps no audit trail of the operations on an execution (who paused, "
            "resumed, cancelled or re-ran it, with which request and plan). " + USE_WFOPS)

    def rerun(self, options: RerunOptions) -> dict:
        request = options.rerun_request()
        extras = request.extras
        if extras:
            raise Unsupported(
                "StackStorm's API cannot do this re-run: its re_run takes only %s, so it has no %s. %s"
                % (ST2_RERUN_FIELDS, "; no ".join(ST2_LACKS[e] for e in extras), USE_WFOPS))
        warnings = []
        if options.comment:
            warnings.append("StackStorm keeps no audit trail: the comment was not recorded.")
        original = self.execution(options.id)
        if request.from_beginning:
            return self._rerun_from_beginning(original, options, warnings)
        if summary.runner_type(original) != "orquesta":
            raise BackendError(TASKS_NOT_ORQUESTA)
        plan, state, notes = self.plan(original, options)
        warnings += plan.warnings
        plan_data = plan.to_dict()
        plan_data["warnings"] = list(plan.warnings)
        tasks, reset = self._st2_request(plan, state)
        if plan.stale_branches:
            warnings.append(
                "StackStorm's Orquesta will not drop the old run of %s, which already counted towards "
                "the join it leads to: the join may start before the re-run branches reach it."
                % ", ".join("%s[%d]" % b for b in plan.stale_branches))
        result: dict[str, Any] = {
            "backend": self.name,
            "request": options.request(),
            "dry_run": options.dry_run,
            "plan": plan_data,
            "plan_text": render_plan(plan_data),
            "submitted": {"tasks": tasks, "reset": reset},
            "warnings": warnings,
            "notes": notes,
        }
        if options.dry_run:
            return result
        body = {"parameters": {}, "tasks": tasks, "reset": reset, "delay": options.delay}
        try:
            doc = self.api.request("POST", "/executions/%s/re_run" % quote_segment(original["id"]), body)
        except ApiError as e:
            raise _refusal(e) from None
        result["execution"] = summary.execution_summary(doc)
        return result

    def _rerun_from_beginning(self, original: dict, options: RerunOptions, warnings: list[str]) -> dict:
        action = self.action(summary.action_ref(original)) or {}
        parameters = options.rerun_request().parameters_from(original.get("parameters") or {},
                                                             action.get("parameters"))
        plan = {"mode": "from_beginning", "execution_id": original["id"], "parameters": parameters}
        result: dict[str, Any] = {
            "backend": self.name, "request": options.request(), "dry_run": options.dry_run,
            "plan": plan, "plan_text": render_plan(plan), "warnings": warnings,
        }
        if options.dry_run:
            return result
        body = {"parameters": options.parameters, "tasks": [], "reset": [], "delay": options.delay}
        try:
            doc = self.api.request("POST", "/executions/%s/re_run" % quote_segment(original["id"]), body)
        except ApiError as e:
            raise _refusal(e) from None
        result["execution"] = summary.execution_summary(doc)
        return result

    # -- planning from StackStorm's executions ------------------------------------------

    def plan(self, original: dict, options: RerunOptions):
        """The planner's plan of ``options`` on ``original``'s workflow execution, the
        rebuilt run state it was computed from, and the notes on what the rebuild guessed.
        BackendError when the planner refuses (every problem listed)."""
        from wfops import planner
        from wfops.pack_client.st2_state import rebuild_run_state

        chain = self._chain(original)
        children = {doc["id"]: self.children(doc["id"]) for doc in chain}
        definition = self._definition(original)
        state, notes = rebuild_run_state(chain, children, definition)
        request = options.rerun_request()
        try:
            plan = planner.plan_rerun(definition, state, request, execution_id=original["id"])
        except planner.PlanError as e:
            raise BackendError(e.message) from None
        return plan, state, notes

    def _definition(self, original: dict) -> dict:
        ref = summary.action_ref(original)
        try:
            text = self.api.entry_point(ref)
        except ApiError as e:
            raise BackendError('Cannot read the workflow definition of "%s" (GET /actions/views/entry_point/'
                               "%s): %s" % (ref, ref, e.message), e.status or 502) from None
        try:
            definition = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise BackendError('The workflow definition of "%s" is not valid YAML: %s' % (ref, e)) from None
        if not isinstance(definition, dict) or not isinstance(definition.get("tasks"), dict):
            raise BackendError('The entry point of "%s" is not an Orquesta workflow definition.' % ref)
        return definition

    def _chain(self, original: dict, limit: int = 50) -> list[dict]:
        """The action executions of ``original``'s workflow execution, oldest first: the
        executions it re-ran from tasks (``context["re-run"].ref``, back to the first run)
        and the re-runs made of it since."""
        workflow = (original.get("context") or {}).get("workflow_execution")
        chain = [original]
        current = original
        while len(chain) < limit:
            ref = summary.rerun_of(current)
            if not ref:
                break
            try:
                previous = self.api.execution(ref)
            except ApiError:
                break
            if not workflow or (previous.get("context") or {}).get("workflow_execution") != workflow:
                break
            chain.insert(0, previous)
            current = previous
        if workflow:
            later = self._later_reruns(original, workflow)
            chain.extend(later)
        return chain

    def _later_reruns(self, original: dict, workflow: str) -> list[dict]:
        try:
            recent = self.api.executions(action=summary.action_ref(original), limit=100)
        except ApiError:
            return []
        by_ref: dict[str, dict] = {}
        for doc in recent:
            context = doc.get("context") or {}
            if context.get("workflow_execution") == workflow and summary.rerun_of(doc):
                by_ref[summary.rerun_of(doc)] = doc
        later, current = [], original["id"]
        while current in by_ref and len(later) < 50:
            later.append(by_ref[current])
            current = by_ref[current]["id"]
        return later

    def _st2_request(self, plan, state: Mapping) -> tuple[list[str], list[str]]:
        """StackStorm's ``tasks`` and ``reset`` for the plan's collapsed requests. Its API
        names tasks only and re-runs each on every route it ran on, resetting the items on
        all of them or none: a plan that needs less cannot be submitted."""
        from wfops.planner import RunGraph

        run = RunGraph(state)
        tasks: list[str] = []
        reset: list[str] = []
        routes: dict[str, dict[int, bool]] = {}
        for task, route, reset_items in plan.requests:
            routes.setdefault(task, {})[route] = reset_items
            if task not in tasks:
                tasks.append(task)
        partial, mixed = [], []
        for task in tasks:
            ran = {r for r, i in run.routes(task).items() if run.superseded_by(i) is None}
            left = sorted(ran - set(routes[task]))
            partial += ["%s[%d]" % (task, r) for r in left]
            flags = set(routes[task].values())
            if len(flags) > 1:
                mixed.append(task)
            elif flags == {True}:
                reset.append(task)
        if partial:
            raise Unsupported(
                "StackStorm's API re-runs a task on every route it ran on (its re_run names tasks, "
                "not routes), but this plan leaves %s as it is. %s" % (", ".join(partial), USE_WFOPS))
        if mixed:
            raise Unsupported(
                "StackStorm's API resets a task's items on every route or on none, but this plan "
                "resets %s on some routes only. %s" % (", ".join(mixed), USE_WFOPS))
        return tasks, reset


def detect(api: ApiClient) -> str:
    """``"wfops"`` when the API is a wfops server, else ``"stackstorm"``."""
    try:
        document = api.request("GET", "/openapi.json", timeout=min(api.timeout, 15))
    except ApiError as e:
        if e.status == 0:
            raise BackendError(e.message, 502) from None
        return STACKSTORM
    title = ((document or {}).get("info") or {}).get("title") if isinstance(document, dict) else None
    return WFOPS if isinstance(title, str) and title.lower().startswith("wfops") else STACKSTORM


def connect(config: Mapping | None = None, environ: Mapping[str, str] | None = None,
            timeout: float | None = None) -> Backend:
    """The backend for the pack config (and StackStorm's environment variables)."""
    settings = ConnectionSettings.resolve(config, environ)
    api = ApiClient(settings) if timeout is None else ApiClient(settings, timeout=timeout)
    kind = detect(api)
    if kind == WFOPS:
        return WfopsBackend(api)
    from wfops.pack_client.st2_extension import backend_class

    return backend_class()(api)
