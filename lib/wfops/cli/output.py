"""How the command line prints executions, in the manner of the st2 CLI."""

from __future__ import annotations

import datetime
import json
from typing import Any


def add_json(parser) -> None:
    """The ``-j/--json`` option every command that prints takes."""
    parser.add_argument("-j", "--json", action="store_true", help="print JSON instead of text")


def _elapsed(view: dict) -> str:
    try:
        start = datetime.datetime.strptime(view["start_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
        end_text = view.get("end_timestamp")
        end = (
            datetime.datetime.strptime(end_text, "%Y-%m-%dT%H:%M:%S.%fZ")
            if end_text
            else datetime.datetime.utcnow()
        )
        return "%ds elapsed" % int((end - start).total_seconds())
    except (KeyError, TypeError, ValueError):
        return ""


def _block(value: Any, indent: str = "  ") -> str:
    import yaml

    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=True, width=100).rstrip()
    return "\n".join(indent + line for line in text.splitlines())


def _wrapped(cell: str, width: int | None) -> list[str]:
    """``cell`` as the lines of a table cell at most ``width`` wide (None: one line)."""
    import textwrap

    if width is None or len(cell) <= width:
        return [cell]
    return textwrap.wrap(cell, width, break_long_words=True, break_on_hyphens=False) or [""]


def table(rows: list[list[str]], headers: list[str], *, widths: dict[str, int] | None = None) -> str:
    """An st2-style table; a column named in ``widths`` wraps its cells at that width.
    O(size of the cells)."""
    limits = [(widths or {}).get(h) for h in headers]
    cells = [[_wrapped(c, limits[i]) for i, c in enumerate(row)] for row in rows]
    sizes = [len(h) for h in headers]
    for row in cells:
        for i, lines in enumerate(row):
            sizes[i] = max([sizes[i]] + [len(line) for line in lines])
    line = "+" + "+".join("-" * (w + 2) for w in sizes) + "+"
    out = [line, "| " + " | ".join(h.ljust(w) for h, w in zip(headers, sizes)) + " |", line]
    for row in cells:
        for n in range(max(len(lines) for lines in row)):
            out.append("| " + " | ".join((lines[n] if n < len(lines) else "").ljust(w)
                                         for lines, w in zip(row, sizes)) + " |")
    out.append(line)
    return "\n".join(out)


TASK_HEADERS = ["id", "status", "task", "item", "action", "start_timestamp"]


def task_rows(children: list[dict]) -> list[list[str]]:
    """The rows of a task table (:data:`TASK_HEADERS`). ``task`` is named as ``--tasks``
    takes it: ``name`` when the task ran on one route only, ``name[route]`` when it ran on
    several (or on a route other than 0); a chain's node by its name; ``item`` is the with-items index, apart. A task
    whose result was supplied by a skip is ``succeeded (skipped)``. O(len(children))."""
    routes: dict[str, set] = {}
    for child in children:
        orquesta = child.get("context", {}).get("orquesta", {})
        name = orquesta.get("task_name") or child.get("context", {}).get("chain", {}).get("name", "")
        routes.setdefault(name, set()).add(orquesta.get("task_route") or 0)
    rows = []
    for child in children:
        orquesta = child.get("context", {}).get("orquesta", {})
        task = orquesta.get("task_name") or child.get("context", {}).get("chain", {}).get("name", "")
        route = orquesta.get("task_route") or 0
        if routes[task] != {0}:
            task = "%s[%d]" % (task, route)
        item = orquesta.get("item_id")
        status = child["status"] + (" (skipped)" if child.get("context", {}).get("skipped") else "")
        rows.append([child["id"], status, task, "" if item is None else str(item), child["action"]["ref"],
                     child["start_timestamp"]])
    return rows


def render_execution(view: dict, *, show_tasks: bool = False, audit: list[dict] | None = None) -> str:
    lines = [
        "id: %s" % view["id"],
        "action.ref: %s" % view["action"]["ref"],
        "parameters:" + ("\n" + _block(view["parameters"]) if view["parameters"] else " None"),
        "status: %s (%s)" % (view["status"], _elapsed(view)),
        "start_timestamp: %s" % view["start_timestamp"],
        "end_timestamp: %s" % (view.get("end_timestamp") or ""),
    ]
    rerun = view.get("context", {}).get("re-run")
    if rerun:
        lines.append("re-run:\n" + _block(rerun))
    if view.get("result") is not None:
        lines.append("result:\n" + _block(view["result"]))
    children = view.get("children") or []
    if children and isinstance(children[0], dict):
        lines.append("+ tasks:" if not show_tasks else "tasks:")
        rows, headers = task_rows(children), list(TASK_HEADERS)
        if not any(row[3] for row in rows):  # no with-items task: no item column
            rows, headers = [row[:3] + row[4:] for row in rows], headers[:3] + headers[4:]
        lines.append(table(rows, headers))
    if audit:
        lines.append("operations:")
        for entry in audit:
            line = "  %s %s by %s" % (entry["timestamp"], entry["operation"], entry["user"])
            if entry.get("comment"):
                line += ": %s" % entry["comment"]
            lines.append(line)
    return "\n".join(lines)


AUDIT_HEADERS = ["timestamp", "user", "operation", "request", "comment"]
# The request column wraps at this width; a fingerprint shows its first characters.
_REQUEST_WIDTH = 60
_FINGERPRINT_SHOWN = 12


def request_summary(request: dict) -> str:
    """An audit entry's request in one line to wrap: ``key=value`` for each part given
    (compact JSON values, empty parts left out, a fingerprint cut to its first
    characters; ``execution audit --json`` has it in full). O(size of the request)."""
    parts = []
    for key, value in sorted((request or {}).items()):
        if value in (None, [], {}, "", False):
            continue
        if key == "fingerprint" and isinstance(value, str) and len(value) > _FINGERPRINT_SHOWN:
            value = value[:_FINGERPRINT_SHOWN] + "..."
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"),
                                                               default=str)
        parts.append("%s=%s" % (key, text))
    return " ".join(parts)


