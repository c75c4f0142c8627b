"""Hand a plan's collapsed requests to Orquesta's own conductor and check that the re-run
does what the plan said."""

from __future__ import annotations

import wfops  # noqa: F401  (Orquesta compatibility layer)

# isort: split
from orquesta.requests import TaskRerunRequest

from wfops.planner import RerunRequest, plan_rerun

from .orquesta_runs import apply_plan, drive, rerun_and_finish, run_workflow
from .workflows import (
    LONG_BRANCHES_JOIN,
    PARALLEL_JOIN,
    PARALLEL_JOIN_ITEMS,
    SEQUENTIAL,
    SEQUENTIAL_ITEMS,
    SPLIT,
)

EX = "5f0000000000000000000002"


def planned(run, tasks=(), **kwargs):
    return plan_rerun(run.spec, run.state, RerunRequest(list(tasks), **kwargs), EX)


def next_task_ids(run):
    return [(t["id"], t["route"]) for t in run.conductor.get_next_tasks()]


def test_orquesta_alone_reruns_a_second_branch_on_the_chain():
    # The upstream bug R4 is about: get_task_sequence follows one level of prev links.
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    run.conductor.request_workflow_rerun(
        [TaskRerunRequest("task1", 0), TaskRerunRequest("task2", 0)])
    assert next_task_ids(run) == [("task1", 0), ("task2", 0)]


def test_planned_requests_rerun_the_chain_once():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    plan = planned(run, ["task1", "task2"])
    run.conductor.request_workflow_rerun(plan.orquesta_requests())
    assert next_task_ids(run) == [("task1", 0)]
    drive(run)
    assert run.executions()[3:] == [
        ("task1", 0, "succeeded"), ("task2", 0, "succeeded"), ("task3", 0, "succeeded")]
    assert run.conductor.get_workflow_status() == "succeeded"


def test_no_reset_items_are_the_ones_orquesta_runs_again():
    run = run_workflow(SEQUENTIAL_ITEMS, item_fail={"task3": {0, 2}})
    plan = planned(run, ["task3"], no_reset=["task3"])
    run.conductor.request_workflow_rerun(plan.orquesta_requests())
    [task] = run.conductor.get_next_tasks()
    assert [a["item_id"] for a in task["actions"]] == plan.rerun[0].item_indices == [0, 2]


def test_reset_items_all_run_again():
    run = run_workflow(SEQUENTIAL_ITEMS, item_fail={"task3": {1}})
    plan = planned(run, ["task3"])
    run.conductor.request_workflow_rerun(plan.orquesta_requests())
    [task] = run.conductor.get_next_tasks()
    assert [a["item_id"] for a in task["actions"]] == [0, 1, 2]


def test_continuing_branch_lets_the_join_run():
    run = run_workflow(PARALLEL_JOIN, fail={"task2"})
    plan = planned(run, ["task2"])
    assert [c.task for c in plan.continuing] == ["task3"]
    added = rerun_and_finish(run, plan.orquesta_requests())
    assert added == [("task2", 0, "succeeded"), ("task4", 0, "succeeded")]
    assert {t for t, _, _ in added} == {r.task for r in plan.rerun} | {d.task for d in plan.downstream}


def test_forced_blocked_join_never_runs():
    run = run_workflow(PARALLEL_JOIN, fail={"task2", "task3"})
    plan = planned(run, ["task2"], force=True)
    assert plan.joins[0].blocked
    added = rerun_and_finish(run, plan.orquesta_requests())
    assert added == [("task2", 0, "succeeded")]
    assert run.conductor.get_workflow_status() == "failed"


