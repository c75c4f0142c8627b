"""The REST API of ``wfops serve`` as a FastAPI application: StackStorm's ``/api/v1``
routes that the ``st2`` CLI uses (also at ``/v1``, as st2api on its own port), wfops's
extras, and st2stream's ``/stream/v1/stream``, behind one port as on a single-host
StackStorm.

Each route is declared once (:mod:`wfops.api.routes`): its parameters, body model
(:mod:`wfops.api.models`) and responses; FastAPI validates requests and builds
``/api/v1/openapi.json`` from those declarations. Refusals keep StackStorm's status codes
and ``{"faultstring": ...}`` bodies (:mod:`wfops.api.faults`), and the wording of
``wfops.errors`` (which is SEMANTICS.md's).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

import wfops
from wfops.api import faults
from wfops.api.routes import content, executions, inquiries, keys, operations, stream
from wfops.api.service import ApiService

API_PREFIX = "/api/v1"
DESCRIPTION = (
    "StackStorm-compatible REST API of the embedded wfops host (what the st2 CLI uses for "
    "actions, executions, packs, aliases, sensors, rules, datastore keys and inquiries, and st2stream's event stream at "
    "/stream/v1/stream), with wfops's re-run extras, audit and task context. Errors are "
    '{"faultstring": ...} with StackStorm\'s status codes. With API keys configured, send '
    "St2-Api-Key (or ?st2-api-key=)."
)
PUBLIC = {"security": []}  # routes marked so are reachable without an API key


def _root_router() -> APIRouter:
    router = APIRouter()

    @router.get("", summary="Version of the server.", openapi_extra=PUBLIC)
    def root():
        return {"version": wfops.__version__, "docs_url": API_PREFIX + "/openapi.json", "server": "wfops"}

    for routes in (content, executions, operations, keys, inquiries):
        router.include_router(routes.router)
    return router


def create_app(session, engine_thread) -> FastAPI:
    """The application; ``app.state.service`` is what its routes share and
    ``app.state.public_paths`` the paths that need no API key."""
    app = FastAPI(title="wfops API", version=wfops.__version__, description=DESCRIPTION,
                  openapi_url=API_PREFIX + "/openapi.json", docs_url=None, redoc_url=None,
                  redirect_slashes=False)
    app.state.service = ApiService(session, engine_thread)
    api = _root_router()
    app.include_router(api, prefix=API_PREFIX)
    app.include_router(api, prefix="/v1", include_in_schema=False)
    app.include_router(stream.router, prefix="/stream/v1")
    faults.install(app)
    app.openapi = lambda: _document(app)
    app.state.public_paths = _public_paths(_document(app))
    return app


def _public_paths(document: dict) -> frozenset[str]:
    """The paths whose every operation is declared without security (at /api/v1 and /v1)."""
    public = {API_PREFIX + "/openapi.json"}
    for path, declared in document["paths"].items():
        if all(operation.get("security") == [] for operation in declared.values()):
            public.add(path)
    return frozenset(public | {p.replace(API_PREFIX, "/v1", 1) for p in public if p.startswith(API_PREFIX)})


def _document(app: FastAPI) -> dict:
    """The OpenAPI document of ``app``'s declared routes, with st2's API-key schemes."""
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes)
        document.setdefault("components", {})["securitySchemes"] = {
            "St2ApiKey": {"type": "apiKey", "in": "header", "name": "St2-Api-Key"},
            "St2ApiKeyQuery": {"type": "apiKey", "in": "query", "name": "st2-api-key"},
        }
        document["security"] = [{"St2ApiKey": []}, {"St2ApiKeyQuery": []}, {}]
        app.openapi_schema = document
    return app.openapi_schema
