"""StackStorm's event stream, derived from the store: whatever process ran an execution
(this server's engine thread, a ``wfops run``, a detached engine), its changes are rows of
``stream_events`` (written by SQLite triggers), read here in order.

Events, as st2stream sends them: ``st2.execution__create`` and ``st2.execution__update``
with the execution document (secrets masked) as it was at that change (its status then;
result and end time only once completed; the children created by then), and
``st2.execution.output__create`` with the output record (``id``, ``execution_id``,
``action_ref``, ``runner_ref``, ``timestamp``, ``output_type``, ``data``). An execution
recorded at once past ``requested`` (a task that starts at once) has its create event
followed by an update with that status, as st2's would have been.

A stream that names ``end_execution_id`` (``st2 execution tail``, ``st2 run --tail``) first
replays that execution's tree from its start, so that a client which connects a moment
after the execution began misses nothing of it.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Iterable

from wfops import statuses as s
from wfops.api import resources

# st2stream's default when no ``events`` are asked for.
DEFAULT_EVENTS = (
    "st2.announcement__*",
    "st2.execution__create",
    "st2.execution__update",
    "st2.execution__delete",
    "st2.liveaction__create",
    "st2.liveaction__update",
    "st2.liveaction__delete",
)
EXECUTION_CREATE = "st2.execution__create"
EXECUTION_UPDATE = "st2.execution__update"
OUTPUT_CREATE = "st2.execution.output__create"


@dataclass
class StreamFilter:
    """What one client asked for (st2stream's query parameters)."""

    events: list[str] = field(default_factory=list)
    action_refs: list[str] = field(default_factory=list)
    execution_ids: list[str] = field(default_factory=list)
    end_event: str | None = None
    end_execution_id: str | None = None

    def wants(self, event: str, body: dict) -> bool:
        patterns = self.events or DEFAULT_EVENTS
        if not any(fnmatch.fnmatch(event, p) for p in patterns):
            return False
        if event == OUTPUT_CREATE:
            ref, execution_id = body.get("action_ref"), body.get("execution_id")
        else:
            ref, execution_id = (body.get("action") or {}).get("ref"), body.get("id")
        if self.action_refs and ref not in self.action_refs:
            return False
        return not self.execution_ids or execution_id in self.execution_ids

    def ends_with(self, event: str, body: dict) -> bool:
        return (self.end_execution_id is not None and event == self.end_event
                and body.get("id") == self.end_execution_id and body.get("status") in s.COMPLETED)


def output_doc(record: dict) -> dict:
    """st2's ActionExecutionOutputAPI document of one output record."""
    return {
        "id": resources.pseudo_id("output", str(record["seq"])),
        "execution_id": record["execution_id"],
        "action_ref": record["action_ref"],
        "runner_ref": record["runner_ref"],
        "timestamp": record["timestamp"],
        "output_type": record["output_type"],
        "data": record["data"],
    }


def _as_at(doc: dict, status: str, children: list[str]) -> dict:
    """``doc`` as it was when the execution had ``status`` and these children."""
    doc = dict(doc, children=children)
    if doc["status"] == status:
        return doc
    log = doc.get("log") or []
    upto = next((i + 1 for i, entry in enumerate(log) if entry.get("status") == status), len(log))
    doc.update(status=status, log=log[:upto])
    if status not in s.COMPLETED:
        doc.update(result=None, end_timestamp=None)
        doc.pop("elapsed_seconds", None)
    return doc


def events_of(store, registry, rows: list[dict]) -> list[tuple[str, dict]]:
    """(event name, body) for each row of ``stream_events``, in order. Cost: O(rows) store
    reads (each execution and output record read once per call)."""
    records: dict[str, dict | None] = {}
    docs: dict[str, dict] = {}
    created: dict[str, int] = {}
    for row in rows:
        if row["event"] == EXECUTION_CREATE:
            created[row["execution_id"]] = row["seq"]
    out: list[tuple[str, dict]] = []
    for row in rows:
        execution_id = row["execution_id"]
        if row["event"] == OUTPUT_CREATE:
            record = store.get_output_record(row["output_seq"]) if row["output_seq"] else None
            if record is not None:
                out.append((OUTPUT_CREATE, output_doc(record)))
            continue
        if execution_id not in records:
            records[execution_id] = store.get_execution(execution_id)
        record = records[execution_id]
        if record is None:
            continue
        if execution_id not in docs:
            docs[execution_id] = resources.execution_doc(store, registry, record)
        doc = docs[execution_id]
        # Children created after this change (later rows of this batch) were not there yet.
        children = [c for c in store.child_ids(execution_id) if created.get(c, 0) <= row["seq"]]
        status = row["status"] or record["status"]
        out.append((row["event"], _as_at(doc, status, children)))
        if row["event"] == EXECUTION_CREATE and status != s.REQUESTED:
            out.append((EXECUTION_UPDATE, _as_at(doc, status, children)))
    return out


def start_cursor(store, wanted: StreamFilter) -> int:
    """Where a new stream starts reading: now, or (with ``end_execution_id``) at the first
    event kept of that execution's tree."""
    latest = store.last_stream_event()
    if wanted.end_execution_id:
        record = store.get_execution(wanted.end_execution_id)
        if record is not None:
            first = store.first_stream_event_of_tree(record["root"])
            if first is not None:
                return min(first - 1, latest)
    return latest


def sse(event: str, body: dict) -> bytes:
    """One server-sent event in st2stream's format."""
    return ("event: %s\ndata: %s\n\n" % (event, json.dumps(body, default=str))).encode("utf-8")


def output_text(store, records: Iterable[dict], output_type: str = "all") -> str:
    """What ``GET /executions/{id}/output`` answers for these executions: their output
    records in order, or, for an execution that has none (finished before wfops recorded
    output), the stdout/stderr of its result."""
    streams = ("stdout", "stderr") if output_type == "all" else (output_type,)
    parts = []
    for record in records:
        lines = store.output_of([record["id"]], None if output_type == "all" else output_type)
        if lines:
            parts.append("".join(line["data"] for line in lines))
            continue
        result = record.get("result")
        if isinstance(result, dict):
            for stream in streams:
                text = result.get(stream)
                if isinstance(text, str) and text:
                    parts.append(text if text.endswith("\n") else text + "\n")
    return "".join(parts)
