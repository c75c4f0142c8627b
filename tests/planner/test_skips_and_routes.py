"""The planner on real run states: skips on a paused workflow (E4), which statuses take
which requests (R1), and the fixes found by the host conformance test: a no-reset task
with no item to re-run (M1), a task re-run on one route and reached afresh on another
(M2), extras on a route that runs afresh (M3, M4), a join branch that a skip replaces."""

from __future__ import annotations

import pytest
from orquesta import events, statuses

from wfops.planner import PlanError, RerunRequest, SpecGraph, plan_rerun
from wfops.planner.extras import plan_with_extras

from .orquesta_runs import pause, run_workflow
from .workflows import (
    HANDLED_FAILURE,
    JOIN_AFTER_FAILURE,
    SEQUENTIAL,
    SEQUENTIAL_ITEMS,
    SPLIT_CHAIN,
    SPLIT_CHAIN_ITEMS,
    WITH_ITEMS,
)

EX = "5f0000000000000000000001"
NOT_COMPLETED = 'Unable to rerun workflow execution "%s" because it is not in a completed state.' % EX


def extras(run, **request):
    return plan_with_extras(run.spec, run.state, RerunRequest(**request), EX)


def refused(run, **request) -> list[str]:
    with pytest.raises(PlanError) as caught:
        extras(run, **request)
    return caught.value.problems


def paused_after_handled_failure():
    """task2 failed, its failure handled by notify, which ran; then the workflow paused."""
    run = run_workflow(HANDLED_FAILURE, fail={"task2"}, hang={"notify"})
    pause(run, finish={"notify": statuses.SUCCEEDED})
    assert run.conductor.get_workflow_status() == statuses.PAUSED
    return run


# -- skips on a paused workflow ----------------------------------------------------------------


def test_skip_on_a_paused_workflow_is_planned_in_place():
    run = paused_after_handled_failure()
    p = extras(run, skip=["task2"], publish={"task2": {"token": "manual"}})
    assert p.in_place and p.mode == "from_tasks" and p.workflow_status == "paused"
    assert [r.ref for r in p.rerun] == ["task2[0]"]
    assert p.requests == [], "Orquesta is handed nothing: it only re-runs completed workflows"
    assert [(k.task, k.route, k.publish) for k in p.skips] == [("task2", 0, {"token": "manual"})]
    # A skipped task succeeds: only its on-success transition leads on (not to notify).
    assert [d.task for d in p.downstream] == ["task3"]
    assert p.to_dict()["in_place"] is True


def test_skip_drops_the_failure_handling_that_has_not_started():
    # Paused while task2 ran; task2 then failed and staged notify, which never started.
    run = run_workflow(HANDLED_FAILURE, hang={"task2"})
    pause(run, finish={"task2": statuses.FAILED})
    assert run.conductor.get_workflow_status() == statuses.PAUSED
    p = extras(run, skip=["task2"], result={"task2": {"ok": "given"}})
    assert p.unstage == [("notify", 0)]
    assert p.skips[0].computed == {"token": "given"}


def test_a_paused_workflow_takes_only_skips():
    run = paused_after_handled_failure()
    instead = (
        "resume it (wfops execution resume {0}) and re-run once it has completed, or cancel it "
        "(wfops execution cancel {0}) and re-run then.".format(EX)
    )
    paused = " It is paused, and a paused workflow only takes skips (`skip T`, with `result T` and `publish T`), after which it resumes. Instead, "
    assert refused(run, tasks=["task2"]) == [NOT_COMPLETED + paused + instead]
    assert refused(run, failed=True) == [NOT_COMPLETED + paused + instead]
    assert refused(run, skip=["task2"], tasks=["task1"], publish={"task2": {"token": "x"}}) == [
        NOT_COMPLETED + paused + "leave out `tasks`, or " + instead]
    with pytest.raises(PlanError) as caught:
        plan_rerun(run.spec, run.state, RerunRequest(["task2"]), EX)
    assert caught.value.problems == [NOT_COMPLETED + paused + instead]


def test_a_skip_of_a_running_or_pausing_workflow_is_refused():
    running = run_workflow(SEQUENTIAL, hang={"task2"})
    assert refused(running, skip=["task2"]) == [
        'Unable to skip tasks of workflow execution "%s" because it is running: only a completed '
        "(failed) or paused workflow takes skips. Pause it (wfops execution pause %s) and skip once "
        "it is paused, or skip once it has completed." % (EX, EX),
        'Task "task2" is running; only a failed task can be skipped.']
    # Re-running tasks of a running workflow keeps st2's message alone.
    assert refused(running, tasks=["task1"]) == [NOT_COMPLETED]
    running.conductor.request_workflow_status(statuses.PAUSING)
    problem = refused(running, skip=["task2"])[0]
    assert problem.endswith("because it is pausing: wait until it is paused (its running tasks finish first), then skip.")


def test_skip_of_a_paused_task_that_did_not_fail_is_refused():
    run = paused_after_handled_failure()
    assert refused(run, skip=["task1"]) == [
        'Task "task1" already succeeded, so it cannot be skipped; to run it again, use `tasks task1`.']


# -- M1: no-reset with no item to re-run ---------------------------------------------------------


