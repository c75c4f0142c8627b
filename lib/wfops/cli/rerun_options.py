"""The options of ``wfops execution re-run`` and ``skip`` that make a re-run request
(the resume extras and ``--fingerprint``), and the request they make. Values are parsed
here; whether they make a valid request is the planner's to say, for every front end
alike (an item selection, a value nested too deeply, a task that never ran...)."""

from __future__ import annotations

import argparse
import re

from wfops import errors, nesting


def add_fingerprint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fingerprint", metavar="FP",
                        help="apply the plan a dry run showed (its Fingerprint line) only if the workflow "
                        "is still in that state; refused when another operation changed it since")


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


def extras_payload(args) -> dict:
    """The extras of a parsed ``re-run`` command line, as the backends take them:
    ``items``, ``context``, ``skip``, ``result``, ``publish``."""
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
    return {
        "items": items or None,
        "context": task_assignments(args.context, "--context") or None,
        "skip": [t for group in args.skip for t in group],
        "result": results or None,
        "publish": task_assignments(args.publish, "--publish") or None,
    }
