"""Journaled conductor calls: the one way the host changes an Orquesta conductor.

Every call that changes a conductor's state is an *entry* (plain JSON data). The live
engine applies an entry and appends it to the journal in the same transaction; recovery
restores the last snapshot and applies the entries after it, in order, with the same
function. Replaying is therefore exactly what happened live, with no serialization of the
whole conductor after each event (which is what makes StackStorm's engine slow).

Entry kinds (``op``):

=========  ==================================================================
status     ``request_workflow_status(status)``
next       ``get_next_tasks()``
task       ``update_task_state`` with an action execution event
item       ``update_task_state`` with a with-items item event
rerun      ``request_workflow_rerun`` with ``[task, route, reset_items]`` requests
stage      stage failed tasks afresh in a paused workflow (skips there; no Orquesta call)
restage    set exactly the chosen with-items items to not-run (item selection)
context    merge values into a staged task's inbound context (changed context)
skip       complete a staged task as succeeded with a supplied result (skip)
drop       take a stale staging of a counted join off the staging list (see ``stale_join``)
output     ``render_workflow_output()``
=========  ==================================================================
"""

from __future__ import annotations

from typing import Any

from orquesta import conducting, events, machines, requests
from orquesta import statuses as orquesta_statuses
from orquesta.specs import native as native_specs


def items_key(task_id: str, route: int) -> str:
    return "%s__r%s" % (task_id, route)


