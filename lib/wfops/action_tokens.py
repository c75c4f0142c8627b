"""``ST2_ACTION_AUTH_TOKEN``: the token StackStorm gives each action so that it can call
the API as the user who ran it, while it runs.

A token is ``<execution id>.<HMAC-SHA256 of the id>`` under a secret kept at
``$WFOPS_HOME/keys/action_token_secret`` (created on first need, owner-only). It is
derived, not stored: an engine that adopts an execution gives its restarted work the
same token, and nothing has to be cleaned up. The API (``wfops.api.auth``) accepts it in
``X-Auth-Token`` (or the ``x-auth-token`` query parameter, as st2) while that execution
is not completed; the request then acts as the execution's user.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets

LABEL = b"wfops-action-token:"


def secret_path(home: str) -> str:
    return os.path.join(home, "keys", "action_token_secret")


@functools.lru_cache(maxsize=16)
def _secret(home: str) -> bytes:
    """The secret of ``home``, read once per process."""
    from wfops.key_files import read_or_create

    return bytes.fromhex(read_or_create(secret_path(home), lambda: secrets.token_hex(32)).strip())


def _signature(secret: bytes, execution_id: str) -> str:
    return hmac.new(secret, LABEL + execution_id.encode("utf-8"), hashlib.sha256).hexdigest()


def mint(home: str, execution_id: str) -> str:
    """The token of execution ``execution_id`` (the same each time). O(1)."""
    return "%s.%s" % (execution_id, _signature(_secret(home), execution_id))


def execution_of(home: str, token: str) -> str | None:
    """The execution id a genuine ``token`` was minted for, else None (compared in
    constant time). O(1)."""
    execution_id, dot, signature = (token or "").strip().partition(".")
    if not dot or not execution_id or not signature:
        return None
    if not os.path.exists(secret_path(home)):
        return None  # no token was ever minted here
    expected = _signature(_secret(home), execution_id)
    return execution_id if hmac.compare_digest(expected, signature) else None