def render_audit(entries: list[dict]) -> str:
    """The audit table of ``wfops execution audit``; the request column is summarised
    (:func:`request_summary`) and wrapped so that long requests keep the table narrow."""
    rows = [[e["timestamp"], e["user"], e["operation"], request_summary(e["request"]), e.get("comment") or ""]
            for e in entries]
    return table(rows, AUDIT_HEADERS, widths={"request": _REQUEST_WIDTH, "comment": 40})


def render_list(views: list[dict]) -> str:
    rows = [
        [v["id"], v["action"]["ref"], v.get("context", {}).get("user", ""), v["status"],
         v["start_timestamp"], v.get("end_timestamp") or ""]
        for v in views
    ]
    return table(rows, ["id", "action.ref", "context.user", "status", "start_timestamp", "end_timestamp"])


def dump_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def render_task_context(view: dict) -> str:
    skipped = " (skipped)" if view.get("skipped") else ""
    lines = [
        "task: %s[%s]" % (view["task"], view["route"]),
        "status: %s%s" % (view["status"], skipped),
        "task_execution: %s" % view["task_execution"],
        "led to by: %s" % (", ".join("%s[%s] (%s)" % (p["task"], p["route"], p["status"])
                                      for p in view["led_to_by"]) or "the workflow's start"),
        "context:\n" + _block(view["context"]),
    ]
    if "items" in view:
        for item in view["items"]:
            lines.append("item %d: %s" % (item["item"], item["status"]))
            lines.append("  input:\n" + _block(item["input"], indent="    "))
            lines.append("  result:\n" + _block(item["result"], indent="    "))
    else:
        lines.append("input:\n" + _block(view.get("input")))
        lines.append("result:\n" + _block(view.get("result")))
    lines.append("published:\n" + _block(view.get("published")))
    return "\n".join(lines)


def workflow_errors(view: dict) -> list[str]:
    """One line per entry of a failed execution's ``result.errors`` (StackStorm's error
    entries: ``type``, ``message``, and ``spec_path`` or ``task_id`` where it comes from)."""
    result = view.get("result")
    entries = result.get("errors") if isinstance(result, dict) else None
    lines = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        where = entry.get("spec_path") or ("task %s" % entry["task_id"] if entry.get("task_id") else "")
        kind = "[%s] " % entry["type"] if entry.get("type") else ""
        lines.append("%s%s%s" % (kind, "%s: " % where if where else "", entry.get("message", "")))
    return lines


def svg_of(dot_source: str) -> str:
    """``dot_source`` drawn as SVG by Graphviz's ``dot`` command; a clear refusal when
    Graphviz is not installed or cannot draw it. One ``dot`` process."""
    import shutil
    import subprocess

    from wfops import errors

    dot = shutil.which("dot")
    if dot is None:
        raise errors.WfopsError("--format svg needs Graphviz's `dot` command, which is not installed (on "
                                "Debian or Ubuntu: apt-get install graphviz). --format dot prints the "
                                "graph's source, for Graphviz elsewhere.")
    done = subprocess.run([dot, "-Tsvg"], input=dot_source, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise errors.WfopsError("Graphviz could not draw the plan: %s" % done.stderr.strip())
    return done.stdout
