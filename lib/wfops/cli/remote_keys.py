"""``wfops key ... --url``: the datastore of a ``wfops serve`` server (or StackStorm's
st2api), through its ``/keys`` API (:mod:`wfops.api_client`, by way of
:class:`wfops.cli.remote.ApiClient`).

:class:`RemoteDatastore` answers what :class:`wfops.datastore.keystore.Datastore` answers,
so the ``wfops key`` handlers print the same in both modes. The user acting is the
client's (``--user``, else the login name), as for the other remote commands: it is sent
as the key's ``user`` wherever a user-scoped key is meant. A missing key is reported in
the local store's words. ``load`` checks every item first and sets none when one is
wrong; the server then sets them one by one (as ``st2 key load`` does), so an item it
refuses (a pre-encrypted value its key does not verify) stops the load there, and the
error names the items already set.
"""

from __future__ import annotations

import os
import time

from wfops import errors
from wfops.api_client import quote_segment
from wfops.cli.remote import API_KEY_ENV, ApiClient, ServerError
from wfops.datastore.load_file import item_label, shape_problems
from wfops.datastore.naming import (
    ALL,
    SYSTEM,
    USER,
    DatastoreError,
    KeyNotFound,
    checked_key,
    full_scope,
    read_scope,
)


class RemoteDatastore:
    def __init__(self, url: str):
        self.client = ApiClient(url, api_key=os.environ.get(API_KEY_ENV) or None)

    def close(self) -> None:
        pass

    def _one(self, method: str, name: str, scope: str | None, user: str | None, requester: str, **query):
        """``method /keys/{name}`` for the key ``name`` of ``scope`` (``user``'s, or the
        requester's, in the user scope); the local store's KeyNotFound on a 404."""
        from wfops.datastore.keystore import not_found_message

        resolved = read_scope(scope, user)  # a bad scope is refused here, as locally
        owner = user or requester
        params = dict(query, scope=resolved, user=owner if resolved == USER else None)
        try:
            return self.client.request(method, "/keys/%s" % quote_segment(name), query=params)
        except ServerError as e:
            if e.status == 404:
                raise KeyNotFound(not_found_message(name, resolved, owner)) from None
            raise

    def get(self, name: str, *, requester: str, scope: str | None = None, user: str | None = None,
            decrypt: bool = False) -> dict:
        return self._one("GET", name, scope, user, requester, decrypt=str(bool(decrypt)).lower())

    def delete(self, name: str, *, requester: str, scope: str | None = None, user: str | None = None) -> dict:
        found = self.get(name, requester=requester, scope=scope, user=user)
        self._one("DELETE", name, scope, user, requester)
        return found

    def list(self, *, requester: str, prefix: str | None = None, scope: str | None = None,
             user: str | None = None, decrypt: bool = False) -> list[dict]:
        """System keys, then the user's (``user``'s, else the requester's)."""
        resolved = USER if user else full_scope(scope, allow_all=True)
        found: list[dict] = []
        for current in (SYSTEM, USER):
            if resolved in (ALL, current):
                found += self.client.request("GET", "/keys", query={
                    "prefix": prefix or None, "scope": current, "decrypt": str(bool(decrypt)).lower(),
                    "user": (user or requester) if current == USER else None, "limit": -1}) or []
        return found

    def set(self, name: str, value: str, *, requester: str, scope: str | None = None,
            user: str | None = None, secret: bool = False, encrypted: bool = False,
            ttl: int | str | None = None, description: str | None = None) -> dict:
        name, resolved, _ = checked_key(name, value, scope=scope, secret=secret, encrypted=encrypted, ttl=ttl,
                                        description=description, now=time.time())
        body = {"name": name, "value": value, "scope": resolved, "user": user or requester,
                "secret": secret, "encrypted": encrypted}
        if ttl is not None:
            body["ttl"] = int(ttl)
        if description is not None:
            body["description"] = description
        return self.client.request("PUT", "/keys/%s" % quote_segment(name), body=body)

    def load(self, items: list, *, requester: str) -> list[dict]:
        problems = []
        for position, item in enumerate(items, 1):
            found = shape_problems(position, item)
            if not found:
                try:
                    checked_key(item["name"], item["value"], scope=item.get("scope"),
                                secret=item.get("secret", False), encrypted=item.get("encrypted", False),
                                ttl=item.get("ttl"), description=item.get("description"), now=time.time())
                except DatastoreError as e:
                    found = ["%s: %s" % (item_label(position, item), p) for p in (e.problems or [e.message])]
            problems += found
        errors.collect(problems, DatastoreError,
                       header="Nothing was loaded; %d problem(s):" % len(problems) if problems else "")
        loaded: list[dict] = []
        for position, item in enumerate(items, 1):
            try:
                loaded.append(self.set(item["name"], item["value"], requester=requester, scope=item.get("scope"),
                                       user=item.get("user"), secret=item.get("secret", False),
                                       encrypted=item.get("encrypted", False), ttl=item.get("ttl"),
                                       description=item.get("description")))
            except errors.WfopsError as e:
                done = ", ".join(i["name"] for i in loaded) or "none"
                raise DatastoreError("The server refused %s: %s (items set before it: %s; the rest were not "
                                     "sent)." % (item_label(position, item), e, done)) from None
        return loaded
