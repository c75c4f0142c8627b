"""Action execution records as the engine writes them (StackStorm's shape)."""

from __future__ import annotations

from typing import Any

from wfops import statuses as s
from wfops.timestamps import now_iso


def insert_execution(engine, execution_id: str, action, params: dict, context: dict, *,
                     parent: str | None, root: str, owner: str | None = None,
                     task_execution: str | None = None, item_id: int | None = None,
                     status: str = s.REQUESTED, logged: tuple[str, ...] = ()) -> dict:
    """Insert an execution record of ``action`` in ``status``; ``logged``: earlier statuses
    it went through at once (its log lists them first). Returns the record. O(1)."""
    now = now_iso()
    record = {
        "id": execution_id,
        "action_ref": action.ref,
        "runner_type": action.runner_type,
        "status": status,
        "parameters": params,
        "result": None,
        "context": context,
        "parent": parent,
        "root": root,
        "task_execution": task_execution,
        "item_id": item_id,
        "owner": owner,
        "start_timestamp": now,
        "end_timestamp": None,
        "log": [{"timestamp": now, "status": st} for st in (*logged, status)],
    }
    engine.store.insert_execution(record)
    return record


def set_execution_status(engine, execution_id: str, status: str, result: Any = None,
                         with_result: bool = False) -> None:
    """Move a record to ``status`` (its log gains an entry; a completed status sets its
    end time), and with ``with_result`` set its result. O(1): one statement, which reads
    nothing back, unless a progress report wants the record."""
    if not engine.progress:
        engine.store.set_execution_status(execution_id, status, now_iso(), status in s.COMPLETED,
                                          result, with_result=with_result)
        return
    record = engine.store.get_execution(execution_id)
    if record is None:
        return
    fields: dict[str, Any] = {}
    if record["status"] != status:
        fields["status"] = status
        fields["log"] = record["log"] + [{"timestamp": now_iso(), "status": status}]
        if status in s.COMPLETED:
            fields["end_timestamp"] = now_iso()
        elif record["end_timestamp"]:
            fields["end_timestamp"] = None
    if with_result:
        fields["result"] = result
    if fields:
        engine.store.update_execution(execution_id, **fields)
        if engine.progress and "status" in fields:
            engine.progress({"execution": execution_id, "status": status, "record": record})
