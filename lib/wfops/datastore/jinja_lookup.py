"""The datastore as StackStorm's Jinja contexts show it (``{{ st2kv.system.name }}``,
``{{ st2kv.user.name }}``, and the older ``{{ system.name }}``): an object per scope whose
attributes (or items) are keys, dotted names chained (``st2kv.system.a.b`` reads key
``a.b``); a key renders as its value, a missing one as an empty string, as in StackStorm.
Secrets render as stored (their ciphertext). Used by action chains."""

from __future__ import annotations


class KeyLookup:
    """Key ``prefix`` (and the keys under it) of one scope of ``datastore``."""

    def __init__(self, datastore, scope: str, user: str, prefix: str = ""):
        self._datastore, self._scope, self._user, self._prefix = datastore, scope, user, prefix

    def __getattr__(self, name: str) -> "KeyLookup":
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> "KeyLookup":
        key = "%s.%s" % (self._prefix, name) if self._prefix else name
        return KeyLookup(self._datastore, self._scope, self._user, key)

    def __str__(self) -> str:
        from wfops.datastore.naming import KeyNotFound

        if not self._prefix:
            return ""
        name = "system.%s" % self._prefix if self._scope == "system" else self._prefix
        try:
            return str(self._datastore.lookup(name, user=self._user))
        except KeyNotFound:
            return ""


def chain_names(store, user: str) -> dict:
    """The names an action chain's values see for the datastore of ``store``."""
    from wfops.datastore.keystore import Datastore

    datastore = Datastore.for_store(store)
    system = KeyLookup(datastore, "system", user)
    return {"system": system, "st2kv": {"system": system, "user": KeyLookup(datastore, "user", user)}}
