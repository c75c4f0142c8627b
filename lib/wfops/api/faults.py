"""Refusals as StackStorm's API words them: a status code and ``{"faultstring": ...}``.

Every error that leaves the API goes through :func:`install`'s handlers: a route's
:class:`ApiError`, a ``wfops.errors.WfopsError`` (its ``http_status``), FastAPI's request
validation (st2 answers 400 with a faultstring, not 422 with ``detail``), routing's 404 /
405 (with ``Allow`` listing every method the path takes) and any bug (500).

Request bodies are checked by :func:`parse_json` (no NaN or infinities, bounded nesting) at
the edge (:mod:`wfops.api.edge`), whatever the request's Content-Type.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wfops import errors, nesting
from wfops.api.engine_thread import EngineUnavailable

LOG = logging.getLogger("wfops.api")

# StackStorm's wording.
ROUTE_NOT_FOUND = "The resource could not be found."
NOT_FOUND_ID = 'Unable to identify resource with id "%s".'
NOT_FOUND_REF = 'Resource with a reference or id "%s" not found'
NOT_FOUND_NAME = 'Unable to identify resource with name_or_id "%s".'
METHOD_NOT_ALLOWED = "The method %s is not allowed for this resource (allowed: %s)."
INTERNAL_ERROR = "Internal Server Error"

MAX_INT = 2**31 - 1

# The class of a wfops error the API answers with (wfops.errors.from_response reads it).
ERROR_CLASS_HEADER = "Wfops-Error"


class ApiError(HTTPException):
    """A refusal with st2's status code and faultstring."""

    def __init__(self, status: int, faultstring: str, headers: dict[str, str] | None = None):
        super().__init__(status_code=status, detail=faultstring, headers=headers)
        self.status = status
        self.faultstring = faultstring


def fault(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"faultstring": message}, status_code=status, headers=headers)


# -- request bodies ----------------------------------------------------------------------


def parse_json(body: bytes) -> Any:
    """The JSON value of a request body; raises ApiError (400) for what JSON cannot carry,
    and for a body nested too deeply for Python's parser (:data:`wfops.nesting.TOO_DEEP`;
    values nested deeper than :data:`wfops.nesting.MAX_DEPTH` but still readable are
    refused, naming them, by the parameter validation and the re-run planner)."""
    try:
        return nesting.loads(body.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float)
    except nesting.TooDeep as e:
        raise ApiError(400, e.message) from None
    except (UnicodeDecodeError, ValueError) as e:
        raise ApiError(400, "Failed to parse request body: %s" % e) from None


def _no_constant(name: str):
    raise ValueError("%s is not valid JSON" % name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number %s is out of range" % text)
    return value


# -- validation errors in st2's (jsonschema's) words ---------------------------------------

_TYPE_NAMES = {
    "list_type": "array", "tuple_type": "array", "set_type": "array",
    "dict_type": "object", "model_type": "object", "model_attributes_type": "object",
    "string_type": "string", "int_type": "integer", "int_parsing": "integer",
    "int_from_float": "integer", "bool_type": "boolean", "bool_parsing": "boolean",
    "float_type": "number", "float_parsing": "number", "none_required": "null",
}


def _body_problem(error: dict) -> tuple[str, str]:
    """(where, what) of one body error, as jsonschema words it."""
    kind, path, value = error["type"], [str(p) for p in error["loc"][1:]], error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        if not path:
            return "", "The request body is missing: send a JSON object."
        return ".".join(path[:-1]), "%r is a required property" % path[-1]
    if kind in _TYPE_NAMES:
        text = "%r is not of type %r" % (value, _TYPE_NAMES[kind])
    elif kind in ("literal_error", "enum"):
        text = "%r is not one of %s" % (value, re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
    elif kind == "greater_than_equal":
        text = "%r is less than the minimum of %s" % (value, ctx.get("ge"))
    elif kind == "less_than_equal":
        text = "%r is greater than the maximum of %s" % (value, ctx.get("le"))
    else:
        text = error.get("msg", "is not valid")
    return ".".join(path), text


def _parameter_problem(error: dict) -> str:
    name = str(error["loc"][1]) if len(error["loc"]) > 1 else "?"
    kind = error["type"]
    if kind in _TYPE_NAMES:
        return 'Parameter "%s" is not of type %s' % (name, _TYPE_NAMES[kind])
    if kind in ("literal_error", "enum"):
        expected = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        return 'Parameter "%s" must be one of %s.' % (name, ", ".join(expected))
    if kind == "missing":
        return 'Parameter "%s" is required' % name
    return 'Parameter "%s": %s' % (name, error.get("msg", "is not valid"))


def validation_faultstring(found: list[dict]) -> str:
    """One faultstring for every problem of a request (sorted by where they are)."""
    problems = []
    for error in sorted(found, key=lambda e: [str(p) for p in e["loc"]]):
        if error["loc"] and error["loc"][0] == "body":
            where, text = _body_problem(error)
            problems.append('"%s": %s' % (where, text) if where else text)
        else:
            problems.append(_parameter_problem(error))
    problems = list(dict.fromkeys(problems))
    if len(problems) == 1:
        return problems[0]
    return "The request has %d problems:\n%s" % (len(problems), "\n".join("  - %s" % p for p in problems))


# -- handlers ----------------------------------------------------------------------------


def _path_table(app: FastAPI) -> list[tuple[re.Pattern, list[str]]]:
    """(path regex, methods) of every path the app's OpenAPI document declares."""
    table = getattr(app.state, "path_table", None)
    if table is None:
        table = []
        for template, operations in app.openapi()["paths"].items():
            pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
            table.append((re.compile("^%s$" % pattern), sorted(m.upper() for m in operations)))
        app.state.path_table = table
    return table


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the app takes at ``path`` (``/v1`` as ``/api/v1``)."""
    if path.startswith("/v1/") or path == "/v1":
        path = "/api" + path
    methods: set[str] = set()
    for regex, declared in _path_table(app):
        if regex.match(path):
            methods.update(declared)
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Render every error as ``{"faultstring": ...}`` with StackStorm's status codes."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return fault(400, validation_faultstring(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if isinstance(exc, ApiError):
            return fault(exc.status, exc.faultstring, exc.headers)
        if exc.status_code == 404:
            return fault(404, ROUTE_NOT_FOUND)
        if exc.status_code == 405:
            allowed = ", ".join(allowed_methods(request.app, request.url.path))
            return fault(405, METHOD_NOT_ALLOWED % (request.method, allowed), {"Allow": allowed})
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return fault(exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(errors.WfopsError)
    async def _refused(request: Request, exc: errors.WfopsError):
        # st2's body; the error's class beside it, for wfops's own clients.
        return fault(exc.http_status, exc.message, {ERROR_CLASS_HEADER: type(exc).__name__})

    @app.exception_handler(EngineUnavailable)
    async def _unavailable(request: Request, exc: EngineUnavailable):
        return fault(503, str(exc))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        LOG.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return fault(500, INTERNAL_ERROR)
