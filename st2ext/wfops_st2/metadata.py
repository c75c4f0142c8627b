"""The runner type's metadata (what ``st2ctl reload --register-runners`` stores) and the
operation action's (``wfops.operate``, created by the pack through StackStorm's API where
the runner type is registered: it cannot be in the pack's actions/, which must register
on a StackStorm without the extension)."""

from __future__ import annotations

from typing import Any, Dict

from wfops_st2 import RUNNER_TYPE

OPERATIONS = ["rerun", "skip", "task_context", "audit", "pause", "resume", "cancel"]


def runner_metadata() -> Dict[str, Any]:
    """One runner type: plain (not a workflow: not in StackStorm's WORKFLOW_RUNNER_TYPES)."""
    return {
        "name": RUNNER_TYPE,
        "aliases": [],
        "description": "Applies a wfops operation (checked re-run plans with item selection, changed "
                       "context and skips; task context; audit; pause, resume, cancel) to a StackStorm "
                       "Orquesta workflow execution.",
        "enabled": True,
        "runner_package": "wfops_st2",
        "runner_module": "runner",
        "runner_parameters": {},
        "output_key": "result",
    }


def operation_action_metadata() -> Dict[str, Any]:
    """``wfops.operate``: one wfops operation on one execution."""
    return {
        "name": "operate",
        "pack": "wfops",
        "description": "Carry out one wfops operation on a StackStorm Orquesta workflow execution "
                       "(used by the wfops pack's actions; needs the wfops-st2 runner extension).",
        "runner_type": RUNNER_TYPE,
        "enabled": True,
        "entry_point": "",
        "parameters": {
            "operation": {"type": "string", "enum": OPERATIONS, "required": True,
                          "description": "The operation."},
            "id": {"type": "string", "required": True, "description": "The execution it acts on."},
            "request": {"type": "object", "default": {},
                        "description": "The request as the pack's action was given it (tasks, no_reset, "
                                       "items, context, skip, result, publish, force, dry_run, fingerprint, "
                                       "task, route, item)."},
            "comment": {"type": "string", "description": "Recorded in the audit entry."},
        },
    }
