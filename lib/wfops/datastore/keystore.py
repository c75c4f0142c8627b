"""The datastore over the host's SQLite store, with ``st2 key`` semantics.

Every method answers StackStorm's KeyValuePair API shape (:func:`naming.api_shape`), so
the ``/api/v1/keys`` endpoints are a thin adapter: ``GET /keys`` is :meth:`Datastore.list`,
``GET /keys/{name}`` :meth:`~Datastore.get`, ``PUT /keys/{name}`` :meth:`~Datastore.set`,
``DELETE /keys/{name}`` :meth:`~Datastore.delete`; ``st2 key load`` is
:meth:`~Datastore.load`. ``requester`` is the user acting; a user-scoped key belongs to
``user`` when given, else to the requester. As on StackStorm without RBAC, any user may
name another user and decrypt secrets.

Scopes as StackStorm's API takes them: ``get``, ``set`` and ``delete`` default to the
system scope (``all`` means system there), and naming a ``user`` for ``get``, ``delete``
or ``list`` selects the user scope; ``list`` defaults to the system scope (``st2 key list``
and ``wfops key list`` ask for ``all``: system keys plus the user's own).

TTL: a key set with ``ttl`` expires that many seconds later: from then on no read sees it,
and the next write removes it (StackStorm's MongoDB removes it within about a minute).
Setting a key again without ``ttl`` clears its expiry, as on StackStorm.

Secrets: ``secret=True`` encrypts the value before it is stored (:mod:`crypto`; the key is
created under the home on first need); reads show the ciphertext with ``encrypted: true``
unless ``decrypt`` is asked. ``encrypted=True`` stores a value that is already encrypted
with this datastore's key, after checking that it decrypts.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from wfops import errors, ids
from wfops.datastore import crypto
from wfops.datastore.naming import (
    ALL,
    SYSTEM,
    USER,
    DatastoreError,
    KeyNotFound,
    api_shape,
    check_name,
    checked_key,
    expression_key,
    full_scope,
    key_reference,
    read_scope,
)
from wfops.store.database import Store
from wfops.timestamps import now_iso

_LIVE = "(expire_timestamp IS NULL OR expire_timestamp > ?)"


class Datastore:
    """Key-value pairs in ``store``; secrets encrypted with the key under ``home``.
    ``clock`` gives the time in epoch seconds (TTLs)."""

    def __init__(self, store: Store, home: str, *, clock: Callable[[], float] = time.time):
        self.store = store
        self.home = home
        self.clock = clock
        self._owns_store = False

    @classmethod
    def for_store(cls, store: Store) -> "Datastore":
        """The datastore of a host's store (its home is the store's directory)."""
        return cls(store, os.path.dirname(os.path.abspath(store.path)))

    @classmethod
    def open(cls, home: str) -> "Datastore":
        """The datastore of the host whose state directory is ``home``; close it after use."""
        os.makedirs(home, exist_ok=True)
        datastore = cls(Store(os.path.join(home, "wfops.db")), home)
        datastore._owns_store = True
        return datastore

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    # -- reading -------------------------------------------------------------------------

    def _row(self, scope: str, reference: str) -> dict | None:
        rows = self.store.read(
            "SELECT * FROM key_value_pairs WHERE scope = ? AND name = ? AND " + _LIVE,
            (scope, reference, self.clock()),
        )
        return rows[0] if rows else None

    def _shape(self, row: dict, decrypt: bool) -> dict:
        if row["secret"] and decrypt:
            return api_shape(row, crypto.decrypt(self._existing_key(), row["value"], row["name"]), False)
        return api_shape(row, row["value"], bool(row["secret"]))

    def _existing_key(self) -> crypto.CryptoKey:
        key = crypto.read_key(self.home)
        if key is None:
            raise DatastoreError(
                "The datastore key file %s is missing, so no secret value can be decrypted (it "
                "is created when the first secret is set)." % crypto.key_path(self.home)
            )
        return key

    def get(self, name: str, *, requester: str, scope: str | None = None, user: str | None = None,
            decrypt: bool = False) -> dict:
        """One key; KeyNotFound when it does not exist or has expired. O(log keys)."""
        scope = read_scope(scope, user)
        reference = key_reference(scope, check_name(name), user or requester)
        row = self._row(scope, reference)
        if row is None:
            raise KeyNotFound(not_found_message(name, scope, user or requester), scope=scope,
                              reference=reference)
        return self._shape(row, decrypt)

    def list(self, *, requester: str, prefix: str | None = None, scope: str | None = None,
             user: str | None = None, decrypt: bool = False) -> list[dict]:
        """Keys whose name starts with ``prefix``: system keys, then the user's, each by
        name. O(keys matched)."""
        resolved = USER if user else full_scope(scope, allow_all=True)
        owner = user or requester
        found = []
        for current in (SYSTEM, USER):
            if resolved not in (ALL, current):
                continue
            start = key_reference(current, prefix or "", owner)
            found += self.store.read(
                "SELECT * FROM key_value_pairs WHERE scope = ? AND substr(name, 1, ?) = ? AND "
                + _LIVE + " ORDER BY name",
                (current, len(start), start, self.clock()),
            )
        return [self._shape(row, decrypt) for row in found]

    def lookup(self, key: str, *, user: str, decrypt: bool = False) -> str:
        """What ``st2kv(key)`` answers for ``user``: the value of ``system.<name>`` or of
        the user's key ``key``; a secret's ciphertext unless ``decrypt``."""
        return self.reveal(self.stored(key, user=user), decrypt)

    def stored(self, key: str, *, user: str) -> dict:
        """The row ``st2kv(key)`` reads for ``user``, as stored: ``value`` (a secret's
        ciphertext), ``secret``, ``name``; KeyNotFound when there is none. O(log keys)."""
        scope, reference = expression_key(key, user)
        row = self._row(scope, reference)
        if row is None:
            raise KeyNotFound('The key "%s" does not exist in the StackStorm datastore.' % reference,
                              scope=scope, reference=reference)
        return {"value": row["value"], "secret": bool(row["secret"]), "name": row["name"]}

    def reveal(self, stored: dict, decrypt: bool) -> str:
        """A :meth:`stored` row's value for an expression: decrypted when it is a secret and
        ``decrypt`` is asked for."""
        if stored["secret"] and decrypt:
            return crypto.decrypt(self._existing_key(), stored["value"], stored["name"])
        return stored["value"]

    # -- writing -------------------------------------------------------------------------

    def _prepare(self, name: Any, value: Any, *, requester: str, scope: Any, user: Any, secret: Any,
                 encrypted: Any, ttl: Any, description: Any, now: float) -> dict:
        """The row that setting this key writes; DatastoreError listing every problem."""
        name, resolved, expires = checked_key(name, value, scope=scope, secret=secret, encrypted=encrypted,
                                              ttl=ttl, description=description, now=now)
        stored = value
        if encrypted:
            crypto.decrypt(self._encrypted_key(name), value, name)  # refuses what does not verify
        elif secret:
            stored = crypto.encrypt(crypto.load_or_create_key(self.home), value)
        return {
            "scope": resolved,
            "name": key_reference(resolved, name, user or requester),
            "value": stored,
            "secret": 1 if (secret or encrypted) else 0,
            "description": description,
            "expire_timestamp": expires,
        }

    def _encrypted_key(self, name: str) -> crypto.CryptoKey:
        key = crypto.read_key(self.home)
        if key is None:
            raise DatastoreError(
                'Key "%s" is given as already encrypted, but this datastore has no key yet (%s): '
                "copy the key it was encrypted with there, or set the plain value with --encrypt."
                % (name, crypto.key_path(self.home))
            )
        return key

    def _write(self, rows: list[dict], now: float) -> list[dict]:
        stamp = now_iso()
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM key_value_pairs WHERE expire_timestamp <= ?", (now,))
            for row in rows:
                existing = conn.execute(
                    "SELECT id, created FROM key_value_pairs WHERE scope = ? AND name = ?",
                    (row["scope"], row["name"]),
                ).fetchone()
                row["id"], row["created"] = (existing[0], existing[1]) if existing else (ids.new_id(), stamp)
                row["updated"] = stamp
                conn.execute(
                    "INSERT OR REPLACE INTO key_value_pairs (id, scope, name, value, secret, "
                    "description, expire_timestamp, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    tuple(row[c] for c in ("id", "scope", "name", "value", "secret", "description",
                                           "expire_timestamp", "created", "updated")),
                )
        return [api_shape(row, row["value"], bool(row["secret"])) for row in rows]

    def set(self, name: str, value: str, *, requester: str, scope: str | None = None,
            user: str | None = None, secret: bool = False, encrypted: bool = False,
            ttl: int | None = None, description: str | None = None) -> dict:
        """Create or replace a key (``PUT /keys/{name}``); answers it as stored."""
        now = self.clock()
        row = self._prepare(name, value, requester=requester, scope=scope, user=user, secret=secret,
                            encrypted=encrypted, ttl=ttl, description=description, now=now)
        return self._write([row], now)[0]

    def load(self, items: list[dict], *, requester: str) -> list[dict]:
        """Set every item (``name``, ``value``, and optionally ``scope``, ``user``,
        ``secret``, ``encrypted``, ``ttl``, ``description``) in one transaction, or none:
        DatastoreError lists every item's problems first. Values must be strings already
        (:func:`wfops.datastore.load_file.read_items` converts them when asked)."""
        from wfops.datastore.load_file import item_label, shape_problems

        now = self.clock()
        rows, problems = [], []
        for position, item in enumerate(items, 1):
            found = shape_problems(position, item)
            if found:
                problems += found
                continue
            try:
                rows.append(self._prepare(
                    item["name"], item["value"], requester=requester, scope=item.get("scope"),
                    user=item.get("user"), secret=item.get("secret", False),
                    encrypted=item.get("encrypted", False), ttl=item.get("ttl"),
                    description=item.get("description"), now=now))
            except DatastoreError as e:
                problems += ["%s: %s" % (item_label(position, item), p) for p in (e.problems or [e.message])]
        errors.collect(problems, DatastoreError,
                       header="Nothing was loaded; %d problem(s):" % len(problems) if problems else "")
        return self._write(rows, now)

    def delete(self, name: str, *, requester: str, scope: str | None = None,
               user: str | None = None) -> dict:
        """Remove a key; answers it as it was. KeyNotFound when there is none."""
        scope = read_scope(scope, user)
        reference = key_reference(scope, check_name(name), user or requester)
        now = self.clock()
        with self.store.transaction() as conn:
            row = self._row(scope, reference)
            if row is None:
                raise KeyNotFound(not_found_message(name, scope, user or requester), scope=scope,
                                  reference=reference)
            conn.execute("DELETE FROM key_value_pairs WHERE scope = ? AND name = ?", (scope, reference))
            conn.execute("DELETE FROM key_value_pairs WHERE expire_timestamp <= ?", (now,))
        return api_shape(row, row["value"], bool(row["secret"]))


def not_found_message(name: str, scope: str, user: str) -> str:
    """wfops's words for a missing key ``name`` of full scope ``scope`` (owned by ``user``
    in the user scope)."""
    owner = ' of user "%s"' % user if scope == USER else ""
    return ('Key "%s"%s is not found in scope %s (it may have expired); `wfops key list` shows '
            "the keys there are." % (name, owner, scope))
