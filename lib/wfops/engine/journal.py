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

from orquesta import conducting, events, machines
from orquesta import statuses as orquesta_statuses
from orquesta.specs import native as native_specs

from wfops import corrections
from wfops.expressions import kv_reads


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
            with kv_reads.replaying(entry.get("kv")):
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

    def _rerun(self, entry: dict) -> None:
        corrections.rerun(self.conductor, entry, corrections.all_succeeded(
            lambda task, route: len(self.items.get(items_key(task, route)) or [])))

    def _correct(self, entry: dict) -> Any:
        return corrections.apply(self.conductor, entry)

    def _output(self, entry: dict) -> None:
        self.conductor.render_workflow_output()

    # -- reading -------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self.conductor.get_workflow_status()

    @property
    def sequence(self) -> list[dict]:
        return self.conductor.workflow_state.sequence


_HANDLERS = {
    "status": JournaledConductor._status,
    "next": JournaledConductor._next,
    "task": JournaledConductor._task,
    "item": JournaledConductor._item,
    "rerun": JournaledConductor._rerun,
    "stage": JournaledConductor._correct,
    "restage": JournaledConductor._correct,
    "context": JournaledConductor._correct,
    "skip": JournaledConductor._correct,
    "drop": JournaledConductor._drop,
    "output": JournaledConductor._output,
}


def spec_from_definition(definition: dict):
    return native_specs.WorkflowSpec(definition)
