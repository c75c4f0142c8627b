"""The records of workflow executions in the store: the workflow executions, their journal
(replayable conductor calls, written per transaction) and their task executions.

:class:`WorkflowRecords` is a part of :class:`wfops.store.database.Store` (its methods use
the store's connection, lock and open transaction).
"""

from __future__ import annotations

import json
from typing import Any

from wfops.store.encoding import dumps


class WorkflowRecords:
    """Workflow executions, journal and task executions (mixed into ``Store``)."""


    def insert_workflow_execution(self, record: dict) -> None:
        self._insert("workflow_executions", record)

    def update_workflow_execution(self, wf_id: str, **fields: Any) -> None:
        self._update("workflow_executions", "id", wf_id, fields)

    def get_workflow_execution(self, wf_id: str) -> dict | None:
        """The workflow execution record; its ``journal_seq`` is the last entry's."""
        record = self._select_one("workflow_executions", "id = ?", (wf_id,))
        if record is not None:
            record["journal_seq"] = self.last_journal_seq(wf_id)
        return record

    def get_workflow_status(self, wf_id: str) -> str | None:
        """The status alone, without decoding the definition and snapshot."""
        return self._status("workflow_executions", wf_id)

    def workflow_and_execution_status(self, wf_id: str, execution_id: str) -> tuple[str | None, str | None]:
        """The status of a workflow execution and of an action execution, in one query."""
        with self._lock:
            row = self._conn.execute(
                "SELECT (SELECT status FROM workflow_executions WHERE id = ?), "
                "(SELECT status FROM executions WHERE id = ?)", (wf_id, execution_id),
            ).fetchone()
        return row[0], row[1]

    def append_journal(self, wf_id: str, seq: int, entry: dict) -> None:
        """Record journal entry ``seq`` of ``wf_id`` (consecutive seqs: one more than the
        last). The entries of one transaction are written together, as one row, just
        before it commits (or before anything reads the journal): one statement per
        transaction, not per entry. Must be called inside a transaction."""
        hooks = self._open_hooks()
        first, entries = hooks.journal.get(wf_id) or (seq, [])
        if not entries:
            hooks.journal[wf_id] = (seq, entries)
        elif first + len(entries) != seq:
            raise ValueError("journal entry %d of %s does not follow entry %d" % (seq, wf_id, first + len(entries) - 1))
        entries.append(entry)

    def _flush_journal(self, hooks) -> None:
        """Write the journal entries ``hooks`` holds. A row holds one entry (a JSON
        object) or several (a JSON array of them); its ``seq`` is that of its last entry."""
        rows = []
        for wf_id, (first, entries) in hooks.journal.items():
            if entries:
                body = entries[0] if len(entries) == 1 else entries
                rows.append((wf_id, first + len(entries) - 1, dumps(body)))
        hooks.journal.clear()
        if rows:
            self._conn.executemany("INSERT INTO journal (workflow_execution, seq, entry) VALUES (?, ?, ?)", rows)

    def journal_after(self, wf_id: str, seq: int) -> list[dict]:
        """The journal entries of ``wf_id`` after entry ``seq``, in order."""
        with self._lock:
            if self.in_transaction:
                self._flush_journal(self._hooks)
            rows = self._conn.execute(
                "SELECT seq, entry FROM journal WHERE workflow_execution = ? AND seq > ? ORDER BY seq",
                (wf_id, seq),
            ).fetchall()
        entries: list[dict] = []
        for last, text in rows:
            body = json.loads(text)
            if isinstance(body, list):
                first = last - len(body) + 1
                entries += body[max(0, seq + 1 - first):]
            else:
                entries.append(body)
        return entries

    def last_journal_seq(self, wf_id: str) -> int:
        """The seq of the last journal entry written for ``wf_id`` (that of its snapshot
        when the journal after it is empty)."""
        with self._lock:
            if self.in_transaction:
                self._flush_journal(self._hooks)
            row = self._conn.execute(
                "SELECT MAX(j.seq), w.snapshot_seq FROM workflow_executions w "
                "LEFT JOIN journal j ON j.workflow_execution = w.id WHERE w.id = ?", (wf_id,),
            ).fetchone()
        return max(row[0] or 0, row[1] or 0) if row else 0

    def write_snapshot(self, wf_id: str, seq: int, snapshot: dict) -> None:
        """Store ``snapshot``, the state after journal entry ``seq``, and drop the journal
        up to it (``journal_seq`` is brought up to date here, not per entry)."""
        with self.transaction() as conn:
            self._flush_journal(self._hooks)
            conn.execute(
                "UPDATE workflow_executions SET snapshot = ?, snapshot_seq = ?, journal_seq = ? WHERE id = ?",
                (dumps(snapshot), seq, seq, wf_id),
            )
            conn.execute(
                "DELETE FROM journal WHERE workflow_execution = ? AND seq <= ?", (wf_id, seq)
            )

    def insert_task_execution(self, record: dict) -> None:
        self._insert("task_executions", record)

    def update_task_execution(self, task_execution_id: str, **fields: Any) -> None:
        self._update("task_executions", "id", task_execution_id, fields)

    def get_task_execution(self, task_execution_id: str) -> dict | None:
        return self._select_one("task_executions", "id = ?", (task_execution_id,))

    def task_execution_at(self, wf_id: str, seq_index: int) -> dict | None:
        """The task execution record of entry ``seq_index`` of Orquesta's task sequence."""
        return self._select_one(
            "task_executions", "workflow_execution = ? AND seq_index = ?", (wf_id, seq_index)
        )

    def task_executions(self, wf_id: str) -> list[dict]:
        return self._select(
            "task_executions", "workflow_execution = ?", (wf_id,), "ORDER BY seq_index"
        )
