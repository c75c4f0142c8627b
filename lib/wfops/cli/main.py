"""The ``wfops`` command line. Its syntax mirrors ``st2 run`` and ``st2 execution ...``.

The handlers act through a :class:`wfops.cli.backend.Backend`: the local store (the
embedded host), or a ``wfops serve`` server with ``--url URL`` / ``WFOPS_URL``
(:mod:`wfops.cli.remote`), with the same output and exit status.

Exit status: 0 when the command did what was asked (for ``run``: the execution
succeeded), 1 when an execution did not succeed or a request was refused, 2 for usage
errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from wfops import errors
from wfops import statuses as s
from wfops.cli import inquiries, keys, output, packs, rerun_options, tail


def _key_values(items: list[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    values = {}
    for item in items:
        if "=" not in item:
            parser.error('parameter "%s" is not of the form key=value' % item)
        key, value = item.split("=", 1)
        values[key] = value
    return values


PLAN_FORMATS = ["text", "json", "dot", "svg"]
FORMAT_HELP = ("how --dry-run prints the plan: text, json, dot (Graphviz source of every task the plan "
               "runs, with a legend) or svg (drawn by Graphviz's dot, which must be installed)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wfops",
        description="Run Orquesta workflows and operate on their executions "
        "(pause, resume, cancel, re-run), st2-style.",
    )
    parser.add_argument("--home", help="state directory (default: $WFOPS_HOME or the user data dir)")
    parser.add_argument("--user", default=os.environ.get("WFOPS_USER"), help="who is acting (default: login name)")
    parser.add_argument("--url", default=None,
                        help="act on a `wfops serve` server (e.g. http://127.0.0.1:9101) instead of the local "
                        "store (default: $WFOPS_URL; an API key is taken from $WFOPS_API_KEY)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run an action or workflow and wait for it")
    run.add_argument("ref", help="the action or workflow to run (pack.name)")
    run.add_argument("parameters", nargs="*", metavar="key=value", help="its parameters")
    run.add_argument("--async", dest="run_async", action="store_true", help="print the id and return at once")
    run.add_argument("--tail", action="store_true", help="print each task as it starts and ends, and its "
                     "output, as it happens")
    output.add_json(run)

    execution = sub.add_parser("execution", help="executions").add_subparsers(dest="execution_command", required=True)
    get = execution.add_parser("get", help="show an execution")
    get.add_argument("id", help="the execution")
    get.add_argument("--show-tasks", action="store_true", help="show the task executions in full (with --json)")
    output.add_json(get)

    lst = execution.add_parser("list", help="list executions")
    lst.add_argument("-n", "--last", type=int, default=50, help="at most N executions, newest first (default 50)")
    lst.add_argument("--status", help="only executions with this status")
    lst.add_argument("--action", help="only executions of this action (pack.name)")
    output.add_json(lst)

    for name, text in (("pause", "pause workflow executions"), ("resume", "resume paused workflow executions"),
                       ("cancel", "cancel executions")):
        op = execution.add_parser(name, help=text)
        op.add_argument("ids", nargs="+", metavar="ID", help="the executions")
        op.add_argument("--comment", help="why, recorded in the audit trail")
        output.add_json(op)

    rerun = execution.add_parser("re-run", help="re-run an execution")
    rerun.add_argument("id", help="the execution to re-run")
    rerun.add_argument("parameters", nargs="*", metavar="key=value", help="parameters to change (merged into the original ones)")
    rerun.add_argument("--no-merge", action="store_true", help="use only the given parameters")
    rerun.add_argument("--async", dest="run_async", action="store_true", help="print the new id and return at once")
    rerun.add_argument("--comment", help="why, recorded in the audit trail")
    output.add_json(rerun)
    rerun.add_argument("--tasks", nargs="+", default=[], metavar="T",
                       help="re-run from these tasks (name or name[route])")
    rerun.add_argument("--no-reset", nargs="+", default=[], metavar="T",
                       help="with-items tasks whose succeeded items are kept")
    rerun.add_argument("--failed", action="store_true", help="re-run every task whose latest execution abended")
    rerun.add_argument("--force", action="store_true", help="submit even if a join cannot run")
    rerun.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    rerun.add_argument("--format", choices=PLAN_FORMATS, default="text", help=FORMAT_HELP)
    rerun_options.add_plan(rerun)
    rerun_options.add_extras(rerun)

    skip = execution.add_parser(
        "skip", help="skip a failed task: record it succeeded (skipped) with a result and go on; on a "
        "failed workflow as a re-run, on a paused one in place, which then resumes")
    skip.add_argument("id", help="the workflow execution")
    skip.add_argument("task", help="the failed task to skip (name or name[route])")
    skip.add_argument("--result", dest="skip_result", metavar="JSON", help="the task's result (default null)")
    skip.add_argument("--publish", dest="skip_publish", nargs="+", default=[], metavar="KEY=VALUE",
                      help="values the skipped task publishes, over what its transitions compute")
    skip.add_argument("--force", action="store_true", help="submit even if a join cannot run")
    skip.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    skip.add_argument("--format", choices=PLAN_FORMATS, default="text", help=FORMAT_HELP)
    rerun_options.add_plan(skip)
    skip.add_argument("--comment", help="why, recorded in the audit trail")
    skip.add_argument("--async", dest="run_async", action="store_true", help="print the id and return at once")
    output.add_json(skip)

    tail.add_parser(execution)

    context = execution.add_parser("context", help="show what a task saw and did")
    context.add_argument("id", help="the workflow execution")
    context.add_argument("task", help="the task")
    context.add_argument("--route", type=int, help="the route of a task that ran on several")
    context.add_argument("--item", type=int, help="one item of a with-items task")
    output.add_json(context)

    audit = execution.add_parser("audit", help="list the operations recorded on an execution")
    audit.add_argument("id", help="the execution")
    output.add_json(audit)

    packs.add_parsers(sub)

    engine = sub.add_parser("engine", help="run the engine: adopt orphaned executions, serve operations")
    engine.add_argument("--until-idle", action="store_true", help="exit once nothing is left to do")
    engine.add_argument("--launch", help=argparse.SUPPRESS)

    serve = sub.add_parser("serve", help="run the engine and the st2-compatible REST API (/api/v1)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=9101, help="port (default: 9101; 0: any free port)")
    keys.add_parser(sub)
    inquiries.add_parser(sub)
    return parser


def _target_url(args) -> str:
    """The server to act on: ``--url``, else ``WFOPS_URL``; empty for the local store."""
    url = args.url if args.url is not None else os.environ.get("WFOPS_URL", "")
    return (url or "").strip()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # key=value parameters may come after options (`re-run ID --no-merge k=v`), as in st2.
    args, extra = parser.parse_known_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if extra:
        if hasattr(args, "parameters") and all("=" in e and not e.startswith("-") for e in extra):
            args.parameters = list(args.parameters) + extra
        else:
            parser.error("unrecognized arguments: %s" % " ".join(extra))
    url = _target_url(args)
    if url:
        if args.command in _LOCAL_ONLY:
            parser.error("`wfops %s` runs on this machine's store and cannot target a server; run it "
                         "without --url (and with WFOPS_URL unset) where the store is." % args.command)
        if args.home:
            parser.error("--home and --url exclude each other: the server keeps its own state.")
    else:
        # Processes started from here (detached engines) act on the local store too.
        os.environ.pop("WFOPS_URL", None)
    if args.home:
        os.environ["WFOPS_HOME"] = args.home
    if args.command == "key":  # the datastore needs neither the packs nor an engine
        return keys.run(args, url)
    if args.command == "inquiry":
        return inquiries.run(args, url)

    try:
        backend = _backend(url, args.user)
    except errors.WfopsError as e:
        print("ERROR: %s" % e, file=sys.stderr)
        return 1
    if not hasattr(args, "execution_command"):
        args.execution_command = None
    try:
        sub_command = next((getattr(args, name) for name in ("execution_command", "action_command", "pack_command")
                            if getattr(args, name, None)), None)
        handler = _HANDLERS[(args.command, sub_command)]
        return handler(backend, args, parser)
    except errors.WfopsError as e:
        print("ERROR: %s" % rerun_options.render_terms(e.message, args), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if url:
            print("Interrupted. The execution goes on on the server; `wfops execution get ID` shows it.",
                  file=sys.stderr)
        else:
            print("Interrupted. The execution goes on being recorded; run `wfops engine --until-idle` "
                  "to carry it on.", file=sys.stderr)
        return 130
    finally:
        backend.close()


def _backend(url: str, user: str | None):
    if url:
        from wfops.cli.remote import RemoteBackend
        from wfops.identity import current_user

        return RemoteBackend(url, user=user or current_user())
    from wfops.cli.backend import LocalBackend
    from wfops.session import Session

    return LocalBackend(Session(user=user))


# -- handlers ------------------------------------------------------------------------------
# Each takes the backend (wfops.cli.backend), the parsed arguments and the parser.


def _print_execution(backend, record: dict, as_json: bool, show_tasks: bool = False) -> None:
    view = backend.execution_view(record, tasks=True)
    audit = backend.operations(record["id"])
    if as_json:
        if not show_tasks and "children" in view:
            view["children"] = [c["id"] for c in view["children"]]
        if audit:
            view["audit"] = audit
        print(output.dump_json(view))
    else:
        print(output.render_execution(view, show_tasks=show_tasks, audit=audit))


def _print_id(execution_id: str, as_json: bool) -> int:
    print(json.dumps({"id": execution_id}) if as_json else execution_id)
    return 0


def _wait_and_print(backend, execution_id: str, as_json: bool, *, progress: bool = True) -> int:
    if progress and not as_json and sys.stderr.isatty():
        from wfops.cli.progress import TaskBoard

        with TaskBoard(execution_id) as board:
            record = backend.wait(execution_id, progress=board)
    else:
        record = backend.wait(execution_id)
    _print_execution(backend, record, as_json, show_tasks=False)
    if record["status"] == s.SUCCEEDED:
        return 0
    problems = output.workflow_errors(record)
    if problems:
        print("ERROR: execution %s %s:\n%s" % (record["id"], record["status"],
                                               "\n".join("  - " + p for p in problems)), file=sys.stderr)
    return 1


def cmd_run(backend, args, parser) -> int:
    from wfops.parameters import cast_cli_values

    values = _key_values(args.parameters, parser)
    action = backend.get_action(args.ref)
    params = cast_cli_values(action, values)
    if args.tail and args.run_async:
        parser.error("--tail follows the execution; --async returns at once: give one of them")
    execution_id = backend.launch(args.ref, params, detached=args.run_async)
    if args.run_async:
        return _print_id(execution_id, args.json)
    if args.tail:
        tail.follow(backend, execution_id)
        return _wait_and_print(backend, execution_id, args.json, progress=False)
    return _wait_and_print(backend, execution_id, args.json)


def cmd_execution_get(backend, args, parser) -> int:
    record = backend.get_execution(args.id)
    _print_execution(backend, record, args.json, show_tasks=args.show_tasks)
    return 0


def cmd_execution_list(backend, args, parser) -> int:
    views = backend.list_executions(status=args.status, action=args.action, limit=args.last)
    print(output.dump_json(views) if args.json else output.render_list(views))
    return 0


def _lifecycle(operation: str):
    def handler(backend, args, parser) -> int:
        failures = 0
        results = []
        for execution_id in args.ids:
            try:
                response = backend.lifecycle(operation, execution_id, comment=args.comment)
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


def cmd_execution_rerun(backend, args, parser) -> int:
    from wfops.parameters import cast_cli_values

    original = backend.get_execution(args.id)
    parameters = None
    if args.parameters:
        action = backend.get_action(original["action_ref"])
        parameters = cast_cli_values(action, _key_values(args.parameters, parser))
    return _rerun(backend, args, rerun_options.rerun_request(args, parameters))


def cmd_execution_skip(backend, args, parser) -> int:
    return _rerun(backend, args, rerun_options.rerun_request(args))


def _rerun(backend, args, request) -> int:
    if args.dry_run:
        _print_plan(backend, request, backend.plan(request), args)
        return 0
    execution_id = backend.rerun(request, detached=args.run_async)
    if args.run_async:
        return _print_id(execution_id, args.json)
    return _wait_and_print(backend, execution_id, args.json, progress=request.from_beginning)


def _print_plan(backend, request, plan, args) -> None:
    from wfops import planner

    as_json = args.format == "json" or (args.json and args.format == "text")
    if plan.mode == "from_beginning":
        if as_json:
            print(output.dump_json(plan.to_dict()))
        elif args.format in ("dot", "svg"):
            raise errors.WfopsError("--format %s draws the run graph of a re-run from tasks; a re-run from the "
                                    "beginning has none. Name the tasks, or leave --format out." % args.format)
        else:
            print('Re-run plan for execution "%s": from the beginning, a new execution of %s%s with parameters:'
                  % (plan.execution_id, plan.action,
                     " (and a new workflow execution)" if plan.runner_type == "orquesta" else ""))
            print(output.dump_json(plan.parameters))
        return
    if as_json:
        print(output.dump_json(plan.to_dict()))
    elif args.format == "dot":
        print(backend.render_dot(request, plan))
    elif args.format == "svg":
        sys.stdout.write(output.svg_of(backend.render_dot(request, plan)))
    else:
        print(rerun_options.render_terms(planner.render_text(plan), args))
        extras = getattr(plan, "extras", None)
        if extras:
            from wfops.planner.extras import render_extras_text

            print(rerun_options.render_terms(render_extras_text(extras), args))
        print("Apply this plan (refused if the workflow changes first): %s"
              % rerun_options.apply_command(args.argv, plan.fingerprint))


def cmd_execution_context(backend, args, parser) -> int:
    record = backend.get_execution(args.id)
    view = backend.task_context(record, args.task, args.route, args.item)
    if args.json:
        print(output.dump_json(view))
    else:
        print(output.render_task_context(view))
    return 0


def cmd_execution_audit(backend, args, parser) -> int:
    record = backend.get_execution(args.id)
    entries = backend.operations(record["id"])
    if args.json:
        print(output.dump_json(entries))
    else:
        print(output.render_audit(entries))
    return 0


# -- local only --------------------------------------------------------------------------


def cmd_engine(backend, args, parser) -> int:
    import logging

    from wfops.engine import loop

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    session = backend.session
    engine = session.engine
    if args.launch:
        payload = json.loads(args.launch)
        engine.launch(payload["ref"], payload["parameters"], context=payload.get("context"),
                      user=session.user, execution_id=payload["id"])
    loop.run(engine, until_idle=args.until_idle)
    return 0


def cmd_serve(backend, args, parser) -> int:
    from wfops.api.server import serve

    packs.warn_problems(backend.session.registry.problems())
    return serve(backend.session, args.host, args.port)


_LOCAL_ONLY = ("engine", "serve")

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
    ("execution", "tail"): tail.cmd_execution_tail,
    **packs.HANDLERS,
    ("engine", None): cmd_engine,
    ("serve", None): cmd_serve,
}


if __name__ == "__main__":
    sys.exit(main())
