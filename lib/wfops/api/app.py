"""The REST API of ``wfops serve``: StackStorm's ``/api/v1`` routes that the ``st2`` CLI
uses, plus wfops's extras. Independent of the HTTP server: :meth:`Api.handle` takes a
:class:`Request` and returns a :class:`Response`.

Reads go to the store from the calling thread. Everything that drives the engine runs on
the engine thread (:class:`wfops.api.engine_thread.EngineThread`); an operation on a tree
that another live ``wfops`` process owns is sent to it through the ``commands`` table, as
``Session.operate`` does.

Refusals keep StackStorm's status codes and ``{"faultstring": ...}`` bodies, and the
wording of ``wfops.errors`` (which is SEMANTICS.md's). Every check that can refuse a
request runs before anything changes.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote

import wfops
from wfops import errors, lifecycle, nesting
from wfops.api import resources, schemas
from wfops.api.engine_thread import EngineUnavailable

OPERATION_TIMEOUT_SECONDS = 120.0

# StackStorm's wording.
NOT_FOUND_ID = 'Unable to identify resource with id "%s".'
NOT_FOUND_REF = 'Resource with a reference or id "%s" not found'
NOT_FOUND_NAME = 'Unable to identify resource with name_or_id "%s".'
ROUTE_NOT_FOUND = "The resource could not be found."
TASKS_NOT_ORQUESTA = "Task option is only supported for Orquesta workflows."
RESET_NOT_SUBSET = "List of tasks to reset does not match the tasks to rerun."
PARAMETERS_WITH_TASKS = "Parameters override is not supported when re-running task(s) for a workflow."
INCLUDE_AND_EXCLUDE = (
    "exclude_fields and include_fields arguments are mutually exclusive. "
    "You need to provide either one or another, but not both."
)
RESET_AND_NO_RESET = (
    'Give either "reset" (the tasks whose items are all re-run) or "no_reset" (the tasks whose '
    "succeeded items are kept), not both."
)
FORMAT_WITHOUT_DRY_RUN = '"format" chooses how a dry run shows its plan: add "dry_run": true.'
DOT_FROM_BEGINNING = (
    '"format": "dot" draws the run graph of a re-run from tasks; a re-run from the beginning '
    "has none. Name the tasks, or leave \"format\" out."
)
DELAY_UNSUPPORTED = (
    'Delayed scheduling ("delay": %s ms) is not supported by wfops; nothing was created. '
    "Submit the request without a delay (or with 0)."
)

MAX_INT = 2**31 - 1

# re_run extras that the planner request carries under another name.
_EXTRAS = {"items": "items", "context": "context", "skip": "skips", "result": "results", "publish": "publish"}


class ApiError(Exception):
    def __init__(self, status: int, faultstring: str):
        super().__init__(faultstring)
        self.status = status
        self.faultstring = faultstring


@dataclass
class Request:
    method: str
    path: str                               # below /api/v1, e.g. "/executions/abc"
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    key_user: str | None = None             # the user the request's API key is bound to


@dataclass
class Response:
    status: int
    body: Any = None                        # JSON-serialisable, or str for text/plain
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if self.content_type == "application/json":
            return json.dumps(self.body, default=str).encode("utf-8")
        return str(self.body).encode("utf-8")


@dataclass
class _Remote:
    """The operation must be carried out by the live engine that owns ``root``."""

    root: str


def fault(status: int, message: str) -> Response:
    return Response(status, {"faultstring": message})


class Api:
    def __init__(self, session, engine_thread, *, openapi: Callable[[], dict] | None = None):
        self.session = session
        self.store = session.store
        self.registry = session.registry
        self.engine_thread = engine_thread
        self._openapi = openapi
        self.routes: list[tuple[str, re.Pattern, Callable[..., Response]]] = []
        for method, pattern, handler in [
            ("GET", r"", self.get_root),
            ("GET", r"/openapi\.json", self.get_openapi),
            ("GET", r"/actions", self.list_actions),
            ("GET", r"/actions/(?P<ref>[^/]+)", self.get_action),
            ("GET", r"/runnertypes", self.list_runner_types),
            ("GET", r"/runnertypes/(?P<name>[^/]+)", self.get_runner_type),
            ("GET", r"/executions", self.list_executions),
            ("POST", r"/executions", self.create_execution),
            ("GET", r"/executions/(?P<id>[^/]+)", self.get_execution),
            ("PUT", r"/executions/(?P<id>[^/]+)", self.update_execution),
            ("DELETE", r"/executions/(?P<id>[^/]+)", self.cancel_execution),
            ("GET", r"/executions/(?P<id>[^/]+)/children", self.get_children),
            ("GET", r"/executions/(?P<id>[^/]+)/output", self.get_output),
            ("GET", r"/executions/(?P<id>[^/]+)/audit", self.get_audit),
            ("POST", r"/executions/(?P<id>[^/]+)/re_run", self.rerun_execution),
            ("GET", r"/executions/(?P<id>[^/]+)/tasks/(?P<task>[^/]+)/context", self.get_task_context),
        ]:
            self.routes.append((method, re.compile("^%s$" % pattern), handler))

    # ================================================================================
    # Dispatch
    # ================================================================================

    def route(self, method: str, path: str):
        """(handler, path arguments), or an error Response (404 / 405)."""
        path = path.rstrip("/") if path != "/" else ""
        allowed = []
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match is None:
                continue
            if route_method == method or (method == "HEAD" and route_method == "GET"):
                return handler, {k: unquote(v) for k, v in match.groupdict().items()}
            allowed.append(route_method)
        if allowed:
            response = fault(405, 'The method %s is not allowed for this resource (allowed: %s).'
                             % (method, ", ".join(sorted(set(allowed)))))
            response.headers["Allow"] = ", ".join(sorted(set(allowed)))
            return response, None
        return fault(404, ROUTE_NOT_FOUND), None

    def handle(self, request: Request) -> Response:
        handler, arguments = self.route(request.method, request.path)
        if isinstance(handler, Response):
            return handler
        try:
            return handler(request, **arguments)
        except ApiError as e:
            return fault(e.status, e.faultstring)
        except errors.WfopsError as e:
            return fault(e.http_status, e.message)
        except EngineUnavailable as e:
            return fault(503, str(e))

    # ================================================================================
    # Helpers
    # ================================================================================

    def _execution(self, execution_id: str) -> dict:
        record = self.store.get_execution(execution_id)
        if record is None:
            raise ApiError(404, NOT_FOUND_ID % execution_id)
        return record

    def _doc(self, record_or_id) -> dict:
        record = record_or_id if isinstance(record_or_id, dict) else self._execution(record_or_id)
        return resources.execution_doc(self.store, self.registry, record)

    @staticmethod
    def _json_body(request: Request, schema: dict) -> dict:
        text = request.body or b"{}"
        try:
            body = nesting.loads(text.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float)
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, "Failed to parse request body: %s" % e) from None
        found = schemas.problems(schema, body)
        if found:
            if len(found) == 1:
                raise ApiError(400, found[0])
            raise ApiError(400, "The request body has %d problems:\n%s"
                           % (len(found), "\n".join("  - %s" % p for p in found)))
        return body

    @staticmethod
    def _int_query(request: Request, name: str, default: int | None) -> int | None:
        values = request.query.get(name)
        if not values or values[-1] == "":
            return default
        value = values[-1].strip()
        if not re.fullmatch(r"-?[0-9]+", value):
            raise ApiError(400, 'Parameter "%s" is not of type integer' % name)
        number = int(value)
        if abs(number) > MAX_INT:
            raise ApiError(400, 'Parameter "%s" (%s) is more than a 32-bit integer' % (name, value))
        return number

    @staticmethod
    def _str_query(request: Request, name: str) -> str | None:
        values = request.query.get(name)
        return values[-1] if values else None

    @staticmethod
    def _bool_query(request: Request, name: str) -> bool:
        values = request.query.get(name)
        if not values:
            return False
        value = values[-1].strip().lower()
        if value in ("true", "1", "yes", "y", ""):
            return True
        if value in ("false", "0", "no", "n"):
            return False
        raise ApiError(400, 'Parameter "%s" is not of type boolean' % name)

    def _projection(self, request: Request, excludable: tuple[str, ...] | None):
        include = resources.split_attributes(request.query.get("include_attributes", []))
        exclude = resources.split_attributes(request.query.get("exclude_attributes", []))
        if include and exclude:
            raise ApiError(400, INCLUDE_AND_EXCLUDE)
        if excludable is not None:
            for name in exclude:
                if name not in excludable:
                    raise ApiError(400, "Invalid or unsupported exclude attribute specified: %s" % name)

        def project(doc: dict) -> dict:
            if include:
                return resources.include_only(doc, include)
            if exclude:
                return resources.exclude(doc, exclude)
            return doc

        return project

    def _limit_offset(self, request: Request, default_limit: int) -> tuple[int | None, int]:
        limit = self._int_query(request, "limit", default_limit)
        offset = self._int_query(request, "offset", 0)
        if limit == 0:
            raise ApiError(400, 'Limit, "0" specified, must be a positive number or -1 for full result set.')
        if limit is not None and limit <= -2:
            raise ApiError(400, 'Limit, "%s" specified, must be a positive number.' % limit)
        if offset < 0:
            raise ApiError(400, 'Offset, "%s" specified, must be a positive number.' % offset)
        return (None if limit == -1 else limit), offset

    def _user(self, request: Request, named: str | None) -> str:
        """Who acts (see :mod:`wfops.api.auth`): the user the request's API key is bound to;
        else the user the request names; else the user running the server."""
        return request.key_user or named or self.session.user

    def _on_engine(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.engine_thread.call(fn, *args, timeout=OPERATION_TIMEOUT_SECONDS)

    # ================================================================================
    # Root, OpenAPI
    # ================================================================================

    def get_root(self, request: Request) -> Response:
        return Response(200, {"version": wfops.__version__, "docs_url": "/api/v1/openapi.json",
                              "server": "wfops"})

    def get_openapi(self, request: Request) -> Response:
        if self._openapi is None:
            raise ApiError(404, ROUTE_NOT_FOUND)
        return Response(200, self._openapi())

    # ================================================================================
    # Actions and runner types
    # ================================================================================

    def list_actions(self, request: Request) -> Response:
        pack = self._str_query(request, "pack")
        name = self._str_query(request, "name")
        limit, offset = self._limit_offset(request, default_limit=-1)
        project = self._projection(request, None)
        actions = [a for a in self.registry.list(pack=pack or None) if not name or a.name == name]
        total = len(actions)
        page = actions[offset:] if limit is None else actions[offset:offset + limit]
        docs = [project(resources.action_doc(a)) for a in page]
        return Response(200, docs, {"X-Total-Count": str(total)})

    def get_action(self, request: Request, ref: str) -> Response:
        action = resources.find_action(self.registry, ref)
        if action is None:
            raise ApiError(404, NOT_FOUND_REF % ref)
        return Response(200, self._projection(request, None)(resources.action_doc(action)))

    def list_runner_types(self, request: Request) -> Response:
        from wfops.packs.runner_types import RUNNER_TYPES

        name = self._str_query(request, "name")
        names = [n for n in sorted(RUNNER_TYPES) if not name or n == name]
        project = self._projection(request, None)
        return Response(200, [project(resources.runner_type_doc(n)) for n in names],
                        {"X-Total-Count": str(len(names))})

    def get_runner_type(self, request: Request, name: str) -> Response:
        found = resources.find_runner_type(name)
        if found is None:
            raise ApiError(404, NOT_FOUND_NAME % name)
        return Response(200, resources.runner_type_doc(found))

    # ================================================================================
    # Executions: reading
    # ================================================================================

    def list_executions(self, request: Request) -> Response:
        limit, offset = self._limit_offset(request, default_limit=100)
        project = self._projection(request, resources.EXECUTION_EXCLUDABLE)
        parent = self._str_query(request, "parent")
        ascending = "sort_asc" in request.query and "sort_desc" not in request.query
        user = self._str_query(request, "user") or None
        after = _timestamp_query(self._str_query(request, "timestamp_gt"), "timestamp_gt")
        before = _timestamp_query(self._str_query(request, "timestamp_lt"), "timestamp_lt")
        filtered = bool(user or after or before)
        records, total = self.store.list_executions(
            status=self._str_query(request, "status") or None,
            action=self._str_query(request, "action") or None,
            top_level_only=parent == "null",
            parent=parent if parent and parent != "null" else None,
            limit=None if filtered else limit,
            offset=0 if filtered else offset,
            newest_first=not ascending,
        )
        if filtered:
            # Filters the store does not index: applied here, then the page is cut.
            records = [r for r in records
                       if (not user or (r["context"] or {}).get("user") == user)
                       and (not after or _parse_timestamp(r["start_timestamp"]) > after)
                       and (not before or _parse_timestamp(r["start_timestamp"]) < before)]
            total = len(records)
            records = records[offset:] if limit is None else records[offset:offset + limit]
        headers = {"X-Total-Count": str(total)}
        if limit is not None:
            headers["X-Limit"] = str(limit)
        return Response(200, [project(self._doc(r)) for r in records], headers)

    def get_execution(self, request: Request, id: str) -> Response:
        project = self._projection(request, resources.EXECUTION_EXCLUDABLE)
        if id == "last" and self.store.get_execution(id) is None:  # as st2
            records, _ = self.store.list_executions(limit=1)
            if not records:
                raise ApiError(400, "No executions found in the database")
            return Response(200, project(self._doc(records[0])))
        return Response(200, project(self._doc(id)))

    def get_children(self, request: Request, id: str) -> Response:
        self._execution(id)
        depth = self._int_query(request, "depth", -1)
        if depth is not None and depth < -1:
            raise ApiError(400, 'Parameter "depth" must be -1 (all levels) or a positive number.')
        return Response(200, resources.task_children_docs(self.store, self.registry, id, depth or -1))

    def get_output(self, request: Request, id: str) -> Response:
        record = self._execution(id)
        output_type = self._str_query(request, "output_type") or "all"
        if output_type not in ("all", "stdout", "stderr"):
            raise ApiError(400, 'Parameter "output_type" must be one of all, stdout, stderr.')
        streams = ("stdout", "stderr") if output_type == "all" else (output_type,)
        parts = []
        for r in [record] + self._descendants(record["id"]):
            result = r.get("result")
            if isinstance(result, dict):
                for stream in streams:
                    text = result.get(stream)
                    if isinstance(text, str) and text:
                        parts.append(text if text.endswith("\n") else text + "\n")
        return Response(200, "".join(parts), content_type="text/plain")

    def _descendants(self, execution_id: str) -> list[dict]:
        found, pending = [], list(self.store.child_executions(execution_id))
        while pending:
            record = pending.pop(0)
            found.append(record)
            pending += self.store.child_executions(record["id"])
        return found

    def get_audit(self, request: Request, id: str) -> Response:
        record = self._execution(id)
        return Response(200, resources.audit_doc(self.registry, record, self.store.operations(record["id"])))

    def get_task_context(self, request: Request, id: str, task: str) -> Response:
        from wfops import masking
        from wfops.planner import TaskRef
        from wfops.task_context import task_context

        record = self._execution(id)
        try:
            ref = TaskRef.parse(task)
        except ValueError as e:
            raise ApiError(400, str(e)) from None
        route = self._int_query(request, "route", ref.route)
        item = self._int_query(request, "item", None)
        if record["runner_type"] != "orquesta" or not record["context"].get("workflow_execution"):
            raise ApiError(400, 'Execution "%s" is not a workflow execution; only workflow tasks have '
                                "a context." % record["id"])
        view = task_context(self.store, record, ref.name, route=route, item=item)
        # Secrets: the workflow's secret inputs in the context, each action's in its input.
        try:
            view["context"] = masking.mask_secrets(self.registry.get(record["action_ref"]), view["context"])
        except errors.ActionNotFound:
            pass
        holders = [(view, view.get("action_execution"))] + [(i, i.get("execution")) for i in view.get("items", [])]
        for holder, execution_id in holders:
            action_execution = self.store.get_execution(execution_id) if execution_id else None
            if action_execution is None or not isinstance(holder.get("input"), dict):
                continue
            try:
                spec = self.registry.get(action_execution["action_ref"])
            except errors.ActionNotFound:
                holder["input"] = {k: masking.MASKED_ATTRIBUTE_VALUE for k in holder["input"]}
                continue
            holder["input"] = masking.mask_secrets(spec, holder["input"])
        return Response(200, view)

    # ================================================================================
    # Executions: running and operating
    # ================================================================================

    def create_execution(self, request: Request) -> Response:
        body = self._json_body(request, schemas.EXECUTION_REQUEST)
        if body.get("delay"):
            raise ApiError(400, DELAY_UNSUPPORTED % body["delay"])
        ref = body["action"]
        if ref not in self.registry:
            raise ApiError(400, 'Action "%s" cannot be found.' % ref)  # st2: 400 here
        user = self._user(request, body.get("user"))
        context = dict(body.get("context") or {})
        context.pop("re-run", None)
        context["user"] = user
        parameters = body.get("parameters") or {}

        def launch() -> str:
            engine = self.session.engine
            return engine.launch(ref, parameters, context=context, user=user)

        execution_id = self._on_engine(launch)
        return Response(201, self._doc(execution_id))

    def update_execution(self, request: Request, id: str) -> Response:
        body = self._json_body(request, schemas.EXECUTION_UPDATE)
        record = self._execution(id)
        operation = {"pausing": "pause", "paused": "pause", "resuming": "resume",
                     "canceling": "cancel", "canceled": "cancel"}[body["status"]]
        self._operate(operation, record, {"comment": body.get("comment"),
                                          "user": self._user(request, body.get("user"))})
        return Response(200, self._doc(record["id"]))

    def cancel_execution(self, request: Request, id: str) -> Response:
        record = self._execution(id)
        comment = self._str_query(request, "comment")
        user = self._user(request, self._str_query(request, "user"))
        self._operate("cancel", record, {"comment": comment, "user": user})
        return Response(200, self._doc(record["id"]))

    def _operate(self, operation: str, record: dict, payload: dict) -> dict:
        """Carry ``operation`` out where the execution's tree is owned: here (on the engine
        thread; an orphaned tree is adopted first), or by the live process that owns it."""
        session = self.session
        engine_id = self.engine_thread.engine_id

        def here():
            from wfops.engine.host import engine_alive

            current = session.store.get_execution(record["id"])
            root = session._operated_root(operation, current)
            owner = root["owner"]
            if owner and owner != engine_id and engine_alive(session.store, owner):
                return _Remote(root["id"])
            return session.operate(operation, record["id"], payload, run_here=True)

        answer = self._on_engine(here)
        if not isinstance(answer, _Remote):
            return answer
        # Another live process owns the tree: send it the command and wait (not on the
        # engine thread, which goes on running this server's executions meanwhile).
        current = session.store.get_execution(record["id"])
        root = session.store.get_execution(answer.root)
        if operation in lifecycle.OPERATIONS:
            session._precheck_lifecycle(operation, current, root)
        seq = session.store.enqueue_command(answer.root, record["id"], operation, dict(payload), time.time())
        return session._await(seq)

    # -- re-run ------------------------------------------------------------------------

    def rerun_execution(self, request: Request, id: str) -> Response:
        body = self._json_body(request, schemas.RERUN_REQUEST)
        tasks = _dedupe(body.get("tasks") or [])
        reset = _dedupe(body.get("reset") or [])
        # wfops: the tasks to keep, as `--no-reset` names them (checked by the planner, which
        # knows routes and --failed); st2 sends the tasks to reset instead.
        no_reset = _dedupe(body["no_reset"]) if body.get("no_reset") is not None else None
        parameters = body.get("parameters") or {}
        extras = {k: body[k] for k in _EXTRAS if body.get(k) not in (None, [], {})}
        if "result" in body and "result" not in extras and body.get("skip"):
            extras["result"] = body["result"]  # a null or empty result is a result
        from_tasks = bool(tasks or body.get("failed") or extras or no_reset)
        if no_reset is not None and "reset" in body:
            raise ApiError(400, RESET_AND_NO_RESET)
        if body.get("format") and not body.get("dry_run"):
            raise ApiError(400, FORMAT_WITHOUT_DRY_RUN)
        if body.get("format") == "dot" and not from_tasks:
            raise ApiError(400, DOT_FROM_BEGINNING)
        # StackStorm's checks, in its order, before the execution is looked up.
        if (from_tasks or reset) and parameters:
            raise ApiError(400, PARAMETERS_WITH_TASKS)
        if set(reset) - set(tasks):
            raise ApiError(400, RESET_NOT_SUBSET)
        if body.get("delay"):
            raise ApiError(400, DELAY_UNSUPPORTED % body["delay"])
        original = self._execution(id)
        if from_tasks and original["runner_type"] != "orquesta":
            raise ApiError(400, TASKS_NOT_ORQUESTA)
        user = self._user(request, body.get("user"))
        no_merge = self._bool_query(request, "no_merge")
        if not from_tasks:
            return self._rerun_from_beginning(original, parameters, no_merge, user, body)
        if no_reset is None:
            no_reset = [t for t in tasks if t not in reset]  # st2: no_reset = tasks - reset
        return self._rerun_from_tasks(original, tasks, no_reset, extras, user, body)

    def _rerun_from_beginning(self, original: dict, overrides: dict, no_merge: bool, user: str,
                              body: dict) -> Response:
        try:
            action = self.registry.get(original["action_ref"])
        except errors.ActionNotFound as e:
            raise ApiError(400, e.message) from None
        # Immutable parameters hold their defaults in the stored execution; they cannot be
        # given again.
        base = {} if no_merge else {
            k: v for k, v in original["parameters"].items()
            if not (action.parameters.get(k) or {}).get("immutable")
        }
        params = {**base, **overrides}
        if body.get("dry_run"):
            from wfops import masking

            self._on_engine(lambda: self.session.engine.check_launch(action.ref, params))
            return Response(200, {"id": original["id"], "dry_run": True,
                                  "plan": {"mode": "from_beginning",
                                           "parameters": masking.mask_secrets(action, params)}})

        def launch() -> str:
            from wfops.engine.commands import audit

            engine = self.session.engine
            new_id = engine.launch(action.ref, params, context={"re-run": {"ref": original["id"]}}, user=user)
            audit(self.store, original["id"], user, "re-run",
                  {"id": original["id"], "parameters": overrides, "no_merge": no_merge},
                  plan={"mode": "from_beginning", "parameters": params},
                  outcome={"execution": new_id}, comment=body.get("comment"))
            return new_id

        return Response(201, self._doc(self._on_engine(launch)))

    def _rerun_from_tasks(self, original: dict, tasks: list[str], no_reset: list[str], extras: dict,
                          user: str, body: dict) -> Response:
        from wfops.engine import reruns

        payload: dict[str, Any] = {
            "tasks": tasks,
            "no_reset": no_reset,
            "failed": bool(body.get("failed")),
            "force": bool(body.get("force")),
            "comment": body.get("comment"),
            "user": user,
        }
        payload.update(_extras_payload(extras))
        if body.get("fingerprint"):
            payload["fingerprint"] = body["fingerprint"]
            if not body.get("dry_run"):
                # The plan a dry run showed: its owner checks, before anything else, that the
                # state is still the one it was computed from (reruns.plan_for), and applies it.
                return self._apply_rerun(original, payload)
        # Planned first, from the stored state: every problem is reported before anything
        # is sent or changed (as `wfops execution re-run --tasks`).
        plan = reruns.plan_for(self.store, original, payload)
        unsupported = [k for k, field_name in _EXTRAS.items()
                       if k in extras and not plan.request.get(field_name)]
        if not unsupported and plan.mode != "from_tasks":
            # Extras without tasks that the planner takes for a re-run from the beginning:
            # it cannot carry them out, and the request must not run as if they were absent.
            unsupported = sorted(extras)
        if unsupported:
            raise ApiError(501, 'The re-run option(s) %s are not supported by this wfops engine yet; '
                                "nothing was changed." % ", ".join('"%s"' % k for k in unsupported))
        if body.get("dry_run"):
            answer = {"id": original["id"], "dry_run": True, "plan": plan.to_dict()}
            if body.get("format") == "dot":
                from wfops import planner

                answer["dot"] = planner.render_dot(plan, reruns.state_for(self.store, original))
            return Response(200, answer)
        payload["fingerprint"] = plan.fingerprint  # the owner refuses it if the state changed since
        return self._apply_rerun(original, payload)

    def _apply_rerun(self, original: dict, payload: dict) -> Response:
        answer = self._operate("rerun", original, payload)
        doc = self._doc(answer["id"])
        doc["plan"] = answer.get("plan")
        # A skip on a paused workflow acts on that execution and creates none.
        return Response(200 if answer["id"] == original["id"] else 201, doc)


def _no_constant(name: str):
    raise ValueError("%s is not valid JSON" % name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number %s is out of range" % text)
    return value


def _parse_timestamp(text: str | None):
    import datetime

    if not text:
        return None
    value = text.strip().replace(" ", "T")
    value = re.sub(r"(Z|\+00:?00|\+00)$", "", value)
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _timestamp_query(text: str | None, name: str):
    if not text:
        return None
    value = _parse_timestamp(text)
    if value is None:
        raise ApiError(400, 'Parameter "%s" is not a timestamp like "2000-01-01T12:00:00.000Z".' % name)
    return value


def _dedupe(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _extras_payload(extras: dict) -> dict:
    """The resume extras as the engine takes them (as ``wfops execution re-run`` sends
    them): ``items`` {task: [index]}, ``context`` {task: {k: v}}, ``skip`` [task],
    ``result`` {task: result}, ``publish`` {task: {k: v}}. With one skipped task, the API
    also takes ``result`` as that task's result and ``publish`` as its {k: v}."""
    out = dict(extras)
    skips = list(extras.get("skip") or [])
    for name in ("result", "publish"):
        if name not in extras:
            continue
        if not skips:
            raise ApiError(400, '"%s" applies to skipped tasks: name them in "skip".' % name)
        value = extras[name]
        keyed = isinstance(value, dict) and bool(value) and set(value) <= set(skips) and (
            name == "result" or all(isinstance(v, dict) for v in value.values()))
        if len(skips) == 1 and not (keyed and set(value) == set(skips)):
            if name == "publish" and not isinstance(value, dict):
                raise ApiError(400, '"publish" must be an object of {key: value}.')
            value = {skips[0]: value}
        elif not keyed:
            raise ApiError(400, 'With several skipped tasks, "%s" must be an object keyed by the '
                                "skipped task names (%s)." % (name, ", ".join(skips)))
        out[name] = value
    return out
