"""The HTTP side of the pack client: st2client's ``Client`` and its HTTP client.

Requests go through st2client (``st2client.client.Client``): its HTTP client adds the
``St2-Api-Key`` / ``X-Auth-Token`` headers and verifies TLS with the configured CA bundle.
Calls are made on that HTTP client directly (rather than through the resource managers)
so that every call has a timeout, wfops's extra endpoints and body fields can be used, and
refusals keep the server's ``faultstring`` word for word.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from wfops.pack_client.settings import ConnectionSettings

DEFAULT_TIMEOUT_SECONDS = 60.0


class ApiError(Exception):
    """The API refused a request (``status`` >= 400) or could not be reached (``status``
    0). ``message`` is the server's faultstring when it sent one."""

    def __init__(self, status: int, message: str, method: str = "", path: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.method = method
        self.path = path

    def __str__(self) -> str:
        return self.message


def quote_segment(value: str) -> str:
    """One URL path segment (an id or a task name such as ``task2[1]``)."""
    return quote(str(value), safe="")


class ApiClient:
    """One API endpoint (``.../api/v1``) reached through st2client."""

    def __init__(self, settings: ConnectionSettings, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        from st2client.client import Client

        self.settings = settings
        self.timeout = timeout
        self.client = Client(
            api_url=settings.api_url,
            api_key=settings.api_key,
            token=settings.auth_token,
            cacert=settings.cacert,
        )
        # st2client's HTTP client for the API endpoint (the same one its resource
        # managers use).
        self.http = self.client.managers["Execution"].client

    @property
    def url(self) -> str:
        return self.settings.api_url

    # -- requests ---------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, query: dict | None = None,
                expect_json: bool = True, timeout: float | None = None) -> Any:
        """``method path`` on the API; the decoded JSON answer (or text). Raises ApiError."""
        import requests

        url = path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        kwargs: dict[str, Any] = {"timeout": timeout or self.timeout}
        if self.settings.api_key:
            kwargs["api_key"] = self.settings.api_key
        elif self.settings.auth_token:
            kwargs["token"] = self.settings.auth_token
        try:
            if method == "GET":
                response = self.http.get(url, **kwargs)
            elif method == "POST":
                response = self.http.post(url, body if body is not None else {}, **kwargs)
            elif method == "PUT":
                response = self.http.put(url, body if body is not None else {}, **kwargs)
            elif method == "DELETE":
                response = self.http.delete(url, **kwargs)
            else:  # pragma: no cover - programming error
                raise ValueError(method)
        except requests.exceptions.SSLError as e:
            raise ApiError(0, "TLS verification of %s failed: %s (see verify_ssl and ca_cert in the "
                              "wfops pack config)." % (self.url, e), method, path) from None
        except requests.exceptions.RequestException as e:
            raise ApiError(0, "Cannot reach the API at %s: %s" % (self.url, e), method, path) from None
        if response.status_code >= 400:
            raise ApiError(response.status_code, _fault(response), method, path)
        if not expect_json:
            return response.text
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(response.status_code, "The API at %s answered %s %s with something that is "
                           "not JSON." % (self.url, method, path), method, path) from None

    def get(self, path: str, **query) -> Any:
        return self.request("GET", path, query=query or None)

    # -- StackStorm's endpoints ----------------------------------------------------------

    def execution(self, execution_id: str) -> dict:
        return self.get("/executions/%s" % quote_segment(execution_id))

    def children(self, execution_id: str, depth: int = -1) -> list[dict]:
        return self.get("/executions/%s/children" % quote_segment(execution_id), depth=depth) or []

    def executions(self, **query) -> list[dict]:
        return self.get("/executions", **query) or []

    def action(self, ref: str) -> dict:
        return self.get("/actions/%s" % quote_segment(ref))

    def entry_point(self, ref: str) -> str:
        """The text of an action's entry point (StackStorm's
        ``GET /actions/views/entry_point/{ref}``; what st2client's
        ``actions.get_entrypoint`` reads)."""
        return self.request("GET", "/actions/views/entry_point/%s" % quote_segment(ref), expect_json=False)


def _fault(response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("faultstring"):
        return str(data["faultstring"])
    text = (response.text or "").strip()
    if text and len(text) < 500 and not text.lstrip().startswith("<"):
        return text
    return "%s %s" % (response.status_code, response.reason or "error")


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
