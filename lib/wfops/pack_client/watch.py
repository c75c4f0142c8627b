"""What the pack's ``WorkflowWatchSensor`` does on each poll: find the top-level workflow
executions that failed (failed, timeout, abandoned) or paused since the last poll, and
describe each one once.

The cursor (which executions were already reported) is kept in the datastore as JSON, so
that a restarted sensor reports nothing twice. On its very first poll the watch reports
nothing: it records what has already failed or paused, so that installing the pack does
not re-run the past.

The executions API lists executions newest first (by start); each poll reads pages until
one holds nothing new (at most ``max_pages``). An execution that started long before
``page_size`` newer executions of the same status and failed only now can therefore be
missed; raise ``page_size`` if that matters.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from wfops import statuses as s
from wfops.pack_client import summary
from wfops.pack_client.backends import Backend, BackendError

FAILED = "workflow_failed"
PAUSED = "workflow_paused"
WATCHED = {FAILED: (s.FAILED, s.TIMEOUT, s.ABANDONED), PAUSED: (s.PAUSED,)}
CURSOR_KEY = "cursor"
CURSOR_VERSION = 1
SEEN_LIMIT = 2000
# What the watch reads of each execution (StackStorm and wfops both take dotted names).
LIST_ATTRIBUTES = "id,status,action.ref,action.runner_type,runner.name,parent,context,start_timestamp,end_timestamp"


class Cursor:
    def __init__(self, data: dict | None = None):
        data = data or {}
        self.started = bool(data.get("started"))
        self.seen: dict[str, list[str]] = {k: list(v) for k, v in (data.get("seen") or {}).items()}

    @classmethod
    def load(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict) or data.get("version") != CURSOR_VERSION:
            return cls()
        return cls(data)

    def dump(self) -> str:
        return json.dumps({"version": CURSOR_VERSION, "started": self.started, "seen": self.seen},
                          sort_keys=True)

    def has(self, trigger: str, execution_id: str) -> bool:
        return execution_id in self.seen.get(trigger, ())

    def add(self, trigger: str, execution_id: str) -> None:
        seen = self.seen.setdefault(trigger, [])
        seen.append(execution_id)
        del seen[:-SEEN_LIMIT]


class WorkflowWatch:
    """One poll: ``poll()`` returns the ``(trigger name, payload)`` to dispatch and keeps the
    cursor through ``get_value`` / ``set_value`` (the sensor service's datastore)."""

    def __init__(self, backend: Backend, get_value: Callable[[str], str | None],
                 set_value: Callable[[str, str], Any], pack: str = "wfops",
                 page_size: int = 50, max_pages: int = 5, logger=None):
        self.backend = backend
        self.get_value = get_value
        self.set_value = set_value
        self.pack = pack
        self.page_size = page_size
        self.max_pages = max_pages
        self.logger = logger
        self._tags: dict[str, list[str]] = {}
        self._projection = True

    def poll(self) -> list[tuple[str, dict]]:
        cursor = Cursor.load(self.get_value(CURSOR_KEY))
        self._tags = {}
        found: list[tuple[str, dict]] = []
        for trigger, statuses in WATCHED.items():
            for status in statuses:
                for doc in self._new(cursor, trigger, status):
                    cursor.add(trigger, doc["id"])
                    if cursor.started:
                        found.append(("%s.%s" % (self.pack, trigger), self.payload(doc)))
        cursor.started = True
        self.set_value(CURSOR_KEY, cursor.dump())
        return found

    def _new(self, cursor: Cursor, trigger: str, status: str) -> list[dict]:
        """Top-level workflow executions in ``status`` not reported yet, oldest first."""
        new: list[dict] = []
        for page in range(self.max_pages):
            docs = self._page(status, page)
            fresh = [d for d in docs if not cursor.has(trigger, d["id"]) and d.get("status") == status
                     and not d.get("parent") and summary.runner_type(d) == "orquesta"]
            new.extend(fresh)
            if len(docs) < self.page_size or not fresh:
                break
        new.reverse()
        return new

    def _page(self, status: str, page: int) -> list[dict]:
        query = {"status": status, "parent": "null", "limit": self.page_size,
                 "offset": page * self.page_size or None}
        if self._projection:
            try:
                return self.backend.executions(include_attributes=LIST_ATTRIBUTES, **query)
            except BackendError as e:
                if e.status != 400:
                    raise
                self._projection = False  # an API that refuses these attributes: read it all
        return self.backend.executions(**query)

    def payload(self, doc: dict) -> dict:
        """The trigger payload of one execution (see the sensor's trigger types)."""
        execution_id = doc["id"]
        failed: list[dict] = []
        try:
            failed = summary.failed_tasks(execution_id, self.backend.children(execution_id))
        except Exception as e:  # noqa: BLE001 - report the execution even so
            self._warn("cannot read the tasks of %s: %s" % (execution_id, e))
        context = doc.get("context") or {}
        ref = summary.action_ref(doc)
        return {
            "execution_id": execution_id,
            "action_ref": ref,
            "status": doc.get("status"),
            "failed_tasks": [summary.task_label(t) for t in failed],
            "failed_task_details": failed,
            "suggested_rerun": summary.suggested_rerun(execution_id, failed),
            "rerun_of": summary.rerun_of(doc),
            "rerun_count": self._rerun_count(doc),
            "action_tags": self._action_tags(ref),
            "user": context.get("user"),
            "start_timestamp": doc.get("start_timestamp"),
            "end_timestamp": doc.get("end_timestamp"),
        }

    def _rerun_count(self, doc: dict, limit: int = 20) -> int:
        """How many re-runs led to this execution (following ``context["re-run"].ref``)."""
        count, current = 0, doc
        while count < limit:
            ref = summary.rerun_of(current)
            if not ref:
                break
            count += 1
            try:
                current = self.backend.execution(ref)
            except Exception:  # noqa: BLE001 - the original may be gone
                break
        return count

    def _action_tags(self, ref: str | None) -> list[str]:
        """The names of the action's tags (StackStorm's ``tags: [{name, value}]``)."""
        if not ref:
            return []
        if ref not in self._tags:
            names: list[str] = []
            try:
                action = self.backend.action(ref) or {}
            except Exception as e:  # noqa: BLE001
                self._warn("cannot read action %s: %s" % (ref, e))
                action = {}
            for tag in action.get("tags") or []:
                name = tag.get("name") if isinstance(tag, dict) else tag
                if name:
                    names.append(str(name))
            self._tags[ref] = names
        return self._tags[ref]

    def _warn(self, message: str) -> None:
        if self.logger is not None:
            self.logger.warning(message)