def test_no_reset_of_a_with_items_task_whose_items_all_succeeded_is_refused():
    run = run_workflow(WITH_ITEMS)
    with pytest.raises(PlanError) as caught:
        plan_rerun(run.spec, run.state, RerunRequest(["task1"], no_reset=["task1"]), EX)
    assert caught.value.problems == [
        "No item of task1 failed, timed out or was abandoned, so `no_reset task1` leaves nothing of "
        "it to re-run. Drop `no_reset task1` to re-run all its items, choose items with `items "
        "task1 I,J`, or re-run the tasks after it instead."]


def test_items_chosen_with_items_are_not_that_case():
    run = run_workflow(WITH_ITEMS)
    p = extras(run, items={"task1": [2]})
    assert [(x.task, x.indices) for x in p.item_selections] == [("task1", [2])]
    assert p.warnings == []


def test_no_reset_with_abended_items_still_plans_them():
    run = run_workflow(WITH_ITEMS, item_fail={"task1": {1}})
    p = plan_rerun(run.spec, run.state, RerunRequest(["task1"], no_reset=["task1"]), EX)
    assert [(r.items, r.item_indices) for r in p.rerun] == [("abended", [1])]


# -- M2: a re-run task that also runs afresh ------------------------------------------------------


def test_a_task_rerun_on_one_route_and_reached_from_another_rerun_task_is_downstream():
    run = run_workflow(SPLIT_CHAIN, fail={"t1", "t2"})
    assert run.executions() == [("t0", 0, "succeeded"), ("t1", 0, "failed"), ("t2", 1, "failed")]
    p = plan_rerun(run.spec, run.state, RerunRequest(failed=True), EX)
    assert [r.ref for r in p.rerun] == ["t1[0]", "t2[1]"]
    assert [(d.task, d.ran_before) for d in p.downstream] == [("t2", True)]


def test_a_task_rerun_alone_is_not_downstream_of_itself():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    p = plan_rerun(run.spec, run.state, RerunRequest(["task3"]), EX)
    assert p.downstream == []


# -- M3, M4: extras act on the routes the plan re-runs ---------------------------------------------


def test_items_of_a_task_apply_to_the_routes_it_reruns_only():
    run = run_workflow(SPLIT_CHAIN_ITEMS)
    assert [(t, r) for t, r, _ in run.executions()] == [("t0", 0), ("t1", 0), ("t2", 1), ("t2", 2)]
    p = extras(run, tasks=["t1"], items={"t2": [0]})
    assert [r.ref for r in p.rerun] == ["t1[0]", "t2[1]"]
    assert [(d.task, d.route, d.reason, d.covered_by) for d in p.dropped] == [("t2", 2, "downstream", "t1[0]")]
    assert [(x.task, x.route, x.indices) for x in p.item_selections] == [("t2", 1, [0])]
    assert p.warnings == [
        "`items t2` does not apply to t2[2]: t2[2] runs afresh after t1[0], which the request re-runs."]


def test_a_skip_applies_to_the_routes_the_plan_reruns_only():
    run = run_workflow(SPLIT_CHAIN, hang={"t2"})
    for route in (1, 2):
        run.conductor.update_task_state("t2", route, events.ActionExecutionEvent(statuses.FAILED, result={}))
    assert [(t, r, s) for t, r, s in run.executions()][2:] == [("t2", 1, "failed"), ("t2", 2, "failed")]
    p = extras(run, tasks=["t1"], skip=["t2"])
    assert [(k.task, k.route) for k in p.skips] == [("t2", 1)]
    assert p.warnings == [
        "`skip t2` does not apply to t2[2]: t2[2] runs afresh after t1[0], which the request re-runs."]


def test_extras_on_a_task_that_only_runs_afresh_are_refused():
    run = run_workflow(SEQUENTIAL_ITEMS)
    assert refused(run, tasks=["task1"], items={"task2": [0]}) == [
        'Task "task2" runs afresh after task1[0], which the request re-runs, so `items task2` cannot '
        "apply to it: leave task1 out of the request, or leave out `items task2` (task2 then runs "
        "afresh, all of it)."]


# -- a join branch that a skip replaces ----------------------------------------------------------


def test_a_join_branch_after_the_skipped_failure_does_not_count():
    # t0 failed; its failure ran t1, which reached the join t2. Skipping t0 takes only t0's
    # success transition: t1's run belonged to the failure and no longer counts.
    run = run_workflow(JOIN_AFTER_FAILURE, fail={"t0"})
    assert refused(run, skip=["t0"]) == [
        'Join "t2" waits for t1, which ran after the failure of a task that the request skips, so '
        "it no longer counts: a skipped task takes only its on-success transitions, so nothing runs "
        "it again; re-run the failed task before it with `tasks` instead of skipping it, or add `force`."]
    p = extras(run, skip=["t0"], force=True)
    assert p.stale_branches == [("t1", 0)]
    assert [b.state for b in p.joins[0].branches] == ["rerun", "blocked"]


def test_targets_on_success_leave_out_failure_only_transitions():
    spec = SpecGraph.build(HANDLED_FAILURE)
    assert spec.targets_on_success("task2") == ["task3"]
    assert spec.targets_on_success("task1") == ["task2"]
    assert spec.targets_on_success("task3") == []
