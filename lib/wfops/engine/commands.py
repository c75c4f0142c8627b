"""Operations carried out by the engine that owns an execution's tree.

Another process asks by inserting a row in ``commands``; the owner decides with the
lifecycle table against the *current* state, applies, writes the audit entry, and answers
the command — all in one transaction.
"""

from __future__ import annotations

import traceback

from wfops import errors, lifecycle
from wfops import statuses as s
from wfops.timestamps import now_iso


def audit(store, execution_id: str, user: str, operation: str, request: dict,
          plan: dict | None = None, outcome: dict | None = None, comment: str | None = None) -> None:
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


def apply_lifecycle(engine, operation: str, execution_id: str, user: str,
                    comment: str | None = None) -> dict:
    """Pause, resume or cancel ``execution_id`` in the engine that owns it.

    Returns ``{"id", "status", "changed"}``; raises InvalidOperation for a refusal (and
    then changes nothing).
    """
    from wfops.engine.host import live_status

    store = engine.store
    record = store.get_execution(execution_id)
    if record is None:
        raise errors.ExecutionNotFound('Execution "%s" cannot be found.' % execution_id)
    target = record
    if operation == "cancel" and record["parent"] is not None:
        # Cancelling a sub-workflow or task cancels the whole tree from its root (st2).
        target = store.get_execution(record["root"])
    status = live_status(engine, target["id"])
    decision = lifecycle.check(operation, execution_id, status, record["runner_type"])
    if decision.action == "refuse":
        raise errors.InvalidOperation(decision.message)
    request = {"operation": operation, "id": execution_id}
    with store.transaction():
        if decision.action == "apply":
            engine.request_status(target["id"], operation)
        after = live_status(engine, execution_id)
        audit(store, execution_id, user, operation, request,
              plan={"target": target["id"], "requested": decision.requests},
              outcome={"status_before": status, "status_after": after,
                       "changed": decision.action == "apply"},
              comment=comment)
    return {"id": execution_id, "status": after, "changed": decision.action == "apply"}


def execute(engine, operation: str, execution_id: str, payload: dict) -> dict:
    """Carry out one operation in the owning engine; raises WfopsError on refusal."""
    if operation in lifecycle.OPERATIONS:
        return apply_lifecycle(
            engine, operation, execution_id, payload.get("user", "unknown"), payload.get("comment")
        )
    if operation == "rerun":
        from wfops.engine import reruns

        return reruns.apply_rerun(engine, execution_id, payload)
    raise errors.WfopsError('Unknown operation "%s".' % operation)


def serve(engine, command: dict) -> None:
    """Carry out one pending command from another process and answer it."""
    try:
        response = execute(engine, command["operation"], command["execution"], command["payload"])
        engine.store.finish_command(command["seq"], "done", response)
    except errors.WfopsError as e:
        engine.store.finish_command(
            command["seq"], "error",
            {"message": e.message, "problems": e.problems, "type": type(e).__name__,
             "http_status": e.http_status},
        )
    except Exception as e:  # never leave the requester waiting on a bug
        engine.store.finish_command(
            command["seq"], "error",
            {"message": "Internal error: %s" % e, "traceback": traceback.format_exc(),
             "type": "WfopsError", "http_status": 500},
        )


def is_settled(status: str) -> bool:
    return status not in s.WAITING
