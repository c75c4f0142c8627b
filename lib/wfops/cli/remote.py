"""The command line against a ``wfops serve`` server (``wfops --url URL``, ``WFOPS_URL``).

:class:`ApiClient` reaches the REST API (``/api/v1``) through :mod:`wfops.api_client`, the
HTTP client the pack's actions use too;
:class:`RemoteBackend` implements :class:`wfops.cli.backend.Backend` with it, so that the
handlers print what they print in local mode. Where the API's wording differs from the
local store's (an unknown id is StackStorm's ``Unable to identify resource with id``), the
backend reports the local wording; every other refusal of the server is reported as its
``faultstring``. Waiting for an execution is polling ``GET /executions/{id}`` until its
status leaves ``statuses.WAITING``.

An API key, when the server requires one, comes from ``WFOPS_API_KEY`` (sent as
StackStorm's ``St2-Api-Key`` header).
"""

from __future__ import annotations

import copy
import os
import re
import time
import urllib.parse
from typing import Any

from wfops import errors
from wfops import statuses as s
from wfops.cli.backend import task_label

API_KEY_ENV = "WFOPS_API_KEY"
REQUEST_TIMEOUT_SECONDS = float(os.environ.get("WFOPS_URL_TIMEOUT", "300"))
POLL_SECONDS = 0.1
PROGRESS_SECONDS = 0.5


class ServerError(errors.WfopsError):
    """The server refused a request: its HTTP status and ``faultstring``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.http_status = status


def api_base(url: str) -> str:
    """The API root for a server URL: ``http://host:port`` gets ``/api/v1``; a URL that
    already ends in ``/api/v1`` or ``/v1`` is kept."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.WfopsError(
            '"%s" is not a wfops server URL; give one like http://127.0.0.1:9101.' % url
        )
    base = url.strip().rstrip("/")
    if not re.search(r"/v1$", base):
        base += "/api/v1"
    return base


class ApiClient:
    """The server's API through the shared HTTP client (:mod:`wfops.api_client`), its
    refusals raised as :class:`ServerError` and an unreachable server as WfopsError."""

    def __init__(self, url: str, *, api_key: str | None = None, timeout: float = REQUEST_TIMEOUT_SECONDS):
        from wfops.api_client import ApiClient as HttpClient

        self.url = url
        self.base = api_base(url)
        self.api_key = api_key
        self.http = HttpClient(self.base, api_key=api_key, timeout=timeout, name="the wfops server",
                               shown_url=url)

    def request(self, method: str, path: str, *, query: dict | None = None, body: Any = None) -> Any:
        """The parsed JSON answer of a 2xx response; raises :class:`ServerError` for a
        refusal and WfopsError when the server cannot be reached."""
        from wfops.api_client import ApiError

        try:
            return self.http.request(method, path, body=body, query=query)
        except ApiError as e:
            raise _refusal(e) from None

    def events(self, stream_url: str, query: dict):
        """The server's stream events (:meth:`wfops.api_client.ApiClient.events`)."""
        from wfops.api_client import ApiError

        try:
            yield from self.http.events(stream_url, query)
        except ApiError as e:
            raise _refusal(e) from None


def _refusal(e) -> errors.WfopsError:
    """The error of a refused request: the server's own error class when it is a wfops
    error other than a 404 (which the callers say in their own words), else a
    :class:`ServerError`; an unreachable server, a WfopsError."""
    if e.status == 0:
        return errors.WfopsError(e.message)
    if e.error_class and e.status != 404:
        return errors.from_response({"type": e.error_class, "message": e.message, "http_status": e.status})
    return ServerError(e.status, e.message)


def _q(text: str) -> str:
    return urllib.parse.quote(str(text), safe="")


def view_of(doc: dict) -> dict:
    """The view (``wfops.views.execution_view``) in one of the API's execution documents:
    without what ``wfops.api.resources.execution_doc`` adds to it."""
    view = copy.deepcopy(doc)
    action = view.get("action")
    if isinstance(action, dict):
        for key in ("uid", "id", "parameters", "description"):
            action.pop(key, None)
    runner = view.get("runner")
    if isinstance(runner, dict):
        runner.pop("runner_parameters", None)
    for key in ("liveaction", "elapsed_seconds", "plan"):
        view.pop(key, None)
    if view.get("children") == []:
        view.pop("children")
    return view


def record_of(doc: dict) -> dict:
    """A record, as the handlers read one, of an execution document."""
    action = doc.get("action") or {}
    return {
        "id": doc["id"],
        "action_ref": action.get("ref"),
        "runner_type": action.get("runner_type") or (doc.get("runner") or {}).get("name"),
        "status": doc.get("status"),
        "parameters": doc.get("parameters") or {},
        "result": doc.get("result"),
        "context": doc.get("context") or {},
        "parent": doc.get("parent"),
        "start_timestamp": doc.get("start_timestamp"),
        "end_timestamp": doc.get("end_timestamp"),
        "log": doc.get("log"),
        "doc": doc,
    }


