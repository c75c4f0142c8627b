"""What the API's routes share: the session, the engine thread, and st2's conventions for
ids, pages, projections and who acts.

Reads go to the store from the calling (request) thread. The routes act through the
operations (:class:`wfops.operations.Operations`), whose work on the engine runs on the
engine thread (:class:`wfops.api.engine_thread.EngineThread`).
"""

from __future__ import annotations

import datetime
import re
import threading
from typing import Annotated, Any, Callable

from fastapi import Depends, Request

from wfops.api import resources
from wfops.api.edge import KEY_USER
from wfops.api.faults import MAX_INT, NOT_FOUND_ID, ApiError
from wfops.operations import Operations

OPERATION_TIMEOUT_SECONDS = 120.0

INCLUDE_AND_EXCLUDE = (
    "exclude_fields and include_fields arguments are mutually exclusive. "
    "You need to provide either one or another, but not both."
)


class ApiService:
    def __init__(self, session, engine_thread):
        self.session = session
        self.store = session.store
        self.registry = session.registry
        self.engine_thread = engine_thread
        # Every operation of the API's routes; this process serves its executions.
        self.ops = Operations(session, serving=True, on_engine=self.on_engine)
        self.stopping = threading.Event()  # set when the server shuts down: streams end

    # -- executions ----------------------------------------------------------------------

    def execution(self, execution_id: str) -> dict:
        record = self.store.get_execution(execution_id)
        if record is None:
            raise ApiError(404, NOT_FOUND_ID % execution_id)
        return record

    def doc(self, record_or_id) -> dict:
        record = record_or_id if isinstance(record_or_id, dict) else self.execution(record_or_id)
        return resources.execution_doc(self.store, self.registry, record)

    def descendants(self, execution_id: str) -> list[dict]:
        found, pending = [], list(self.store.child_executions(execution_id))
        while pending:
            record = pending.pop(0)
            found.append(record)
            pending += self.store.child_executions(record["id"])
        return found

    # -- who acts, the engine ------------------------------------------------------------

    def user(self, request: Request, named: str | None) -> str:
        """Who acts (see :mod:`wfops.api.auth`): the user the request's API key is bound to;
        else the user the request names; else the user running the server."""
        return request.scope.get(KEY_USER) or named or self.session.user

    def on_engine(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.engine_thread.call(fn, *args, timeout=OPERATION_TIMEOUT_SECONDS)


# -- st2's query conventions --------------------------------------------------------------


def projection(include: list[str] | None, exclude: list[str] | None, excludable: tuple[str, ...] | None):
    """The function that cuts a document down to ``include_attributes`` /
    ``exclude_attributes`` (each a list of comma-separated values)."""
    include = resources.split_attributes(include or [])
    exclude = resources.split_attributes(exclude or [])
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


def check_int(name: str, value: int | None) -> int | None:
    if value is not None and abs(value) > MAX_INT:
        raise ApiError(400, 'Parameter "%s" (%s) is more than a 32-bit integer' % (name, value))
    return value


def limit_offset(limit: int | None, offset: int | None, default_limit: int) -> tuple[int | None, int]:
    """st2's paging: (limit or None for all, offset)."""
    limit = check_int("limit", default_limit if limit is None else limit)
    offset = check_int("offset", offset or 0)
    if limit == 0:
        raise ApiError(400, 'Limit, "0" specified, must be a positive number or -1 for full result set.')
    if limit is not None and limit <= -2:
        raise ApiError(400, 'Limit, "%s" specified, must be a positive number.' % limit)
    if offset < 0:
        raise ApiError(400, 'Offset, "%s" specified, must be a positive number.' % offset)
    return (None if limit == -1 else limit), offset


def page(items: list, limit: int | None, offset: int) -> list:
    return items[offset:] if limit is None else items[offset:offset + limit]


def paged_response(items: list, limit: int | None, offset: int):
    """The page of ``items`` as st2 answers a listing: ``X-Total-Count`` (all of them) and,
    with a limit, ``X-Limit``."""
    from fastapi.responses import JSONResponse

    headers = {"X-Total-Count": str(len(items))}
    if limit is not None:
        headers["X-Limit"] = str(limit)
    return JSONResponse(page(items, limit, offset), headers=headers)


def parse_timestamp(text: str | None):
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


def timestamp_query(text: str | None, name: str):
    if not text:
        return None
    value = parse_timestamp(text)
    if value is None:
        raise ApiError(400, 'Parameter "%s" is not a timestamp like "2000-01-01T12:00:00.000Z".' % name)
    return value


def split_list(values: list[str] | None) -> list[str]:
    """st2's array query parameters: repeated and/or comma-separated."""
    return resources.split_attributes(values or [])


def get_service(request: Request) -> ApiService:
    """The routes' dependency: the service of the app that took the request."""
    return request.app.state.service


# A route's parameter ``svc: Service`` is the app's ApiService.
Service = Annotated[ApiService, Depends(get_service)]
