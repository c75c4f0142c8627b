"""Routes: inquiries (StackStorm's ``/inquiries``), for ``st2 inquiry list|get|respond``
and ``wfops inquiry ... --url``.

An inquiry is an ``inquirer`` action execution waiting in ``pending`` (st2 keeps no other
record of it); the rules are :mod:`wfops.inquiries`'. A listing has the pending ones,
newest first (``limit``, default 20 as st2, ``-1`` for all; ``offset``; ``X-Total-Count``).
One that is not an inquiry, timed out or answered answers 400 in st2's words, an unknown id
404; a response (by the API key's user, else the ``user`` the query names, else the
server's) is carried out by the engine that owns the inquiry's tree (the ``respond``
operation): 403 for a user not among its ``users``, 400 for a response its schema refuses.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from wfops import inquiries
from wfops.api.models import Inquiry, InquiryResponseRequest, InquiryResponseResult
from wfops.api.routes import Limit, Offset, ok, refusals
from wfops.api.service import Service, limit_offset, paged_response

router = APIRouter()


@router.get("/inquiries", summary="List the inquiries waiting for a response.",
            responses={200: {"model": list[Inquiry], "description": "Pending inquiries, newest first",
                             "headers": {"X-Total-Count": {"schema": {"type": "integer"}}}},
                       **refusals(400)})
def list_inquiries(svc: Service, limit: Limit = None, offset: Offset = None):
    limit, offset = limit_offset(limit, offset, default_limit=20)
    return paged_response(svc.ops.inquiries(), limit, offset)


@router.get("/inquiries/{inquiry_id}", summary="One inquiry waiting for a response.",
            responses={**ok(Inquiry, "The inquiry"), **refusals(400, 404)})
def get_inquiry(svc: Service, inquiry_id: str):
    return inquiries.inquiry_doc(svc.ops.inquiry(inquiry_id))


@router.put("/inquiries/{inquiry_id}", summary="Respond to an inquiry.",
            responses={**ok(InquiryResponseResult, "Response accepted"), **refusals(400, 403, 404)})
def respond_to_inquiry(svc: Service, request: Request, inquiry_id: str, body: InquiryResponseRequest,
                       user: Annotated[str | None, Query(description="Who responds (wfops; an API key's user "
                                                                      "wins; default: the server's user).")] = None):
    return svc.ops.respond(inquiry_id, body.response, user=svc.user(request, user))
