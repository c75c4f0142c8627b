"""``st2kv(key, decrypt=False[, default])``: a value from the embedded host's datastore.

``st2kv('system.x')`` reads system key ``x``; ``st2kv('x')`` the key ``x`` of the user
who runs the workflow (``ctx(st2).user``). A secret reads as its ciphertext unless
``decrypt`` is true. A key that does not exist (or has expired) is an evaluation error,
unless a ``default`` is given, which is then the answer. Inside a conductor call the
engine journals, the answers are recorded with the call and given back when it is
replayed (:mod:`wfops.expressions.kv_reads`).
"""

from __future__ import annotations

from typing import Any

from orquesta import exceptions as exc

from wfops.expressions import kv_reads
from wfops.expressions.host import st2_context, store_of


def st2kv(context: Any, key: str, **kwargs: Any) -> Any:
    """The value of ``key`` for the workflow's user. O(log keys)."""
    unknown = sorted(set(kwargs) - {"decrypt", "default"})
    if unknown:
        raise TypeError("st2kv() takes decrypt and default, not %s." % ", ".join(unknown))
    if not isinstance(key, str):
        raise TypeError("Given key is not typeof string.")
    decrypt = kwargs.get("decrypt", False)
    if not isinstance(decrypt, bool):
        raise TypeError("Decrypt parameter is not typeof bool.")
    # on first use: every process with Orquesta loads this module, few read the datastore
    from wfops.datastore.keystore import Datastore
    from wfops.datastore.naming import DatastoreError, KeyNotFound

    st2 = st2_context(context, "st2kv")
    user = st2.get("user")
    if not user:
        raise exc.ExpressionEvaluationException("Could not get user from context.")
    datastore = Datastore.for_store(store_of(st2["workflow_execution_id"], "st2kv"))

    def read() -> dict:
        try:
            return datastore.stored(key, user=user)
        except KeyNotFound as e:
            return {"missing": str(e)}

    # a journaled conductor call records what it read; its replay reads the same
    try:
        found = kv_reads.answer(kv_reads.read_key(user, key), read)
        if "missing" not in found:
            return datastore.reveal(found, decrypt)
    except DatastoreError as e:
        raise exc.ExpressionEvaluationException(str(e)) from None
    if "default" in kwargs:
        return kwargs["default"]
    raise exc.ExpressionEvaluationException(found["missing"])
