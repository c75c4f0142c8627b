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
            if e.status == 0:
                raise errors.WfopsError(e.message) from None
            raise ServerError(e.status, e.message) from None

    def events(self, stream_url: str, query: dict):
        """The server's stream events (:meth:`wfops.api_client.ApiClient.events`)."""
        from wfops.api_client import ApiError

        try:
            yield from self.http.events(stream_url, query)
        except ApiError as e:
            if e.status == 0:
                raise errors.WfopsError(e.message) from None
            raise ServerError(e.status, e.message) from None


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
        not_found = errors.ExecutionNotFound('Execution "%s" cannot be found.' % execution_id)
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
        # The API does not report packs and the files left out yet (a future endpoint:
        # the registry's problems() as {file, pack, reason} records).
        return None

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

    def operate(self, operation: str, execution_id: str, payload: dict) -> dict:
        record = self.get_execution(execution_id)
        path = "/executions/%s" % _q(record["id"])
        comment = payload.get("comment")
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

    def rerun_from_beginning(self, original: dict, overrides: dict, *, no_merge: bool,
                             comment: str | None, detached: bool) -> str:
        body = {"parameters": overrides, "user": self.user}
        if comment is not None:
            body["comment"] = comment
        doc = self.client.request("POST", "/executions/%s/re_run" % _q(original["id"]),
                                  query={"no_merge": "true"} if no_merge else None, body=body)
        return doc["id"]

    def _rerun_body(self, original: dict, payload: dict) -> dict:
        """The re_run request of a re-run from tasks. Refuses, with the local wording, what
        the API would take otherwise than the local planner."""
        from wfops.engine import reruns
        from wfops.planner.extras import unskipped_problems
        from wfops.planner.plan import PlanError

        if original["runner_type"] != "orquesta" or not original["context"].get("workflow_execution"):
            reruns.workflow_of(None, original)  # raises the local refusal
        skips = list(payload.get("skip") or [])
        errors.collect(unskipped_problems(skips, payload.get("result"), payload.get("publish")), PlanError)

        body: dict[str, Any] = {
            "tasks": list(payload.get("tasks") or []),
            "no_reset": list(payload.get("no_reset") or []),  # wfops's alias of st2's "reset"
            "failed": bool(payload.get("failed")),
            "force": bool(payload.get("force")),
            "user": self.user,
        }
        if payload.get("parameters"):
            body["parameters"] = payload["parameters"]
        for name in ("items", "context", "skip", "result", "publish"):
            if payload.get(name):
                body[name] = payload[name]
        if payload.get("comment") is not None:
            body["comment"] = payload["comment"]
        if payload.get("fingerprint"):
            body["fingerprint"] = payload["fingerprint"]
        return body

    def plan(self, original: dict, payload: dict):
        body = self._rerun_body(original, payload)
        # The drawing comes with the plan, so that --format dot shows the very plan computed.
        body.update(dry_run=True, format="dot")
        answer = self.client.request("POST", "/executions/%s/re_run" % _q(original["id"]), body=body)
        return plan_of(answer["plan"], dot=answer.get("dot"))

    def rerun_from_tasks(self, original: dict, payload: dict, *, detached: bool) -> str:
        body = self._rerun_body(original, payload)
        doc = self.client.request("POST", "/executions/%s/re_run" % _q(original["id"]), body=body)
        return doc["id"]

    def render_dot(self, original: dict, plan) -> str:
        if plan.dot is None:
            raise errors.WfopsError("The server at %s does not draw plans (an older wfops); use "
                                    "--format text or --format json." % self.client.url)
        return plan.dot
