"""The engine's memory: the workflows it drives, the actions it tracks, its timers.

Every change made while a store transaction is open is undone if that transaction rolls
back, and the conductors it touched are restored from the store (the last snapshot plus
the journal, which replay exactly), so that a failed transaction leaves the memory as
the store has it. Cost: O(1) per change; a rollback O(changes + replay of the touched
workflows).
"""

from __future__ import annotations

import heapq
import itertools
import time
from typing import Callable

from wfops.engine.records import ChainStep, LiveWorkflow, TaskAction

# (wf_id, execution_id, root, parent) -> the workflow as the store has it
Reload = Callable[[str, str, str, "TaskAction | None"], LiveWorkflow]

MISSING = object()


class Memory:
    """Live workflows by id and by action execution, tracked actions, timers."""

    def __init__(self, store, reload: Reload):
        self.store = store
        self.live: dict[str, LiveWorkflow] = {}          # wf_id -> LiveWorkflow
        self.by_execution: dict[str, str] = {}           # workflow action execution -> wf_id
        # Action executions this engine waits for: the task each runs (None: a top-level
        # action). Sub-workflows are tracked too, as actions of their parent's task.
        self.actions: dict[str, TaskAction | ChainStep | None] = {}
        self.chains: set[str] = set()                    # action-chain executions driven here
        self.timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._reload = reload
        self._undo: list[Callable[[], None]] | None = None
        self._touched: set[str] = set()

    # -- reading -----------------------------------------------------------------------

    def workflow_of(self, execution_id: str) -> LiveWorkflow | None:
        """The live workflow that ``execution_id`` (a workflow action execution) runs."""
        wf_id = self.by_execution.get(execution_id)
        return self.live.get(wf_id) if wf_id else None

    def actions_of(self, wf_id: str) -> list[str]:
        """The tracked action executions of ``wf_id``'s tasks. O(tracked actions)."""
        return [e for e, task in self.actions.items() if task is not None and task.wf_id == wf_id]

    # -- workflows ---------------------------------------------------------------------

    def add_workflow(self, live: LiveWorkflow) -> None:
        self.live[live.wf_id] = live
        self.by_execution[live.execution_id] = live.wf_id

        def undo() -> None:
            self.live.pop(live.wf_id, None)
            self.by_execution.pop(live.execution_id, None)

        self._log(undo)

    def release_workflow(self, live: LiveWorkflow) -> None:
        present = self.live.pop(live.wf_id, None)
        self.by_execution.pop(live.execution_id, None)
        if present is not None:
            self._log(lambda: self.add_workflow(present))

    def attach(self, live: LiveWorkflow, execution_id: str) -> None:
        """Attach the workflow to another action execution, a top-level one (a re-run from
        tasks): it is its own root and answers to no parent task."""
        before = (live.execution_id, live.root, live.parent)
        self.by_execution.pop(live.execution_id, None)
        live.execution_id, live.root, live.parent = execution_id, execution_id, None
        self.by_execution[execution_id] = live.wf_id

        def undo() -> None:
            self.by_execution.pop(live.execution_id, None)
            live.execution_id, live.root, live.parent = before
            self.by_execution[live.execution_id] = live.wf_id

        self._log(undo)

    def touch(self, live: LiveWorkflow) -> None:
        """``live``'s conductor is about to change: restore it from the store on rollback."""
        if self._undo is None:
            self._log(lambda: None)
        if self._undo is not None:
            self._touched.add(live.wf_id)

    # -- action chains -----------------------------------------------------------------

    def add_chain(self, execution_id: str) -> None:
        if execution_id not in self.chains:
            self.chains.add(execution_id)
            self._log(lambda: self.chains.discard(execution_id))

    def release_chain(self, execution_id: str) -> None:
        if execution_id in self.chains:
            self.chains.discard(execution_id)
            self._log(lambda: self.chains.add(execution_id))

    # -- actions -----------------------------------------------------------------------

    def track(self, execution_id: str, task: TaskAction | ChainStep | None) -> None:
        before = self.actions.get(execution_id, MISSING)
        self.actions[execution_id] = task
        self._log(lambda: self._put_back(execution_id, before))

    def untrack(self, execution_id: str):
        """Stop tracking ``execution_id``; returns its task, or ``MISSING``."""
        before = self.actions.pop(execution_id, MISSING)
        if before is not MISSING:
            self._log(lambda: self._put_back(execution_id, before))
        return before

    def _put_back(self, execution_id: str, value) -> None:
        if value is MISSING:
            self.actions.pop(execution_id, None)
        else:
            self.actions[execution_id] = value

    # -- timers ------------------------------------------------------------------------

    def add_timer(self, delay: float, callback: Callable[[], None]) -> None:
        entry = (time.monotonic() + delay, next(self._timer_seq), callback)
        heapq.heappush(self.timers, entry)

        def undo() -> None:
            if entry in self.timers:
                self.timers.remove(entry)
                heapq.heapify(self.timers)

        self._log(undo)

    def next_timer(self) -> float | None:
        return self.timers[0][0] if self.timers else None

    def pop_due_timers(self) -> list[Callable[[], None]]:
        now = time.monotonic()
        due = []
        while self.timers and self.timers[0][0] <= now:
            due.append(heapq.heappop(self.timers)[2])
        return due

    # -- transactions ------------------------------------------------------------------

    def _log(self, undo: Callable[[], None]) -> None:
        if self._undo is None:
            if not self.store.in_transaction:
                return
            self._undo = []
            self.store.after_commit(self._forget)
            self.store.after_rollback(self._roll_back)
        self._undo.append(undo)

    def _forget(self) -> None:
        self._undo = None
        self._touched = set()

    def _roll_back(self) -> None:
        undo, touched = self._undo or [], self._touched
        self._forget()
        for step in reversed(undo):
            step()
        for wf_id in sorted(touched):
            live = self.live.get(wf_id)
            if live is not None:
                restored = self._reload(wf_id, live.execution_id, live.root, live.parent)
                self.live[wf_id] = restored
                self.by_execution[restored.execution_id] = wf_id
