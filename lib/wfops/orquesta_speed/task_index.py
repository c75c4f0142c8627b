"""Task and item statuses kept as counts (patches of ``orquesta.conducting`` and ``orquesta.machines``).

1. ``WorkflowState.get_tasks_by_status`` lists the latest execution of each task (the
   sequence entries that ``tasks`` points to) whose status is one of ``statuses``: a scan
   of the whole sequence, with a membership test against ``tasks.values()`` (a list scan)
   for each entry, O(N^2). ``has_active_tasks``, ``has_paused_tasks``, ... call it, and
   the workflow state machine asks up to six of them for every task event. The patch
   keeps, per workflow state, the set of those latest entries by status: built in O(N)
   on the first query, then updated by the two places that change it, adding a task
   state entry (``WorkflowConductor.add_task_state``) and a task's status change
   (``TaskStateMachine.process_event``, where Orquesta assigns every task status). The
   index is rebuilt when the sequence or the ``tasks`` mapping is another object or has
   another length than it last saw (wfops drops entries of ``tasks`` before a re-run).
   The answers are Orquesta's: the same entries, in sequence order; ``has_*`` only ask
   whether there is one. ``last_occurrence=False`` queries are Orquesta's own code.

2. ``TaskStateMachine.add_context_to_task_item_event`` deep-copies the statuses of all N
   items of a with-items task, drops the event's item and filters the rest five times,
   for every item event that completes or pauses an item: O(N) per event, O(N^2) per
   task. The patch keeps a count of the item statuses per items list (the list the
   staged task holds), built in O(N) when a list is first seen, and reconciled for each
   item an event wrote (``update_task_state`` writes the event's item before the state
   machine reads it). Counts are dropped when the list object or its length changes
   (wfops's journal replaces ``staged["items"]`` to select or reset items) and after
   ``_request_task_rerun``, which resets item statuses in place. The event names are
   computed from the counts minus the event's own item, as Orquesta computes them from
   the others. ``TaskStateMachine.add_context_to_workflow_event`` (pause and cancel
   requests, once per active task) reads the same counts.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from wfops.orquesta_speed import Patch, uses, verifying

_STATUS_KEY = "_wfops_speed_status_index"
_ITEMS_KEY = "_wfops_speed_item_counts"
_MISSING = object()


# --------------------------------------------------------------------------------------
# 1. The latest task executions by status
# --------------------------------------------------------------------------------------


class StatusIndex:
    """The entries of ``state.sequence`` that ``state.tasks`` points to, by status.

    ``by_status``: status -> set of sequence indices (entries with a ``status`` key);
    ``refs``: index -> how many ``tasks`` keys point to it; ``position``: id(entry) ->
    index, for the entries pointed to.
    """

    def __init__(self, state):
        sequence, tasks = state.sequence, state.tasks
        self.sequence, self.tasks = sequence, tasks
        self.sizes = (len(sequence), len(tasks))
        self.refs: Counter = Counter()
        for value in tasks.values():
            index = _as_index(value, len(sequence))
            if index is not None:
                self.refs[index] += 1
        self.by_status: dict[Any, set] = {}
        self.position: dict[int, int] = {}
        for index in self.refs:
            self._add(index)

    def _add(self, index: int) -> None:
        entry = self.sequence[index]
        self.position[id(entry)] = index
        if "status" in entry:
            self.by_status.setdefault(entry["status"], set()).add(index)

    def _remove(self, index: int) -> None:
        entry = self.sequence[index]
        self.position.pop(id(entry), None)
        if "status" in entry:
            found = self.by_status.get(entry["status"])
            if found is not None:
                found.discard(index)

    def current(self, state) -> bool:
        return (state.sequence is self.sequence and state.tasks is self.tasks
                and (len(self.sequence), len(self.tasks)) == self.sizes)

    def status_changed(self, entry: dict, before: Any) -> None:
        index = self.position.get(id(entry))
        if index is None or self.sequence[index] is not entry:
            return
        if before is not _MISSING:
            found = self.by_status.get(before)
            if found is not None:
                found.discard(index)
        if "status" in entry:
            self.by_status.setdefault(entry["status"], set()).add(index)

    def pointer_moved(self, old: Any, new: int) -> None:
        """``tasks[key]`` went from ``old`` (None: a new key) to ``new`` (just appended)."""
        old = _as_index(old, len(self.sequence))
        if old is not None and old in self.refs:
            self.refs[old] -= 1
            if self.refs[old] <= 0:
                del self.refs[old]
                self._remove(old)
        self.refs[new] += 1
        if self.refs[new] == 1:
            self._add(new)
        self.sizes = (len(self.sequence), len(self.tasks))

    def indices(self, statuses) -> list[int]:
        found: set = set()
        for status in set(statuses):
            found |= self.by_status.get(status, set())
        return sorted(found)

    def any(self, statuses) -> bool:
        return any(self.by_status.get(status) for status in statuses)


def _as_index(value: Any, size: int) -> int | None:
    """The sequence index ``value`` stands for in Orquesta's test ``index in
    tasks.values()`` (equality: 1 == 1.0 == True), or None."""
    if isinstance(value, int):
        index = int(value)
    elif isinstance(value, float) and value.is_integer():
        index = int(value)
    else:
        return None
    return index if 0 <= index < size else None


def status_index(state) -> StatusIndex:
    index = state.__dict__.get(_STATUS_KEY)
    if index is None or not index.current(state):
        index = state.__dict__[_STATUS_KEY] = StatusIndex(state)
    return index


def _current_index(state) -> StatusIndex | None:
    index = getattr(state, "__dict__", {}).get(_STATUS_KEY)
    return index if index is not None and index.current(state) else None


def _indexable(statuses) -> bool:
    return isinstance(statuses, (list, tuple, set, frozenset)) and all(isinstance(s, str) for s in statuses)


def _patched_state_methods(conducting, statuses) -> dict[str, Any]:
    plain_get = conducting.WorkflowState.__dict__["get_tasks_by_status"]

    def get_tasks_by_status(self, statuses, last_occurrence=True):
        if not last_occurrence or not _indexable(statuses):
            return plain_get(self, statuses, last_occurrence=last_occurrence)
        sequence = self.sequence
        found = [(i, sequence[i]) for i in status_index(self).indices(statuses)]
        if verifying():
            assert found == plain_get(self, statuses), ("get_tasks_by_status", statuses)
        return found

    def has(*wanted):
        def query(self):
            answer = status_index(self).any(wanted)
            if verifying():
                assert answer == bool(plain_get(self, list(wanted))), ("has tasks", wanted)
            return answer
        return property(query)

    return {
        "get_tasks_by_status": get_tasks_by_status,
        "has_active_tasks": has(*statuses.ACTIVE_STATUSES),
        "has_pausing_tasks": has(statuses.PAUSING),
        "has_paused_tasks": has(statuses.PAUSED, statuses.PENDING),
        "has_canceling_tasks": has(statuses.CANCELING),
        "has_canceled_tasks": has(statuses.CANCELED),
    }


def _patched_add_task_state(conducting):
    plain = conducting.WorkflowConductor.__dict__["add_task_state"]
    from orquesta import constants

    def add_task_state(self, task_id, route, in_ctx_idxs=None, prev=None):
        state = self._workflow_state  # (not the property: it would set the state up early)
        index = _current_index(state) if state is not None else None
        if index is None:
            return plain(self, task_id, route, in_ctx_idxs=in_ctx_idxs, prev=prev)
        key = constants.TASK_STATE_ROUTE_FORMAT % (task_id, str(route))
        old = state.tasks.get(key)
        before = len(state.sequence)
        entry = plain(self, task_id, route, in_ctx_idxs=in_ctx_idxs, prev=prev)
        if len(state.sequence) == before + 1 and state.sequence[-1] is entry and state.tasks.get(key) == before:
            index.pointer_moved(old, before)
        else:
            state.__dict__.pop(_STATUS_KEY, None)
        return entry

    return add_task_state


# --------------------------------------------------------------------------------------
# 2. Item statuses
# --------------------------------------------------------------------------------------


class ItemCounts:
    """Counts of the statuses of one items list, and what each item was counted as."""

    def __init__(self, items: list):
        self.items = items
        self.seen = [(item, _item_status(item)) for item in items]
        self.counts = Counter(status for _, status in self.seen)

    def reconcile(self, index: int) -> None:
        item = self.items[index]
        counted, status = self.seen[index]
        if item is counted and _item_status(item) == status:
            return
        self.counts[status] -= 1
        status = _item_status(item)
        self.seen[index] = (item, status)
        self.counts[status] += 1


def _item_status(item) -> Any:
    from orquesta import statuses

    return item.get("status", statuses.UNSET)


def _item_store(state) -> dict:
    """Per workflow state: ``lists``: (task, route) -> ItemCounts; ``written``: (task,
    route) -> item ids written by events since the counts were last read."""
    return state.__dict__.setdefault(_ITEMS_KEY, {"lists": {}, "written": {}})


def item_counts(state, task_id, route, items: list) -> ItemCounts:
    """The counts of ``items`` (the staged task's list), reconciled for every item an
    event wrote since they were last read. Amortised O(1) per event; O(N) for a list
    not seen before."""
    store = _item_store(state)
    key = (task_id, route)
    written = store["written"].pop(key, ())
    counts = store["lists"].get(key)
    if counts is None or counts.items is not items or len(counts.seen) != len(items):
        counts = store["lists"][key] = ItemCounts(items)
    else:
        for item_id in written:
            if isinstance(item_id, int) and -len(items) <= item_id < len(items):
                counts.reconcile(item_id % len(items))
    return counts


def _forget_items(state) -> None:
    getattr(state, "__dict__", {}).pop(_ITEMS_KEY, None)


def _others(counts: ItemCounts, excluded: Any) -> Counter:
    others = Counter(counts.counts)
    others[excluded] -= 1
    return others


def _patched_machine_methods(machines, statuses, events) -> dict[str, Any]:
    plain_item = machines.TaskStateMachine.__dict__["add_context_to_task_item_event"].__func__
    plain_workflow = machines.TaskStateMachine.__dict__["add_context_to_workflow_event"].__func__
    plain_process = machines.TaskStateMachine.__dict__["process_event"].__func__
    requirements = (statuses.RESUMING, statuses.PENDING, statuses.PAUSED) + tuple(statuses.COMPLETED_STATUSES)
    active, completed, abended = (frozenset(statuses.ACTIVE_STATUSES), frozenset(statuses.COMPLETED_STATUSES),
                                  frozenset(statuses.ABENDED_STATUSES))

    def add_context_to_task_item_event(cls, workflow_state, task_id, task_route, ac_ex_event):
        if ac_ex_event.status not in requirements:
            return ac_ex_event.name
        staged_task = workflow_state.get_staged_task(task_id, task_route)
        items = staged_task["items"]
        item_id = ac_ex_event.item_id
        if not isinstance(items, list) or not isinstance(item_id, int) or not -len(items) <= item_id < len(items):
            return plain_item(cls, workflow_state, task_id, task_route, ac_ex_event)
        counts = item_counts(workflow_state, task_id, task_route, items)
        counts.reconcile(item_id % len(items))
        others = _others(counts, counts.seen[item_id][1])
        name = _item_event_name(ac_ex_event.name, others, active, completed, abended, statuses)
        if verifying():
            expected = plain_item(cls, workflow_state, task_id, task_route, ac_ex_event)
            assert name == expected, ("add_context_to_task_item_event", name, expected)
        return name

    def add_context_to_workflow_event(cls, workflow_state, task_id, task_route, wf_ex_event):
        staged_task = workflow_state.get_staged_task(task_id, task_route)
        pausing_or_canceling = wf_ex_event.status in statuses.PAUSE_STATUSES + statuses.CANCEL_STATUSES
        if not (pausing_or_canceling and staged_task and "items" in staged_task
                and isinstance(staged_task["items"], list)):
            return plain_workflow(cls, workflow_state, task_id, task_route, wf_ex_event)
        counts = item_counts(workflow_state, task_id, task_route, staged_task["items"]).counts
        name = wf_ex_event.name
        name += "_task_active" if _any_in(counts, active) else "_task_dormant"
        name += "_items_incomplete" if _any_not_in(counts, completed) else "_items_completed"
        if verifying():
            expected = plain_workflow(cls, workflow_state, task_id, task_route, wf_ex_event)
            assert name == expected, ("add_context_to_workflow_event", name, expected)
        return name

    def process_event(cls, workflow_state, task_state, event):
        before = task_state.get("status", _MISSING) if isinstance(task_state, dict) else _MISSING
        try:
            return plain_process(cls, workflow_state, task_state, event)
        finally:
            if isinstance(task_state, dict) and task_state.get("status", _MISSING) is not before:
                index = _current_index(workflow_state)
                if index is not None:
                    index.status_changed(task_state, before)

    return {"add_context_to_task_item_event": add_context_to_task_item_event,
            "add_context_to_workflow_event": add_context_to_workflow_event,
            "process_event": process_event}


def _any_in(counts: Counter, wanted) -> bool:
    return any(n > 0 for status, n in counts.items() if status in wanted)


def _any_not_in(counts: Counter, excluded) -> bool:
    return any(n > 0 for status, n in counts.items() if status not in excluded)


def _item_event_name(name: str, others: Counter, active, completed, abended, statuses) -> str:
    """Orquesta's event name for an item event, from the statuses of the other items."""
    is_active = _any_in(others, active)
    name += "_task_active" if is_active else "_task_dormant"
    if not is_active and _any_in(others, (statuses.PENDING, statuses.PAUSED)):
        return name + "_items_paused"
    if not is_active and _any_in(others, (statuses.CANCELED,)):
        return name + "_items_canceled"
    if not is_active and _any_in(others, abended):
        return name + "_items_failed"
    return name + ("_items_incomplete" if _any_not_in(others, completed) else "_items_completed")


def _patched_conductor_item_methods(conducting, events) -> dict[str, Any]:
    plain_update = conducting.WorkflowConductor.__dict__["update_task_state"]
    plain_rerun = conducting.WorkflowConductor.__dict__["_request_task_rerun"]

    def update_task_state(self, task_id, route, event):
        state = self._workflow_state
        if state is not None and isinstance(event, events.TaskItemActionExecutionEvent):
            # Orquesta writes this item of the staged list before its state machine reads
            # the list: the counts reconcile it on their next read.
            _item_store(state)["written"].setdefault((task_id, route), []).append(event.item_id)
        return plain_update(self, task_id, route, event)

    def _request_task_rerun(self, task_id, route, reset_items=False):
        try:
            return plain_rerun(self, task_id, route, reset_items=reset_items)
        finally:
            _forget_items(self.workflow_state)  # item statuses were reset in place

    return {"update_task_state": update_task_state, "_request_task_rerun": _request_task_rerun}


def patches() -> list[Patch]:
    from orquesta import conducting, events, machines, statuses

    state = _patched_state_methods(conducting, statuses)
    machine = _patched_machine_methods(machines, statuses, events)
    conductor = _patched_conductor_item_methods(conducting, events)
    state_needed = uses("get_tasks_by_status")
    item_needed = uses("deepcopy", "items")
    return [
        Patch(conducting.WorkflowState, "get_tasks_by_status", state["get_tasks_by_status"], uses("values")),
        *[Patch(conducting.WorkflowState, name, state[name], state_needed)
          for name in ("has_active_tasks", "has_pausing_tasks", "has_paused_tasks", "has_canceling_tasks",
                       "has_canceled_tasks")],
        Patch(conducting.WorkflowConductor, "add_task_state", _patched_add_task_state(conducting)),
        Patch(machines.TaskStateMachine, "process_event", machine["process_event"]),
        Patch(machines.TaskStateMachine, "add_context_to_task_item_event",
              machine["add_context_to_task_item_event"], item_needed),
        Patch(machines.TaskStateMachine, "add_context_to_workflow_event",
              machine["add_context_to_workflow_event"], uses("items")),
        Patch(conducting.WorkflowConductor, "update_task_state", conductor["update_task_state"]),
        Patch(conducting.WorkflowConductor, "_request_task_rerun", conductor["_request_task_rerun"]),
    ]
