"""Short descriptions of executions for action results, ChatOps and trigger payloads."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from wfops import statuses as s


def action_ref(doc: Mapping) -> str | None:
    action = doc.get("action") or {}
    return action.get("ref") if isinstance(action, Mapping) else None


def runner_type(doc: Mapping) -> str | None:
    runner = doc.get("runner") or {}
    action = doc.get("action") or {}
    return (runner.get("name") if isinstance(runner, Mapping) else None) or (
        action.get("runner_type") if isinstance(action, Mapping) else None)


def rerun_of(doc: Mapping) -> str | None:
    rerun = (doc.get("context") or {}).get("re-run") or {}
    return rerun.get("ref") if isinstance(rerun, Mapping) else None


def execution_summary(doc: Mapping) -> dict[str, Any]:
    """id, action, status, timestamps, parent and what it re-ran."""
    out: dict[str, Any] = {
        "id": doc.get("id"),
        "action": action_ref(doc),
        "status": doc.get("status"),
        "start_timestamp": doc.get("start_timestamp"),
        "end_timestamp": doc.get("end_timestamp"),
    }
    if doc.get("parent"):
        out["parent"] = doc["parent"]
    if rerun_of(doc):
        out["rerun_of"] = rerun_of(doc)
    return out


def task_executions(execution_id: str, children: Iterable[Mapping]) -> list[dict[str, Any]]:
    """The latest execution of each task (and route) among the direct children of a
    workflow execution, with item statuses for with-items tasks; in start order. An
    action chain's nodes are its tasks (on route 0)."""
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    for child in sorted(children, key=lambda c: c.get("start_timestamp") or ""):
        if child.get("parent") not in (None, execution_id):
            continue
        context = child.get("context") or {}
        orquesta = context.get("orquesta") or {}
        chain = context.get("chain") or {}
        task = orquesta.get("task_name") or (chain.get("name") if isinstance(chain, Mapping) else None)
        if not task:
            continue
        route = int(orquesta.get("task_route") or 0)
        entry = latest.get((task, route))
        # a chain node's run is its own task execution: its latest run is the node's
        task_execution = orquesta.get("task_execution_id") if orquesta else child.get("id")
        if entry is None or (entry["task_execution_id"] != task_execution and orquesta.get("item_id") is None):
            entry = {"task": task, "route": route, "task_execution_id": task_execution,
                     "execution": child.get("id"), "status": child.get("status"), "items": {}}
            latest[(task, route)] = entry
        if orquesta.get("item_id") is not None:
            entry["items"][int(orquesta["item_id"])] = child.get("status")
            entry["status"] = _items_status(entry["items"].values())
        else:
            entry["execution"] = child.get("id")
            entry["status"] = child.get("status")
    return list(latest.values())


def _items_status(found: Iterable[str]) -> str:
    found = list(found)
    for status in found:
        if status in s.ACTIVE:
            return status
    for status in found:
        if status in s.ABENDED:
            return status
    return s.CANCELED if s.CANCELED in found else s.SUCCEEDED


def failed_tasks(execution_id: str, children: Iterable[Mapping]) -> list[dict[str, Any]]:
    """Tasks whose latest execution failed, timed out or was abandoned: ``task``,
    ``route``, ``status``, ``execution`` and, for with-items tasks, the abended
    ``items``."""
    out = []
    for entry in task_executions(execution_id, children):
        if entry["status"] not in s.ABENDED:
            continue
        item = {"task": entry["task"], "route": entry["route"], "status": entry["status"],
                "execution": entry["execution"]}
        if entry["items"]:
            item["items"] = sorted(i for i, st in entry["items"].items() if st in s.ABENDED)
        out.append(item)
    return out


def task_label(entry: Mapping) -> str:
    return entry["task"] if not entry.get("route") else "%s[%d]" % (entry["task"], entry["route"])


def suggested_rerun(execution_id: str, failed: list[Mapping], by_task: bool = True) -> dict[str, str]:
    """How to re-run the failed tasks: with the st2 CLI, with ChatOps, with the pack action.
    Without ``by_task`` (an action chain, which st2 re-runs only whole), the whole
    execution."""
    names = []
    for entry in failed if by_task else ():
        label = task_label(entry)
        if label not in names:
            names.append(label)
    if not names:
        return {
            "st2": "st2 execution re-run %s" % execution_id,
            "chatops": "wfops rerun %s" % execution_id,
            "action": "st2 run wfops.rerun id=%s" % execution_id,
        }
    return {
        "st2": "st2 execution re-run %s --tasks %s" % (execution_id, " ".join(names)),
        "chatops": "wfops rerun %s from %s" % (execution_id, ",".join(names)),
        "action": "st2 run wfops.rerun id=%s tasks=%s" % (execution_id, ",".join(names)),
    }
