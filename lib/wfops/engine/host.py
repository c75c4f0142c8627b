"""The embedded host: drives Orquesta conductors and runs their actions.

One ``Engine`` per process; one thread (the loop, ``wfops.engine.loop``) calls it, since
Orquesta is not thread-safe; actions run on a worker pool and post their outcomes to
``engine.outcomes``. The parts, one module each:

- ``actions``: plain actions (start, outcome);
- ``driver``: workflows (conductor calls through the journal, task records, settling);
- ``cascades``: pause, resume, cancel over a tree, as ``wfops.lifecycle`` says;
- ``ownership``: which engine runs a tree, adoption of a dead engine's trees;
- ``memory``: what the engine keeps in memory, put back when a transaction rolls back;
- ``dispatch``: actions start only after the transaction that records them committed.

This class holds the state and is the public face the rest of wfops calls (operations in
``commands`` and ``reruns``, the loop, the session): launch, transactions, journal entries,
settling, status requests, adoption.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import queue
import socket
import threading
import time
import traceback
from typing import Any, Callable

from wfops import errors, ids
from wfops import statuses as s
from wfops.engine import cascades, driver, executions, ownership
from wfops.engine.dispatch import Dispatcher
from wfops.engine.memory import Memory
from wfops.engine.ownership import engine_alive  # noqa: F401  (its older home, still imported)
from wfops.engine.records import LiveWorkflow, Outcome
from wfops.identity import current_user

LOG = logging.getLogger("wfops.engine")

HEARTBEAT_SECONDS = 1.0
OUTCOME_BATCH = 64  # outcomes delivered per transaction


class Jobs:
    """How many actions handed to workers have not posted their outcome yet."""

    def __init__(self):
        self._lock = threading.Lock()
        self.count = 0

    def started(self) -> None:
        with self._lock:
            self.count += 1

    def finished(self) -> None:
        with self._lock:
            self.count -= 1


class Engine:
    """Runs workflow and action executions stored in ``store``."""

    def __init__(self, store, registry, *, workers: int | None = None, user: str | None = None):
        self.store = store
        self.registry = registry
        # Where what can be computed again is kept (engine/inspection_cache.py).
        self.cache_dir = os.path.join(os.path.dirname(os.path.abspath(store.path)), "cache")
        self.user = user or current_user()
        self.id = ids.new_id()
        self.pid = os.getpid()
        self.workers = workers or int(os.environ.get("WFOPS_WORKERS", "16"))
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.workers, thread_name_prefix="wfops-action"
        )
        self.outcomes: queue.Queue[Outcome] = queue.Queue()
        self.jobs = Jobs()
        self.memory = Memory(store, lambda *a: ownership.stored_workflow(store, *a))
        self.dispatcher = Dispatcher(store)
        self.progress: Callable[[dict], None] | None = None
        # The running plain actions' stop events (set once their cancel has committed).
        self.stops: dict[str, threading.Event] = {}
        self._last_heartbeat = 0.0
        self.commands_polled = 0.0  # when wfops.engine.loop last read the commands table
        self.inquiries_checked = 0.0  # ... and last looked for inquiries whose ttl passed
        self._closed = False
        store.register_engine(self.id, self.pid, socket.gethostname(), time.time())

    # -- what the engine holds (read-only views for callers) ---------------------------

    @property
    def live(self) -> dict[str, LiveWorkflow]:
        return self.memory.live

    @property
    def by_execution(self) -> dict[str, str]:
        return self.memory.by_execution

    @property
    def actions(self) -> dict:
        return self.memory.actions

    # ================================================================================
    # Launching
    # ================================================================================

    def check_launch(self, ref: str, parameters: dict):
        """What StackStorm refuses when an execution is requested, before anything is
        created: an unknown or disabled action, parameters that do not fit its schema.
        Returns (action, validated parameters). A workflow's definition is not checked
        here: one that cannot start is created and fails (``wfops.engine.launching``)."""
        from wfops.parameters import validate_parameters

        action = self.registry.get(ref)
        if not action.enabled:
            raise errors.InvalidOperation('Unable to execute. Action "%s" is disabled.' % ref)
        return action, validate_parameters(action, parameters)

    def launch(self, ref: str, parameters: dict, *, context: dict | None = None,
               user: str | None = None, execution_id: str | None = None, delay: float = 0.0) -> str:
        """Check and create an execution of ``ref`` (``requested``) and return its id; the
        loop starts it once the creation has committed (``launching.start_requested``),
        so a request is answered before the workflow starts, as in StackStorm. ``delay``
        (seconds, workflows only): its first tasks start that much later."""
        from wfops.engine import launching

        action, params = self.check_launch(ref, parameters)
        execution_id = execution_id or ids.new_id()
        ctx = dict(context or {})
        ctx.setdefault("user", user or self.user)
        ctx.setdefault("pack", action.pack)
        with self.transaction():
            self.insert_execution(execution_id, action, params, ctx, parent=None, root=execution_id,
                                  owner=self.id)
            hold_until = time.monotonic() + delay if delay else 0.0
            self.memory.add_timer(0, lambda: launching.start_requested(self, execution_id, hold_until))
        return execution_id

    # ================================================================================
    # The engine API for operations (commands, reruns): one transaction, its parts
    # ================================================================================

    def transaction(self):
        """A store transaction for changes to the executions this engine runs: actions it
        starts start once it commits; if it rolls back, the engine's memory is put back
        as the store has it. Nested calls join the outermost one."""
        return self.store.transaction()

    def insert_execution(self, execution_id: str, action, params: dict, context: dict, **fields) -> dict:
        """Insert an execution record (see ``executions.insert_execution``)."""
        return executions.insert_execution(self, execution_id, action, params, context, **fields)

    def set_execution_status(self, execution_id: str, status: str, result: Any = None,
                             with_result: bool = False) -> None:
        executions.set_execution_status(self, execution_id, status, result, with_result)
        for live in self.memory.live.values():
            live.mirrored = None  # it may be a workflow's own execution: read it again

    def journal(self, live: LiveWorkflow, entry: dict) -> Any:
        """Apply one journal entry (``wfops.engine.journal``) to ``live`` and record it."""
        return driver.journal(self, live, entry)

    def settle(self, live: LiveWorkflow) -> None:
        """Schedule what ``live`` has due and mirror its status to the records."""
        driver.settle(self, live)

    def deliver(self, outcome: Outcome) -> None:
        """Record an action's outcome and hand it to its workflow."""
        driver.deliver(self, outcome)

    def request_status(self, execution_id: str, operation: str, user: str | None = None) -> None:
        """Apply pause, resume or cancel (already checked, requested by ``user``) and
        cascade it."""
        cascades.request_status(self, execution_id, operation, user)

    def status_of(self, execution_id: str) -> str:
        """The current status: the conductor's for a workflow this engine drives, else the
        stored one ("" for an unknown execution)."""
        live = self.memory.workflow_of(execution_id)
        if live is not None:
            return live.jc.status
        return self.store.get_execution_status(execution_id) or ""

    def workflow_of(self, execution_id: str) -> LiveWorkflow | None:
        """The live workflow an action execution runs, if this engine drives it."""
        return self.memory.workflow_of(execution_id)

    def load_workflow(self, wf_id: str, execution_id: str | None = None) -> LiveWorkflow:
        """The live workflow ``wf_id``, restored from the store if not in memory."""
        return ownership.load_workflow(self, wf_id, execution_id)

    def attach(self, live: LiveWorkflow, execution_id: str) -> None:
        """Attach ``live`` to a new top-level action execution (a re-run from tasks)."""
        self.store.update_workflow_execution(live.wf_id, action_execution=execution_id)
        self.memory.attach(live, execution_id)

    def child_workflows(self, live: LiveWorkflow) -> list[str]:
        return cascades.child_workflows(self, live)

    def task_record_id(self, live: LiveWorkflow, task_id: str, route: int) -> str | None:
        return driver.task_record_id(live, task_id, route)

    # ================================================================================
    # What the loop calls
    # ================================================================================

    def deliver_waiting(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for an outcome; deliver it and those already waiting, up
        to OUTCOME_BATCH, in one transaction (one commit, then what they start starts).
        A crash before the commit loses the batch as a whole, and those actions are then
        abandoned, as if the crash had come just before they finished. Returns whether
        anything was delivered."""
        from wfops.engine import crash_points

        try:
            batch = [self.outcomes.get(timeout=timeout) if timeout > 0 else self.outcomes.get_nowait()]
        except queue.Empty:
            return False
        while len(batch) < OUTCOME_BATCH:
            try:
                batch.append(self.outcomes.get_nowait())
            except queue.Empty:
                break
        for _ in batch:
            crash_points.reach("outcome")
        try:
            with self.transaction():
                for outcome in batch:
                    driver.deliver(self, outcome)
        except Exception:
            # Rolled back (the memory too). Deliver each in its own transaction, so that
            # a failure is that outcome's alone and the others are recorded.
            for outcome in batch:
                self._deliver_alone(outcome)
        return True

    def _deliver_alone(self, outcome: Outcome) -> None:
        try:
            with self.transaction():
                driver.deliver(self, outcome)
            return
        except Exception:
            LOG.exception("delivering the outcome of %s failed", outcome.execution_id)
        if not outcome.final:
            return
        error = {"error": "wfops could not hand this outcome (%s) to its workflow: %s"
                          % (outcome.status, traceback.format_exc(limit=3))}
        try:  # the workflow gets a failure instead, which it can handle
            with self.transaction():
                driver.deliver(self, Outcome(outcome.execution_id, s.FAILED, error))
            return
        except Exception:
            LOG.exception("delivering a failure for %s failed too", outcome.execution_id)
        with self.transaction():  # at least the execution record tells what happened
            self.memory.untrack(outcome.execution_id)
            self.set_execution_status(outcome.execution_id, s.FAILED, error, with_result=True)

    def next_timer(self) -> float | None:
        return self.memory.next_timer()

    def run_due_timers(self) -> None:
        for callback in self.memory.pop_due_timers():
            with self.transaction():
                callback()

    def heartbeat(self) -> None:
        if time.time() - self._last_heartbeat >= HEARTBEAT_SECONDS:
            self._last_heartbeat = time.time()
            self.store.heartbeat(self.id, self._last_heartbeat)

    def has_work(self) -> bool:
        return bool(self.memory.actions or self.memory.timers or not self.outcomes.empty())

    def owns_active(self) -> bool:
        """Whether a tree this engine owns has an active root."""
        for root in self.store.owned_roots(self.id):
            if self.store.get_execution_status(root) in s.ACTIVE:
                return True
        return False

    def adopt(self, root_id: str, expected_owner: str | None) -> bool:
        return ownership.adopt(self, root_id, expected_owner)

    def adopt_orphans(self) -> list[str]:
        return ownership.adopt_orphans(self)

    def close(self, wait: bool = True) -> None:
        """Stop. With ``wait``, the actions running in workers are waited for and their
        outcomes recorded first; without, the next engine records them abandoned."""
        if self._closed:
            return
        self._closed = True
        if wait:
            while self.jobs.count > 0 or not self.outcomes.empty():
                self.deliver_waiting(0.05)
            self.pool.shutdown(wait=True)
        else:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.store.unregister_engine(self.id)
