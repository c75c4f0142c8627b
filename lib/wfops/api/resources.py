"""StackStorm's JSON for actions, runner types and executions, and the
``include_attributes`` / ``exclude_attributes`` projections of its API.

Every execution document goes through :func:`execution_doc`, which masks secret
parameters (``wfops.views`` applies ``wfops.masking``); audit entries go through
:func:`audit_doc`, which masks the parameters they carry.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import os
from typing import Any, Iterable

from wfops import masking
from wfops.packs.runner_types import RUNNER_TYPES
from wfops.views import execution_view

RUNNER_DESCRIPTIONS = {
    "noop": "A runner which does nothing.",
    "local-shell-cmd": "A runner to execute local actions as a fixed user.",
    "local-shell-script": "A runner to execute local actions as a fixed user.",
    "python-script": "A runner for launching python actions.",
    "orquesta": "A runner for executing orquesta workflow.",
}

# What st2 lets ``?exclude_attributes`` remove from an execution.
EXECUTION_EXCLUDABLE = ("result", "trigger_instance", "status")


def pseudo_id(kind: str, name: str) -> str:
    """A stable 24-hex-digit id for a resource that wfops keys by name (st2 has ObjectIds)."""
    return hashlib.sha1(("%s:%s" % (kind, name)).encode("utf-8")).hexdigest()[:24]


# -- actions and runner types ------------------------------------------------------------


def action_doc(action) -> dict[str, Any]:
    entry_point = action.entry_point or ""
    if entry_point:
        base = os.path.join(action.pack_path, "actions")
        try:
            entry_point = os.path.relpath(entry_point, base)
        except ValueError:
            entry_point = os.path.basename(entry_point)
    metadata_file = action.metadata_file or ""
    if metadata_file and action.pack_path:
        try:
            metadata_file = os.path.relpath(metadata_file, action.pack_path)
        except ValueError:
            metadata_file = os.path.basename(metadata_file)
    return {
        "id": pseudo_id("action", action.ref),
        "uid": "action:%s:%s" % (action.pack, action.name),
        "ref": action.ref,
        "pack": action.pack,
        "name": action.name,
        "description": action.description or "",
        "enabled": bool(action.enabled),
        "entry_point": entry_point,
        "runner_type": action.runner_type,
        "parameters": copy.deepcopy(action.parameters),
        "output_schema": {},
        "notify": {},
        "tags": [],
        "metadata_file": metadata_file,
    }


def runner_type_doc(name: str) -> dict[str, Any]:
    runner = RUNNER_TYPES[name]
    return {
        "id": pseudo_id("runner_type", name),
        "uid": "runner_type:%s" % name,
        "name": name,
        "description": RUNNER_DESCRIPTIONS.get(name, ""),
        "enabled": True,
        "runner_package": name.replace("-", "_"),
        "runner_module": name.replace("-", "_"),
        "runner_parameters": copy.deepcopy(runner.parameters),
        "output_key": "result" if name != "orquesta" else "output",
        "output_schema": {},
    }


def find_action(registry, ref_or_id: str):
    """The action named by ref or by its pseudo id, or None."""
    if ref_or_id in registry:
        return registry.get(ref_or_id)
    for action in registry.list():
        if pseudo_id("action", action.ref) == ref_or_id:
            return action
    return None


def find_runner_type(name_or_id: str) -> str | None:
    if name_or_id in RUNNER_TYPES:
        return name_or_id
    for name in RUNNER_TYPES:
        if pseudo_id("runner_type", name) == name_or_id:
            return name
    return None


# -- executions -------------------------------------------------------------------------


def _elapsed_seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
        a = datetime.datetime.strptime(start, fmt)
        b = datetime.datetime.strptime(end, fmt)
    except ValueError:
        return None
    return round((b - a).total_seconds(), 6)


def execution_doc(store, registry, record: dict) -> dict[str, Any]:
    """st2's ActionExecutionAPI document for one stored execution (secrets masked)."""
    view = execution_view(store, registry, record)
    action = view["action"]
    action["uid"] = "action:%s:%s" % (action["pack"], action["name"])
    action["id"] = pseudo_id("action", action["ref"])
    try:
        spec = registry.get(record["action_ref"])
        action["parameters"] = copy.deepcopy(spec.parameters)
        action["description"] = spec.description or ""
    except Exception:  # an execution of an action that is no longer loaded
        action["parameters"] = {}
    view["runner"] = {"name": record["runner_type"], "runner_parameters": {}}
    if record["runner_type"] in RUNNER_TYPES:
        view["runner"]["runner_parameters"] = copy.deepcopy(RUNNER_TYPES[record["runner_type"]].parameters)
    view["liveaction"] = {"id": record["id"]}
    view.setdefault("children", [])
    elapsed = _elapsed_seconds(record["start_timestamp"], record["end_timestamp"])
    if elapsed is not None:
        view["elapsed_seconds"] = elapsed
    return view


def task_children_docs(store, registry, execution_id: str, depth: int = -1) -> list[dict]:
    """Descendants of an execution, depth-first (st2's ``get_descendants``): each child is
    followed by its own descendants, down to ``depth`` levels (-1: all)."""
    result: list[dict] = []
    pending = [(c, 1) for c in store.child_executions(execution_id)]
    while pending:
        record, level = pending.pop(0)
        result.append(execution_doc(store, registry, record))
        if depth != -1 and level >= depth:
            continue
        children = store.child_executions(record["id"])
        pending[0:0] = [(c, level + 1) for c in children]
    return result


def _mask_params_in(entry: Any, action) -> Any:
    if isinstance(entry, dict):
        out = {}
        for key, value in entry.items():
            if key == "parameters" and isinstance(value, dict) and action is not None:
                out[key] = masking.mask_secrets(action, value)
            else:
                out[key] = _mask_params_in(value, action)
        return out
    if isinstance(entry, list):
        return [_mask_params_in(v, action) for v in entry]
    return entry


def audit_doc(registry, record: dict, entries: list[dict]) -> list[dict]:
    """Audit entries of an execution, with any parameters they record masked."""
    try:
        action = registry.get(record["action_ref"])
    except Exception:
        action = None
    return [_mask_params_in(e, action) for e in entries]


# -- projections ------------------------------------------------------------------------


def split_attributes(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out += [v.strip() for v in value.split(",") if v.strip()]
    return out


def include_only(doc: dict, paths: list[str], always: Iterable[str] = ("id",)) -> dict:
    """The parts of ``doc`` named by dotted ``paths`` (plus ``always``)."""
    result: dict[str, Any] = {}
    for path in list(always) + list(paths):
        parts = path.split(".")
        source: Any = doc
        for part in parts:
            if not isinstance(source, dict) or part not in source:
                source = _MISSING
                break
            source = source[part]
        if source is _MISSING:
            continue
        target = result
        for part in parts[:-1]:
            existing = target.get(part)
            if not isinstance(existing, dict):
                existing = {}
                target[part] = existing
            target = existing
        target[parts[-1]] = copy.deepcopy(source)
    return result


def exclude(doc: dict, names: list[str]) -> dict:
    return {k: v for k, v in doc.items() if k not in names}


class _Missing:
    pass


_MISSING = _Missing()

