"""The planner's run state from StackStorm's stored records (wfops_st2.run_state): plans
computed on it agree with the plans the pack computed from StackStorm's API for the same
requests, on the same real executions."""

from __future__ import annotations

import json

import pytest
from captures import load, step
from wfops_st2.run_state import item_statuses, records_by_entry, run_state

from wfops import planner

# (capture, the step whose plan the pack computed from the API, the request)
AGREEMENT = [
    ("sequential_task2", "plan_task2", dict(tasks=["task2"])),
    ("sequential_r4", "plan_task1_task2", dict(tasks=["task1", "task2"])),
    ("parallel_join", "plan_task2_task3", dict(tasks=["task2", "task3"])),
    ("with_items", "plan_no_reset", dict(tasks=["task1"], no_reset=["task1"])),
    ("with_items", "plan_reset", dict(tasks=["task1"])),
    ("subworkflows", "plan_task2", dict(tasks=["task2"])),
]
COMPARED = ("rerun", "downstream", "dropped", "joins", "continuing", "requests", "unstage", "hold")


def _plan(db: dict, **request):
    workflow = db["workflow_executions"][0]
    state = run_state(workflow["state"], db["task_executions"])
    return planner.plan_rerun(workflow["spec"]["spec"], state, planner.RerunRequest(**request),
                              execution_id=workflow["action_execution"])


@pytest.mark.parametrize("name,kind,request_", [pytest.param(c, k, r, id="%s-%s" % (c, k))
                                                for c, k, r in AGREEMENT])
def test_plans_agree_with_the_api_rebuild(name, kind, request_):
    capture = load(name)
    plan = json.loads(json.dumps(_plan(capture["db_before"], **request_).to_dict()))
    from_api = step(capture, kind)["result"]["plan"]
    for key in COMPARED:
        assert plan.get(key) == from_api.get(key), key


@pytest.mark.parametrize("name", ["parallel_join"])
def test_a_refusal_agrees_too(name):
    capture = load(name)
    with pytest.raises(planner.PlanError) as refused:
        _plan(capture["db_before"], tasks=["task2"])
    assert refused.value.message == step(capture, "plan_task2_only")["error"]


@pytest.mark.parametrize("name", ["with_items"])
def test_items_kept_by_a_no_reset_rerun_take_their_earlier_status(name):
    capture = load(name)
    # After StackStorm's own no-reset re-run, the new task execution record holds only the
    # re-run items 1 and 4 (None elsewhere); the kept items keep their earlier status.
    db = capture["db"]
    sequence = db["workflow_executions"][0]["state"]["sequence"]
    latest = db["task_executions"][-1]
    assert [i is None for i in latest["result"]["items"]] == [True, False, True, True, False, True]
    statuses = item_statuses(records_by_entry(sequence, db["task_executions"]), sequence)
    assert statuses[0] == ["succeeded", "failed", "succeeded", "succeeded", "failed", "succeeded"]
    assert statuses[1] == ["succeeded"] * 6


@pytest.mark.parametrize("name", ["sequential_r4"])
def test_engine_command_entries_are_left_out(name):
    capture = load(name)
    # Orquesta 1.6 records the "continue" of task3's transition as a sequence entry.
    workflow = capture["db"]["workflow_executions"][0]
    assert [e["id"] for e in workflow["state"]["sequence"]][-1] == "continue"
    state = run_state(workflow["state"], capture["db"]["task_executions"])
    assert "continue" not in [e["id"] for e in state["sequence"]]
    assert len(state["sequence"]) == len(workflow["state"]["sequence"]) - 1
    for entry in state["sequence"]:
        assert all(0 <= parent < len(state["sequence"]) for parent in entry["prev"].values())
    assert state["tasks"] == {"task1__r0": 3, "task2__r0": 4, "task3__r0": 5}
    # The plan on it: task3 succeeded last; re-running task2 runs task3 afresh.
    plan = planner.plan_rerun(workflow["spec"]["spec"], state, planner.RerunRequest(tasks=["task2"]),
                              execution_id=workflow["action_execution"])
    assert [(r.task, r.sequence_index) for r in plan.rerun] == [("task2", 4)]
    assert [d.task for d in plan.downstream] == ["task3"]
