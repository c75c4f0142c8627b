"""Optional API keys, checked as StackStorm checks them (``St2-Api-Key`` header, or the
``st2-api-key`` query parameter).

Keys come from ``WFOPS_API_KEYS`` (comma-separated) and from the file ``api_keys`` under
``WFOPS_HOME`` (one key per line; blank lines and ``#`` comments ignored). With no key
configured the API is open, which is why ``wfops serve`` binds to 127.0.0.1 by default.

An action's ``ST2_ACTION_AUTH_TOKEN`` (``wfops.action_tokens``), sent as st2client sends a
token (``X-Auth-Token`` header or ``x-auth-token`` query parameter), is accepted instead of
a key while its execution is not completed, and acts as that execution's user.

A key may be bound to a user as ``KEY:USER`` (split at the last colon, so an unbound key
that contains a colon is written ``KEY:``): requests made with it act as that user,
whatever user they name, as StackStorm's API keys belong to their user. A request with an unbound key, or to an open API, acts as the user it names
(``user`` in the body, or in the query of a DELETE), else as the user running the server.
"""

from __future__ import annotations

import hashlib
import hmac
import os

KEYS_ENV = "WFOPS_API_KEYS"
KEYS_FILE = "api_keys"

# StackStorm's wording (st2common.router / st2common.persistence.auth).
NO_CREDENTIALS = "Unauthorized - One of Token or API key required."
UNKNOWN_KEY = "Unauthorized - ApiKey with key_hash=%s not found."
UNKNOWN_TOKEN = "Unauthorized - Token not found."
EXPIRED_TOKEN = "Unauthorized - Token has expired."


class ActionTokens:
    """The tokens of the executions of one home's store: valid while the execution
    they were minted for is not completed."""

    def __init__(self, home: str, store):
        self.home, self.store = home, store

    def _record(self, token: str) -> dict | None:
        from wfops import action_tokens

        execution_id = action_tokens.execution_of(self.home, token)
        return self.store.get_execution(execution_id) if execution_id else None

    def refusal(self, token: str) -> str | None:
        """None when ``token`` may act now, else the 401's faultstring."""
        from wfops import statuses

        record = self._record(token)
        if record is None:
            return UNKNOWN_TOKEN
        return EXPIRED_TOKEN if record["status"] in statuses.COMPLETED else None

    def user_for(self, token: str) -> str | None:
        """The user of the execution ``token`` belongs to, if it may act now."""
        record = self._record(token) if self.refusal(token) is None else None
        return (record["context"].get("user") or None) if record else None


class ApiKeys:
    """The configured keys; ``check`` answers None when a request may go on, else the
    faultstring of the 401."""

    def __init__(self, keys: list[str], tokens: ActionTokens | None = None):
        self.tokens = tokens
        # key hash -> the user the key is bound to ("" when unbound)
        self._users: dict[str, str] = {}
        for entry in keys:
            key, user = _split_entry(entry)
            if key:
                self._users[_hash(key)] = user

    @classmethod
    def load(cls, home: str, tokens: ActionTokens | None = None) -> "ApiKeys":
        keys = [k.strip() for k in os.environ.get(KEYS_ENV, "").split(",") if k.strip()]
        path = os.path.join(home, KEYS_FILE)
        try:
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    line = line.split("#", 1)[0].strip()
                    if line:
                        keys.append(line)
        except FileNotFoundError:
            pass
        return cls(keys, tokens)

    @property
    def enabled(self) -> bool:
        return bool(self._users)

    def check(self, header_key: str | None, query_key: str | None, token: str | None = None) -> str | None:
        if not self.enabled:
            return None
        given = header_key or query_key
        if not given and token and self.tokens is not None:
            return self.tokens.refusal(token)
        if not given:
            return NO_CREDENTIALS
        if self._known(given) is not None:
            return None
        return UNKNOWN_KEY % _hash(given)

    def user_for(self, header_key: str | None, query_key: str | None, token: str | None = None) -> str | None:
        """The user the (valid) key of a request is bound to, or whose execution's
        (valid) token it carries, or None."""
        given = header_key or query_key
        if not given and token and self.tokens is not None:
            return self.tokens.user_for(token)
        if not self.enabled or not given:
            return None
        return self._known(given) or None

    def _known(self, key: str) -> str | None:
        """The bound user ("" if none) of a configured key; None for an unknown key."""
        digest = _hash(key)
        found = None
        for known, user in self._users.items():
            if hmac.compare_digest(digest, known):  # every entry compared: no early exit
                found = user
        return found


def _split_entry(entry: str) -> tuple[str, str]:
    key, colon, user = entry.strip().rpartition(":")
    if not colon:
        return user.strip(), ""
    return key.strip(), user.strip()


def _hash(value: str) -> str:
    # st2common.util.hash.hash: SHA-512 of a fixed salt and the key.
    sha512 = hashlib.sha512()
    sha512.update(b"saltnpepper")
    sha512.update(value.encode("utf-8", "surrogateescape"))
    return sha512.hexdigest()
