"""StackStorm's datastore scopes and key names, and the KeyValuePair API shape (pure).

Keys live in one of two scopes, stored under their full names ``st2kv.system`` and
``st2kv.user`` (``system`` and ``user`` are accepted for them). A user-scoped key is
stored under the reference ``<user>:<name>``, so every user has their own namespace. In
expressions, ``st2kv('system.x')`` names system key ``x`` and ``st2kv('x')`` the
executing user's key ``x``.
"""

from __future__ import annotations

import datetime
from typing import Any

from wfops import errors

SYSTEM = "st2kv.system"
USER = "st2kv.user"
ALL = "all"
_SCOPES = {"system": SYSTEM, SYSTEM: SYSTEM, "user": USER, USER: USER}
USER_SEPARATOR = ":"
RESOURCE_TYPE = "key_value_pair"


class DatastoreError(errors.WfopsError):
    """A datastore request that cannot be carried out (bad scope, TTL, name, value)."""


class KeyNotFound(errors.NotFound):
    """No key of that name in that scope (or it has expired). ``scope`` and ``reference``
    (the stored name, ``<user>:<name>`` in the user scope) say which key was looked for."""

    def __init__(self, message: str, *, scope: str = "", reference: str = ""):
        super().__init__(message)
        self.scope = scope
        self.reference = reference


def full_scope(scope: str | None, *, default: str = SYSTEM, allow_all: bool = False) -> str:
    """The full name of ``scope`` (``system`` -> ``st2kv.system``); ``default`` when it is
    empty; ``all`` only with ``allow_all``. Raises DatastoreError for anything else."""
    if not scope:
        return default
    if allow_all and scope == ALL:
        return ALL
    try:
        return _SCOPES[scope]
    except (KeyError, TypeError):
        allowed = "system, user" + (", all" if allow_all else "")
        raise DatastoreError(
            'Scope "%s" is not valid. Allowed scopes are %s (also written st2kv.system, '
            "st2kv.user)." % (scope, allowed)
        ) from None


def read_scope(scope: str | None, user: str | None) -> str:
    """The full scope that reading or removing one key looks in: the user scope when a
    ``user`` is named, else ``scope`` (default and ``all``: the system scope)."""
    resolved = full_scope(scope, allow_all=True)
    return USER if user else (SYSTEM if resolved == ALL else resolved)


def check_name(name: Any) -> str:
    """``name`` if it can name a key (a non-empty string), else DatastoreError."""
    if not isinstance(name, str) or not name.strip():
        raise DatastoreError("A key needs a name: a non-empty string (got %r)." % (name,))
    return name


def key_reference(scope: str, name: str, user: str | None) -> str:
    """The stored name of key ``name`` in full scope ``scope``: ``name`` in the system
    scope, ``<user>:<name>`` in the user scope."""
    if scope == SYSTEM:
        return name
    if not user:
        raise DatastoreError('A user-scoped key needs a user (key "%s").' % name)
    return "%s%s%s" % (user, USER_SEPARATOR, name)


def split_reference(scope: str, reference: str) -> tuple[str, str | None]:
    """(name, user) of a stored reference: the inverse of :func:`key_reference`."""
    if scope == USER and USER_SEPARATOR in reference:
        user, name = reference.split(USER_SEPARATOR, 1)
        return name, user
    return reference, None


def expression_key(key: Any, user: str) -> tuple[str, str]:
    """(full scope, reference) that ``st2kv(key)`` reads for ``user``: ``system.x`` is
    system key ``x``; any other name is that user's key."""
    if not isinstance(key, str):
        raise TypeError("Given key is not typeof string.")
    if key.startswith("system."):
        return SYSTEM, key[len("system."):]
    return USER, key_reference(USER, key, user)


def expire_at(ttl: Any, now: float) -> float | None:
    """When a key set now with ``ttl`` seconds expires (epoch seconds); None without a
    TTL. Raises DatastoreError unless ``ttl`` is a whole number of seconds > 0."""
    if ttl is None:
        return None
    if isinstance(ttl, str) and ttl.strip().isdigit():
        ttl = int(ttl)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise DatastoreError("TTL must be a whole number of seconds greater than 0 (got %r)." % (ttl,))
    return now + ttl


def checked_key(name: Any, value: Any, *, scope: Any, secret: Any, encrypted: Any, ttl: Any,
                description: Any, now: float) -> tuple[str, str, float | None]:
    """(name, full scope, expiry) of a key set now with these fields; DatastoreError
    listing every problem (name, value not a string, flags, description, scope, TTL).
    Setting in scope ``all`` sets a system key."""
    problems = []
    try:
        name = check_name(name)
    except DatastoreError as e:
        problems.append(e.message)
    if not isinstance(value, str):
        problems.append('The value of key "%s" must be a string, not %s (store JSON text for '
                        "structured data)." % (name, type(value).__name__))
    for flag, text in ((secret, "secret"), (encrypted, "encrypted")):
        if not isinstance(flag, bool):
            problems.append('"%s" must be true or false, not %r.' % (text, flag))
    if description is not None and not isinstance(description, str):
        problems.append('"description" must be a string, not %r.' % (description,))
    resolved = expires = None
    try:
        resolved = full_scope(scope, allow_all=True)
        resolved = SYSTEM if resolved == ALL else resolved
    except DatastoreError as e:
        problems.append(e.message)
    try:
        expires = expire_at(ttl, now)
    except DatastoreError as e:
        problems.append(e.message)
    errors.collect(problems, DatastoreError)
    return name, resolved, expires


def iso_timestamp(epoch: float) -> str:
    """``epoch`` as StackStorm prints timestamps: ISO 8601, UTC, microseconds, ``Z``."""
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def api_shape(row: dict, value: str, encrypted: bool) -> dict:
    """A stored key as StackStorm's KeyValuePair API answers it: ``id``, ``uid``,
    ``name``, ``value``, ``secret``, ``encrypted``, ``scope``, and when they apply
    ``user``, ``description`` and ``expire_timestamp``. ``ttl`` is input only (as on
    StackStorm). ``value`` is the value to show: ciphertext, or plaintext once decrypted."""
    name, user = split_reference(row["scope"], row["name"])
    shaped = {
        "id": row["id"],
        "uid": "%s:%s:%s" % (RESOURCE_TYPE, row["scope"], row["name"]),
        "name": name,
        "value": value,
        "secret": bool(row["secret"]),
        "encrypted": encrypted,
        "scope": row["scope"],
    }
    if user is not None:
        shaped["user"] = user
    if row.get("description"):
        shaped["description"] = row["description"]
    if row.get("expire_timestamp") is not None:
        shaped["expire_timestamp"] = iso_timestamp(row["expire_timestamp"])
    return shaped
