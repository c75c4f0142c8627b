"""How the command line prints executions, in the manner of the st2 CLI."""

from __future__ import annotations

import datetime
import json
from typing import Any


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


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |", line]
    for row in rows:
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    out.append(line)
    return "\n".join(out)


def task_rows(children: list[dict]) -> list[list[str]]:
    rows = []
    for child in children:
        orquesta = child.get("context", {}).get("orquesta", {})
        task = orquesta.get("task_name", "")
        if orquesta.get("item_id") is not None:
            task = "%s[%s]" % (task, orquesta["item_id"])
        rows.append([child["id"], child["status"], task, child["action"]["ref"], child["start_timestamp"]])
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
        lines.append(table(task_rows(children), ["id", "status", "task", "action", "start_timestamp"]))
    if audit:
        lines.append("operations:")
        for entry in audit:
            line = "  %s %s by %s" % (entry["timestamp"], entry["operation"], entry["user"])
            if entry.get("comment"):
                line += ": %s" % entry["comment"]
            lines.append(line)
    return "\n".join(lines)


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
