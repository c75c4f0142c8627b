"""E7 audit entries, and the ``context.wfops`` of the executions an operation creates.

An entry is plain JSON data appended to the target execution (``context.wfops_audit`` of
its ActionExecutionDB and LiveActionDB, see :class:`wfops_st2.records.Records`); entries
are never rewritten or removed. The clock is the caller's (``now``, an ISO 8601 text).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

AUDIT_KEY = "wfops_audit"
OPERATIONS = frozenset(["pause", "resume", "cancel", "rerun", "skip"])
# The operation as an entry names it, as the embedded host does (the same ``wfops.audit``
# result on both hosts).
ENTRY_NAMES = {"rerun": "re-run"}


def audit_entry(operation: str, user: Optional[str], request: Mapping[str, Any], now: str,
                plan: Optional[Mapping[str, Any]] = None, outcome: Optional[Mapping[str, Any]] = None,
                comment: Optional[str] = None, operation_execution: Optional[str] = None) -> Dict[str, Any]:
    """One audit entry: timestamp, user, operation, the request as given, the plan it resolved
    to, what it led to (``outcome``: e.g. the new execution's id, statuses before and
    after) and the optional comment; ``operation_execution`` is the id of the
    ``wfops-operation`` execution that carried it out. Raises ValueError for an unknown
    operation."""
    if operation not in OPERATIONS:
        raise ValueError("Unknown operation %r (one of %s)." % (operation, ", ".join(sorted(OPERATIONS))))
    entry: Dict[str, Any] = {
        "timestamp": now,  # as the embedded host names it
        "user": user,
        "operation": ENTRY_NAMES.get(operation, operation),
        "request": dict(request),
        "plan": dict(plan) if plan is not None else None,
        "outcome": dict(outcome or {}),
        "comment": comment,
    }
    if operation_execution:
        entry["operation_execution"] = operation_execution
    return entry


def created_by(original_id: str, operation: str, request: Mapping[str, Any],
               operation_execution: Optional[str] = None) -> Dict[str, Any]:
    """``context.wfops`` of an execution an operation creates: which execution and which
    request created it."""
    context: Dict[str, Any] = {"created_by": {"execution": original_id, "operation": operation,
                                              "request": dict(request)}}
    if operation_execution:
        context["created_by"]["operation_execution"] = operation_execution
    return context


def entries(execution: Mapping[str, Any]) -> list:
    """The audit entries of an execution document (as ``GET /executions/{id}`` shows it,
    or as the record holds it), oldest first."""
    return list(((execution.get("context") or {}).get(AUDIT_KEY)) or [])
