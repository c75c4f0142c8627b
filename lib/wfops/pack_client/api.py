"""The HTTP side of the pack client: :class:`wfops.api_client.ApiClient` (standard library,
the same client as the command line's ``--url`` mode) configured from the pack's
:class:`~wfops.pack_client.settings.ConnectionSettings`, with StackStorm's endpoints the
actions read. Every call has a timeout; refusals keep the server's ``faultstring`` word
for word.
"""

from __future__ import annotations

import json
from typing import Any

from wfops.api_client import DEFAULT_TIMEOUT_SECONDS, ApiError, quote_segment
from wfops.api_client import ApiClient as _HttpClient
from wfops.pack_client.settings import ConnectionSettings

__all__ = ["ApiClient", "ApiError", "DEFAULT_TIMEOUT_SECONDS", "dumps", "quote_segment"]

TLS_HINT = " (see verify_ssl and ca_cert in the wfops pack config)."


class ApiClient(_HttpClient):
    """One API endpoint (``.../api/v1``) of the pack's settings."""

    def __init__(self, settings: ConnectionSettings, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        super().__init__(settings.api_url, api_key=settings.api_key, auth_token=settings.auth_token,
                         cacert=settings.cacert, timeout=timeout, tls_hint=TLS_HINT)
        self.settings = settings

    @property
    def url(self) -> str:
        return self.settings.api_url

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


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
