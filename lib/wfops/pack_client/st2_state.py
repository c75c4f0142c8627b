"""The planner's run state of a workflow execution, rebuilt from what StackStorm's API shows.

StackStorm keeps the Orquesta conductor's state (``sequence``, ``prev``/``next`` links,
staged tasks) in its database but its API does not serve it. What the API does serve is
enough to rebuild most of it:

- the task executions: every child execution of the workflow's action executions carries
  ``context.orquesta`` (``task_name``, ``task_route``, ``task_execution_id`` and, for an
  item of a with-items task, ``item_id``), a status and timestamps;
- the re-runs: a re-run from tasks is a new action execution of the same workflow
  execution (``context.workflow_execution``) whose ``context["re-run"]`` names the
  execution it re-ran and the tasks it was asked for;
- the workflow definition (the action's entry point), which gives each task's inbound
  transitions and their ``when`` conditions.

From these :func:`rebuild_run_state` makes one sequence entry per task execution (in
start order), links each to the task execution that triggered it (``prev``: the latest
execution of an inbound task that completed before it started and whose transition
condition holds for its status), evaluates each completed execution's transitions
(``next``), and fills ``tasks``, ``items`` and ``reruns`` the way Orquesta does.

What cannot be rebuilt: staged tasks (ready but never started), item statuses of items
that never started, and transition conditions that read the context (these are taken as
true when a task was started through them, else guessed from their status functions).
Each guess is reported in the notes returned with the state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from wfops import statuses as s

ENGINE_COMMANDS = frozenset(["continue", "fail", "noop", "retry"])

_DELIMITED = (re.compile(r"^\s*<%(.*)%>\s*$", re.S), re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S))
_STATUS_FUNCTION = re.compile(r"\b(succeeded|failed|completed)\s*\(\s*\)")
_BOOLEAN_TOKENS = frozenset(["True", "False", "and", "or", "not", "(", ")"])


def _status_function(name: str, status: str | None) -> bool:
    if name == "succeeded":
        return status == s.SUCCEEDED
    if name == "failed":
        return status in s.ABENDED
    return status in s.COMPLETED


def evaluate_condition(when: str | None, status: str | None) -> bool | None:
    """The value of a transition's ``when`` for a task that completed with ``status``:
    True/False when the condition only combines ``succeeded()``, ``failed()`` and
    ``completed()``, None when it reads anything else."""
    if when is None or (isinstance(when, str) and not when.strip()):
        return True
    if not isinstance(when, str):
        return bool(when)
    expression = when
    for pattern in _DELIMITED:
        match = pattern.match(expression)
        if match:
            expression = match.group(1)
            break
    replaced = _STATUS_FUNCTION.sub(
        lambda m: " True " if _status_function(m.group(1), status) else " False ", expression)
    replaced = replaced.replace("&&", " and ").replace("||", " or ").replace("!", " not ")
    tokens = re.findall(r"\w+|\S", replaced)
    if not tokens or any(t not in _BOOLEAN_TOKENS for t in tokens):
        return None
    try:
        return bool(eval(" ".join(tokens), {"__builtins__": {}}, {}))  # noqa: S307 - booleans only
    except Exception:  # noqa: BLE001 - unbalanced parentheses and the like
        return None


def _guess_condition(when: str, status: str | None) -> bool:
    """A condition that reads the context: guessed from the status functions it names."""
    names = set(_STATUS_FUNCTION.findall(when or ""))
    if not names:
        return status == s.SUCCEEDED or status is None
    return any(_status_function(n, status) for n in names)


@dataclass
class Transition:
    source: str
    ref: int
    targets: list[str]
    when: str | None


@dataclass
class Definition:
    """The parts of an Orquesta definition that the rebuild needs."""

    tasks: dict[str, dict]
    transitions: dict[str, list[Transition]]  # by source task
    inbound: dict[str, list[Transition]]      # by target task

    @classmethod
    def read(cls, definition: Mapping[str, Any]) -> Definition:
        tasks = {name: dict(task or {}) for name, task in (definition.get("tasks") or {}).items()}
        transitions: dict[str, list[Transition]] = {}
        inbound: dict[str, list[Transition]] = {}
        for name, task in tasks.items():
            for ref, entry in enumerate(task.get("next") or []):
                entry = entry or {}
                targets = entry.get("do") or ["continue"]
                if isinstance(targets, str):
                    targets = [t.strip() for t in targets.split(",") if t.strip()]
                targets = [t for t in targets if t != "retry"]
                transition = Transition(name, ref, targets, entry.get("when"))
                transitions.setdefault(name, []).append(transition)
                for target in targets:
                    inbound.setdefault(target, []).append(transition)
        return cls(tasks, transitions, inbound)

    def is_join(self, task: str) -> bool:
        return (self.tasks.get(task) or {}).get("join") is not None

    def has_items(self, task: str) -> bool:
        return (self.tasks.get(task) or {}).get("with") is not None


@dataclass
class _Entry:
    task: str
    route: int
    key: str                                   # task execution id (or a stand-in)
    actions: list[dict] = field(default_factory=list)
    items: dict[int, dict] = field(default_factory=dict)  # item id -> latest action execution
    status: str | None = None
    start: str = ""
    end: str | None = None
    prev: dict[str, int] = field(default_factory=dict)
    next: dict[str, bool] = field(default_factory=dict)
    term: bool = False
    carried: dict[int, dict] = field(default_factory=dict)  # items kept from the previous execution


def _orquesta(doc: Mapping) -> Mapping:
    return ((doc.get("context") or {}).get("orquesta")) or {}


def _start(doc: Mapping) -> str:
    return doc.get("start_timestamp") or ""


def _rerun_tasks(execution: Mapping) -> set[str]:
    rerun = (execution.get("context") or {}).get("re-run") or {}
    return {str(t).split("[")[0] for t in rerun.get("tasks") or []}


def rebuild_run_state(chain: list[Mapping], children: Mapping[str, Iterable[Mapping]],
                      definition: Mapping[str, Any]) -> tuple[dict, list[str]]:
    """The planner's run state of a workflow execution, and notes on what was guessed.

    ``chain``: the action executions of the workflow execution, oldest first (the original
    run, then each re-run from tasks); ``children``: their child executions by execution id
    (any depth; only direct children are used); ``definition``: the workflow definition.
    """
    spec = Definition.read(definition)
    notes: list[str] = []
    entries = _group(chain, children, spec)
    _link(entries, spec, notes)
    _mark_terminal(entries, spec, chain[-1].get("status") if chain else None)

    sequence, tasks, items = [], {}, {}
    for index, entry in enumerate(entries):
        record: dict[str, Any] = {
            "id": entry.task, "route": entry.route, "ctxs": {"in": [0]},
            "prev": entry.prev, "next": entry.next, "status": entry.status or s.UNSET,
        }
        if entry.term:
            record["term"] = True
        sequence.append(record)
        tasks["%s__r%d" % (entry.task, entry.route)] = index
        if entry.items:
            count = max(entry.items) + 1
            statuses = [entry.items[i]["status"] if i in entry.items else None for i in range(count)]
            items[index] = statuses
            if len(entry.items) < count:
                notes.append(
                    "Items %s of %s[%d] have no execution: taken as never started."
                    % (", ".join(str(i) for i in range(count) if i not in entry.items), entry.task, entry.route))
            if entry.status in s.ABENDED and definition_concurrency(spec, entry.task):
                notes.append(
                    "%s[%d] runs its items with a concurrency limit: StackStorm's API does not say "
                    "how many items it has, so items after #%d that never started are not known."
                    % (entry.task, entry.route, count - 1))
    state = {
        "status": chain[-1].get("status") if chain else None,
        "sequence": sequence,
        "tasks": tasks,
        "items": items,
        "staged": [],
        "routes": [],
        "reruns": [[] for _ in chain[1:]],
    }
    return state, notes


def definition_concurrency(spec: Definition, task: str) -> bool:
    items = (spec.tasks.get(task) or {}).get("with")
    return isinstance(items, Mapping) and items.get("concurrency") is not None


def _group(chain: list[Mapping], children: Mapping[str, Iterable[Mapping]], spec: Definition) -> list[_Entry]:
    """One entry per task execution, ordered by start. A with-items task re-run from tasks
    is a new task execution (Orquesta 1.6 adds a sequence entry, StackStorm a task
    execution record) that runs only the items it re-runs: the items it did not run are
    carried over from the task's previous execution, as Orquesta carries their statuses
    over in the staged entry."""
    entries: list[_Entry] = []
    by_key: dict[str, _Entry] = {}
    latest: dict[tuple[str, int], _Entry] = {}
    for position, execution in enumerate(chain):
        requested = _rerun_tasks(execution) if position else set()
        direct = [c for c in children.get(execution["id"], ()) if c.get("parent") == execution["id"]]
        direct = [c for c in direct if _orquesta(c).get("task_name")]
        for _order, child in sorted(enumerate(direct), key=lambda pair: (_start(pair[1]), pair[0])):
            orquesta = _orquesta(child)
            task = orquesta["task_name"]
            route = int(orquesta.get("task_route") or 0)
            key = str(orquesta.get("task_execution_id") or "%s:%s:%d" % (execution["id"], task, route))
            entry = by_key.get(key)
            item_id = orquesta.get("item_id")
            if entry is None:
                entry = _Entry(task, route, key, start=_start(child))
                previous = latest.get((task, route))
                if item_id is not None and task in requested and previous is not None and previous.items:
                    entry.carried = dict(previous.items)
                by_key[key] = entry
                entries.append(entry)
                latest[(task, route)] = entry
            entry.actions.append(child)
            if item_id is not None:
                entry.items[int(item_id)] = child
    for entry in entries:
        for item, doc in entry.carried.items():
            entry.items.setdefault(item, doc)
    for entry in entries:
        entry.status, entry.end = _entry_status(entry)
    entries.sort(key=lambda e: e.start)
    return entries


def _entry_status(entry: _Entry) -> tuple[str | None, str | None]:
    if entry.items:
        docs = list(entry.items.values())
        found = [d.get("status") for d in docs]
        if any(st in s.ACTIVE or st in (s.PAUSED, s.PENDING) for st in found):
            status = next(st for st in found if st in s.ACTIVE or st in (s.PAUSED, s.PENDING))
        elif any(st in s.ABENDED for st in found):
            status = next(st for st in found if st in s.ABENDED)
        elif any(st == s.CANCELED for st in found):
            status = s.CANCELED
        else:
            status = s.SUCCEEDED
    else:
        docs = [max(entry.actions, key=_start)]
        status = docs[0].get("status")
    if status not in s.COMPLETED:
        return status, None
    ends = [d.get("end_timestamp") or "" for d in docs]
    return status, max(ends) if ends else None


def _link(entries: list[_Entry], spec: Definition, notes: list[str]) -> None:
    """``prev`` of each entry and ``next`` of each completed one."""
    guessed: set[str] = set()

    def holds(transition: Transition, parent: _Entry) -> bool:
        value = evaluate_condition(transition.when, parent.status)
        if value is None:
            guessed.add("%s -> %s (when: %s)" % (transition.source, ", ".join(transition.targets),
                                                 str(transition.when).strip()))
            return _guess_condition(str(transition.when), parent.status)
        return value

    for index, entry in enumerate(entries):
        candidates: dict[str, tuple[int, Transition]] = {}
        for transition in spec.inbound.get(entry.task, []):
            # The latest execution of the source on the same route, else on any route.
            best = None
            for j in range(index - 1, -1, -1):
                parent = entries[j]
                if parent.task != transition.source or parent.status not in s.COMPLETED:
                    continue
                if parent.end and entry.start and parent.end > entry.start:
                    continue
                if not holds(transition, parent):
                    continue
                if parent.route == entry.route:
                    best = j
                    break
                if best is None:
                    best = j
            if best is not None:
                previous = candidates.get(transition.source)
                if previous is None or best > previous[0]:
                    candidates[transition.source] = (best, transition)
        if not candidates:
            continue
        if spec.is_join(entry.task):
            chosen = list(candidates.values())
        else:
            chosen = [max(candidates.values(), key=lambda c: (entries[c[0]].end or "", c[0]))]
        entry.prev = {"%s__t%d" % (t.source, t.ref): j for j, t in chosen}

    children: dict[int, set[tuple[str, str]]] = {}
    for entry in entries:
        for key, parent in entry.prev.items():
            children.setdefault(parent, set()).add((entry.task, key))
    for index, entry in enumerate(entries):
        if entry.status not in s.COMPLETED:
            continue
        for transition in spec.transitions.get(entry.task, []):
            prev_key = "%s__t%d" % (entry.task, transition.ref)
            for target in transition.targets:
                if (target, prev_key) in children.get(index, set()):
                    value = True
                else:
                    value = evaluate_condition(transition.when, entry.status)
                    if value is None:
                        guessed.add("%s -> %s (when: %s)" % (transition.source, target, str(transition.when).strip()))
                        value = _guess_condition(str(transition.when), entry.status)
                entry.next["%s__t%d" % (target, transition.ref)] = value
    for text in sorted(guessed):
        notes.append("Transition %s reads more than the task status; its value was guessed." % text)


def _mark_terminal(entries: list[_Entry], spec: Definition, workflow_status: str | None) -> None:
    """Orquesta's ``term``: a task without transitions, and every task that completed once
    the workflow had completed (an abended task no transition handled ends a workflow)."""
    for entry in entries:
        if entry.status in s.COMPLETED and not spec.transitions.get(entry.task):
            entry.term = True
    if workflow_status not in s.COMPLETED:
        return
    done = [e for e in entries if e.status in s.COMPLETED and e.end]
    unhandled = [e.end for e in done if e.status in s.ABENDED and not any(e.next.values())]
    moment = min(unhandled) if unhandled else max((e.end for e in done), default=None)
    if moment is None:
        return
    for entry in done:
        if entry.end >= moment:
            entry.term = True
