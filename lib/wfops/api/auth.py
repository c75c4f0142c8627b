"""Optional API keys, checked as StackStorm checks them (``St2-Api-Key`` header, or the
``st2-api-key`` query parameter).

Keys come from ``WFOPS_API_KEYS`` (comma-separated) and from the file ``api_keys`` under
``WFOPS_HOME`` (one key per line; blank lines and ``#`` comments ignored). With no key
configured the API is open, which is why ``wfops serve`` binds to 127.0.0.1 by default.
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


class ApiKeys:
    """The configured keys; ``check`` answers None when a request may go on, else the
    faultstring of the 401."""

    def __init__(self, keys: list[str]):
        self._hashes = {_hash(k) for k in keys if k}

    @classmethod
    def load(cls, home: str) -> "ApiKeys":
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
        return cls(keys)

    @property
    def enabled(self) -> bool:
        return bool(self._hashes)

    def check(self, header_key: str | None, query_key: str | None) -> str | None:
        if not self.enabled:
            return None
        given = header_key or query_key
        if not given:
            return NO_CREDENTIALS
        digest = _hash(given)
        if any(hmac.compare_digest(digest, known) for known in self._hashes):
            return None
        return UNKNOWN_KEY % digest


def _hash(value: str) -> str:
    # st2common.util.hash.hash: SHA-512 of a fixed salt and the key.
    sha512 = hashlib.sha512()
    sha512.update(b"saltnpepper")
    sha512.update(value.encode("utf-8", "surrogateescape"))
    return sha512.hexdigest()
