"""The ``wfops pack ...`` and ``wfops action ...`` commands: what the packs hold, and what
was left out while loading them (file and reason, as StackStorm's content registration
logs it)."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from wfops.cli import output

UNRUNNABLE_MARK = " (cannot run here)"


def add_parsers(sub) -> None:
    """Add ``action list|get`` and ``pack list`` to the top-level subparsers ``sub``."""
    action = sub.add_parser("action", help="actions").add_subparsers(dest="action_command", required=True)
    alist = action.add_parser("list", help="list the actions of the loaded packs")
    alist.add_argument("-p", "--pack", help="only the actions of this pack")
    output.add_json(alist)
    aget = action.add_parser("get", help="show an action")
    aget.add_argument("ref", help="the action (pack.name)")
    output.add_json(aget)

    pack = sub.add_parser("pack", help="packs").add_subparsers(dest="pack_command", required=True)
    plist = pack.add_parser("list", help="list the loaded packs and the files left out, with why")
    plist.add_argument("-p", "--pack", help="only this pack (and the problems of this pack)")
    output.add_json(plist)


def warn_problems(problems: list, stream: TextIO | None = None) -> None:
    """Print the files left out while loading packs, one ``FILE: REASON`` each (to stderr)."""
    if not problems:
        return
    stream = stream or sys.stderr
    print("WARNING: packs have %d problem%s; what they name was left out (`wfops pack list` "
          "shows them):" % (len(problems), "" if len(problems) == 1 else "s"), file=stream)
    for problem in problems:
        print("  %s" % problem, file=stream)


def _runnable(runner_type: str) -> bool:
    from wfops.runners import can_run

    return can_run(runner_type)


def cmd_action_list(backend, args, parser: argparse.ArgumentParser) -> int:
    actions = backend.list_actions(args.pack)
    if args.json:
        print(output.dump_json([{"ref": a.ref, "pack": a.pack, "name": a.name, "runner_type": a.runner_type,
                                 "runnable": _runnable(a.runner_type), "description": a.description}
                                for a in actions]))
    else:
        rows = [[a.ref, a.pack, a.runner_type + ("" if _runnable(a.runner_type) else UNRUNNABLE_MARK),
                 a.description[:60]] for a in actions]
        print(output.table(rows, ["ref", "pack", "runner", "description"]))
    problems = backend.pack_report()[1]
    warn_problems(problems if args.pack is None else [p for p in problems if p.pack == args.pack])
    return 0


def cmd_action_get(backend, args, parser: argparse.ArgumentParser) -> int:
    a = backend.get_action(args.ref)
    data = {"ref": a.ref, "pack": a.pack, "name": a.name, "runner_type": a.runner_type,
            "entry_point": a.entry_point, "description": a.description, "enabled": a.enabled,
            "runnable": _runnable(a.runner_type), "parameters": a.parameters}
    print(output.dump_json(data) if args.json else output._block(data, indent=""))
    if not args.json and not data["runnable"]:
        from wfops.runners.unsupported import refusal

        print("NOTE: %s" % refusal(a), file=sys.stderr)
    return 0


def cmd_pack_list(backend, args, parser: argparse.ArgumentParser) -> int:
    """The loaded packs (ref, actions, how many cannot run here, origin, directory) and every
    file left out with its reason; exit 0 even when files were left out."""
    packs, problems = backend.pack_report()
    if args.pack is not None:
        packs = [p for p in packs if p.ref == args.pack]
        problems = [p for p in problems if p.pack == args.pack]
    actions = backend.list_actions(None)
    rows = []
    for pack in packs:
        mine = [a for a in actions if a.pack == pack.ref]
        rows.append({"ref": pack.ref, "path": pack.path, "bundled": pack.bundled, "actions": len(mine),
                     "not_runnable": sum(1 for a in mine if not _runnable(a.runner_type))})
    if args.json:
        print(output.dump_json({"packs": rows, "problems": [p.to_dict() for p in problems]}))
        return 0
    print(output.table([[r["ref"], str(r["actions"]), str(r["not_runnable"]),
                         "bundled" if r["bundled"] else "WFOPS_PACKS_PATH", r["path"]] for r in rows],
                       ["pack", "actions", "cannot run here", "from", "path"]))
    if problems:
        print("\n%d file%s left out:" % (len(problems), "" if len(problems) == 1 else "s"))
        for problem in problems:
            print("  %s\n    pack: %s\n    %s" % (problem.file, problem.pack or "-", problem.reason))
    else:
        print("\nNo file was left out.")
    return 0


HANDLERS = {
    ("action", "list"): cmd_action_list,
    ("action", "get"): cmd_action_get,
    ("pack", "list"): cmd_pack_list,
}
