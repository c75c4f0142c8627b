"""The speed layer itself (``wfops.orquesta_speed``): how it is applied, switched off and
reverted, what its state view and counts answer, and that the O(N) work is gone (counted
in calls, not timed). That results stay Orquesta's: ``test_orquesta_speed_differential.py``."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile

import pytest
import ujson
from orquesta import conducting, events, graphing, machines
from orquesta import statuses as ost
from orquesta.specs import native as native_specs
from orquesta_trace import trace

import wfops  # noqa: F401
from wfops import orquesta_speed
from wfops.orquesta_speed import state_view, task_index
from wfops.orquesta_speed.state_view import StateView


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    import os

    child = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_", "WFOPS_ORQUESTA"))}
    child.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=tempfile.gettempdir(), env=child)


def chain(n: int, when: str = "<% succeeded() %>") -> dict:
    tasks = {}
    for i in range(n):
        tasks["t%d" % i] = {"action": "core.noop"}
        if i < n - 1:
            tasks["t%d" % i]["next"] = [{"when": when, "do": "t%d" % (i + 1)}]
    return {"version": 1.0, "tasks": tasks}


def run_to_end(definition: dict, fail_items=()) -> conducting.WorkflowConductor:
    conductor = conducting.WorkflowConductor(native_specs.WorkflowSpec(definition))
    conductor.request_workflow_status(ost.RUNNING)
    nexts = conductor.get_next_tasks()
    while nexts:
        for task in nexts:
            for action in task["actions"]:
                if "item_id" in action:
                    item = action["item_id"]
                    status = ost.FAILED if item in fail_items else ost.SUCCEEDED
                    for st in (ost.RUNNING, status):
                        conductor.update_task_state(task["id"], task["route"],
                                                    events.TaskItemActionExecutionEvent(item, st, result=item))
                else:
                    for st in (ost.RUNNING, ost.SUCCEEDED):
                        conductor.update_task_state(task["id"], task["route"], events.ActionExecutionEvent(st))
        nexts = conductor.get_next_tasks()
    return conductor


# --------------------------------------------------------------------------------------
# Applying, switching off, reverting
# --------------------------------------------------------------------------------------


def test_import_wfops_applies_nothing_until_orquesta_is_used():
    proc = _python(
        "import sys, json, wfops\n"
        "from wfops import orquesta_speed as s\n"
        "before = ['orquesta.conducting' in sys.modules, s.is_applied()]\n"
        "from orquesta.specs import native\n"
        "print(json.dumps(before + [s.is_applied()]))\n")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [False, False, True]


def test_the_environment_switch_leaves_orquesta_plain():
    proc = _python(
        "import json, wfops\n"
        "from orquesta import conducting, graphing, machines\n"
        "from wfops import orquesta_speed as s\n"
        "print(json.dumps([s.is_applied(), conducting.WorkflowConductor.get_task.__module__,\n"
        "                  graphing.WorkflowGraph.in_cycle.__module__,\n"
        "                  machines.TaskStateMachine.add_context_to_task_item_event.__func__.__module__]))\n",
        WFOPS_ORQUESTA_SPEED="0")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [False, "orquesta.conducting", "orquesta.graphing", "orquesta.machines"]


def test_revert_restores_every_original_object_and_apply_is_idempotent():
    proc = _python(
        "import json, wfops\n"
        "from wfops import orquesta_speed as s\n"
        "import orquesta.conducting\n"
        "patched = [(o, n) for o, n, _ in s._applied]\n"
        "originals = [b for _, _, b in s._applied]\n"
        "assert s.apply() == []\n"
        "names = s.revert()\n"
        "back = [o.__dict__.get(n, s._MISSING) for o, n in patched]\n"
        "same = all(a is b for a, b in zip(back, originals))\n"
        "again = s.apply()\n"
        "print(json.dumps([len(patched), len(names), same, sorted(again) == sorted(names)]))\n")
    assert proc.returncode == 0, proc.stderr
    count, reverted, same, reapplied = json.loads(proc.stdout)
    assert count >= 30 and reverted == count and same and reapplied


def test_disabled_runs_plain_orquesta_then_patches_again():
    patched_get_task = conducting.WorkflowConductor.__dict__["get_task"]
    with orquesta_speed.disabled():
        assert not orquesta_speed.is_applied()
        assert conducting.WorkflowConductor.get_task.__module__ == "orquesta.conducting"
        assert "simple_cycles" in graphing.WorkflowGraph.in_cycle.__code__.co_names
    assert orquesta_speed.is_applied()
    assert conducting.WorkflowConductor.__dict__["get_task"].__module__ == patched_get_task.__module__


def test_a_patch_stays_away_where_orquesta_has_no_such_code(monkeypatch):
    """Each patch checks the code it replaces: an in_cycle without simple_cycles (as a
    fixed Orquesta would have) is left alone; the other patches still apply."""
    with orquesta_speed.disabled():
        def in_cycle(self, task_id):
            return []

        monkeypatch.setattr(graphing.WorkflowGraph, "in_cycle", in_cycle)
        names = orquesta_speed.apply()
        try:
            assert "WorkflowGraph.in_cycle" not in names
            assert graphing.WorkflowGraph.in_cycle is in_cycle
            assert "WorkflowConductor.get_task" in names
        finally:
            orquesta_speed.revert()
    assert orquesta_speed.is_applied()


def test_on_another_orquesta_version_nothing_is_patched(monkeypatch):
    with orquesta_speed.disabled():
        monkeypatch.setattr(orquesta_speed, "_orquesta_version", lambda: "1.6.0")
        assert orquesta_speed.apply() == []
        assert not orquesta_speed.is_applied()
        monkeypatch.undo()
    assert orquesta_speed.is_applied()


# --------------------------------------------------------------------------------------
# The state view
# --------------------------------------------------------------------------------------


def _conductor_after(definition: dict, steps: int) -> conducting.WorkflowConductor:
    conductor = conducting.WorkflowConductor(native_specs.WorkflowSpec(definition))
    conductor.request_workflow_status(ost.RUNNING)
    for _ in range(steps):
        for task in conductor.get_next_tasks():
            for st in (ost.RUNNING, ost.SUCCEEDED):
                conductor.update_task_state(task["id"], task["route"], events.ActionExecutionEvent(st))
    return conductor


def test_next_tasks_carry_a_view_that_reads_and_copies_as_the_serialized_state():
    conductor = _conductor_after(chain(4), 2)
    task = conductor.get_next_tasks()[0]
    view = task["ctx"]["__state"]
    assert isinstance(view, StateView)
    state = conductor.workflow_state
    assert view == state.serialize() and state.serialize() == view
    assert copy.deepcopy(view) == state.serialize() and type(copy.deepcopy(view)) is dict
    assert ujson.loads(ujson.dumps(task["ctx"]))["__state"] == json.loads(json.dumps(state.serialize()))
    assert view["tasks"] is state.tasks and view.get("sequence") is state.sequence
    assert sorted(view) == sorted(state.serialize())
    with pytest.raises(TypeError):
        view["tasks"] = {}
    copied = copy.deepcopy(task)
    assert copied["ctx"]["__state"] == state.serialize()


def test_the_view_shows_the_routes_there_were_when_it_was_made():
    conductor = _conductor_after(chain(2), 0)
    state = conductor.workflow_state
    view = StateView(state)
    state.routes.append(["t0__t0"])
    assert len(view["routes"]) == 1 and view["routes"][0] == []
    with pytest.raises(IndexError):
        view["routes"][1]
    assert view["routes"][:5] == [[]]
    assert view.materialize()["routes"] == [[]]


@pytest.mark.parametrize("text", ["<% $__state.status %>", "{{ __vars }}", "<% len($__state.sequence) %>"])
def test_a_definition_that_names_the_state_gets_orquestas_copy(text):
    definition = chain(2)
    definition["tasks"]["t0"]["input"] = {"x": text}
    conductor = conducting.WorkflowConductor(native_specs.WorkflowSpec(definition))
    conductor.request_workflow_status(ost.RUNNING)
    task = conductor.get_task("t0", 0)
    assert type(task["ctx"]["__state"]) is dict


def test_a_context_that_has_a_state_key_gets_orquestas_merge():
    conductor = conducting.WorkflowConductor(native_specs.WorkflowSpec(chain(2)), context={"__state": {"own": 1}})
    conductor.request_workflow_status(ost.RUNNING)
    ctx = conductor.get_task("t0", 0)["ctx"]
    assert type(ctx["__state"]) is dict and ctx["__state"]["own"] == 1 and "sequence" in ctx["__state"]


def test_a_skip_publish_naming_the_state_gets_orquestas_copy():
    conductor = _conductor_after(chain(2), 0)
    transition = conductor.spec.tasks.get_task("t0").next[0]
    transition.publish = [{"x": "<% $__state.status %>"}]
    assert not state_view._view_allowed(conductor, [0], "t0")
    del transition.publish
    assert state_view._view_allowed(conductor, [0], "t0")


# --------------------------------------------------------------------------------------
# Counts: correct when lists are replaced or reset in place, and built once
# --------------------------------------------------------------------------------------


def test_item_counts_follow_a_list_replaced_and_items_reset_in_place():
    definition = {"version": 1.0, "tasks": {"t0": {"with": "x in <% range(6) %>", "action": "core.noop"}}}
    former = orquesta_speed.set_verifying(True)   # every answer also computed Orquesta's way
    try:
        conductor = run_to_end(definition, fail_items={1, 4})
        assert conductor.get_workflow_status() == ost.FAILED
        staged = conductor.workflow_state.get_staged_task("t0", 0)
        # wfops's restage writes a new list: only item 4 runs again.
        staged["items"] = [{"status": ost.UNSET if i == 4 else s["status"]} for i, s in enumerate(staged["items"])]
        staged.pop("completed", None)
        conductor.workflow_state.status = ost.RESUMING
        conductor.get_task_state_entry("t0", 0).pop("term", None)
        for task in conductor.get_next_tasks():
            assert [a["item_id"] for a in task["actions"]] == [4]
        for st in (ost.RUNNING, ost.SUCCEEDED):
            conductor.update_task_state("t0", 0, events.TaskItemActionExecutionEvent(4, st, result=4))
        assert conductor.get_task_state_entry("t0", 0)["status"] == ost.FAILED   # item 1 still failed
        # Orquesta's re-run resets the abended items in place.
        conductor.request_workflow_rerun(task_requests=[__import__("orquesta.requests").requests.TaskRerunRequest(
            "t0", 0, reset_items=False)])
        ids = [a["item_id"] for t in conductor.get_next_tasks() for a in t["actions"]]
        assert ids == [1]
        for st in (ost.RUNNING, ost.SUCCEEDED):
            conductor.update_task_state("t0", 0, events.TaskItemActionExecutionEvent(1, st, result=1))
        assert conductor.get_workflow_status() == ost.SUCCEEDED
    finally:
        orquesta_speed.set_verifying(former)


def test_a_chain_run_copies_no_state_enumerates_no_cycle_and_indexes_once(monkeypatch):
    calls = {"serialize": 0, "simple_cycles": 0, "index": 0, "counts": 0}
    plain_serialize = conducting.WorkflowState.serialize
    plain_cycles = graphing.nx.simple_cycles
    plain_index, plain_counts = task_index.StatusIndex.__init__, task_index.ItemCounts.__init__

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(conducting.WorkflowState, "serialize", counting("serialize", plain_serialize))
    monkeypatch.setattr(graphing.nx, "simple_cycles", counting("simple_cycles", plain_cycles))
    monkeypatch.setattr(task_index.StatusIndex, "__init__", counting("index", plain_index))
    monkeypatch.setattr(task_index.ItemCounts, "__init__", counting("counts", plain_counts))
    conductor = run_to_end(chain(300))
    assert conductor.get_workflow_status() == ost.SUCCEEDED
    assert len(conductor.workflow_state.sequence) == 300
    items = {"version": 1.0, "tasks": {"t0": {"with": "x in <% range(500) %>", "action": "core.noop"}}}
    assert run_to_end(items).get_workflow_status() == ost.SUCCEEDED
    assert calls == {"serialize": 0, "simple_cycles": 0, "index": 2, "counts": 1}


def test_status_conditions_skip_yaql_and_answer_as_yaql_does(monkeypatch):
    from orquesta.expressions import yql

    plain = orquesta_speed.original(yql.YAQLEvaluator, "evaluate")
    state = {"tasks": {"t0__r0": 0, "t1__r0": 1}, "routes": [[]],
             "sequence": [{"id": "t0", "route": 0, "status": ost.SUCCEEDED},
                          {"id": "t1", "route": 0, "status": ost.FAILED}]}
    texts = ["<% succeeded() %>", "<%failed()%>", "<% completed() %>", "<% succeeded() and true %>",
             "<% succeeded( ) %>", "x <% succeeded() %>"]
    contexts = [{"__current_task": {"id": task, "route": 0}, "__state": state} for task in ("t0", "t1", "t9")]
    for text in texts:
        for data in contexts:
            assert yql.YAQLEvaluator.evaluate(text, data) == plain(yql.YAQLEvaluator, text, data), (text, data)
    for data in ({}, {"__state": state}, {"__current_task": {"id": "t0", "route": 3}, "__state": state}):
        with pytest.raises(yql.YaqlEvaluationException) as ours:
            yql.YAQLEvaluator.evaluate("<% succeeded() %>", data)
        with pytest.raises(yql.YaqlEvaluationException) as theirs:
            plain(yql.YAQLEvaluator, "<% succeeded() %>", data)
        assert str(ours.value) == str(theirs.value)

    contextualized = []
    plain_contextualize = yql.YAQLEvaluator.contextualize
    monkeypatch.setattr(yql.YAQLEvaluator, "contextualize",
                        classmethod(lambda cls, data: contextualized.append(1) or plain_contextualize(data)))
    assert run_to_end(chain(20)).get_workflow_status() == ost.SUCCEEDED
    assert contextualized == []
    assert run_to_end(chain(3, when="<% succeeded() and true %>")).get_workflow_status() == ost.SUCCEEDED
    assert len(contextualized) == 2


def test_the_item_event_names_are_orquestas_for_every_mix_of_other_statuses():
    plain = orquesta_speed.original(machines.TaskStateMachine, "add_context_to_task_item_event")
    mixes = [[], [ost.RUNNING], [ost.SUCCEEDED], [ost.PAUSED], [ost.PENDING, ost.FAILED], [ost.CANCELED],
             [ost.FAILED, ost.SUCCEEDED], [ost.UNSET], [ost.EXPIRED, ost.CANCELED], [ost.ABANDONED], [ost.RESUMING, ost.SUCCEEDED], [ost.RUNNING, ost.PAUSED]]
    for others in mixes:
        for status in (ost.SUCCEEDED, ost.FAILED, ost.PAUSED, ost.RUNNING, ost.CANCELED):
            state = conducting.WorkflowState()
            staged = state.add_staged_task("t", 0)
            staged["items"] = [{"status": s} for s in others] + [{"status": status}]
            event = events.TaskItemActionExecutionEvent(len(others), status)
            ours = machines.TaskStateMachine.add_context_to_task_item_event(state, "t", 0, event)
            assert ours == plain(machines.TaskStateMachine, state, "t", 0, event), (others, status)


def test_a_trace_of_a_failing_items_workflow_with_reruns_is_orquestas():
    scenario = {"definition": {"version": 1.0, "tasks": {
        "t0": {"with": {"items": "x in <% range(5) %>", "concurrency": 2}, "action": "core.noop"}}},
        "fail": {"t0[1]": 1, "t0[3]": 1}, "seed": 3,
        "ops": [{"kind": "rerun", "pick": [1], "restage": True}, {"kind": "rerun", "pick": [0], "reset": True}]}
    with orquesta_speed.disabled():
        plain = trace(scenario)
    assert trace(scenario) == plain
    ops = [step[0]["op"] for step in plain[:-1]]
    assert ops.count("rerun") == 2 and ops.count("restage") == 1
    assert plain[-1]["final"]["state"]["status"] == ost.SUCCEEDED


# --------------------------------------------------------------------------------------
# Spec copies
# --------------------------------------------------------------------------------------

RICH_TASK = {
    "version": 1.0,
    "tasks": {
        "t1": {
            "action": "core.local cmd='echo <% ctx(x) %>'",
            "with": {"items": "i in <% range(3) %>", "concurrency": 2},
            "retry": {"when": "<% failed() %>", "count": 2, "delay": 1},
            "next": [{"when": "<% succeeded() %>", "publish": [{"y": "<% result() %>"}], "do": ["t2", "t3"]},
                     {"when": "<% failed() %>", "publish": "z=1 w=<% ctx(x) %>", "do": "t3"}],
        },
        "t2": {"action": "core.noop", "join": "all"},
        "t3": {"action": "core.noop"},
    },
}


def test_a_spec_copy_is_orquestas_copy_and_shares_nothing_it_should_not():
    from orquesta.specs import base

    from wfops.orquesta_speed import spec_copies

    plain_copy = orquesta_speed.original(base.Spec, "copy")
    assert base.Spec.__dict__["copy"] is not plain_copy  # patched
    spec = native_specs.WorkflowSpec(copy.deepcopy(RICH_TASK))
    for name in ("t1", "t2", "t3"):
        task = spec.tasks.get_task(name)
        first, second = task.copy(), task.copy()
        expected = spec_copies.shape(plain_copy(task), base.Spec)
        assert spec_copies.shape(first, base.Spec) == expected == spec_copies.shape(second, base.Spec)
        assert first is not task and first.spec is task.spec  # the source shared, as Orquesta's copy does
        if name == "t1":
            first.next[0].publish = [{"changed": 1}]  # a copy's change stays in that copy
            assert spec_copies.shape(task.copy(), base.Spec) == expected
            assert second.next[0].publish == [{"y": "<% result() %>"}]
    conductor = run_to_end(chain(3))
    assert conductor.get_workflow_status() == ost.SUCCEEDED
