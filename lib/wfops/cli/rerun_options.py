"""The options of ``wfops execution re-run`` and ``skip`` that make a re-run request
(the resume extras and ``--plan``), and the request they make. Values are parsed
here; whether they make a valid request is the planner's to say, for every front end
alike (an item selection, a value nested too deeply, a task that never ran...)."""

from __future__ import annotations

import argparse
import re

from wfops import errors, nesting, request_terms


def add_plan(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", "--fingerprint", dest="fingerprint", metavar="FINGERPRINT",
                        help="apply the plan a dry run previewed (its Fingerprint line; the dry run prints "
                        "the command) only if it is still that plan: refused when the workflow changed "
                        "since. --fingerprint is another name for it")


def apply_command(argv: list[str], fingerprint: str) -> str:
    """The command line that applies the plan a dry run (``argv``, the words after
    ``wfops``) previewed: the same request without ``--dry-run`` and ``--format``, with
    ``--plan FINGERPRINT``. The options before the command (``--url``, ``--home``,
    ``--user``) are left out, so that local and ``--url`` modes print the same. O(len(argv))."""
    import shlex

    start = 0
    while start < len(argv) and argv[start].startswith("-"):
        start += 1 if "=" in argv[start] else 2
    words, skip_next = ["wfops"], False
    for word in argv[start:]:
        if skip_next:
            skip_next = False
        elif word == "--dry-run" or word.startswith(("--format=", "--plan=", "--fingerprint=")):
            continue
        elif word in ("--format", "--plan", "--fingerprint"):
            skip_next = True
        else:
            words.append(word)
    return " ".join(shlex.quote(w) for w in words + ["--plan", fingerprint])


def add_extras(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--items", nargs=2, action="append", default=[], metavar=("T", "I,J"),
                        help="re-run exactly these items of with-items task T")
    parser.add_argument("--context", nargs="+", action="append", default=[], metavar="T KEY=VALUE",
                        help="merge KEY=VALUE into task T's inbound context for this re-run")
    parser.add_argument("--skip", nargs="+", action="append", default=[], metavar="T",
                        help="record failed task T as succeeded (skipped) and continue after it; "
                        "the only option a paused workflow takes (it then resumes)")
    parser.add_argument("--result", nargs=2, action="append", default=[], metavar=("T", "JSON"),
                        help="the result a skipped task T is given (default null)")
    parser.add_argument("--publish", nargs="+", action="append", default=[], metavar="T KEY=VALUE",
                        help="values a skipped task T publishes, over what its transitions compute")


def render_terms(text: str, args) -> str:
    """``text`` (a refusal, a plan) with the request's terms (:mod:`wfops.request_terms`)
    named as the command ``args`` parsed takes them: ``re-run``'s options (``--tasks T``),
    or the ``skip`` command's own syntax (``--result JSON``, ``--publish KEY=VALUE``, and
    the ``re-run`` command for what ``skip`` does not take). O(len(text))."""
    if getattr(args, "execution_command", None) != "skip":
        return request_terms.render(text, request_terms.command_line)
    execution_id = args.id

    def skip_words(part, task, rest):
        if part in ("result", "publish"):
            return request_terms.option_words("--" + part, None, rest)
        if part == "force":
            return "--force"
        if part == "skip":
            return "`wfops execution skip %s %s`" % (execution_id, task or "TASK")
        return "`wfops execution re-run %s %s`" % (execution_id, request_terms.command_line(part, task, rest))

    return request_terms.render(text, skip_words)


def _value(text: str):
    """A value from the command line: JSON when it is valid JSON, else the string."""
    try:
        return nesting.loads(text)
    except ValueError:
        return text


def result_value(text: str, what: str):
    """A skipped task's result: ``text`` parsed as JSON, or the refusal naming ``what``
    (the option) it was given with."""
    try:
        return nesting.loads(text)
    except ValueError as e:
        raise errors.WfopsError("%s: the result is not JSON (%s)." % (what, e)) from None


def _item_indices(text: str) -> list:
    """``"0,3,5"`` -> ``[0, 3, 5]``; ``""`` -> ``[]``. A part that is not an integer stays
    text: the planner, which checks every item selection, refuses it."""
    if not text.strip():
        return []
    parts = [part.strip() for part in text.split(",")]
    return [int(part) if re.fullmatch(r"-?[0-9]+", part) else part for part in parts]


def task_assignments(groups: list[list[str]], option: str) -> dict[str, dict]:
    """``[["task2", "k=v", ...], ...]`` (``--context`` / ``--publish``) ->
    ``{"task2": {"k": value}}``, each value parsed by :func:`_value`."""
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


def rerun_request(args, parameters: dict | None = None):
    """The :class:`wfops.rerun_request.RerunRequest` of a parsed ``re-run`` or
    ``skip`` command line (``parameters``: the ``key=value`` ones, cast); every value
    problem at once. Whether it is a valid request is for the operations to say."""
    from wfops.rerun_request import RerunRequest

    common = {"execution_id": args.id, "force": args.force, "fingerprint": args.fingerprint,
              "dry_run": args.dry_run, "comment": args.comment, "user": None}
    if args.execution_command == "skip":
        result = None
        if args.skip_result is not None:
            result = {args.task: result_value(args.skip_result, "--result")}
        publish = task_assignments([[args.task] + args.skip_publish], "--publish") if args.skip_publish else None
        return RerunRequest(skip=[args.task], result=result, publish=publish, **common)
    items: dict[str, list] = {}
    for task, text in args.items:
        items.setdefault(task, []).extend(_item_indices(text))
    results = {}
    problems = []
    for task, text in args.result:
        try:
            results[task] = result_value(text, "--result %s" % task)
        except errors.WfopsError as e:
            problems.append(e.message)
    errors.collect(problems)
    return RerunRequest(
        tasks=list(args.tasks), no_reset=list(args.no_reset), failed=args.failed,
        parameters=parameters or None, no_merge=args.no_merge,
        items=items or None, context=task_assignments(args.context, "--context") or None,
        skip=[t for group in args.skip for t in group], result=results or None,
        publish=task_assignments(args.publish, "--publish") or None, **common)
