"""The ``wfops`` command line. Its syntax mirrors ``st2 run`` and ``st2 execution ...``.

Exit status: 0 when the command did what was asked (for ``run``: the execution
succeeded), 1 when an execution did not succeed or a request was refused, 2 for usage
errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from wfops import errors
from wfops import statuses as s
from wfops.cli import output


def _key_values(items: list[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    values = {}
    for item in items:
        if "=" not in item:
            parser.error('parameter "%s" is not of the form key=value' % item)
        key, value = item.split("=", 1)
        values[key] = value
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wfops",
        description="Run Orquesta workflows and operate on their executions "
        "(pause, resume, cancel, re-run), st2-style.",
    )
    parser.add_argument("--home", help="state directory (default: $WFOPS_HOME or the user data dir)")
    parser.add_argument("--user", default=os.environ.get("WFOPS_USER"), help="who is acting (default: login name)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run an action or workflow and wait for it")
    run.add_argument("ref")
    run.add_argument("parameters", nargs="*", metavar="key=value")
    run.add_argument("--async", dest="run_async", action="store_true", help="print the id and return at once")
    run.add_argument("-j", "--json", action="store_true")

    execution = sub.add_parser("execution", help="executions").add_subparsers(dest="execution_command", required=True)
    get = execution.add_parser("get", help="show an execution")
    get.add_argument("id")
    get.add_argument("--show-tasks", action="store_true")
    get.add_argument("-j", "--json", action="store_true")

    lst = execution.add_parser("list", help="list executions")
    lst.add_argument("-n", "--last", type=int, default=50)
    lst.add_argument("--status")
    lst.add_argument("--action")
    lst.add_argument("-j", "--json", action="store_true")

    for name, text in (("pause", "pause workflow executions"), ("resume", "resume paused workflow executions"),
                       ("cancel", "cancel executions")):
        op = execution.add_parser(name, help=text)
        op.add_argument("ids", nargs="+", metavar="ID")
        op.add_argument("--comment")
        op.add_argument("-j", "--json", action="store_true")

    rerun = execution.add_parser("re-run", help="re-run an execution")
    rerun.add_argument("id")
    rerun.add_argument("parameters", nargs="*", metavar="key=value")
    rerun.add_argument("--no-merge", action="store_true", help="use only the given parameters")
    rerun.add_argument("--async", dest="run_async", action="store_true")
    rerun.add_argument("--comment")
    rerun.add_argument("-j", "--json", action="store_true")
    rerun.add_argument("--tasks", nargs="+", default=[], metavar="T",
                       help="re-run from these tasks (name or name[route])")
    rerun.add_argument("--no-reset", nargs="+", default=[], metavar="T",
                       help="with-items tasks whose succeeded items are kept")
    rerun.add_argument("--failed", action="store_true", help="re-run every task whose latest execution abended")
    rerun.add_argument("--force", action="store_true", help="submit even if a join cannot run")
    rerun.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    rerun.add_argument("--format", choices=["text", "json", "dot"], default="text",
                       help="how --dry-run prints the plan")
    _add_extras(rerun)

    skip = execution.add_parser("skip", help="skip a failed task: record it succeeded with a result and go on")
    skip.add_argument("id")
    skip.add_argument("task")
    skip.add_argument("--result", dest="skip_result", metavar="JSON", help="the task's result (default null)")
    skip.add_argument("--publish", dest="skip_publish", nargs="+", default=[], metavar="KEY=VALUE")
    skip.add_argument("--force", action="store_true")
    skip.add_argument("--dry-run", action="store_true")
    skip.add_argument("--format", choices=["text", "json", "dot"], default="text")
    skip.add_argument("--comment")
    skip.add_argument("--async", dest="run_async", action="store_true")
    skip.add_argument("-j", "--json", action="store_true")

    context = execution.add_parser("context", help="show what a task saw and did")
    context.add_argument("id")
    context.add_argument("task")
    context.add_argument("--route", type=int)
    context.add_argument("--item", type=int)
    context.add_argument("-j", "--json", action="store_true")

    audit = execution.add_parser("audit", help="list the operations recorded on an execution")
    audit.add_argument("id")
    audit.add_argument("-j", "--json", action="store_true")

    action = sub.add_parser("action", help="actions").add_subparsers(dest="action_command", required=True)
    alist = action.add_parser("list")
    alist.add_argument("-p", "--pack")
    alist.add_argument("-j", "--json", action="store_true")
    aget = action.add_parser("get")
    aget.add_argument("ref")
    aget.add_argument("-j", "--json", action="store_true")

    engine = sub.add_parser("engine", help="run the engine: adopt orphaned executions, serve operations")
    engine.add_argument("--until-idle", action="store_true", help="exit once nothing is left to do")
    engine.add_argument("--launch", help=argparse.SUPPRESS)

    serve = sub.add_parser("serve", help="run the engine and the st2-compatible REST API (/api/v1)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=9101, help="port (default: 9101; 0: any free port)")
    return parser


def _add_extras(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--items", nargs=2, action="append", default=[], metavar=("T", "I,J"),
                        help="re-run exactly these items of with-items task T")
    parser.add_argument("--context", nargs="+", action="append", default=[], metavar="T KEY=VALUE",
                        help="merge KEY=VALUE into task T's inbound context for this re-run")
    parser.add_argument("--skip", nargs="+", action="append", default=[], metavar="T",
                        help="record failed task T as succeeded (skipped) and continue after it")
    parser.add_argument("--result", nargs=2, action="append", default=[], metavar=("T", "JSON"),
                        help="the result a skipped task T is given (default null)")
    parser.add_argument("--publish", nargs="+", action="append", default=[], metavar="T KEY=VALUE",
                        help="values a skipped task T publishes, over what its transitions compute")


def _value(text: str):
    """A value from the command line: JSON when it is valid JSON, else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _task_assignments(groups: list[list[str]], option: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for group in groups:
        task, pairs = group[0], group[1:]
        if not pairs:
            raise errors.WfopsError("%s %s needs at least one KEY=VALUE." % (option, task))
        for pair in pairs:
            if "=" not in pair:
                raise errors.WfopsError('%s %s: "%s" is not of the form KEY=VALUE.' % (option, task, pair))
            key, value = pair.split("=", 1)
            out.setdefault(task, {})[key] = _value(value)
    return out


def _extras_payload(args) -> dict:
    problems = []
    items: dict[str, list[int]] = {}
    for task, text in args.items:
        try:
            items.setdefault(task, []).extend(int(i) for i in text.split(",") if i.strip() != "")
        except ValueError:
            problems.append('--items %s: "%s" is not a comma-separated list of item indices.' % (task, text))
    results = {}
    for task, text in args.result:
        try:
            results[task] = json.loads(text)
        except ValueError as e:
            problems.append("--result %s: the result is not JSON (%s)." % (task, e))
    errors.collect(problems)
    return {
        "items": items or None,
        "context": _task_assignments(args.context, "--context") or None,
        "skip": [t for group in args.skip for t in group],
        "result": results or None,
        "publish": _task_assignments(args.publish, "--publish") or None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # key=value parameters may come after options (`re-run ID --no-merge k=v`), as in st2.
    args, extra = parser.parse_known_args(argv)
    if extra:
        if hasattr(args, "parameters") and all("=" in e and not e.startswith("-") for e in extra):
            args.parameters = list(args.parameters) + extra
        else:
            parser.error("unrecognized arguments: %s" % " ".join(extra))
    if args.home:
        os.environ["WFOPS_HOME"] = args.home
    from wfops.session import Session

    try:
        session = Session(user=args.user)
    except errors.WfopsError as e:
        print("ERROR: %s" % e, file=sys.stderr)
        return 1
    try:
        handler = _HANDLERS[(args.command, getattr(args, "execution_command", None) or getattr(args, "action_command", None))]
        return handler(session, args, parser)
    except errors.WfopsError as e:
        print("ERROR: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted. The execution goes on being recorded; run `wfops engine --until-idle` "
              "to carry it on.", file=sys.stderr)
        return 130
    finally:
        session.close()


# -- handlers ------------------------------------------------------------------------------


def _print_execution(session, record: dict, as_json: bool, show_tasks: bool = False) -> None:
    from wfops.views import execution_view

    view = execution_view(session.store, session.registry, record, tasks=True)
    audit = session.store.operations(record["id"])
    if as_json:
        if not show_tasks and "children" in view:
            view["children"] = [c["id"] for c in view["children"]]
        if audit:
            view["audit"] = audit
        print(output.dump_json(view))
    else:
        print(output.render_execution(view, show_tasks=show_tasks, audit=audit))


def _progress_printer(session):
    def report(event: dict) -> None:
        record = event["record"]
        orquesta = record["context"].get("orquesta") if record else None
        if not orquesta:
            return
        task = orquesta.get("task_name")
        if orquesta.get("item_id") is not None:
            task = "%s[%s]" % (task, orquesta["item_id"])
        print("  %-10s %-30s %s" % (event["status"], task, event["execution"]), file=sys.stderr, flush=True)

    return report


def _adopt_orphans_in_background(session) -> None:
    from wfops.engine.host import engine_alive
    from wfops.session import spawn_engine

    roots = session.store.roots_needing_engine(tuple(sorted(s.ACTIVE)))
    if any(not engine_alive(session.store, r["owner"]) for r in roots):
        spawn_engine(session.home, ["--until-idle"], user=session.user)


def _wait_and_print(session, execution_id: str, as_json: bool) -> int:
    if sys.stderr.isatty() and not as_json:
        session.engine.progress = _progress_printer(session)
    record = session.engine.run_until_settled(execution_id)
    _print_execution(session, record, as_json, show_tasks=False)
    return 0 if record["status"] == s.SUCCEEDED else 1


def cmd_run(session, args, parser) -> int:
    from wfops.parameters import cast_cli_values

    values = _key_values(args.parameters, parser)
    action = session.registry.get(args.ref)
    params = cast_cli_values(action, values)
    _adopt_orphans_in_background(session)
    if args.run_async:
        execution_id = session.launch_detached(args.ref, params)
        print(json.dumps({"id": execution_id}) if args.json else execution_id)
        return 0
    execution_id = session.launch(args.ref, params)
    return _wait_and_print(session, execution_id, args.json)


def cmd_execution_get(session, args, parser) -> int:
    record = session.get_execution(args.id)
    _print_execution(session, record, args.json, show_tasks=args.show_tasks)
    return 0


def cmd_execution_list(session, args, parser) -> int:
    from wfops.views import execution_view

    records, total = session.store.list_executions(
        status=args.status, action=args.action, top_level_only=True, limit=args.last
    )
    views = [execution_view(session.store, session.registry, r) for r in records]
    print(output.dump_json(views) if args.json else output.render_list(views))
    return 0


def _lifecycle(operation: str):
    def handler(session, args, parser) -> int:
        failures = 0
        results = []
        for execution_id in args.ids:
            try:
                response = session.operate(operation, execution_id, {"comment": args.comment})
                results.append(response)
                if not args.json:
                    print('%s: execution "%s" is %s.' % (operation, response["id"], response["status"]))
            except errors.WfopsError as e:
                failures += 1
                results.append({"id": execution_id, "error": e.message})
                print("ERROR: %s" % e, file=sys.stderr)
        if args.json:
            print(output.dump_json(results))
        return 1 if failures else 0

    return handler


def cmd_execution_rerun(session, args, parser) -> int:
    from wfops.parameters import cast_cli_values

    original = session.get_execution(args.id)
    action = session.registry.get(original["action_ref"])
    overrides = cast_cli_values(action, _key_values(args.parameters, parser))
    extras = _extras_payload(args)
    if args.tasks or args.failed or args.no_reset or any(extras.values()):
        return _rerun_from_tasks(session, args, original, overrides, extras)
    # Immutable parameters were filled in from the metadata; they are not the user's to pass.
    given = {k: v for k, v in original["parameters"].items()
             if not (action.parameters.get(k) or {}).get("immutable")}
    params = dict(overrides) if args.no_merge else {**given, **overrides}
    context = {"re-run": {"ref": original["id"]}}
    from wfops.engine.commands import audit

    if args.run_async:
        execution_id = session.launch_detached(action.ref, params, context)
    else:
        execution_id = session.launch(action.ref, params, context)
    audit(session.store, original["id"], session.user, "re-run",
          {"id": original["id"], "parameters": overrides, "no_merge": args.no_merge},
          plan={"mode": "from_beginning", "parameters": params},
          outcome={"execution": execution_id}, comment=args.comment)
    if args.run_async:
        print(json.dumps({"id": execution_id}) if args.json else execution_id)
        return 0
    return _wait_and_print(session, execution_id, args.json)


def _print_plan(session, original: dict, plan, args) -> None:
    from wfops import planner
    from wfops.engine import reruns

    if args.format == "json" or (args.json and args.format == "text"):
        print(output.dump_json(plan.to_dict()))
    elif args.format == "dot":
        print(planner.render_dot(plan, reruns.state_for(session.store, original)))
    else:
        print(planner.render_text(plan))
        extras = getattr(plan, "extras", None)
        if extras:
            from wfops.planner.extras import render_extras_text

            print(render_extras_text(extras))


def cmd_execution_skip(session, args, parser) -> int:
    original = session.get_execution(args.id)
    extras = {"skip": [args.task], "items": None, "context": None, "result": None, "publish": None}
    if args.skip_result is not None:
        try:
            extras["result"] = {args.task: json.loads(args.skip_result)}
        except ValueError as e:
            raise errors.WfopsError("--result: the result is not JSON (%s)." % e) from None
    if args.skip_publish:
        extras["publish"] = _task_assignments([[args.task] + args.skip_publish], "--publish")
    args.tasks, args.no_reset, args.failed = [], [], False
    return _rerun_from_tasks(session, args, original, {}, extras)


def _rerun_from_tasks(session, args, original: dict, overrides: dict, extras: dict | None = None) -> int:
    from wfops.engine import reruns

    payload = {
        **(extras or {}),
        "tasks": args.tasks,
        "no_reset": args.no_reset,
        "failed": args.failed,
        "force": args.force,
        "parameters": overrides or None,
        "comment": args.comment,
    }
    # Planned here first: every problem is reported before anything is sent or changed.
    plan = reruns.plan_for(session.store, original, payload)
    if args.dry_run:
        _print_plan(session, original, plan, args)
        return 0
    payload["fingerprint"] = plan.fingerprint
    response = session.operate("rerun", original["id"], payload, run_here=not args.run_async)
    execution_id = response["id"]
    if args.run_async:
        print(json.dumps({"id": execution_id}) if args.json else execution_id)
        return 0
    if session._engine is not None and execution_id in session.engine.by_execution:
        record = session.engine.run_until_settled(execution_id)
    else:
        while session.store.get_execution(execution_id)["status"] in s.WAITING:
            time.sleep(0.1)
        record = session.store.get_execution(execution_id)
    _print_execution(session, record, args.json)
    return 0 if record["status"] == s.SUCCEEDED else 1


def cmd_execution_context(session, args, parser) -> int:
    from wfops.engine.task_context import task_context

    record = session.get_execution(args.id)
    view = task_context(session.store, record, args.task, route=args.route, item=args.item)
    if args.json:
        print(output.dump_json(view))
    else:
        print(output.render_task_context(view))
    return 0


def cmd_execution_audit(session, args, parser) -> int:
    record = session.get_execution(args.id)
    entries = session.store.operations(record["id"])
    if args.json:
        print(output.dump_json(entries))
    else:
        rows = [[e["timestamp"], e["user"], e["operation"], json.dumps(e["request"]), e.get("comment") or ""]
                for e in entries]
        print(output.table(rows, ["timestamp", "user", "operation", "request", "comment"]))
    return 0


def cmd_action_list(session, args, parser) -> int:
    actions = session.registry.list(pack=args.pack)
    if args.json:
        print(output.dump_json([{"ref": a.ref, "pack": a.pack, "name": a.name, "runner_type": a.runner_type,
                                 "description": a.description} for a in actions]))
    else:
        print(output.table([[a.ref, a.pack, a.description[:60]] for a in actions], ["ref", "pack", "description"]))
    return 0


def cmd_action_get(session, args, parser) -> int:
    a = session.registry.get(args.ref)
    data = {"ref": a.ref, "pack": a.pack, "name": a.name, "runner_type": a.runner_type,
            "entry_point": a.entry_point, "description": a.description, "enabled": a.enabled,
            "parameters": a.parameters}
    print(output.dump_json(data) if args.json else output._block(data, indent=""))
    return 0


def cmd_engine(session, args, parser) -> int:
    engine = session.engine
    if args.launch:
        payload = json.loads(args.launch)
        engine.launch(payload["ref"], payload["parameters"], context=payload.get("context"),
                      user=session.user, execution_id=payload["id"])
    idle_since = None
    last_scan = 0.0
    while True:
        if time.monotonic() - last_scan > 0.25:
            engine.adopt_orphans()
            last_scan = time.monotonic()
        engine.step()
        if args.until_idle:
            busy = engine.has_work() or engine._owned_active() or session.store.roots_with_pending_commands()
            if busy:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > 1.0:
                return 0


def cmd_serve(session, args, parser) -> int:
    from wfops.api.server import serve

    return serve(session, args.host, args.port)


_HANDLERS = {
    ("run", None): cmd_run,
    ("execution", "get"): cmd_execution_get,
    ("execution", "list"): cmd_execution_list,
    ("execution", "pause"): _lifecycle("pause"),
    ("execution", "resume"): _lifecycle("resume"),
    ("execution", "cancel"): _lifecycle("cancel"),
    ("execution", "re-run"): cmd_execution_rerun,
    ("execution", "audit"): cmd_execution_audit,
    ("execution", "context"): cmd_execution_context,
    ("execution", "skip"): cmd_execution_skip,
    ("action", "list"): cmd_action_list,
    ("action", "get"): cmd_action_get,
    ("engine", None): cmd_engine,
    ("serve", None): cmd_serve,
}


if __name__ == "__main__":
    sys.exit(main())
