"""Execution records as StackStorm's API shows them."""

from __future__ import annotations

from typing import Any

from wfops import masking


def _masked_parameters(registry, record: dict) -> dict:
    if not record["parameters"]:
        return record["parameters"]  # nothing to mask: the pack metadata is not read
    try:
        action = registry.get(record["action_ref"])
    except Exception:
        return record["parameters"]
    return masking.mask_secrets(action, record["parameters"])


def execution_view(store, registry, record: dict, *, tasks: bool = False) -> dict[str, Any]:
    """StackStorm's execution JSON for one stored record.

    With ``tasks``, ``children`` holds the child executions in full (recursively), as
    ``wfops execution get --show-tasks --json`` prints them; otherwise their ids.
    """
    ref = record["action_ref"]
    pack, _, name = ref.partition(".")
    view: dict[str, Any] = {
        "id": record["id"],
        "action": {"ref": ref, "pack": pack, "name": name, "runner_type": record["runner_type"]},
        "runner": {"name": record["runner_type"]},
        "status": record["status"],
        "parameters": _masked_parameters(registry, record),
        "result": record["result"],
        "context": record["context"],
        "start_timestamp": record["start_timestamp"],
        "end_timestamp": record["end_timestamp"],
        "log": record["log"],
    }
    if record["parent"]:
        view["parent"] = record["parent"]
    if tasks:
        children = store.child_executions(record["id"])
        if children:
            view["children"] = [execution_view(store, registry, c, tasks=True) for c in children]
    else:
        child_ids = store.child_ids(record["id"])  # ids only: no child record is decoded
        if child_ids:
            view["children"] = child_ids
    return view
