"""Pause, resume and cancel carried out on a tree, as ``wfops.lifecycle`` says: the
status requested of each conductor, down to which sub-workflows, up to which ancestors.

Runs in the engine that owns the tree, inside the operation's transaction.
"""

from __future__ import annotations

from wfops import lifecycle
from wfops import statuses as s
from wfops.engine import actions, chains, driver, launching
from wfops.engine.records import LiveWorkflow, Outcome, TaskAction


def request_status(engine, execution_id: str, operation: str, user: str | None = None) -> None:
    """Apply ``operation`` (already decided by ``lifecycle.check``, requested by
    ``user``) to ``execution_id`` and cascade it. O(size of the tree's live part)."""
    rule = lifecycle.OPERATIONS[operation]
    live = engine.memory.workflow_of(execution_id)
    with engine.store.transaction():
        if live is None and execution_id in engine.memory.chains:
            chains.request_status(engine, execution_id, operation, user)
            return
        if live is None:
            record = engine.store.get_execution(execution_id)
            if not rule.plain_action_status or record is None:
                return
            if record["status"] == s.PENDING and record["runner_type"] == "inquirer":
                from wfops.engine import inquiry

                inquiry.end(engine, record, s.CANCELED, actions.canceled_result(user), user or engine.user)
                return
            if not launching.cancel_requested(engine, execution_id, actions.canceled_result(user)) \
                    and record["runner_type"] != "orquesta":
                actions.cancel(engine, execution_id, user)
            return
        if rule.up:
            _set_ancestors_running(engine, live, rule)
        driver.journal(engine, live, {"op": "status", "status": rule.requests})
        for child in child_workflows(engine, live):
            if engine.status_of(child) in rule.down:
                request_status(engine, child, operation, user)
        if s.PAUSED in rule.down:  # it reaches paused sub-workflows: also the ended ones
            _end_stale_paused_tasks(engine, live)
        if rule.stops_delayed:
            from wfops.engine import inquiry

            inquiry.cancel_pending(engine, live.execution_id, user)
            for execution in engine.memory.actions_of(live.wf_id):
                if engine.store.get_execution_status(execution) == s.DELAYED:
                    driver.deliver(engine, Outcome(execution, s.CANCELED, None))
        driver.settle(engine, live)
        if operation == "resume":
            from wfops.engine import inquiry

            inquiry.hold_if_waiting(engine, live)


def child_workflows(engine, live: LiveWorkflow) -> list[str]:
    """The action executions of ``live``'s sub-workflows (and action chains) that this
    engine drives."""
    memory = engine.memory
    return [e for e in memory.actions_of(live.wf_id) if e in memory.by_execution or e in memory.chains]


def _set_ancestors_running(engine, live: LiveWorkflow, rule: lifecycle.Operation) -> None:
    """L5, as st2 does it: each ancestor in one of ``rule.up`` (paused, pausing) runs
    again, and so does its task for the sub-workflow below it, before that sub-workflow
    resumes. Their other (peer) sub-workflows are not resumed. O(depth)."""
    if live.parent is None:
        return
    parent = engine.memory.live.get(live.parent.wf_id)
    if parent is None:
        return
    if parent.jc.status in rule.up:
        driver.journal(engine, parent, {"op": "status", "status": s.RUNNING})
    driver.deliver(engine, Outcome(live.execution_id, s.RUNNING, final=False, workflow=True))
    driver.settle(engine, parent)
    _set_ancestors_running(engine, parent, rule)


def _end_stale_paused_tasks(engine, live: LiveWorkflow) -> None:
    """A task left paused although its sub-workflow completed (a store written before L5
    was kept) gets that sub-workflow's end now, so that the resumed workflow goes on."""
    paused = {
        (t["id"], t["route"]) for t in live.jc.sequence if t.get("status") in (s.PAUSED, s.PAUSING)
    }
    if not paused:
        return
    for record in engine.store.child_executions(live.execution_id):
        orquesta = (record.get("context") or {}).get("orquesta") or {}
        key = (orquesta.get("task_name"), orquesta.get("task_route"))
        if (record["runner_type"] != "orquesta" or record["status"] not in s.COMPLETED
                or key not in paused or record["id"] in engine.memory.actions):
            continue
        task = TaskAction(live.wf_id, key[0], key[1], orquesta.get("item_id"))
        engine.memory.track(record["id"], task)
        driver.deliver(engine, Outcome(record["id"], s.RUNNING, final=False))
        driver.deliver(engine, Outcome(record["id"], record["status"], record["result"]))
