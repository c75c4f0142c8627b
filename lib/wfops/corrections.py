"""wfops's corrections of an Orquesta conductor for a re-run or a skip: the one place they
live, for both hosts.

The embedded host (``engine.journal``) applies them to its live conductor, one journal
entry at a time (and again on replay); the StackStorm runner extension
(``wfops_st2.operations``) applies the same entries to the conductor StackStorm stored in
its ``WorkflowExecutionDB`` record, through :func:`corrected` (serialized conductor in,
corrected serialized conductor out). Nothing here reads a store, a clock or an engine.
Works with Orquesta 1.2.0 (PyPI, with wfops's compatibility layer) and 1.6 (StackStorm
3.9's), and on Python 3.8.

An *entry* is plain JSON data, as the journal stores it:

=========  ==================================================================
rerun      the planner's fixes (``unstage``, ``hold``, ``stale_branches``), with-items
           tasks restaged where Orquesta dropped their staged entry, then
           ``request_workflow_rerun`` of ``requests`` (``[task, route, reset_items]``)
stage      the in-place counterpart of ``rerun`` for skips on a paused workflow (which
           Orquesta re-runs never): the fixes, each failed ``tasks`` entry staged afresh
restage    exactly ``indices`` of a staged with-items task set to not-run (E3)
context    ``values`` merged over a staged task's inbound context (E2)
skip       a staged task completed as succeeded with ``result``, its transitions'
           publish overridden by ``publish``, marked ``skipped`` (E4)
=========  ==================================================================

:func:`rerun_entries` and :func:`stage_entries` make the entries of a plan, so both hosts
apply a plan the same way.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

from orquesta import events, requests
from orquesta import statuses as orquesta_statuses

KINDS = ("rerun", "stage", "restage", "context", "skip")

# (conductor, task, route, reset_items) -> the items of a with-items task restaged before
# a re-run because Orquesta dropped its staged entry (once such a task succeeded).
RestagedItems = Callable[[Any, str, int, bool], List[Dict[str, Any]]]


def all_succeeded(count: int) -> RestagedItems:
    """Restaged items as the embedded host knows them: none when reset, else ``count(task,
    route)`` succeeded ones (a with-items task loses its staged entry only by succeeding)."""

    def items(conductor, task: str, route: int, reset: bool) -> List[Dict[str, Any]]:
        return [] if reset else [{"status": orquesta_statuses.SUCCEEDED}] * count(task, route)

    return items


def fixes(plan) -> Dict[str, List[list]]:
    """The plan's fixes of Orquesta's re-run, as an entry carries them."""
    return {
        "unstage": [list(u) for u in plan.unstage],
        "hold": [list(h) for h in plan.hold],
        "stale_branches": [list(b) for b in plan.stale_branches],
    }


def skip_entry(skip) -> Dict[str, Any]:
    return {"op": "skip", "task": skip.task, "route": skip.route, "result": skip.result,
            "publish": dict(skip.publish or {})}


def rerun_entries(plan) -> List[Dict[str, Any]]:
    """The entries that apply a re-run ``plan`` (an ExtendedPlan) to a completed
    workflow's conductor: ``rerun``, then ``restage``, ``context`` and ``skip`` entries.
    O(size of the plan)."""
    entries: List[Dict[str, Any]] = [{"op": "rerun", "requests": [list(r) for r in plan.requests], **fixes(plan)}]
    for selection in getattr(plan, "item_selections", []):
        entries.append({"op": "restage", "task": selection.task, "route": selection.route,
                        "indices": list(selection.indices), "statuses": list(selection.statuses)})
    for override in getattr(plan, "contexts", []):
        entries.append({"op": "context", "task": override.task, "route": override.route,
                        "values": override.values})
    entries.extend(skip_entry(skip) for skip in getattr(plan, "skips", []))
    return entries


def stage_entries(plan) -> List[Dict[str, Any]]:
    """The ``stage`` entry of an in-place skip ``plan`` (a paused workflow); the ``skip``
    entries follow once the workflow is resuming (:func:`skip_entry`)."""
    return [{"op": "stage", "tasks": [[k.task, k.route] for k in plan.skips], **fixes(plan)}]


def apply(conductor, entry: Mapping[str, Any], restaged_items: Optional[RestagedItems] = None) -> Any:
    """Apply one correction ``entry`` to ``conductor`` (changed in place). ``restaged_items``
    is needed by ``rerun`` entries that restage a with-items task (default: reset items
    none, kept items all succeeded, counted from the staged entry). Returns what the
    kind returns (``skip``: the task state entry). O(staged + items of the tasks named)."""
    kind = entry["op"]
    if kind == "rerun":
        return rerun(conductor, entry, restaged_items or all_succeeded(lambda task, route: 0))
    return _HANDLERS[kind](conductor, entry)


def corrected(serialized: Mapping[str, Any], entries: Iterable[Mapping[str, Any]],
              restaged_items: Optional[RestagedItems] = None) -> Dict[str, Any]:
    """The serialized conductor (``spec, graph, input, context, state, output, errors``, as
    ``WorkflowConductor.serialize`` and StackStorm's ``WorkflowExecutionDB`` hold it) after
    ``entries``; ``serialized`` is not changed. Raises what Orquesta raises for an entry it
    refuses. O(state + entries)."""
    from orquesta import conducting

    conductor = conducting.WorkflowConductor.deserialize(copy.deepcopy(dict(serialized)))
    for entry in entries:
        apply(conductor, entry, restaged_items)
    return conductor.serialize()


def rerun_request(task: str, route: int, reset: bool):
    """Orquesta's TaskRerunRequest (``TaskRerunRequest.new`` from Orquesta 1.3 on)."""
    if hasattr(requests.TaskRerunRequest, "new"):
        return requests.TaskRerunRequest.new(task, route, reset_items=reset)
    return requests.TaskRerunRequest(task, route, reset_items=reset)


def prepare(conductor, entry: Mapping[str, Any]) -> None:
    """What the planner found Orquesta gets wrong, undone before a re-run: staged tasks of
    replaced executions (``unstage``: they would run with the old context), staged tasks
    that must wait (``hold``) and the old executions of join branches that run again
    (``stale_branches``: the join would count them)."""
    state = conductor.workflow_state
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


def rerun(conductor, entry: Mapping[str, Any], restaged_items: RestagedItems) -> None:
    """The ``rerun`` entry: :func:`prepare`, with-items tasks restaged where Orquesta
    dropped their staged entry (it then cannot re-run them), Orquesta's re-run of the
    plan's collapsed requests."""
    prepare(conductor, entry)
    state = conductor.workflow_state
    for task, route, reset in entry["requests"]:
        if conductor.spec.tasks.get_task(task).has_items() and state.get_staged_task(task, route) is None:
            staged = stage_for_items(conductor, task, route)
            staged["items"] = restaged_items(conductor, task, route, reset)
    conductor.request_workflow_rerun(task_requests=[rerun_request(t, r, x) for t, r, x in entry["requests"]])


def stage(conductor, entry: Mapping[str, Any]) -> None:
    """The ``stage`` entry: the fixes, then each failed execution of ``tasks`` staged
    afresh with its inbound context, as a re-run request stages it. The workflow keeps
    its status; the entries that follow resume it and skip them."""
    prepare(conductor, entry)
    indices = []
    for task_id, route in entry["tasks"]:
        indices.append(conductor._get_task_state_idx(task_id, route))
        if conductor.spec.tasks.get_task(task_id).has_items():
            stage_for_items(conductor, task_id, route)
        conductor._request_task_rerun(task_id, route, reset_items=True)
    conductor.workflow_state.reruns.append(indices)


def stage_for_items(conductor, task_id: str, route: int) -> dict:
    """The staged entry of a with-items task, re-created from its latest execution (inbound
    contexts and links) when Orquesta dropped it."""
    state = conductor.workflow_state
    staged = state.get_staged_task(task_id, route)
    if staged is None:
        task_entry = conductor.get_task_state_entry(task_id, route)
        staged = state.add_staged_task(
            task_id, route, ctxs=list(task_entry["ctxs"]["in"]), prev=dict(task_entry["prev"]), ready=True)
    return staged


def restage(conductor, entry: Mapping[str, Any]) -> None:
    """The ``restage`` entry (E3): exactly ``indices`` of the with-items task run again;
    every other item keeps the status it had (``statuses``)."""
    staged = stage_for_items(conductor, entry["task"], entry["route"])
    chosen = set(entry["indices"])
    staged["items"] = [
        {"status": orquesta_statuses.UNSET if i in chosen or status is None else status}
        for i, status in enumerate(entry["statuses"])
    ]
    staged.pop("completed", None)
    staged["ready"] = True
    task_entry = conductor.get_task_state_entry(entry["task"], entry["route"])
    if task_entry is not None:
        task_entry.pop("term", None)


def merge_context(conductor, entry: Mapping[str, Any]) -> None:
    """The ``context`` entry (E2): ``values`` merged over the inbound context of a staged
    task (and of the task state Orquesta already added for it): a new context entry, last
    in merge order. The old executions keep the contexts they had."""
    state = conductor.workflow_state
    state.contexts.append(copy.deepcopy(dict(entry["values"])))
    index = len(state.contexts) - 1
    staged = state.get_staged_task(entry["task"], entry["route"])
    if staged is not None:
        staged["ctxs"]["in"] = list(staged["ctxs"]["in"]) + [index]
    task_entry = conductor.get_task_state_entry(entry["task"], entry["route"])
    if task_entry is not None and task_entry.get("status") is None:
        task_entry["ctxs"]["in"] = list(task_entry["ctxs"]["in"]) + [index]


def skip(conductor, entry: Mapping[str, Any]) -> dict:
    """The ``skip`` entry (E4): complete a staged task as succeeded with ``result``,
    without running it. Its transitions are evaluated against that result; ``publish``
    values replace what those transitions would publish. Returns its task state entry,
    marked ``skipped``."""
    task_id, route = entry["task"], entry["route"]
    overrides = entry.get("publish") or {}
    transitions = list(conductor.spec.tasks.get_task(task_id).next or [])
    # Orquesta reads a transition's publish as an attribute: the spec's list, or the
    # parsed list set on the object for the inline "k=v" form. The override is set the
    # same way for the time of the skip.
    saved = [(transition, vars(transition).get("publish", _ABSENT)) for transition in transitions]
    try:
        if overrides:
            for transition in transitions:
                transition.publish = _overridden(transition.publish, overrides, bool(transition.spec.get("do")))
        staged = conductor.workflow_state.get_staged_task(task_id, route)
        if staged is not None:
            staged.pop("items", None)
        conductor.update_task_state(task_id, route, events.ActionExecutionEvent(orquesta_statuses.RUNNING))
        task_state = conductor.update_task_state(
            task_id, route, events.ActionExecutionEvent(orquesta_statuses.SUCCEEDED, result=entry.get("result")))
    finally:
        for transition, own in saved:
            if own is _ABSENT:
                vars(transition).pop("publish", None)
            else:
                transition.publish = own
    task_state["skipped"] = True
    return task_state


_ABSENT = object()


def _overridden(publish, overrides: Mapping[str, Any], continues: bool) -> List[dict]:
    """A transition's publish list with ``overrides`` replacing the values of the names
    it publishes; the other overridden names are added to a transition that leads on."""
    publish = list(publish or [])
    names = {name for item in publish for name in item}
    result = [{name: overrides.get(name, value)} for item in publish for name, value in item.items()]
    if continues:
        result += [{name: value} for name, value in overrides.items() if name not in names]
    return result


_HANDLERS = {"stage": stage, "restage": restage, "context": merge_context, "skip": skip}
