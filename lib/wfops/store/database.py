"""SQLite access for the embedded host: one ``Store`` per process, shared by its threads.

Writes happen inside :meth:`Store.transaction` (``BEGIN IMMEDIATE``), so each conductor
event and the records it produces commit together or not at all. WAL mode lets readers in
other processes see committed state while an engine writes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from typing import Any, Callable

from wfops.store import schema
from wfops.store.encoding import decode_row, dumps, encode_fields
from wfops.store.output import OutputTables
from wfops.store.workflow_records import WorkflowRecords

_OPEN_STORES: "weakref.WeakSet[Store]" = weakref.WeakSet()


def open_stores() -> list["Store"]:
    """The stores open in this process. Expression functions that read the host
    (``task()``, ``st2kv``) find the one holding their workflow execution among them."""
    return list(_OPEN_STORES)


class _Hooks:
    """What runs around one transaction's end, and its journal entries not yet written.
    (A plain class: ``dataclasses`` imports ``inspect``, a tenth of a store-reading
    command's start-up.)"""

    __slots__ = ("before_commit", "after_commit", "after_rollback", "journal")

    def __init__(self):
        self.before_commit: list[Callable[[], None]] = []
        self.after_commit: list[Callable[[], None]] = []
        self.after_rollback: list[Callable[[], None]] = []
        # Journal entries appended in this transaction, not yet written: workflow execution
        # id -> (seq of the first, entries). Written as one row each before the commit.
        self.journal: dict[str, tuple[int, list]] = {}


class _Transaction:
    """``with store.transaction():`` (see :meth:`Store.transaction`)."""

    __slots__ = ("store", "outermost")

    def __init__(self, store: "Store"):
        self.store = store
        self.outermost = False

    def __enter__(self) -> sqlite3.Connection:
        store = self.store
        store._lock.acquire()
        try:
            self.outermost = store._depth == 0
            if self.outermost:
                store._conn.execute("BEGIN IMMEDIATE")
                store._owner = threading.get_ident()
                store._hooks = _Hooks()
            store._depth += 1
        except BaseException:
            store._lock.release()
            raise
        return store._conn

    def __exit__(self, kind, value, tb) -> bool:
        store = self.store
        store._depth -= 1
        if not self.outermost:
            store._lock.release()
            return False
        hooks, store._hooks = store._hooks, _Hooks()
        committed = False
        try:
            if kind is None:
                store._flush_journal(hooks)
                for callback in hooks.before_commit:
                    callback()
                store._conn.execute("COMMIT")
                committed = True
        finally:
            if not committed:
                try:
                    store._conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            store._owner = None
            store._lock.release()
            for callback in hooks.after_commit if committed else hooks.after_rollback:
                callback()
        return False


_OPEN_PATIENCE_S = 30.0


def _connected(path: str) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode with a 30 s busy timeout.

    SQLite answers ``database is locked`` at once, without waiting on the busy timeout,
    when the journal mode is read or set while another process is turning the same new
    file to WAL (an engine starting a run on a fresh home while the CLI lists it); so the
    opening statements are retried for as long as a busy write would wait."""
    conn = sqlite3.connect(path, timeout=_OPEN_PATIENCE_S, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    deadline = time.monotonic() + _OPEN_PATIENCE_S
    pause = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                conn.close()
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=%d" % int(_OPEN_PATIENCE_S * 1000))
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Store(WorkflowRecords, OutputTables):
    """The host's SQLite database at ``path`` (the records of workflow executions, their
    journal and task executions: :class:`wfops.store.workflow_records.WorkflowRecords`; action output
    and the stream cursor: :class:`wfops.store.output.OutputTables`)."""

    def __init__(self, path: str):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None      # the thread whose transaction is open
        self._hooks = _Hooks()
        self._conn = _connected(path)
        with self.transaction():
            for statement in schema.STATEMENTS:
                self._conn.execute(statement)
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(schema.SCHEMA_VERSION),),
            )
        _OPEN_STORES.add(self)

    def close(self) -> None:
        _OPEN_STORES.discard(self)
        with self._lock:
            self._conn.close()

    def transaction(self) -> "_Transaction":
        """A write transaction (``BEGIN IMMEDIATE``); nested calls join the outermost one.

        Callbacks registered with :meth:`before_commit`, :meth:`after_commit` and
        :meth:`after_rollback` while it is open run when the outermost one ends: the
        ``after_*`` ones once the connection lock is released, on the same thread."""
        return _Transaction(self)

    @property
    def in_transaction(self) -> bool:
        """Whether the calling thread has a transaction open."""
        return self._depth > 0 and self._owner == threading.get_ident()

    def before_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` just before the open transaction commits (not on rollback)."""
        self._open_hooks().before_commit.append(callback)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the open transaction has committed (dropped on rollback)."""
        self._open_hooks().after_commit.append(callback)

    def after_rollback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the open transaction has rolled back (dropped on commit)."""
        self._open_hooks().after_rollback.append(callback)

    def _open_hooks(self) -> "_Hooks":
        if not self.in_transaction:
            raise RuntimeError("no transaction is open on this thread")
        return self._hooks

    # -- generic helpers -------------------------------------------------------------

    def _insert(self, table: str, fields: dict) -> int:
        encoded = encode_fields(table, fields)
        columns = ", ".join(encoded)
        marks = ", ".join("?" for _ in encoded)
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO %s (%s) VALUES (%s)" % (table, columns, marks),
                tuple(encoded.values()),
            )
            return cursor.lastrowid

    def _update(self, table: str, key: str, key_value: Any, fields: dict) -> None:
        if not fields:
            return
        encoded = encode_fields(table, fields)
        assignments = ", ".join("%s = ?" % c for c in encoded)
        with self.transaction() as conn:
            conn.execute(
                "UPDATE %s SET %s WHERE %s = ?" % (table, assignments, key),
                tuple(encoded.values()) + (key_value,),
            )

    def _select(self, table: str, where: str = "", args: tuple = (), tail: str = "") -> list[dict]:
        sql = "SELECT * FROM %s" % table
        if where:
            sql += " WHERE " + where
        if tail:
            sql += " " + tail
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [decode_row(table, r) for r in rows]

    def _status(self, table: str, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT status FROM %s WHERE id = ?" % table, (key,)).fetchone()
        return row[0] if row else None

    def _select_one(self, table: str, where: str, args: tuple) -> dict | None:
        rows = self._select(table, where, args, "LIMIT 1")
        return rows[0] if rows else None

    def read(self, sql: str, args: tuple = ()) -> list[dict]:
        """Rows of a read-only query, as dicts (no JSON decoding), for modules that keep
        their own tables here (wfops.datastore)."""
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [dict(r) for r in rows]

    # -- engines and leases ----------------------------------------------------------

    def register_engine(self, engine_id: str, pid: int, hostname: str, now: float) -> None:
        self._insert(
            "engines",
            {"id": engine_id, "pid": pid, "hostname": hostname, "started": now, "heartbeat": now},
        )

    def heartbeat(self, engine_id: str, now: float) -> None:
        self._update("engines", "id", engine_id, {"heartbeat": now})

    def unregister_engine(self, engine_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE executions SET owner = NULL WHERE owner = ?", (engine_id,))
            conn.execute("DELETE FROM engines WHERE id = ?", (engine_id,))

    def get_engine(self, engine_id: str) -> dict | None:
        return self._select_one("engines", "id = ?", (engine_id,))

    def claim_root(self, root_id: str, engine_id: str, expected_owner: str | None) -> bool:
        """Compare-and-set the owner of a root execution; True when this engine got it."""
        with self.transaction() as conn:
            if expected_owner is None:
                cursor = conn.execute(
                    "UPDATE executions SET owner = ? WHERE id = ? AND owner IS NULL",
                    (engine_id, root_id),
                )
            else:
                cursor = conn.execute(
                    "UPDATE executions SET owner = ? WHERE id = ? AND owner = ?",
                    (engine_id, root_id, expected_owner),
                )
            return cursor.rowcount == 1

    def release_root(self, root_id: str, engine_id: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE executions SET owner = NULL WHERE id = ? AND owner = ?",
                (root_id, engine_id),
            )

    def owned_roots(self, engine_id: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id FROM executions WHERE owner = ?", (engine_id,)
            ).fetchall()
        return [r[0] for r in rows]

    def roots_of_active_executions(self, statuses: tuple[str, ...]) -> list[dict]:
        """Root executions of every tree with an execution in one of ``statuses`` (the
        root itself, or a record left active under a completed root), oldest first."""
        marks = ", ".join("?" for _ in statuses)
        return self._select(
            "executions",
            "id IN (SELECT DISTINCT root FROM executions WHERE status IN (%s))" % marks,
            tuple(statuses),
            "ORDER BY seq",
        )

    # -- executions ------------------------------------------------------------------

    def insert_execution(self, record: dict) -> None:
        self._insert("executions", record)

    def update_execution(self, execution_id: str, **fields: Any) -> None:
        self._update("executions", "id", execution_id, fields)

    def get_execution(self, execution_id: str) -> dict | None:
        return self._select_one("executions", "id = ?", (execution_id,))

    def set_execution_status(self, execution_id: str, status: str, now: str, completed: bool,
                             result: Any = None, *, with_result: bool = False) -> None:
        """Move an execution to ``status`` in one statement, without reading it first: if
        its status differs, its log gains ``{timestamp: now, status}`` and its end time
        becomes ``now`` (``completed``) or empty; with ``with_result``, its result is set."""
        entry = dumps({"timestamp": now, "status": status})
        sql = ("UPDATE executions SET "
               "log = CASE WHEN status = :status THEN log ELSE json_insert(log, '$[#]', json(:entry)) END, "
               "end_timestamp = CASE WHEN status = :status THEN end_timestamp ELSE :end END, "
               "status = :status")
        args = {"status": status, "entry": entry, "end": now if completed else None, "id": execution_id}
        if with_result:
            sql += ", result = :result"
            args["result"] = None if result is None else dumps(result)
        with self.transaction() as conn:
            conn.execute(sql + " WHERE id = :id", args)

    def get_execution_status(self, execution_id: str) -> str | None:
        """The status alone, without decoding the record."""
        return self._status("executions", execution_id)

    def find_executions_by_prefix(self, prefix: str) -> list[dict]:
        return self._select("executions", "id LIKE ?", (prefix + "%",), "LIMIT 2")

    def child_executions(self, parent_id: str) -> list[dict]:
        return self._select("executions", "parent = ?", (parent_id,), "ORDER BY seq")

    def child_ids(self, parent_id: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id FROM executions WHERE parent = ? ORDER BY seq", (parent_id,)
            ).fetchall()
        return [r[0] for r in rows]

    def pending_inquiries(self) -> list[dict]:
        """The inquiries waiting for a response, oldest first."""
        return self._select("executions", "status = 'pending' AND runner_type = 'inquirer'", (), "ORDER BY seq")

    def tree_executions(self, root_id: str) -> list[dict]:
        return self._select("executions", "root = ?", (root_id,), "ORDER BY seq")

    def executions_of_task(self, task_execution_id: str) -> list[dict]:
        return self._select(
            "executions", "task_execution = ?", (task_execution_id,), "ORDER BY seq"
        )

    def list_executions(
        self,
        *,
        status: str | None = None,
        action: str | None = None,
        top_level_only: bool = False,
        parent: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
        newest_first: bool = True,
    ) -> tuple[list[dict], int]:
        clauses, args = [], []
        if status:
            clauses.append("status = ?")
            args.append(status)
        if action:
            clauses.append("action_ref = ?")
            args.append(action)
        if top_level_only:
            clauses.append("parent IS NULL")
        if parent:
            clauses.append("parent = ?")
            args.append(parent)
        where = " AND ".join(clauses)
        with self._lock:
            total = self._conn.execute(
                "SELECT COUNT(*) FROM executions" + (" WHERE " + where if where else ""),
                tuple(args),
            ).fetchone()[0]
        tail = "ORDER BY seq %s" % ("DESC" if newest_first else "ASC")
        if limit is not None and limit >= 0:
            tail += " LIMIT %d OFFSET %d" % (limit, offset)
        return self._select("executions", where, tuple(args), tail), total

    # -- audit -----------------------------------------------------------------------

    def append_operation(self, entry: dict) -> int:
        return self._insert("operations", entry)

    def operations(self, execution_id: str) -> list[dict]:
        return self._select("operations", "execution = ?", (execution_id,), "ORDER BY seq")

    # -- commands from other processes ---------------------------------------------

    def enqueue_command(self, root: str, execution: str, operation: str, payload: dict, now: float) -> int:
        return self._insert(
            "commands",
            {
                "root": root,
                "execution": execution,
                "operation": operation,
                "payload": payload,
                "state": "pending",
                "created": now,
            },
        )

    def pending_commands(self, roots: list[str]) -> list[dict]:
        if not roots:
            return []
        marks = ", ".join("?" for _ in roots)
        return self._select(
            "commands",
            "state = 'pending' AND root IN (%s)" % marks,
            tuple(roots),
            "ORDER BY seq",
        )

    def roots_with_pending_commands(self) -> list[dict]:
        return self._select(
            "executions",
            "id IN (SELECT root FROM commands WHERE state = 'pending')",
            (),
            "ORDER BY seq",
        )

    def get_command(self, seq: int) -> dict | None:
        return self._select_one("commands", "seq = ?", (seq,))

    def command_pending(self, seq: int) -> bool:
        """Whether command ``seq`` still waits for an answer (inside the owner's write
        transaction, nobody can answer or withdraw it until that commits)."""
        with self._lock:
            row = self._conn.execute("SELECT state FROM commands WHERE seq = ?", (seq,)).fetchone()
        return row is not None and row[0] == "pending"

    def finish_command(self, seq: int, state: str, response: dict) -> bool:
        """Answer (or withdraw) a pending command; False when somebody else answered or
        withdrew it first."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE commands SET state = ?, response = ? WHERE seq = ? AND state = 'pending'",
                (state, dumps(response), seq),
            )
            return cursor.rowcount == 1
