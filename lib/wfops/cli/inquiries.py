"""``wfops inquiry list|get|respond``: inquiries, with ``st2 inquiry ...`` syntax.

On the local store (a response is carried out by the engine that owns the inquiry's tree,
as ``wfops execution resume`` is), or with ``--url`` on a server through its
``/api/v1/inquiries``. Both modes answer the same documents (``wfops.inquiries``), so the
output is the same: st2's tables, or with ``-j`` st2's Inquiry JSON. The user acting is
``--user``, else the login name (a server with API keys takes the key's user instead).
``respond`` needs ``-r '<JSON>'``: st2's interactive form is not offered.
"""

from __future__ import annotations

import json
import os
import sys

from wfops import errors, inquiries
from wfops.cli import output

_LIST_COLUMNS = ["id", "roles", "users", "route", "ttl"]
_GET_COLUMNS = ["id", "roles", "users", "route", "ttl", "schema"]


def add_parser(sub) -> None:
    """Add the ``inquiry`` command group to the ``wfops`` subparsers ``sub``."""
    inquiry = sub.add_parser("inquiry", help="inquiries waiting for a response (st2 inquiry ...)").add_subparsers(
        dest="inquiry_command", required=True)

    lst = inquiry.add_parser("list", help="list the inquiries waiting for a response")
    lst.add_argument("-n", "--last", type=int, default=50, help="the N most recent (-1: all; default 50)")
    output.add_json(lst)

    get = inquiry.add_parser("get", help="show one inquiry")
    get.add_argument("id", help="the inquiry's id (its action execution's)")
    output.add_json(get)

    respond = inquiry.add_parser("respond", help="respond to an inquiry")
    respond.add_argument("id", help="the inquiry's id")
    respond.add_argument("-r", "--response", help="the whole response, as a JSON object")
    output.add_json(respond)


class LocalInquiries:
    """Inquiries of the local store."""

    def __init__(self, user: str):
        from wfops.operations import Operations
        from wfops.session import Session

        self.session = Session(user=user)
        self.ops = Operations(self.session)

    def close(self) -> None:
        self.session.close()

    def list(self, last: int) -> tuple[list[dict], int]:
        found = self.ops.inquiries()
        return (found if last < 0 else found[:last]), len(found)

    def get(self, inquiry_id: str) -> dict:
        return inquiries.inquiry_doc(self.ops.inquiry(inquiry_id))

    def respond(self, inquiry_id: str, response: dict) -> dict:
        return self.ops.respond(inquiry_id, response)


class RemoteInquiries:
    """Inquiries of a server, through ``/api/v1/inquiries``."""

    def __init__(self, url: str, user: str):
        from wfops.cli.remote import API_KEY_ENV, ApiClient

        self.client = ApiClient(url, api_key=os.environ.get(API_KEY_ENV) or None)
        self.user = user

    def close(self) -> None:
        pass

    def list(self, last: int) -> tuple[list[dict], int]:
        found = self.client.request("GET", "/inquiries", query={"limit": -1})
        return (found if last < 0 else found[:last]), len(found)

    def get(self, inquiry_id: str) -> dict:
        from wfops.api_client import quote_segment

        return self.client.request("GET", "/inquiries/%s" % quote_segment(inquiry_id))

    def respond(self, inquiry_id: str, response: dict) -> dict:
        from wfops.api_client import quote_segment

        return self.client.request("PUT", "/inquiries/%s" % quote_segment(inquiry_id), query={"user": self.user},
                                   body={"id": inquiry_id, "response": response})


def run(args, url: str) -> int:
    """Carry out a ``wfops inquiry`` command; the exit status."""
    from wfops.identity import current_user

    user = args.user or current_user()
    try:
        source = RemoteInquiries(url, user) if url else LocalInquiries(user)
    except errors.WfopsError as e:
        print("ERROR: %s" % e, file=sys.stderr)
        return 1
    try:
        return _COMMANDS[args.inquiry_command](source, args)
    except errors.WfopsError as e:
        print("ERROR: %s" % e, file=sys.stderr)
        return 1
    finally:
        source.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, indent=4, sort_keys=True)
    return str(value)


def _list(source, args) -> int:
    shown, total = source.list(args.last)
    if args.json:
        print(output.dump_json(shown))
        return 0
    # st2 shows the most recent last.
    print(output.table([[_cell(doc.get(c)) for c in _LIST_COLUMNS] for doc in reversed(shown)], _LIST_COLUMNS))
    if len(shown) < total:
        print("Note: only the %d most recent of %d inquiries are shown; use -n -1 for all."
              % (len(shown), total), file=sys.stderr)
    return 0


def _get(source, args) -> int:
    doc = source.get(args.id)
    if args.json:
        print(output.dump_json(doc))
    else:
        print(output.table([[c, _cell(doc.get(c))] for c in _GET_COLUMNS], ["Property", "Value"]))
    return 0


def _respond(source, args) -> int:
    from wfops import nesting

    if args.response is None:
        raise errors.WfopsError("`wfops inquiry respond %s` needs the response: give it as -r '<JSON object>' "
                                "(the form st2 shows without -r is not offered)." % args.id)
    try:
        response = nesting.loads(args.response)
    except ValueError as e:
        raise errors.WfopsError("The response (-r) is not JSON: %s." % e) from None
    if not isinstance(response, dict):
        raise errors.WfopsError("The response (-r) must be a JSON object, like '{\"continue\": true}'.")
    answer = source.respond(args.id, response)
    if args.json:
        print(output.dump_json(answer))
    else:
        print("\nResponse accepted for inquiry %s." % answer["id"])
    return 0


_COMMANDS = {"list": _list, "get": _get, "respond": _respond}