def action_spec_of(doc: dict):
    from wfops.packs.action_spec import ActionSpec

    return ActionSpec(
        ref=doc["ref"],
        pack=doc.get("pack", ""),
        name=doc.get("name", ""),
        runner_type=doc.get("runner_type", ""),
        entry_point=doc.get("entry_point") or None,
        parameters=doc.get("parameters") or {},
        description=doc.get("description") or "",
        enabled=bool(doc.get("enabled", True)),
        pack_path="",
        metadata_file=doc.get("metadata_file") or "",
    )


def plan_of(data: dict, dot: str | None = None):
    """The plan object of a plan's JSON (``ExtendedPlan.to_dict()``)."""
    from wfops.planner.extras import ContextOverride, ExtendedPlan, Extras, ItemSelection, SkipTask
    from wfops.planner.plan import Plan

    plan = Plan.from_dict(data)
    if not any(k in data for k in ("item_selections", "contexts", "skips")):
        return _RemotePlan(plan, data, dot)
    extras = Extras(
        item_selections=[ItemSelection(**i) for i in data.get("item_selections") or []],
        contexts=[ContextOverride(**c) for c in data.get("contexts") or []],
        skips=[SkipTask(**k) for k in data.get("skips") or []],
    )
    return _RemotePlan(ExtendedPlan(plan, extras), data, dot)


class _RemotePlan:
    """A plan read back from the server: reads like the plan, and ``to_dict`` gives the
    server's JSON as it came. ``dot`` is the server's drawing of it."""

    def __init__(self, plan, data: dict, dot: str | None = None):
        self._plan = plan
        self._data = data
        self.dot = dot

    def __getattr__(self, name: str) -> Any:
        return getattr(self._plan, name)

    def to_dict(self) -> dict:
        return self._data


