"""The API's routes, one module per group; each route is declared once, with its
parameters, body model and responses (FastAPI builds validation and ``/openapi.json``
from the declarations).

- :mod:`.content`: actions, runner types, packs, action aliases, sensor types, rules
- :mod:`.executions`: reading executions (list, one, children, output, audit, task context)
- :mod:`.operations`: running and operating (create, pause/resume, cancel, re-run)
- :mod:`.keys`: the datastore (``/keys``)
- :mod:`.inquiries`: inquiries (``/inquiries``): list, one, respond
- :mod:`.stream`: StackStorm's event stream (``/stream/v1/stream``)
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from wfops.api.models import Fault

# Query parameters several routes take, as st2 names them.
Include = Annotated[list[str] | None, Query(description="Comma-separated attributes (dotted paths) to return.")]
Exclude = Annotated[list[str] | None, Query(description="Comma-separated attributes to leave out.")]
Limit = Annotated[int | None, Query(description="Page size; -1 for all.")]
Offset = Annotated[int | None, Query(description="Entries to skip.")]

_DESCRIPTIONS = {
    400: "Refused: the request is malformed or not allowed in this state.",
    401: "No valid API key (when keys are configured).",
    403: "The user acting may not do this.",
    404: "No such resource.",
    409: "The state changed since the plan was computed.",
    413: "The request body is larger than the limit.",
    501: "Not supported by this wfops engine.",
}


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented refusals of a route (401 always: keys may be configured)."""
    return {code: {"model": Fault, "description": _DESCRIPTIONS[code]} for code in sorted({*codes, 401})}


def ok(model, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": description}}
