"""``wfops execution tail ID`` and ``wfops run --tail``: each task of an execution's tree
as it starts and ends, and the lines its actions print, as they happen.

The events are StackStorm's stream events (:mod:`wfops.api.events`): read from the local
store's change cursor (whatever process runs the execution; this one's engine is stepped
meanwhile when it runs it), or from a server's ``/stream/v1/stream``. Either replays the
execution's tree from its start, so that nothing that happened before the tail began is
missed.
"""

from __future__ import annotations

import sys
import time
from typing import Iterator, TextIO

from wfops import statuses as s
from wfops.cli.backend import task_label

POLL_SECONDS = 0.1
EXECUTION_UPDATE = "st2.execution__update"
OUTPUT_CREATE = "st2.execution.output__create"
TAIL_EVENTS = (EXECUTION_UPDATE, OUTPUT_CREATE)


def local_events(session, execution_id: str, *, runs_here: bool) -> Iterator[tuple[str, dict]]:
    """Stream events of ``execution_id``'s tree from the local store, until it completes.
    ``runs_here``: this process's engine runs it, and is stepped between reads."""
    from wfops.api.events import StreamFilter, events_of, start_cursor
    from wfops.engine import loop

    store = session.store
    cursor = start_cursor(store, StreamFilter(end_execution_id=execution_id))
    while True:
        if runs_here:
            loop.step(session.engine, POLL_SECONDS)
        rows = store.stream_events_after(cursor)
        if rows:
            cursor = rows[-1]["seq"]
            yield from events_of(store, session.registry, rows)
            continue
        if store.get_execution(execution_id)["status"] not in s.WAITING:
            return
        if not runs_here:
            time.sleep(POLL_SECONDS)


class Tail:
    """Prints what one execution's tree does, from its stream events."""

    def __init__(self, execution_id: str, out: TextIO | None = None):
        self.execution_id = execution_id
        self.out = out or sys.stdout
        self.tree = {execution_id}
        self.labels: dict[str, str] = {}
        self.reported: dict[str, str] = {}
        self.final: dict | None = None

    def feed(self, event: str, body: dict) -> bool:
        """Handle one event; True once the tailed execution has completed."""
        if event == OUTPUT_CREATE:
            label = self.labels.get(body.get("execution_id"))
            if label is not None:
                for line in body.get("data", "").splitlines() or [""]:
                    self._print("  %s | %s" % (label, line))
            return False
        if event != EXECUTION_UPDATE:
            return False
        execution_id = body.get("id")
        parent = body.get("parent") or ((body.get("context") or {}).get("parent") or {}).get("execution_id")
        if execution_id != self.execution_id and parent not in self.tree:
            return False
        self.tree.add(execution_id)
        status = body.get("status")
        if execution_id == self.execution_id:
            if status not in s.WAITING:  # completed, or paused (as `wfops run` stops waiting)
                self.final = body
                return True
            return False
        label = task_label(body) or execution_id
        self.labels[execution_id] = label
        if self.reported.get(execution_id) == status:
            return False
        if status == s.RUNNING:
            self._print("%s started (%s)" % (label, execution_id))
        elif status in s.COMPLETED:
            self._print("%s %s" % (label, status))
        else:
            return False
        self.reported[execution_id] = status
        return False

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def tail(events: Iterator[tuple[str, dict]], execution_id: str, out: TextIO | None = None) -> dict | None:
    """Print the tree of ``execution_id`` from ``events`` until it completes (or pauses);
    the execution's last document, or None when the events ended first."""
    follower = Tail(execution_id, out)
    for event, body in events:
        if follower.feed(event, body):
            break
    return follower.final


def follow(backend, execution_id: str, out: TextIO | None = None) -> dict | None:
    """Print ``Tailing execution "ID"``, then the execution's tree as it happens."""
    print('Tailing execution "%s"' % execution_id, file=out or sys.stdout, flush=True)
    return tail(backend.events(execution_id), execution_id, out)


def add_parser(execution_commands) -> None:
    """``wfops execution tail ID``."""
    parser = execution_commands.add_parser(
        "tail", help="follow an execution: each task as it starts and ends, and its output, as it happens "
        "(from the start of the execution)")
    parser.add_argument("id", help="the execution to follow")


def cmd_execution_tail(backend, args, parser) -> int:
    """Exit status 0 when the execution succeeded, 1 otherwise (as ``wfops run``)."""
    record = backend.get_execution(args.id)
    follow(backend, record["id"])
    record = backend.get_execution(record["id"])
    print("Execution %s %s." % (record["id"], record["status"]), flush=True)
    return 0 if record["status"] == s.SUCCEEDED else 1
