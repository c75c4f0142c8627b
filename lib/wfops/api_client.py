"""One HTTP client of the StackStorm-compatible REST API (``wfops serve`` or StackStorm's
st2api), for the command line's ``--url`` mode (:mod:`wfops.cli.remote`) and the pack's
actions and sensor (:mod:`wfops.pack_client.api`).

Standard library only (``urllib``), and Python 3.8 compatible: StackStorm runs the pack's
actions in a pack virtualenv on its own Python with only the pack's requirements.txt.

Authentication as st2client sends it: ``St2-Api-Key`` (an API key) or ``X-Auth-Token``
(a token). TLS is verified with the system trust store, a CA bundle, or (``cacert=False``)
not at all. Every call has a timeout. A refusal raises :class:`ApiError` with the server's
status and its ``faultstring`` word for word; a server that cannot be reached raises it
with status 0.
"""

from __future__ import annotations

import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, Optional, Tuple, Union

DEFAULT_TIMEOUT_SECONDS = 60.0


class ApiError(Exception):
    """The API refused a request (``status`` >= 400) or could not be reached (``status``
    0). ``message`` is the server's faultstring when it sent one."""

    def __init__(self, status: int, message: str, method: str = "", path: str = "",
                 error_class: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.method = method
        self.path = path
        self.error_class = error_class  # a wfops server's error class (its Wfops-Error header)

    def __str__(self) -> str:
        return self.message


def quote_segment(value: Any) -> str:
    """One URL path segment (an id, or a task name such as ``task2[1]``)."""
    return urllib.parse.quote(str(value), safe="")


class ApiClient:
    """One API endpoint (``.../api/v1``).

    ``name`` and ``shown_url`` word the "cannot reach" error (``Cannot reach the API at
    URL: reason``); ``tls_hint`` is added to a TLS verification failure."""

    def __init__(self, api_url: str, *, api_key: Optional[str] = None, auth_token: Optional[str] = None,
                 cacert: Union[str, bool] = True, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 name: str = "the API", shown_url: Optional[str] = None, tls_hint: str = ""):
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.auth_token = None if api_key else auth_token
        self.timeout = timeout
        self.name = name
        self.shown_url = shown_url or self.api_url
        self.tls_hint = tls_hint
        self._context = _ssl_context(cacert) if self.api_url.startswith("https:") else None

    def request(self, method: str, path: str, body: Any = None, query: Optional[Dict[str, Any]] = None,
                expect_json: bool = True, timeout: Optional[float] = None) -> Any:
        """``method path`` on the API: the decoded JSON answer (None when empty), or the
        text with ``expect_json=False``. Raises ApiError."""
        url = self.api_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        data = None
        if body is not None or method in ("POST", "PUT"):
            data = json.dumps({} if body is None else body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.api_key:
            request.add_header("St2-Api-Key", self.api_key)
        elif self.auth_token:
            request.add_header("X-Auth-Token", self.auth_token)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout, context=self._context) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
            if status >= 400:
                raise ApiError(status, _fault(status, text), method, path, e.headers.get("Wfops-Error")) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError, ssl.SSLError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, ssl.SSLError):
                raise ApiError(0, "TLS verification of %s failed: %s%s" % (self.shown_url, reason, self.tls_hint),
                               method, path) from None
            raise ApiError(0, "Cannot reach %s at %s: %s." % (self.name, self.shown_url, reason),
                           method, path) from None
        if status >= 400:
            raise ApiError(status, _fault(status, text), method, path)
        if not expect_json:
            return text.decode("utf-8", "replace")
        if not text:
            return None
        try:
            return json.loads(text.decode("utf-8"))
        except ValueError:
            raise ApiError(status, "%s at %s answered %s %s with something that is not JSON."
                           % (self.name[:1].upper() + self.name[1:], self.shown_url, method, path),
                           method, path) from None

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, query=query or None)

    def events(self, stream_url: str, query: Dict[str, Any]) -> Iterator[Tuple[str, Any]]:
        """(event name, decoded data) of each server-sent event of st2's stream at
        ``stream_url`` (``.../stream/v1``) + ``/stream``, until the server ends it."""
        url = stream_url.rstrip("/") + "/stream?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, method="GET")
        if self.api_key:
            request.add_header("St2-Api-Key", self.api_key)
        elif self.auth_token:
            request.add_header("X-Auth-Token", self.auth_token)
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout, context=self._context)
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, _fault(e.code, e.read()), "GET", "/stream") from None
        except (urllib.error.URLError, socket.timeout, ConnectionError, ssl.SSLError) as e:
            raise ApiError(0, "Cannot reach %s at %s: %s." % (self.name, stream_url, getattr(e, "reason", e)),
                           "GET", "/stream") from None
        with response:
            name = ""
            for raw in response:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line.startswith("event:"):
                    name = line[len("event:"):].strip()
                elif line.startswith("data:"):
                    yield name, json.loads(line[len("data:"):].strip())


def _ssl_context(cacert: Union[str, bool]) -> ssl.SSLContext:
    if cacert is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(cacert, str):
        return ssl.create_default_context(cafile=cacert)
    return ssl.create_default_context()


def _fault(status: int, text: bytes) -> str:
    """The refusal's message: its faultstring, else its short text, else the status."""
    try:
        data = json.loads(text.decode("utf-8"))
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("faultstring"):
        return str(data["faultstring"])
    body = text.decode("utf-8", "replace").strip()
    if body and len(body) < 500 and not body.startswith("<"):
        return body
    return "HTTP %d" % status
