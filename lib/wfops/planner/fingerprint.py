"""The fingerprint of a run state (R13): what a plan was computed from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from wfops import errors

_UNSET = (None, "null")


def item_statuses(run_state: Mapping[str, Any]) -> dict[int, tuple[str | None, ...]]:
    """``{sequence index: [item status, ...]}`` from the host's ``items``, completed by
    the ``items`` Orquesta keeps on staged entries (those belong to the latest execution of
    their task and route). Statuses are strings, ``None`` for an item that never ran.
    O(V + items)."""
    result: dict[int, list[str | None]] = {}
    tasks = run_state.get("tasks") or {}
    for staged in run_state.get("staged") or []:
        if staged.get("items"):
            index = tasks.get("%s__r%s" % (staged["id"], staged.get("route", 0)))
            if index is not None:
                result[index] = tuple(_status(i) for i in staged["items"])
    for key, items in (run_state.get("items") or {}).items():
        result[int(key)] = tuple(
            None if s in _UNSET else s if isinstance(s, str) else _status(s) for s in items
        )
    return result


def _status(item: Any) -> str | None:
    status = item.get("status") if isinstance(item, Mapping) else item
    return None if status in _UNSET else status


def fingerprint(
    run_state: Mapping[str, Any], items: dict[int, tuple[str | None, ...]] | None = None
) -> str:
    """sha256 (hex) of a canonical JSON of what any operation on the run changes: the
    workflow status; each sequence entry's task, route and status; item statuses; the
    number of re-runs; each staged entry's task, route, readiness and item statuses.
    Contexts, logs and results are left out. ``items`` is ``item_statuses(run_state)``
    when the caller has it already. O(V + items)."""
    sequence = run_state.get("sequence") or []
    if items is None:
        items = item_statuses(run_state)
    canonical = {
        "status": run_state.get("status"),
        # Tuples: the garbage collector stops tracking them, unlike lists (see RunGraph).
        "sequence": [(e["id"], e.get("route", 0), e.get("status")) for e in sequence],
        # Keyed by sequence index, in index order.
        "items": [(i, items[i]) for i in sorted(items)],
        "reruns": len(run_state.get("reruns") or []),
        "staged": [
            (
                s["id"],
                s.get("route", 0),
                bool(s.get("ready")),
                tuple(_status(i) for i in s.get("items") or ()),
            )
            for s in run_state.get("staged") or []
        ],
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_fingerprint(expected: str, run_state: Mapping[str, Any], execution_id: str = "") -> None:
    """Raise ``errors.Conflict`` when ``run_state`` is not the state a plan with fingerprint
    ``expected`` was computed from (R13). A request that carries a fingerprint is checked
    against it before anything else: whatever else has changed, the answer is that the
    plan is stale. O(V + items)."""
    if fingerprint(run_state) != expected:
        raise errors.Conflict(
            'The state of workflow execution "%s" changed since the plan was computed (another '
            "operation came in between). Compute the plan again (a dry run) and re-submit." % execution_id
        )
