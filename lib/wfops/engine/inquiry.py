"""Inquiries in the engine that owns their tree: a response, a ttl's timeout, as StackStorm
3.9 carries them out (``st2common.services.inquiry.respond``, the garbage collector's
``purge_inquiries``).

A pending inquiry is not tracked as running (nothing runs): its record holds its result,
its workflow's journal its task's ``pending``. An answer, in one transaction: the workflow
holding the task is resumed first if paused or pausing (the lifecycle table's resume, up
the tree as L5), then the inquiry ends ``succeeded`` with ``result.response``, which its
task's journal entry records; the audit entry goes with it. So a response is recorded
before anything it starts starts, and a killed engine's adopter finds it kept. A timeout
is the same with status ``timeout`` (st2: the task fails, the workflow may handle it).
"""

from __future__ import annotations

import datetime
import logging

from wfops import errors, inquiries, lifecycle
from wfops import statuses as s
from wfops.engine import driver, ownership
from wfops.engine.audit import audit
from wfops.engine.records import Outcome

LOG = logging.getLogger("wfops.engine")

SYSTEM_USER = "stanley"  # st2's system user, who times inquiries out
CHECK_EVERY_SECONDS = 1.0  # how often the loop looks for inquiries whose ttl passed


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def end(engine, record: dict, status: str, result, user: str) -> None:
    """End pending inquiry ``record`` with ``status`` and ``result``: its workflow is
    resumed first when paused or pausing, then the outcome goes to its task. Inside a
    transaction. O(the workflow's live part)."""
    parent = record["parent"]
    task = ownership.task_action_of(engine, record) if parent is not None else None
    engine.memory.track(record["id"], task)  # tracked: the resume does not hold for it
    if task is not None and task.item is not None:
        # An item's pending pauses its with-items task; Orquesta takes an item's end only
        # from a running task: the item runs again first (which sets its workflow running).
        live = engine.memory.live.get(task.wf_id)
        state = live.jc.conductor.get_task_state_entry(task.task, task.route) if live else None
        if state is not None and state.get("status") in (s.PAUSED, s.PAUSING):
            driver.journal(engine, live, driver.event_entry(task, s.RUNNING))
    if parent is not None:
        current = engine.status_of(parent)
        if lifecycle.check("resume", parent, current, "orquesta").action == lifecycle.APPLY:
            engine.request_status(parent, "resume", user=user)
    driver.deliver(engine, Outcome(record["id"], status, result))


def hold_if_waiting(engine, live) -> None:
    """A workflow resumed while it only waits for inquiries (none of them being answered,
    nothing else active) pauses again: it would otherwise stay ``resuming`` with nothing to
    do until a response. Inside the resume's transaction. O(children of the workflow)."""
    if live.jc.status != s.RESUMING or driver.has_active_actions(engine, live.wf_id):
        return
    if any(inquiries.is_inquiry(r) and r["status"] == s.PENDING and r["id"] not in engine.memory.actions
           for r in engine.store.child_executions(live.execution_id)):
        driver.journal(engine, live, {"op": "status", "status": s.PAUSED})
        driver.settle(engine, live)


def respond(engine, execution_id: str, payload: dict) -> dict:
    """Answer inquiry ``execution_id`` with ``payload["response"]`` as ``payload["user"]``.
    Returns st2's answer ``{"id", "response"}``; raises the first refusal (changing
    nothing): not an inquiry, timed out (one whose ttl passed is timed out now), already
    answered, a user not in ``users``, a response the schema refuses."""
    store = engine.store
    record = store.get_execution(execution_id)
    if record is None:
        raise errors.ExecutionNotFound('Execution "%s" cannot be found.' % execution_id)
    user = payload.get("user") or engine.user
    if inquiries.expired(record, _now()):
        time_out(engine, record)
        record = store.get_execution(execution_id)
    problem = inquiries.state_problem(record) or inquiries.permission_problem(record, user)
    if problem is not None:
        raise problem
    response = payload.get("response")
    filled = inquiries.validated_response(record, response)
    with engine.transaction():
        end(engine, record, s.SUCCEEDED, inquiries.answered_result(record, filled), user)
        audit(store, execution_id, user, "respond", {"operation": "respond", "id": execution_id,
                                                     "response": response},
              plan={"resumes": record["parent"]},
              outcome={"status_before": s.PENDING, "status_after": store.get_execution_status(execution_id),
                       "changed": True})
    return {"id": execution_id, "response": response}


def time_out(engine, record: dict) -> None:
    """Time pending inquiry ``record`` out (its ttl passed), in its own transaction, with
    its audit entry by st2's system user."""
    with engine.transaction():
        end(engine, record, s.TIMEOUT, record["result"], SYSTEM_USER)
        audit(engine.store, record["id"], SYSTEM_USER, "timeout",
              {"operation": "timeout", "id": record["id"]},
              plan={"ttl": inquiries.inquiry_doc(record)["ttl"]},
              outcome={"status_before": s.PENDING, "status_after": s.TIMEOUT, "changed": True})
    LOG.info("inquiry %s: ttl of %s minutes passed; timed out", record["id"],
             inquiries.inquiry_doc(record)["ttl"])


def time_out_expired(engine) -> int:
    """Time out every pending inquiry of the trees ``engine`` owns whose ttl passed.
    Returns how many. O(pending inquiries)."""
    owned = set(engine.store.owned_roots(engine.id))
    if not owned:
        return 0
    now = _now()
    count = 0
    for record in engine.store.pending_inquiries():
        if record["root"] in owned and inquiries.expired(record, now):
            time_out(engine, record)
            count += 1
    return count


def cancel_pending(engine, parent_id: str, user: str | None) -> None:
    """Cancel the pending inquiries among ``parent_id``'s children (its workflow is
    being canceled; st2 cancels them with it). Inside a transaction."""
    from wfops.engine import actions

    for record in engine.store.child_executions(parent_id):
        if inquiries.is_inquiry(record) and record["status"] == s.PENDING:
            engine.memory.track(record["id"], ownership.task_action_of(engine, record))
            driver.deliver(engine, Outcome(record["id"], s.CANCELED, actions.canceled_result(user)))
