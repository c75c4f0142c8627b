"""Inquiries as StackStorm 3.9 has them: an ``inquirer`` action execution that waits in
``pending`` for a response. Pure rules, read by the engine, the API and the command line:

- :func:`inquiry_doc`: an execution record as st2's Inquiry (``id``, ``route``, ``ttl``,
  ``users``, ``roles``, ``schema``);
- :func:`respond_problem`: whether a response may be given now, in st2's words (not an
  inquiry, timed out, already responded, not a permitted user, not valid for the schema);
- :func:`expired`: whether an unanswered inquiry's ``ttl`` (minutes) has passed;
- :func:`answered_result`: the result an answered inquiry records.

Who may respond (decided here, without RBAC): ``users``, when not empty, must name the
user acting (the API key's user, else the user the request names, else the one running
wfops); ``roles`` need RBAC, which wfops does not have: they are kept in the inquiry and
shown, and not checked.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

from wfops import errors
from wfops import statuses as s

INQUIRER = "inquirer"

# The fields of st2's InquiryResponseAPI, in its order, each read from the result.
FIELDS = ("route", "ttl", "users", "roles", "schema")

NOT_FOUND = 'Unable to identify resource with id "%s".'  # st2's, as the API answers it
NOT_AN_INQUIRY = 'Action execution "%s" is not an inquiry.'
TIMED_OUT = 'Inquiry "%s" timed out and cannot be responded to.'
ALREADY_RESPONDED = 'Inquiry "%s" has already been responded to.'
NOT_PERMITTED = 'User "%s" does not have permission to respond to inquiry "%s".'
INVALID_RESPONSE = 'Response for inquiry "%s" did not pass schema validation. %s'


class InquiryForbidden(errors.WfopsError):
    """The user acting is not among the inquiry's ``users`` (st2: 403)."""

    http_status = 403


def is_inquiry(record: dict) -> bool:
    return record.get("runner_type") == INQUIRER


def inquiry_doc(record: dict) -> dict:
    """st2's Inquiry for an inquirer execution record: ``id`` and FIELDS from its result
    (None where the result has none). O(1)."""
    result = record.get("result") if isinstance(record.get("result"), dict) else {}
    doc = {"id": record["id"]}
    for name in FIELDS:
        doc[name] = result.get(name)
    return doc


def state_problem(record: dict) -> errors.WfopsError | None:
    """Why ``record`` cannot be shown or answered as a pending inquiry (st2's
    ``check_inquiry``), or None. O(1)."""
    if not is_inquiry(record):
        return errors.InvalidOperation(NOT_AN_INQUIRY % record["id"])
    if record["status"] == s.TIMEOUT:
        return errors.InvalidOperation(TIMED_OUT % record["id"])
    if record["status"] != s.PENDING:
        return errors.InvalidOperation(ALREADY_RESPONDED % record["id"])
    return None


def permission_problem(record: dict, user: str) -> errors.WfopsError | None:
    """Whether ``user`` may respond: any user when ``users`` is empty, else one it names.
    ``roles`` are not checked (no RBAC here). O(len(users))."""
    users = inquiry_doc(record)["users"] or []
    if users and user not in users:
        return InquiryForbidden(NOT_PERMITTED % (user, record["id"]))
    return None


def validated_response(record: dict, response: Any) -> dict:
    """``response`` checked against the inquiry's schema (Draft 4 with Draft 3's
    per-property ``required: true``, as st2's validator) with the schema's top-level
    defaults filled in, as st2 does; raises InvalidOperation in st2's words (the first
    problem, then how many more). O(size of the response)."""
    from wfops.parameters import StackStormValidator  # jsonschema: imported when needed

    doc = inquiry_doc(record)
    schema = doc["schema"] or {}
    if not isinstance(response, dict):
        raise errors.InvalidOperation(INVALID_RESPONSE % (record["id"], "The response must be a JSON object."))
    filled = copy.deepcopy(response)
    for name, prop in (schema.get("properties") or {}).items():
        if name not in filled and isinstance(prop, dict) and "default" in prop:
            filled[name] = copy.deepcopy(prop["default"])
    problems = sorted(StackStormValidator(schema).iter_errors(filled), key=lambda e: list(e.path))
    if problems:
        first = problems[0]
        # Draft 3's per-property ``required`` reports at the missing property itself.
        path = list(first.path)[:-1] if first.validator == "required" else list(first.path)
        where = "".join("[%r]" % p for p in path)
        text = ("%s: %s" % (where, first.message)) if where else first.message
        if len(problems) > 1:
            text += " (and %d more problem%s)" % (len(problems) - 1, "s" if len(problems) > 2 else "")
        raise errors.InvalidOperation(INVALID_RESPONSE % (record["id"], text))
    return filled


def respond_problem(record: dict, user: str, response: Any) -> errors.WfopsError | None:
    """Every check of a response, in st2's order (state, permission, schema); the first
    refusal, or None. O(size of the response)."""
    problem = state_problem(record) or permission_problem(record, user)
    if problem is not None:
        return problem
    try:
        validated_response(record, response)
    except errors.WfopsError as e:
        return e
    return None


def answered_result(record: dict, response: dict) -> dict:
    """The result of an answered inquiry: its result with ``response`` added (st2). O(1)."""
    result = dict(record.get("result") or {})
    result["response"] = response
    return result


def _started(record: dict) -> datetime.datetime | None:
    text = record.get("start_timestamp")
    if not text:
        return None
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def expired(record: dict, now: datetime.datetime) -> bool:
    """Whether the pending inquiry ``record`` has waited ``ttl`` minutes or more (``ttl``
    <= 0: never). st2's garbage collector times it out after more than ``ttl`` whole
    minutes, at its next run; wfops at ``ttl`` minutes, within a second. O(1)."""
    if not is_inquiry(record) or record.get("status") != s.PENDING:
        return False
    ttl = inquiry_doc(record)["ttl"]
    started = _started(record)
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl <= 0 or started is None:
        return False
    return now - started >= datetime.timedelta(minutes=ttl)
