"""The SQLite schema of the embedded host.

Action executions have StackStorm's shape. A workflow execution keeps its Orquesta
conductor as a snapshot plus a journal of the conductor calls made since the snapshot.
The ``operations`` table is the audit trail; triggers make it append-only. The output of
actions (``execution_output``) and a change cursor on executions (``stream_events``,
written by triggers) feed StackStorm's event stream.
``key_value_pairs`` is the datastore (wfops.datastore): StackStorm's key-value pairs, a
secret's value stored encrypted, ``expire_timestamp`` in epoch seconds (NULL: no TTL).
"""

SCHEMA_VERSION = 1
STREAM_EVENTS_KEPT = 100000

STATEMENTS = [
    """
    CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS engines (
        id TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        hostname TEXT NOT NULL,
        started REAL NOT NULL,
        heartbeat REAL NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS executions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        action_ref TEXT NOT NULL,
        runner_type TEXT NOT NULL,
        status TEXT NOT NULL,
        parameters TEXT NOT NULL,
        result TEXT,
        context TEXT NOT NULL,
        parent TEXT,
        root TEXT NOT NULL,
        workflow_execution TEXT,
        task_execution TEXT,
        item_id INTEGER,
        owner TEXT,
        start_timestamp TEXT NOT NULL,
        end_timestamp TEXT,
        log TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS executions_parent ON executions (parent)",
    "CREATE INDEX IF NOT EXISTS executions_root ON executions (root)",
    "CREATE INDEX IF NOT EXISTS executions_status ON executions (status)",
    "CREATE INDEX IF NOT EXISTS executions_task ON executions (task_execution)",
    # Only roots have an owner: a partial index keeps "the trees this engine owns" (read
    # every command poll) O(owned) instead of a scan of every execution, at no cost to
    # the inserts of ownerless records.
    "CREATE INDEX IF NOT EXISTS executions_owner ON executions (owner) WHERE owner IS NOT NULL",
    """
    CREATE TABLE IF NOT EXISTS workflow_executions (
        id TEXT PRIMARY KEY,
        action_execution TEXT NOT NULL,
        action_ref TEXT NOT NULL,
        definition TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT NOT NULL,
        parent_context TEXT NOT NULL,
        snapshot TEXT,
        snapshot_seq INTEGER NOT NULL DEFAULT 0,
        journal_seq INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS journal (
        workflow_execution TEXT NOT NULL,
        seq INTEGER NOT NULL,
        entry TEXT NOT NULL,
        PRIMARY KEY (workflow_execution, seq)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS task_executions (
        id TEXT PRIMARY KEY,
        workflow_execution TEXT NOT NULL,
        action_execution TEXT NOT NULL,
        task_id TEXT NOT NULL,
        route INTEGER NOT NULL,
        seq_index INTEGER NOT NULL,
        status TEXT NOT NULL,
        prev TEXT NOT NULL,
        context TEXT NOT NULL,
        result TEXT,
        published TEXT,
        skipped INTEGER NOT NULL DEFAULT 0,
        start_timestamp TEXT NOT NULL,
        end_timestamp TEXT,
        UNIQUE (workflow_execution, seq_index)
    )
    """,
    "CREATE INDEX IF NOT EXISTS task_executions_task ON task_executions (workflow_execution, task_id)",
    """
    CREATE TABLE IF NOT EXISTS operations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        execution TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        user TEXT NOT NULL,
        operation TEXT NOT NULL,
        request TEXT NOT NULL,
        plan TEXT,
        outcome TEXT,
        comment TEXT
    )
    """,
    "CREATE INDEX IF NOT EXISTS operations_execution ON operations (execution)",
    """
    CREATE TRIGGER IF NOT EXISTS operations_no_update BEFORE UPDATE ON operations
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS operations_no_delete BEFORE DELETE ON operations
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END
    """,
    """
    CREATE TABLE IF NOT EXISTS commands (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        root TEXT NOT NULL,
        execution TEXT NOT NULL,
        operation TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        response TEXT,
        created REAL NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS commands_pending ON commands (state, root)",
    """
    CREATE TABLE IF NOT EXISTS key_value_pairs (
        id TEXT NOT NULL UNIQUE,
        scope TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        secret INTEGER NOT NULL DEFAULT 0,
        description TEXT,
        expire_timestamp REAL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (scope, name)
    )
    """,
    "CREATE INDEX IF NOT EXISTS key_value_pairs_expiry ON key_value_pairs (expire_timestamp)",
    # The lines an action writes to stdout/stderr, as they come (StackStorm's
    # ActionExecutionOutputDB).
    """
    CREATE TABLE IF NOT EXISTS execution_output (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        execution_id TEXT NOT NULL,
        action_ref TEXT NOT NULL,
        runner_ref TEXT NOT NULL,
        output_type TEXT NOT NULL,
        data TEXT NOT NULL,
        timestamp TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS execution_output_execution ON execution_output (execution_id)",
    # The change cursor of the event stream (/stream/v1/stream): one row per created
    # execution, per change of an execution's status or result, per output record, written
    # by triggers whatever process made the change. Only the latest STREAM_EVENTS_KEPT rows
    # are kept.
    """
    CREATE TABLE IF NOT EXISTS stream_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event TEXT NOT NULL,
        execution_id TEXT NOT NULL,
        root TEXT,
        status TEXT,
        output_seq INTEGER
    )
    """,
    """
    CREATE TRIGGER IF NOT EXISTS stream_execution_created AFTER INSERT ON executions
    BEGIN
        INSERT INTO stream_events (event, execution_id, root, status)
        VALUES ('st2.execution__create', new.id, new.root, new.status);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS stream_execution_updated AFTER UPDATE ON executions
    WHEN old.status IS NOT new.status OR old.result IS NOT new.result
    BEGIN
        INSERT INTO stream_events (event, execution_id, root, status)
        VALUES ('st2.execution__update', new.id, new.root, new.status);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS stream_output_created AFTER INSERT ON execution_output
    BEGIN
        INSERT INTO stream_events (event, execution_id, root, output_seq)
        VALUES ('st2.execution.output__create', new.execution_id,
                (SELECT root FROM executions WHERE id = new.execution_id), new.seq);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS stream_events_bounded AFTER INSERT ON stream_events
    WHEN new.seq %% 1000 = 0
    BEGIN
        DELETE FROM stream_events WHERE seq <= new.seq - %d;
    END
    """ % STREAM_EVENTS_KEPT,
]
