"""Write-ahead dispatch (D1): an action starts only once the transaction that records it
running, with the journal entry that decided it, has committed.

The engine calls :meth:`Dispatcher.start_after_commit` inside that transaction; the
start is kept until the outermost transaction commits (then every kept start runs, in
order) or rolls back (then they are dropped: nothing of them was recorded, so nothing
may run). Commits stay batched: a batch of outcomes and everything they schedule commit
once, then their actions start.
"""

from __future__ import annotations

from typing import Callable

from wfops.engine import crash_points


class Dispatcher:
    """The starts waiting for the open transaction to commit."""

    def __init__(self, store):
        self.store = store
        self._pending: list[Callable[[], None]] | None = None

    def start_after_commit(self, execution_id: str, start: Callable[[], None]) -> None:
        """Run ``start`` (which starts action execution ``execution_id``) once the open
        transaction commits. Raises RuntimeError outside a transaction: an action must
        never start unrecorded."""
        if self._pending is None:
            self.store.before_commit(_before_commit)
            self.store.after_commit(self._start_all)
            self.store.after_rollback(self._drop)
            self._pending = []
        self._pending.append((execution_id, start))

    def _start_all(self) -> None:
        pending, self._pending = self._pending or [], None
        crash_points.reach("after_commit", "not started: %s" % " ".join(e for e, _ in pending))
        for _, start in pending:
            start()
        crash_points.reach("after_dispatch", "started: %s" % " ".join(e for e, _ in pending))

    def _drop(self) -> None:
        self._pending = None


def _before_commit() -> None:
    crash_points.reach("before_commit")