class RemoteBackend:
    """A ``wfops serve`` server, through its REST API."""

    def __init__(self, url: str, *, user: str, api_key: str | None = None):
        self.client = ApiClient(url, api_key=api_key if api_key is not None else os.environ.get(API_KEY_ENV))
        self.user = user

    def close(self) -> None:
        pass

    def _get(self, path: str, **query) -> Any:
        return self.client.request("GET", path, query=query or None)

    # -- reading -------------------------------------------------------------------------

    def _execution_doc(self, execution_id: str) -> dict:
        not_found = errors.ExecutionNotFound(execution_id)
        if len(execution_id) >= 24:
            try:
                return self._get("/executions/%s" % _q(execution_id))
            except ServerError as e:
                if e.status == 404:
                    raise not_found from None
                raise
        # A prefix of an id, as the local store takes it: it must name one execution.
        docs = self._get("/executions", include_attributes="id", limit="-1")
        matches = [d["id"] for d in docs if d["id"].startswith(execution_id)]
        if len(matches) != 1:
            raise not_found
        return self._get("/executions/%s" % _q(matches[0]))

    def get_execution(self, execution_id: str) -> dict:
        return record_of(self._execution_doc(execution_id))

    def execution_view(self, record: dict, *, tasks: bool) -> dict:
        view = view_of(record["doc"])
        if not tasks or not view.get("children"):
            return view
        docs = self._get("/executions/%s/children" % _q(record["id"]), depth="-1")
        by_parent: dict[str, list[dict]] = {}
        for doc in docs:
            by_parent.setdefault(doc.get("parent"), []).append(view_of(doc))

        def fill(v: dict) -> dict:
            children = by_parent.get(v["id"])
            if children:
                v["children"] = [fill(c) for c in children]
            else:
                v.pop("children", None)
            return v

        return fill(view)

    def operations(self, execution_id: str) -> list[dict]:
        return self._get("/executions/%s/audit" % _q(execution_id))

    def list_executions(self, *, status: str | None, action: str | None, limit: int) -> list[dict]:
        if limit == 0:
            return []
        docs = self._get("/executions", parent="null", limit=str(limit if limit > 0 else -1),
                         status=status or None, action=action or None)
        return [view_of(d) for d in docs]

    def task_context(self, record: dict, task: str, route: int | None, item: int | None) -> dict:
        return self._get("/executions/%s/tasks/%s/context" % (_q(record["id"]), _q(task)),
                         route=route, item=item)

    def get_action(self, ref: str):
        try:
            return action_spec_of(self._get("/actions/%s" % _q(ref)))
        except ServerError as e:
            if e.status == 404:
                raise errors.ActionNotFound('Action "%s" cannot be found.' % ref) from None
            raise

    def list_actions(self, pack: str | None) -> list:
        return [action_spec_of(d) for d in self._get("/actions", pack=pack or None)]

    def pack_report(self):
        from wfops.packs.problems import PackProblem
        from wfops.packs.registry import LoadedPack

        report = self._get("/pack_report")
        return ([LoadedPack(p["ref"], p["path"], bool(p["bundled"])) for p in report["packs"]],
                [PackProblem(p["file"], p.get("pack"), p["reason"]) for p in report["problems"]])

    # -- running -------------------------------------------------------------------------

    def launch(self, ref: str, parameters: dict, *, detached: bool) -> str:
        doc = self.client.request("POST", "/executions",
                                  body={"action": ref, "parameters": parameters, "user": self.user})
        return doc["id"]

    def wait(self, execution_id: str, *, progress=None) -> dict:
        seen: dict[str, str] = {}
        last_progress = 0.0
        while True:
            doc = self._get("/executions/%s" % _q(execution_id))
            if progress is not None and time.monotonic() - last_progress >= PROGRESS_SECONDS:
                last_progress = time.monotonic()
                self._report_progress(execution_id, seen, progress)
            if doc["status"] not in s.WAITING:
                if progress is not None:
                    self._report_progress(execution_id, seen, progress)
                return record_of(doc)
            time.sleep(POLL_SECONDS)

    def events(self, execution_id: str):
        record = self.get_execution(execution_id)
        parts = urllib.parse.urlsplit(self.client.base)
        stream_url = "%s://%s/stream/v1" % (parts.scheme, parts.netloc)
        return self.client.events(stream_url, {"events": "st2.execution__update,st2.execution.output__create",
                                               "end_execution_id": record["id"],
                                               "end_event": "st2.execution__update"})

    def _report_progress(self, execution_id: str, seen: dict[str, str], board) -> None:
        """Tell ``board`` each task execution whose status changed since the last look (as
        the local engine reports each change; statuses that came and went between two
        looks are not seen)."""
        try:
            docs = self._get("/executions/%s/children" % _q(execution_id), depth="-1")
        except errors.WfopsError:
            return
        for doc in docs:
            task = task_label(doc)
            if task is not None and seen.get(doc["id"]) != doc["status"]:
                seen[doc["id"]] = doc["status"]
                board.task(task, doc["status"], doc["id"])

    # -- operations ----------------------------------------------------------------------

    def lifecycle(self, operation: str, execution_id: str, *, comment: str | None) -> dict:
        record = self.get_execution(execution_id)
        path = "/executions/%s" % _q(record["id"])
        if operation == "cancel":
            doc = self.client.request("DELETE", path, query={"comment": comment or None, "user": self.user})
        else:
            status = {"pause": "pausing", "resume": "resuming"}[operation]
            body = {"status": status, "user": self.user}
            if comment is not None:
                body["comment"] = comment
            doc = self.client.request("PUT", path, body=body)
        answer = {"id": record["id"], "status": doc.get("status"), "changed": True}
        # The owner's answer is in the audit entry it wrote with the operation.
        try:
            entries = self.operations(record["id"])
        except errors.WfopsError:
            entries = []
        for entry in reversed(entries):
            if entry.get("operation") == operation and isinstance(entry.get("outcome"), dict):
                outcome = entry["outcome"]
                answer["status"] = outcome.get("status_after", answer["status"])
                answer["changed"] = outcome.get("changed", True)
                break
        return answer

    def _post_rerun(self, request, **extra) -> dict:
        """POST the re-run ``request`` (its payload is the API's body; ``no_merge`` its query)."""
        original = self.get_execution(request.execution_id)
        if request.from_tasks and original["runner_type"] != "orquesta":
            # The API answers with StackStorm's wording; say it as the local host does.
            raise errors.NotAWorkflow(original["id"], original["runner_type"])
        if request.from_beginning:
            errors.collect(request.problems(), errors.PlanError)  # as the local host refuses it
        body = dict(request.to_api_body(), **extra, user=self.user)
        return self.client.request("POST", "/executions/%s/re_run" % _q(original["id"]),
                                   query={"no_merge": "true"} if request.no_merge else None, body=body)

    def plan(self, request):
        if request.from_beginning:
            from wfops.operations.plans import BeginningPlan

            return BeginningPlan.from_dict(self._post_rerun(request, dry_run=True)["plan"])
        # The drawing comes with the plan, so that --format dot shows the very plan computed.
        answer = self._post_rerun(request, dry_run=True, format="dot")
        return plan_of(answer["plan"], dot=answer.get("dot"))

    def rerun(self, request, *, detached: bool) -> str:
        return self._post_rerun(request, dry_run=False)["id"]

    def render_dot(self, request, plan) -> str:
        if plan.dot is None:
            raise errors.WfopsError("The server at %s does not draw plans (an older wfops); use "
                                    "--format text or --format json." % self.client.url)
        return plan.dot