def test_downstream_is_what_runs_afresh():
    cases = [
        (SEQUENTIAL, {"fail": {"task3"}}, ["task1"]),
        (PARALLEL_JOIN_ITEMS, {"item_fail": {"task2": {0}}}, ["task1"]),
        (LONG_BRANCHES_JOIN, {"fail": {"task3", "task5"}}, ["task2", "task4"]),
        (SPLIT, {"fail": {"task5"}}, ["task2"]),
    ]
    for definition, outcome, tasks in cases:
        run = run_workflow(definition, **outcome)
        plan = planned(run, tasks)
        added = rerun_and_finish(run, plan.orquesta_requests())
        expected = {r.task for r in plan.rerun} | {d.task for d in plan.downstream}
        assert {t for t, _, _ in added} == expected, definition
        assert run.conductor.get_workflow_status() == "succeeded"


TRIANGLE_JOIN = {
    "version": 1.0,
    "tasks": {
        "t0": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": ["t1", "t2"]}]},
        "t1": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": ["t2"]}]},
        "t2": {"action": "core.noop", "join": "all"},
    },
}


def test_orquesta_alone_starts_a_join_with_an_old_branch():
    run = run_workflow(TRIANGLE_JOIN)
    run.conductor.request_workflow_rerun([TaskRerunRequest("t0", 0)])
    # The old t1 stands in for the one the re-run has not run yet.
    assert drive(run) == [[("t0", 0)], [("t1", 0), ("t2", 0)]]


def test_stale_branches_make_the_join_wait_for_the_rerun():
    run = run_workflow(TRIANGLE_JOIN)
    plan = planned(run, ["t0"])
    assert plan.stale_branches == [("t1", 0)]
    [join] = plan.joins
    assert [(b.task, b.state) for b in join.branches] == [("t0", "rerun"), ("t1", "rerun")]
    apply_plan(run, plan)
    assert drive(run) == [[("t0", 0)], [("t1", 0)], [("t2", 0)]]
    assert run.conductor.get_workflow_status() == "succeeded"


def test_unstage_drops_tasks_staged_by_replaced_executions():
    # t4 fails while t1 succeeds; t3, staged by t1, never starts because the workflow failed.
    workflow = {
        "version": 1.0,
        "tasks": {
            "t0": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": ["t1", "t4"]}]},
            "t1": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": ["t3"]}]},
            "t3": {"action": "core.noop"},
            "t4": {"action": "core.noop"},
        },
    }
    run = run_workflow(workflow, fail={"t4"})
    assert [s["id"] for s in run.state["staged"] if s["ready"]] == ["t3"]

    from_t4 = planned(run, ["t4"])
    assert [(c.task, c.pending, c.terminal) for c in from_t4.continuing] == [("t1", ["t3"], False)]
    assert [d.task for d in from_t4.downstream] == ["t3"]
    assert from_t4.unstage == []

    from_t0 = planned(run, ["t0"])
    assert from_t0.unstage == [("t3", 0)]
    apply_plan(run, from_t0)
    drive(run)
    assert sorted(t for t, _, _ in run.executions()[3:]) == ["t0", "t1", "t3", "t4"]


def test_hold_keeps_a_join_staged_by_a_replaced_branch_waiting():
    # b and c start together; b succeeds and makes the join j ready, then c fails and the
    # workflow fails before j starts. Re-running b must not let j start with the old b.
    workflow = {
        "version": 1.0,
        "tasks": {
            "a": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": ["b", "c", "j"]}]},
            "b": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": "j"}]},
            "c": {"action": "core.noop"},
            "j": {"action": "core.noop", "join": "all"},
        },
    }
    run = run_workflow(workflow, fail={"c"})
    assert [(s["id"], s["ready"]) for s in run.state["staged"]] == [("j", True)]
    plan = planned(run, ["b"])
    assert (plan.unstage, plan.hold) == ([], [("j", 0)])

    alone = run_workflow(workflow, fail={"c"})
    alone.conductor.request_workflow_rerun([TaskRerunRequest("b", 0)])
    assert drive(alone)[0] == [("b", 0), ("j", 0)]

    apply_plan(run, plan)
    assert drive(run) == [[("b", 0)], [("j", 0)]]
