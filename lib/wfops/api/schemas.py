"""JSON schemas of the request bodies, used both to validate requests and in the OpenAPI
document, so that the two cannot disagree."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft4Validator

_STRING_LIST = {"type": "array", "items": {"type": "string"}}
_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 0}

EXECUTION_REQUEST = {
    "type": "object",
    "description": "Run an action (StackStorm's ExecutionRequest).",
    "required": ["action"],
    "properties": {
        "action": {"type": "string", "description": "Action ref, pack.name."},
        "parameters": {"type": "object", "default": {}},
        "context": {"type": "object", "description": "Extra execution context (merged)."},
        "user": _NULLABLE_STRING,
        "delay": {**_NULLABLE_INT, "description": "Milliseconds; only 0 is supported by wfops."},
        "notify": {"type": "object"},
    },
}

EXECUTION_UPDATE = {
    "type": "object",
    "description": "Pause (pausing), resume (resuming) or cancel (canceling) an execution.",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["pausing", "paused", "resuming", "canceling", "canceled"]},
        "comment": {**_NULLABLE_STRING, "description": "wfops: recorded in the audit entry."},
        "user": {**_NULLABLE_STRING, "description": "wfops: who acts, for the audit entry (a key bound "
                                                    "to a user acts as that user)."},
    },
}

RERUN_REQUEST = {
    "type": "object",
    "description": (
        "StackStorm's re-run request (parameters, tasks, reset, delay, user) plus wfops's "
        "extras. Without tasks (and without failed/items/context/skip) it is a re-run from "
        "the beginning; with them, a re-run from tasks. Tasks not in reset keep their "
        "succeeded items (no_reset = tasks - reset)."
    ),
    "properties": {
        "parameters": {"type": "object", "default": {}},
        "tasks": {**_STRING_LIST, "default": []},
        "reset": {**_STRING_LIST, "default": []},
        "no_reset": {**_STRING_LIST, "description": "wfops: the tasks whose succeeded items are kept, "
                                                    "as --no-reset names them; instead of reset."},
        "delay": _NULLABLE_INT,
        "user": _NULLABLE_STRING,
        # wfops extras
        "failed": {"type": "boolean", "description": "Add every task whose latest run abended."},
        "items": {
            "type": "object",
            "description": "{task: [item index, ...]}: re-run exactly these items (E3). Each list "
                           "names distinct item indices (integers from 0), at least one, each below "
                           "the task's item count.",
            "additionalProperties": {"type": "array"},
        },
        "context": {
            "type": "object",
            "description": "{task: {key: value}}: merged into the task's inbound context (E2).",
            "additionalProperties": {"type": "object"},
        },
        "skip": {**_STRING_LIST, "description": "Tasks to record as succeeded and skipped (E4)."},
        "result": {"description": "The skipped task's result (one skip), or {task: result}."},
        "publish": {
            "type": "object",
            "description": "{key: value} for one skip, or {task: {key: value}}.",
        },
        "force": {"type": "boolean", "description": "Submit despite blocked joins (R9)."},
        "dry_run": {"type": "boolean", "description": "Return the plan; change nothing (R13)."},
        "format": {"type": "string", "enum": ["json", "dot"],
                   "description": "With dry_run: dot adds the run graph (Graphviz) as \"dot\"."},
        "fingerprint": {**_NULLABLE_STRING, "description": "Refuse if the state changed since this plan."},
        "comment": _NULLABLE_STRING,
    },
}

ERROR = {
    "type": "object",
    "required": ["faultstring"],
    "properties": {"faultstring": {"type": "string"}},
}


def problems(schema: dict, body: Any) -> list[str]:
    """Every way ``body`` fails ``schema``, as readable sentences (empty when valid)."""
    found = []
    for error in sorted(Draft4Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path)
        found.append(('"%s": %s' % (where, error.message)) if where else error.message)
    return found
