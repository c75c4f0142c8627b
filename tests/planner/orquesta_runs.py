"""Real run states for planner tests: drive Orquesta's conductor in memory, the way the
host does, with a map of which tasks (or items) fail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import wfops  # noqa: F401  (Orquesta compatibility layer)

# isort: split
from orquesta import conducting, events, statuses
from orquesta.specs.native.v1.models import WorkflowSpec


@dataclass
class Run:
    spec: WorkflowSpec
    conductor: conducting.WorkflowConductor
    items: dict[int, list[str]] = field(default_factory=dict)

    @property
    def state(self) -> dict[str, Any]:
        """Orquesta's serialized workflow state plus the host's item statuses."""
        state = self.conductor.workflow_state.serialize()
        state["items"] = {str(k): list(v) for k, v in sorted(self.items.items())}
        return state

    def executions(self) -> list[tuple[str, int, str | None]]:
        return [(e["id"], e["route"], e.get("status")) for e in self.conductor.workflow_state.sequence]


def run_workflow(
    definition: str | Mapping[str, Any],
    *,
    fail: Iterable[str] = (),
    item_fail: Mapping[str, Iterable[int]] | None = None,
    hang: Iterable[str] = (),
    inputs: Mapping[str, Any] | None = None,
) -> Run:
    """Run ``definition`` to the end. Tasks in ``fail`` fail; items listed in
    ``item_fail[task]`` fail; tasks in ``hang`` start and never finish (the workflow stays
    active). Each batch of next tasks is started before any of them completes, as
    concurrent actions would be."""
    spec = WorkflowSpec(definition)
    conductor = conducting.WorkflowConductor(spec, inputs=dict(inputs or {}))
    conductor.request_workflow_status(statuses.RUNNING)
    run = Run(spec, conductor)
    drive(run, fail=fail, item_fail=item_fail, hang=hang)
    return run


def drive(
    run: Run,
    *,
    fail: Iterable[str] = (),
    item_fail: Mapping[str, Iterable[int]] | None = None,
    hang: Iterable[str] = (),
    max_batches: int = 1000,
) -> list[list[tuple[str, int]]]:
    """Hand the conductor action events until it has no next task. Returns the batches of
    (task, route) that ran, in order."""
    fail, hang = set(fail), set(hang)
    item_fail = {k: set(v) for k, v in (item_fail or {}).items()}
    conductor = run.conductor
    batches = []
    for _ in range(max_batches):
        batch = [t for t in conductor.get_next_tasks() if t["id"] not in hang or not _started(run, t)]
        if not batch:
            return batches
        batches.append([(t["id"], t["route"]) for t in batch])
        for task in batch:
            for item_id in _item_ids(task):
                _event(run, task, item_id, statuses.RUNNING)
        for task in batch:
            if task["id"] in hang:
                continue
            for item_id in _item_ids(task):
                failed = task["id"] in fail if item_id is None else item_id in item_fail.get(task["id"], ())
                _event(run, task, item_id, statuses.FAILED if failed else statuses.SUCCEEDED)
    raise AssertionError("the workflow did not settle in %d batches" % max_batches)


def _started(run: Run, task: dict) -> bool:
    key = "%s__r%s" % (task["id"], task["route"])
    index = run.conductor.workflow_state.tasks.get(key)
    return index is not None and run.conductor.workflow_state.sequence[index].get("status") == statuses.RUNNING


def _item_ids(task: dict) -> list[int | None]:
    if "items_count" not in task:
        return [None]
    return [action["item_id"] for action in task["actions"]]


def _event(run: Run, task: dict, item_id: int | None, status: str) -> None:
    task_id, route = task["id"], task["route"]
    done = status != statuses.RUNNING
    if item_id is None:
        event = events.ActionExecutionEvent(status, result={"ok": status} if done else None)
        run.conductor.update_task_state(task_id, route, event)
        return
    event = events.TaskItemActionExecutionEvent(item_id, status, result=item_id if done else None)
    run.conductor.update_task_state(task_id, route, event)
    index = run.conductor.workflow_state.tasks["%s__r%s" % (task_id, route)]
    if index not in run.items:
        # A re-run with-items task gets a new sequence entry; items that are not run again
        # keep the status they had.
        run.items[index] = _previous_items(run, task_id, route, index) or [None] * task["items_count"]
    run.items[index][item_id] = status


def _previous_items(run: Run, task_id: str, route: int, index: int) -> list[str | None] | None:
    sequence = run.conductor.workflow_state.sequence
    earlier = [i for i in run.items if i < index and sequence[i]["id"] == task_id and sequence[i]["route"] == route]
    return list(run.items[max(earlier)]) if earlier else None


def rerun_and_finish(run: Run, requests: list, **outcome: Any) -> list[tuple[str, int, str | None]]:
    """Apply Orquesta rerun requests, drive the workflow to its end and return the task
    executions the re-run added."""
    before = len(run.conductor.workflow_state.sequence)
    run.conductor.request_workflow_rerun(task_requests=requests)
    drive(run, **outcome)
    return run.executions()[before:]


def apply_plan(run: Run, plan: Any) -> None:
    """What the host does with a plan: drop stale staged entries and join branches, then
    re-run."""
    state = run.conductor.workflow_state
    for task_id, route in plan.unstage:
        state.staged.remove(state.get_staged_task(task_id, route))
    for task_id, route in plan.hold:
        state.get_staged_task(task_id, route)["ready"] = False
    for task_id, route in plan.stale_branches:
        del state.tasks["%s__r%s" % (task_id, route)]
    run.conductor.request_workflow_rerun(plan.orquesta_requests())


def pause(run: Run, *, finish: Mapping[str, str] | None = None) -> None:
    """Pause the running workflow, then end its hanging tasks: ``finish`` maps each (on
    route 0) to its status. The workflow is paused once none is active."""
    run.conductor.request_workflow_status(statuses.PAUSING)
    for task_id, status in (finish or {}).items():
        event = events.ActionExecutionEvent(status, result={"ok": status})
        run.conductor.update_task_state(task_id, 0, event)