class JournaledConductor:
    """An Orquesta conductor and the per-item results the host keeps beside it.

    ``items`` maps ``items_key(task, route)`` to the list of the latest result of each
    item of that with-items task: the accumulated result Orquesta is given, so that a
    task whose items ran in several attempts still has every item's result.
    """

    def __init__(self, conductor: conducting.WorkflowConductor, items: dict[str, list] | None = None):
        self.conductor = conductor
        self.items = items if items is not None else {}

    # -- construction ------------------------------------------------------------------

    @classmethod
    def new(cls, spec, inputs: dict, parent_context: dict) -> "JournaledConductor":
        return cls(conducting.WorkflowConductor(spec, context=parent_context, inputs=inputs))

    @classmethod
    def from_snapshot(cls, snapshot: dict) -> "JournaledConductor":
        conductor = conducting.WorkflowConductor.deserialize(snapshot["conductor"])
        return cls(conductor, {k: list(v) for k, v in snapshot.get("items", {}).items()})

    @classmethod
    def restore(cls, spec, inputs: dict, parent_context: dict, snapshot: dict | None, entries: list[dict]):
        instance = cls.from_snapshot(snapshot) if snapshot else cls.new(spec, inputs, parent_context)
        for entry in entries:
            instance.apply(entry)
        return instance

    def snapshot(self) -> dict:
        return {"conductor": self.conductor.serialize(), "items": self.items}

    # -- the entries -------------------------------------------------------------------

    def apply(self, entry: dict) -> Any:
        handler = _HANDLERS[entry["op"]]
        return handler(self, entry)

    def stale_join(self, task_id: str, route: int) -> bool:
        """True when ``task_id`` is a ``join: <count>`` task staged again only by branches
        that its latest execution already had to wait for (Orquesta 1.2.0 counts the late
        branch of a satisfied count join as satisfying it once more).

        Stale: every inbound execution of the staging came before the join's latest
        execution and is not one it was started by. A loop's next round (later inbound
        executions) and a re-run of the join itself (the same inbound executions) are not.
        """
        conductor = self.conductor
        join = getattr(conductor.spec.tasks.get_task(task_id), "join", None)
        if not isinstance(join, int) or isinstance(join, bool):
            return False
        state = conductor.workflow_state
        staged = state.get_staged_task(task_id, route)
        if not staged or not staged.get("prev"):
            return False
        execution = self._latest_execution(task_id, route)
        if execution is None:
            return False
        latest = state.sequence.index(execution)
        consumed = set(execution.get("prev", {}).values())
        return all(i < latest and i not in consumed for i in staged["prev"].values())

    def _drop(self, entry: dict) -> None:
        state = self.conductor.workflow_state
        state.remove_staged_task(entry["task"], entry["route"])
        latest = self._latest_execution(entry["task"], entry["route"])
        if (
            latest is None
            or self.conductor.get_workflow_status() != orquesta_statuses.RUNNING
            or latest["status"] not in orquesta_statuses.COMPLETED_STATUSES
            or state.has_active_tasks
        ):
            return
        # Orquesta judged the join's own completion with the stale staging pending; judge
        # it again without (the workflow may be done: the join is then its last task).
        # While other tasks are active, their own completion decides instead.
        event = events.TaskExecutionEvent(latest["id"], latest["route"], latest["status"])
        machines.WorkflowStateMachine.process_event(state, event)
        if self.conductor.get_workflow_status() in orquesta_statuses.COMPLETED_STATUSES:
            latest["term"] = True

    def _latest_execution(self, task_id: str, route: int) -> dict | None:
        found = None
        for task_state in self.conductor.workflow_state.sequence:
            if task_state["id"] == task_id and task_state["route"] == route:
                found = task_state
        return found

    def _status(self, entry: dict) -> None:
        self.conductor.request_workflow_status(entry["status"])

    def _next(self, entry: dict) -> list[dict]:
        return self.conductor.get_next_tasks()

    def _task(self, entry: dict):
        if entry["status"] == orquesta_statuses.DELAYED:
            task_state = self.conductor.get_task_state_entry(entry["task"], entry["route"])
            if task_state is not None and task_state.get("status") == orquesta_statuses.RETRYING:
                # Orquesta 1.2.0 counts any event on a retrying task as one more retry; a
                # retry's delay only has to take the task off the staging list.
                self.conductor.workflow_state.remove_staged_task(entry["task"], entry["route"])
                return task_state
        event = events.ActionExecutionEvent(entry["status"], result=entry.get("result"))
        return self.conductor.update_task_state(entry["task"], entry["route"], event)

    def _item(self, entry: dict):
        key = items_key(entry["task"], entry["route"])
        results = self.items.get(key)
        count = entry.get("count") or 0
        if results is None or len(results) < count:
            results = (results or []) + [None] * (count - len(results or []))
            self.items[key] = results
        status = entry["status"]
        if status in orquesta_statuses.COMPLETED_STATUSES:
            results[entry["item"]] = entry.get("result")
        event = events.TaskItemActionExecutionEvent(
            entry["item"], status, result=entry.get("result"), accumulated_result=results
        )
        task_state = self.conductor.update_task_state(entry["task"], entry["route"], event)
        if task_state.get("status") in orquesta_statuses.COMPLETED_STATUSES:
            # Orquesta may keep a reference to the list it was given; never mutate it again.
            self.items[key] = list(results)
        return task_state

    def _prepare(self, entry: dict) -> None:
        """What the planner found Orquesta 1.2.0 gets wrong, undone before a re-run:
        staged tasks of replaced executions (they would run with the old context) and the
        old executions of join branches that run again (the join would count them)."""
        state = self.conductor.workflow_state
        for task_id, route in entry.get("unstage", []):
            staged = state.get_staged_task(task_id, route)
            if staged is not None:
                state.staged.remove(staged)
        for task_id, route in entry.get("hold", []):
            staged = state.get_staged_task(task_id, route)
            if staged is not None:
                staged["ready"] = False
        for task_id, route in entry.get("stale_branches", []):
            state.tasks.pop("%s__r%s" % (task_id, route), None)

    def _rerun(self, entry: dict) -> None:
        self._prepare(entry)
        state = self.conductor.workflow_state
        for task, route, reset in entry["requests"]:
            task_spec = self.conductor.spec.tasks.get_task(task)
            if task_spec.has_items() and state.get_staged_task(task, route) is None:
                # Orquesta 1.2.0 drops the staged entry of a with-items task that succeeded
                # and then cannot re-run it; stage it again with its items' statuses.
                staged = self._stage_for_items(task, route)
                count = len(self.items.get(items_key(task, route)) or [])
                staged["items"] = [] if reset else [{"status": orquesta_statuses.SUCCEEDED}] * count
        task_requests = [
            requests.TaskRerunRequest(task, route, reset_items=reset)
            for task, route, reset in entry["requests"]
        ]
        self.conductor.request_workflow_rerun(task_requests=task_requests)

    def _stage(self, entry: dict) -> None:
        """The in-place counterpart of ``rerun``, for skips on a paused workflow (Orquesta
        re-runs only completed ones): the planner's fixes, then each failed execution of
        ``tasks`` staged afresh with its inbound context, as a re-run request stages it.
        The workflow keeps its status; the entries that follow resume it and skip them."""
        self._prepare(entry)
        conductor = self.conductor
        indices = []
        for task_id, route in entry["tasks"]:
            indices.append(conductor._get_task_state_idx(task_id, route))
            if conductor.spec.tasks.get_task(task_id).has_items():
                self._stage_for_items(task_id, route)
            conductor._request_task_rerun(task_id, route, reset_items=True)
        conductor.workflow_state.reruns.append(indices)

    def _stage_for_items(self, task_id: str, route: int) -> dict:
        """The staged entry of a with-items task, re-created when Orquesta dropped it (it
        does once such a task succeeded)."""
        state = self.conductor.workflow_state
        staged = state.get_staged_task(task_id, route)
        if staged is None:
            task_entry = self.conductor.get_task_state_entry(task_id, route)
            staged = state.add_staged_task(
                task_id, route, ctxs=list(task_entry["ctxs"]["in"]),
                prev=dict(task_entry["prev"]), ready=True,
            )
        return staged

    def _restage(self, entry: dict) -> None:
        """Run exactly ``indices`` of a with-items task again; every other item keeps the
        status it had (``statuses``)."""
        staged = self._stage_for_items(entry["task"], entry["route"])
        chosen = set(entry["indices"])
        staged["items"] = [
            {"status": orquesta_statuses.UNSET if i in chosen else status}
            for i, status in enumerate(entry["statuses"])
        ]
        staged.pop("completed", None)
        staged["ready"] = True
        task_entry = self.conductor.get_task_state_entry(entry["task"], entry["route"])
        if task_entry is not None:
            task_entry.pop("term", None)

    def _context(self, entry: dict) -> None:
        """Merge ``values`` over the inbound context of a staged task (and of the task
        state Orquesta already added for it): a new context entry, last in merge order."""
        state = self.conductor.workflow_state
        state.contexts.append(dict(entry["values"]))
        index = len(state.contexts) - 1
        staged = state.get_staged_task(entry["task"], entry["route"])
        if staged is not None:
            staged["ctxs"]["in"] = list(staged["ctxs"]["in"]) + [index]
        task_entry = self.conductor.get_task_state_entry(entry["task"], entry["route"])
        if task_entry is not None and task_entry.get("status") is None:
            task_entry["ctxs"]["in"] = list(task_entry["ctxs"]["in"]) + [index]

    def _skip(self, entry: dict):
        """Complete a staged task as succeeded with ``result``, without running it. Its
        transitions are evaluated against that result; ``publish`` values replace what
        those transitions would publish."""
        task_id, route = entry["task"], entry["route"]
        overrides = entry.get("publish") or {}
        transitions = list(self.conductor.spec.tasks.get_task(task_id).next or [])
        # Orquesta reads a transition's publish as an attribute: the spec's list, or the
        # parsed list set on the object for the inline "k=v" form. The override is set
        # the same way for the time of the skip.
        saved = [(transition, vars(transition).get("publish", _ABSENT)) for transition in transitions]
        try:
            if overrides:
                for transition in transitions:
                    transition.publish = _overridden(
                        transition.publish, overrides, bool(transition.spec.get("do")))
            staged = self.conductor.workflow_state.get_staged_task(task_id, route)
            if staged is not None:
                staged.pop("items", None)
            self.conductor.update_task_state(task_id, route, events.ActionExecutionEvent(orquesta_statuses.RUNNING))
            task_state = self.conductor.update_task_state(
                task_id, route,
                events.ActionExecutionEvent(orquesta_statuses.SUCCEEDED, result=entry.get("result")),
            )
        finally:
            for transition, own in saved:
                if own is _ABSENT:
                    vars(transition).pop("publish", None)
                else:
                    transition.publish = own
        task_state["skipped"] = True
        return task_state

    def _output(self, entry: dict) -> None:
        self.conductor.render_workflow_output()

    # -- reading -------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self.conductor.get_workflow_status()

    @property
    def sequence(self) -> list[dict]:
        return self.conductor.workflow_state.sequence


_ABSENT = object()


def _overridden(publish, overrides: dict, continues: bool) -> list[dict]:
    """A transition's publish list with ``overrides`` replacing the values of the names
    it publishes; the other overridden names are added to a transition that leads on."""
    publish = list(publish or [])
    names = {name for item in publish for name in item}
    result = [{name: overrides.get(name, value)} for item in publish for name, value in item.items()]
    if continues:
        result += [{name: value} for name, value in overrides.items() if name not in names]
    return result


_HANDLERS = {
    "status": JournaledConductor._status,
    "next": JournaledConductor._next,
    "task": JournaledConductor._task,
    "item": JournaledConductor._item,
    "rerun": JournaledConductor._rerun,
    "stage": JournaledConductor._stage,
    "restage": JournaledConductor._restage,
    "context": JournaledConductor._context,
    "skip": JournaledConductor._skip,
    "drop": JournaledConductor._drop,
    "output": JournaledConductor._output,
}


def spec_from_definition(definition: dict):
    return native_specs.WorkflowSpec(definition)
