"""The store's queries on action output (``execution_output``) and on the event stream's
change cursor (``stream_events``, written by triggers: :mod:`wfops.store.schema`), mixed
into :class:`wfops.store.database.Store`, whose connection, lock and helpers they use."""

from __future__ import annotations


class OutputTables:
    """Action output and the stream's change cursor (a mixin of ``Store``)."""

    def append_output(self, record: dict) -> int:
        """Store one output record (execution_id, action_ref, runner_ref, output_type,
        data, timestamp); its ``seq``."""
        return self._insert("execution_output", record)

    def output_of(self, execution_ids: list[str], output_type: str | None = None) -> list[dict]:
        """The output records of these executions, in the order they were written."""
        if not execution_ids:
            return []
        marks = ", ".join("?" for _ in execution_ids)
        where, args = "execution_id IN (%s)" % marks, tuple(execution_ids)
        if output_type:
            where, args = where + " AND output_type = ?", args + (output_type,)
        return self._select("execution_output", where, args, "ORDER BY seq")

    def output_after(self, execution_id: str, after_seq: int, output_type: str | None = None) -> list[dict]:
        """The output records of one execution written after ``after_seq``, in order."""
        where, args = "execution_id = ? AND seq > ?", (execution_id, after_seq)
        if output_type:
            where, args = where + " AND output_type = ?", args + (output_type,)
        return self._select("execution_output", where, args, "ORDER BY seq")

    def get_output_record(self, seq: int) -> dict | None:
        return self._select_one("execution_output", "seq = ?", (seq,))

    def last_stream_event(self) -> int:
        """The seq of the latest stream event (0 when none)."""
        with self._lock:
            row = self._conn.execute("SELECT MAX(seq) FROM stream_events").fetchone()
        return row[0] or 0

    def first_stream_event_of_tree(self, root: str) -> int | None:
        """The seq of the oldest stream event still kept for the tree of ``root`` (a scan of
        the bounded table, once per stream that replays: cheaper than an index every write
        would pay for)."""
        with self._lock:
            row = self._conn.execute("SELECT MIN(seq) FROM stream_events WHERE root = ?", (root,)).fetchone()
        return row[0]

    def stream_events_after(self, seq: int, limit: int = 500) -> list[dict]:
        """Stream events after ``seq``, oldest first."""
        return self._select("stream_events", "seq > ?", (seq,), "ORDER BY seq LIMIT %d" % limit)
