"""``wfops key list|get|set|delete|load``: the datastore, with ``st2 key ...`` syntax.

The commands act on the local store under ``WFOPS_HOME`` (``--home``) and need neither the
packs nor an engine; with ``--url`` (``WFOPS_URL``) they act on that server's datastore
through its ``/api/v1/keys`` (:mod:`wfops.cli.remote_keys`). Output is st2's: tables, or StackStorm's KeyValuePair JSON with
``--json``.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from wfops import errors
from wfops.cli import output

if TYPE_CHECKING:  # imported when a key command runs (the crypto library is slow to load)
    from wfops.datastore.keystore import Datastore

_LIST_COLUMNS = ["name", "value", "secret", "encrypted", "scope", "user", "expire_timestamp"]
_GET_COLUMNS = ["name", "value", "secret", "encrypted", "scope", "user", "expire_timestamp"]
_SET_COLUMNS = ["name", "value", "scope", "user", "expire_timestamp"]
_LOAD_COLUMNS = ["name", "value", "secret", "scope", "user", "expire_timestamp"]


def add_parser(sub) -> None:
    """Add the ``key`` command group to the ``wfops`` subparsers ``sub``."""
    key = sub.add_parser("key", help="datastore keys (st2 key ...)").add_subparsers(
        dest="key_command", required=True)

    lst = key.add_parser("list", help="list keys: system ones and your own")
    lst.add_argument("--prefix", help="only keys whose name starts with this")
    lst.add_argument("-d", "--decrypt", action="store_true", help="show secrets in plain text")
    lst.add_argument("-s", "--scope", default="all", help="system, user or all (default: all)")
    lst.add_argument("-u", "--user", dest="key_user", help="the user whose user-scoped keys to list")
    lst.add_argument("-n", "--last", type=int, default=50, help="at most N keys (-1: all; default 50)")
    output.add_json(lst)

    get = key.add_parser("get", help="show one key")
    get.add_argument("name", help="the key")
    get.add_argument("-d", "--decrypt", action="store_true", help="show a secret in plain text")
    get.add_argument("-s", "--scope", default="system", help="system or user (default: system)")
    get.add_argument("-u", "--user", dest="key_user", help="the user a user-scoped key belongs to")
    output.add_json(get)

    put = key.add_parser("set", help="create or replace a key")
    put.add_argument("name", help="the key")
    put.add_argument("value", nargs="?", help="the value (asked for when left out on a terminal)")
    encryption = put.add_mutually_exclusive_group()
    encryption.add_argument("-e", "--encrypt", dest="secret", action="store_true",
                            help="store the value encrypted (a secret)")
    encryption.add_argument("--encrypted", action="store_true",
                            help="the value is already encrypted with this datastore's key")
    put.add_argument("-l", "--ttl", help="seconds until the key expires")
    put.add_argument("-s", "--scope", default="system", help="system or user (default: system)")
    put.add_argument("-u", "--user", dest="key_user", help="the user a user-scoped key belongs to")
    output.add_json(put)

    delete = key.add_parser("delete", help="remove a key")
    delete.add_argument("name", help="the key")
    delete.add_argument("-s", "--scope", default="system", help="system or user (default: system)")
    delete.add_argument("-u", "--user", dest="key_user", help="the user a user-scoped key belongs to")
    output.add_json(delete)

    load = key.add_parser("load", help="set the keys of a JSON or YAML file")
    load.add_argument("file", help="a JSON or YAML file of keys")
    load.add_argument("-c", "--convert", action="store_true",
                      help="store non-string values as their JSON text")
    output.add_json(load)


def run(args, url: str) -> int:
    """Carry out a ``wfops key`` command on the local store, or with ``url`` on that
    server's datastore; the exit status."""
    from wfops.identity import current_user

    try:
        datastore = _datastore(url)
    except errors.WfopsError as e:
        print("ERROR: %s" % e, file=sys.stderr)
        return 1
    try:
        return _COMMANDS[args.key_command](datastore, args, args.user or current_user())
    except errors.WfopsError as e:
        print("ERROR: %s" % e, file=sys.stderr)
        return 1
    finally:
        datastore.close()


def _datastore(url: str):
    if url:
        from wfops.cli.remote_keys import RemoteDatastore

        return RemoteDatastore(url)
    from wfops.datastore.keystore import Datastore
    from wfops.session import home_dir

    return Datastore.open(home_dir())


def _print(items, columns: list[str], as_json: bool, *, single: bool = False) -> None:
    if as_json:
        print(output.dump_json(items))
    elif single:
        print(output.table([[c, _cell(items.get(c))] for c in columns if c in items],
                           ["Property", "Value"]))
    else:
        print(output.table([[_cell(item.get(c)) for c in columns] for item in items], columns))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _list(datastore: Datastore, args, requester: str) -> int:
    items = datastore.list(requester=requester, prefix=args.prefix, scope=args.scope,
                           user=args.key_user, decrypt=args.decrypt)
    shown = items if args.last is None or args.last < 0 else items[:args.last]
    _print(shown, _LIST_COLUMNS, args.json)
    if len(shown) < len(items) and not args.json:
        print("Note: only the first %d of %d keys are shown; use -n -1 for all."
              % (len(shown), len(items)), file=sys.stderr)
    return 0


def _get(datastore: Datastore, args, requester: str) -> int:
    item = datastore.get(args.name, requester=requester, scope=args.scope, user=args.key_user,
                         decrypt=args.decrypt)
    _print(item, _GET_COLUMNS, args.json, single=True)
    return 0


def _set(datastore: Datastore, args, requester: str) -> int:
    value = args.value
    if value is None:
        if not sys.stdin.isatty():
            raise errors.WfopsError('`wfops key set %s` needs a value: give it after the name.' % args.name)
        value = input("Please insert value for key: ")
    item = datastore.set(args.name, value, requester=requester, scope=args.scope, user=args.key_user,
                         secret=args.secret, encrypted=args.encrypted, ttl=args.ttl)
    _print(item, _SET_COLUMNS, args.json, single=True)
    return 0


def _delete(datastore: Datastore, args, requester: str) -> int:
    item = datastore.delete(args.name, requester=requester, scope=args.scope, user=args.key_user)
    if args.json:
        print(output.dump_json(item))
    else:
        print('Resource with id "%s" has been successfully deleted.' % args.name)
    return 0


def _load(datastore: Datastore, args, requester: str) -> int:
    from wfops.datastore.load_file import read_items

    path = os.path.normpath(os.path.join(os.getcwd(), args.file))
    items = datastore.load(read_items(path, convert=args.convert), requester=requester)
    _print(items, _LOAD_COLUMNS, args.json)
    return 0


_COMMANDS = {"list": _list, "get": _get, "set": _set, "delete": _delete, "load": _load}

