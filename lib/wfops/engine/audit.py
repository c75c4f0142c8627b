"""The audit trail (E7): one append-only entry per accepted operation."""

from __future__ import annotations

from wfops.timestamps import now_iso


def audit(store, execution_id: str, user: str, operation: str, request: dict,
          plan: dict | None = None, outcome: dict | None = None, comment: str | None = None) -> None:
    """Append an entry to ``execution_id``'s audit: who, when, what was asked, the plan it
    resolved to, what it did. Call it in the transaction that carries the operation out,
    so that the entry exists exactly when the operation took effect."""
    store.append_operation(
        {
            "execution": execution_id,
            "timestamp": now_iso(),
            "user": user,
            "operation": operation,
            "request": request,
            "plan": plan,
            "outcome": outcome,
            "comment": comment,
        }
    )
