"""Operations carried out by the engine that owns an execution's tree.

Another process asks by inserting a row in ``commands``; the owner decides with the
lifecycle table against the *current* state, applies, writes the audit entry and answers
the command, all in one transaction: an operation is applied and audited exactly once,
and a command the requester withdrew (it stopped waiting) is never applied.
"""

from __future__ import annotations

import logging
import traceback

from wfops import errors, lifecycle
from wfops import statuses as s
from wfops.engine.audit import audit  # noqa: F401  (its older home)

LOG = logging.getLogger("wfops.engine")


def apply_lifecycle(engine, operation: str, execution_id: str, user: str,
                    comment: str | None = None) -> dict:
    """Pause, resume or cancel ``execution_id`` in the engine that owns it.

    Returns ``{"id", "status", "changed"}``; raises InvalidOperation for a refusal (and
    then changes nothing).
    """
    store = engine.store
    record = store.get_execution(execution_id)
    if record is None:
        raise errors.ExecutionNotFound(execution_id)
    target = record
    if lifecycle.acts_on(operation, record["runner_type"]) == lifecycle.ROOT and record["parent"] is not None:
        target = store.get_execution(record["root"])
    with engine.transaction():
        status = engine.status_of(target["id"])
        decision = lifecycle.check(operation, execution_id, status, record["runner_type"])
        if decision.action == lifecycle.REFUSE:
            raise errors.InvalidOperation(decision.message)
        if decision.action == lifecycle.APPLY:
            engine.request_status(target["id"], operation, user=user)
        after = engine.status_of(execution_id)
        audit(store, execution_id, user, operation, {"operation": operation, "id": execution_id},
              plan={"target": target["id"], "requested": decision.requests},
              outcome={"status_before": status, "status_after": after,
                       "changed": decision.action == lifecycle.APPLY},
              comment=comment)
    return {"id": execution_id, "status": after, "changed": decision.action == lifecycle.APPLY}


def execute(engine, operation: str, execution_id: str, payload: dict) -> dict:
    """Carry out one operation in the owning engine; raises WfopsError on refusal."""
    if operation in lifecycle.OPERATIONS:
        return apply_lifecycle(
            engine, operation, execution_id, payload.get("user", "unknown"), payload.get("comment")
        )
    if operation == "respond":
        from wfops.engine import inquiry

        return inquiry.respond(engine, execution_id, payload)
    if operation == "rerun":
        from wfops.engine import reruns

        # Everything it reads (who holds the workflow, its journal, the fingerprint's
        # state) is read inside the write transaction: no other process can apply a
        # re-run of the same workflow execution in between (D3).
        with engine.transaction():
            return reruns.apply_rerun(engine, execution_id, payload)
    raise errors.WfopsError('Unknown operation "%s".' % operation)


def serve(engine, command: dict) -> None:
    """Carry out one pending command from another process and answer it, in one
    transaction with the operation (a command withdrawn meanwhile is skipped)."""
    store, seq = engine.store, command["seq"]
    try:
        with engine.transaction():
            if not store.command_pending(seq):
                return
            response = execute(engine, command["operation"], command["execution"], command["payload"])
            store.finish_command(seq, "done", response)
    except errors.WfopsError as e:
        store.finish_command(seq, "error", e.to_response())
    except Exception as e:  # never leave the requester waiting on a bug
        LOG.exception("command %s (%s) failed", seq, command["operation"])
        store.finish_command(
            seq, "error",
            {"message": "Internal error: %s" % e, "traceback": traceback.format_exc(),
             "type": "WfopsError", "http_status": 500},
        )


def serve_pending(engine) -> None:
    """Serve the pending commands of the trees ``engine`` owns, oldest first; then let go
    of its roots that completed."""
    store = engine.store
    pending = store.pending_commands(store.owned_roots(engine.id))
    for command in pending:
        serve(engine, command)
    if pending:
        for root in store.owned_roots(engine.id):
            if store.get_execution_status(root) in s.COMPLETED and not engine.has_work():
                store.release_root(root, engine.id)


def is_settled(status: str) -> bool:
    return status not in s.WAITING
