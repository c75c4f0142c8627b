"""Routes: the datastore (StackStorm's ``/keys``), for ``st2 key list|get|set|delete|load``
and ``wfops key ... --url``.

Each route adapts one :class:`wfops.datastore.keystore.Datastore` method, which holds the
rules (scopes, user keys, TTL, secrets); who acts is the user of the request's API key,
else the server's user (as StackStorm without RBAC: anyone may name another ``user`` and
decrypt). A secret's value is answered as its ciphertext unless ``decrypt`` is asked. A
missing key is StackStorm's 404; a bad scope, TTL, value or flag is a 400 naming it.

Paging (``limit``, default 100, ``-1`` for all; ``offset``) cuts the whole answer, system
keys then the user's; ``X-Total-Count`` is the number of keys matched.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated, Iterator

from fastapi import APIRouter, Query, Request, Response

from wfops.api.faults import ApiError
from wfops.api.models import KeyValuePair, KeyValuePairRequest
from wfops.api.routes import Limit, Offset, ok, refusals
from wfops.api.service import ApiService, Service, limit_offset, paged_response

router = APIRouter()

# StackStorm's wording: ``reference`` is the stored name (``<user>:<name>`` for user keys).
KEY_NOT_FOUND = "KeyValuePair with name: %s and scope: %s not found in db."

Scope = Annotated[str | None, Query(description="system (the default), user, or for a listing all "
                                                "(also st2kv.system, st2kv.user).")]
Owner = Annotated[str | None, Query(description="The user whose user-scoped keys to act on (implies "
                                                "the user scope when reading).")]
Decrypt = Annotated[bool, Query(description="Answer secrets in plain text.")]


def _datastore(svc: ApiService):
    from wfops.datastore.keystore import Datastore

    return Datastore.for_store(svc.store)


def _requester(svc: ApiService, request: Request) -> str:
    return svc.user(request, None)


@contextmanager
def _stackstorm_not_found() -> Iterator[None]:
    from wfops.datastore.naming import KeyNotFound

    try:
        yield
    except KeyNotFound as e:
        raise ApiError(404, KEY_NOT_FOUND % (e.reference, e.scope)) from None


@router.get("/keys", summary="List datastore keys.",
            responses={200: {"model": list[KeyValuePair], "description": "Keys, system ones first, each by name",
                             "headers": {"X-Total-Count": {"schema": {"type": "integer"}}}},
                       **refusals(400)})
def list_keys(svc: Service, request: Request,
              prefix: Annotated[str | None, Query(description="Only keys whose name starts with this.")] = None,
              scope: Scope = None, user: Owner = None, decrypt: Decrypt = False,
              name: Annotated[str | None, Query(description="Only the key of this name.")] = None,
              limit: Limit = None, offset: Offset = None):
    limit, offset = limit_offset(limit, offset, default_limit=100)
    found = _datastore(svc).list(requester=_requester(svc, request), prefix=name or prefix, scope=scope,
                                 user=user, decrypt=decrypt)
    if name:
        found = [item for item in found if item["name"] == name]
    return paged_response(found, limit, offset)


@router.get("/keys/{name}", summary="One datastore key.",
            responses={**ok(KeyValuePair, "The key"), **refusals(400, 404)})
def get_key(svc: Service, request: Request, name: str, scope: Scope = None, user: Owner = None,
            decrypt: Decrypt = False):
    with _stackstorm_not_found():
        return _datastore(svc).get(name, requester=_requester(svc, request), scope=scope, user=user,
                                   decrypt=decrypt)


@router.put("/keys/{name}", summary="Create or replace a datastore key.",
            responses={**ok(KeyValuePair, "The key as stored (a secret as its ciphertext)"), **refusals(400)})
def set_key(svc: Service, request: Request, name: str, body: KeyValuePairRequest, scope: Scope = None):
    return _datastore(svc).set(name, body.value, requester=_requester(svc, request), scope=body.scope or scope,
                               user=body.user, secret=body.secret, encrypted=body.encrypted, ttl=body.ttl,
                               description=body.description)


@router.delete("/keys/{name}", status_code=204, summary="Remove a datastore key.",
               responses={204: {"description": "Removed"}, **refusals(400, 404)})
def delete_key(svc: Service, request: Request, name: str, scope: Scope = None, user: Owner = None):
    with _stackstorm_not_found():
        _datastore(svc).delete(name, requester=_requester(svc, request), scope=scope, user=user)
    return Response(status_code=204)
