"""What every request meets before its route: the ASGI middleware of ``wfops serve``.

In this order: a path's trailing slash is dropped (st2client asks for ``/rules/?limit=50``);
API keys are checked (:mod:`wfops.api.auth`; before anything is read, for every path under
the API's prefixes but the public ones); a body larger than the limit is refused (413,
drained up to a bound so that a client still sending gets the answer), a chunked one too
(411); the body of a POST, PUT or PATCH must be JSON that JSON can carry
(:func:`wfops.api.faults.parse_json`: 400 otherwise) and goes on as ``application/json``
whatever Content-Type it came with; HEAD is answered as GET without the body.
"""

from __future__ import annotations

import os
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

from wfops.api.faults import ApiError, fault, parse_json

MAX_BODY_BYTES = int(os.environ.get("WFOPS_API_MAX_BODY", str(1024 * 1024)))
MAX_DRAIN_BYTES = 16 * 1024 * 1024
PREFIXES = ("/api/v1", "/v1", "/stream/v1")
KEY_USER = "wfops.key_user"   # scope key: the user the request's API key is bound to

Scope = dict[str, Any]
App = Callable[[Scope, Callable, Callable], Awaitable[None]]


class Edge:
    """ASGI middleware around the FastAPI app."""

    def __init__(self, app: App, keys, public_paths: frozenset[str], max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.keys = keys
        self.public_paths = public_paths  # reachable without an API key: nothing in them is private
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope["path"] = path = path.rstrip("/") or "/"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if any(path == p or path.startswith(p + "/") for p in PREFIXES) and path not in self.public_paths:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            header_key = headers.get("st2-api-key")
            query_key = (query.get("st2-api-key") or [None])[-1]
            token = headers.get("x-auth-token") or (query.get("x-auth-token") or [None])[-1]
            refusal = self.keys.check(header_key, query_key, token)
            if refusal is not None:
                await self._refuse(scope, receive, send, 401, refusal, headers)
                return
            scope[KEY_USER] = self.keys.user_for(header_key, query_key, token)
        refused = self._body_refusal(headers)
        if refused is not None:
            await self._refuse(scope, receive, send, *refused, headers, drain=refused[0] == 413)
            return
        if scope["method"] in ("POST", "PUT", "PATCH") and headers.get("content-length", "0") != "0":
            body = await _read_body(receive)
            try:
                parse_json(body)
            except ApiError as e:
                await fault(e.status, e.faultstring)(scope, receive, send)
                return
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"] + [
                (b"content-type", b"application/json")]
            receive = _replay(body, receive)
        if scope["method"] == "HEAD":
            scope["method"] = "GET"
            await self.app(scope, receive, _without_body(send))
            return
        await self.app(scope, receive, send)

    def _body_refusal(self, headers: dict[str, str]) -> tuple[int, str] | None:
        if headers.get("transfer-encoding", "").lower() not in ("", "identity"):
            return 411, "Chunked request bodies are not supported: send a Content-Length."
        length_text = headers.get("content-length")
        if not length_text:
            return None
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError(length_text)
        except ValueError:
            return 400, 'Invalid Content-Length header "%s".' % length_text
        if length > self.max_body:
            return 413, "Request body too large: %d bytes; the limit is %d bytes." % (length, self.max_body)
        return None

    async def _refuse(self, scope, receive, send, status: int, message: str, headers: dict[str, str],
                      drain: bool = False) -> None:
        """Answer before the route; the body (if any) is read and dropped first when it is
        small (the connection stays usable), else the connection is closed."""
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            length = -1
        close = bool(headers.get("transfer-encoding")) or length < 0 or length > self.max_body
        if length > 0 and (length <= self.max_body or (drain and length <= MAX_DRAIN_BYTES)):
            remaining = length
            while remaining > 0:
                message_in = await receive()
                if message_in["type"] != "http.request":
                    break
                remaining -= len(message_in.get("body", b""))
                if not message_in.get("more_body"):
                    break
        response = fault(status, message, {"Connection": "close"} if close else None)
        await response(scope, receive, send)


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive):
    """A ``receive`` that gives the app ``body`` (already read), then the connection's."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _without_body(send):
    async def send_headers_only(message: dict) -> None:
        if message["type"] == "http.response.body":
            message = dict(message, body=b"")
        await send(message)

    return send_headers_only
