"""plan_rerun on real run states of the seed workflows: R1-R13."""

from __future__ import annotations

import json

import pytest

from wfops.errors import WfopsError
from wfops.planner import Plan, PlanError, RerunRequest, fingerprint, plan_rerun

from .orquesta_runs import run_workflow
from .workflows import (
    JOIN_COUNT,
    LONG_BRANCHES_JOIN,
    LOOP,
    PARALLEL_JOIN,
    PARALLEL_JOIN_ITEMS,
    SEQUENTIAL,
    SEQUENTIAL_ITEMS,
    SPLIT,
)

EX = "5f0000000000000000000001"


def plan(run, tasks=(), **kwargs) -> Plan:
    return plan_rerun(run.spec, run.state, RerunRequest(list(tasks), **kwargs), EX)


def refused(run, tasks=(), **kwargs) -> PlanError:
    with pytest.raises(PlanError) as caught:
        plan(run, tasks, **kwargs)
    return caught.value


def rerun_refs(p: Plan) -> list[str]:
    return [r.ref for r in p.rerun]


# Sequential: task1 -> task2 -> task3


def test_rerun_failed_task_of_sequential_workflow():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    p = plan(run, ["task3"])
    assert p.mode == "from_tasks"
    assert p.workflow_status == "failed"
    assert [(r.task, r.route, r.sequence_index, r.status, r.items) for r in p.rerun] == [
        ("task3", 0, 2, "failed", None)
    ]
    assert p.dropped == [] and p.downstream == [] and p.joins == []
    assert p.requests == [("task3", 0, True)]


def test_rerun_from_middle_lists_downstream_tasks():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    p = plan(run, ["task2"])
    assert rerun_refs(p) == ["task2[0]"]
    assert [(d.task, d.items, d.join, d.ran_before) for d in p.downstream] == [
        ("task3", None, False, True)
    ]


def test_r4_chain_request_for_task_downstream_of_another_is_dropped():
    # Orquesta 1.2.0 re-runs task1 *and* task2 here; only task1 may re-run.
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    p = plan(run, ["task1", "task2"])
    assert rerun_refs(p) == ["task1[0]"]
    [dropped] = p.dropped
    assert (dropped.requested_as, dropped.task, dropped.route, dropped.sequence_index) == (
        "task2", "task2", 0, 1)
    assert (dropped.reason, dropped.covered_by) == ("downstream", "task1[0]")
    assert p.requests == [("task1", 0, True)]
    assert [d.task for d in p.downstream] == ["task2", "task3"]


def test_r4_however_deep_and_whatever_the_order():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    p = plan(run, ["task3", "task2", "task1"])
    assert rerun_refs(p) == ["task1[0]"]
    assert sorted((d.task, d.covered_by) for d in p.dropped) == [
        ("task2", "task1[0]"), ("task3", "task1[0]")]


def test_r4_through_a_loop():
    run = run_workflow(LOOP, fail={"last"})
    assert [e[0] for e in run.executions()] == ["init", "step", "step", "step", "last"]
    p = plan(run, ["last", "step"])
    # "step" is its latest execution (the third iteration), which led to "last".
    assert rerun_refs(p) == ["step[0]"]
    assert p.rerun[0].sequence_index == 3
    assert [(d.task, d.covered_by) for d in p.dropped] == [("last", "step[0]")]


def test_r3_a_name_given_twice_counts_once():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    p = plan(run, ["task3", "task3", "task3[0]"])
    assert rerun_refs(p) == ["task3[0]"]
    assert [(d.requested_as, d.reason, d.covered_by) for d in p.dropped] == [
        ("task3", "duplicate", "task3[0]"),
        ("task3[0]", "duplicate", "task3[0]"),
    ]
    assert p.requests == [("task3", 0, True)]


def test_r1_active_workflow_is_refused_with_st2_message():
    run = run_workflow(SEQUENTIAL, hang={"task2"})
    assert run.state["status"] == "running"
    error = refused(run, ["task1"])
    assert str(error) == (
        'Unable to rerun workflow execution "%s" because it is not in a completed state.' % EX
    )
    assert error.problems == [str(error)]


def test_r1_succeeded_workflow_can_be_rerun_from_tasks():
    run = run_workflow(SEQUENTIAL)
    p = plan(run, ["task2"])
    assert rerun_refs(p) == ["task2[0]"]
    assert p.rerun[0].status == "succeeded"


def test_r1_also_applies_to_rerun_from_the_beginning():
    run = run_workflow(SEQUENTIAL, hang={"task1"})
    with pytest.raises(PlanError, match="not in a completed state"):
        plan(run)


def test_r2_unknown_name_and_never_ran_name_have_distinct_messages():
    run = run_workflow(SEQUENTIAL, fail={"task2"})
    error = refused(run, ["tsk2", "task3"])
    assert error.problems == [
        'Task "tsk2" is not defined in the workflow (did you mean "task2"?).',
        'Task "task3" never ran in workflow execution "%s", so it cannot be re-run; '
        "re-run a task upstream of it instead: task2." % EX,
    ]
    assert isinstance(error, WfopsError)
    assert str(error).startswith("The request has 2 problems:")


def test_r2_unknown_name_without_close_match():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    assert str(refused(run, ["deploy_everything"])) == (
        'Task "deploy_everything" is not defined in the workflow.'
    )


def test_r2_route_the_task_never_ran_on_names_its_routes():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    assert str(refused(run, ["task3[2]"])) == 'Task "task3" did not run on route 2; it ran on route 0.'
    split = run_workflow(SPLIT, fail={"task5"})
    assert str(refused(split, ["task5[0]"])) == (
        'Task "task5" did not run on route 0; it ran on routes 1, 2.'
    )


def test_r2_malformed_name():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    assert str(refused(run, ["task3[x]"])) == '"task3[x]" is not a task name or name[route].'


def test_r2_a_name_stands_for_every_route_it_ran_on():
    run = run_workflow(SPLIT, fail={"task5"})
    p = plan(run, ["task5"])
    assert rerun_refs(p) == ["task5[1]", "task5[2]"]
    assert p.requests == [("task5", 1, True), ("task5", 2, True)]
    p = plan(run, ["task5[2]"])
    assert rerun_refs(p) == ["task5[2]"]


def test_r2_every_problem_is_reported_at_once():
    run = run_workflow(SEQUENTIAL, hang={"task3"})
    error = refused(run, ["nope", "task1[4]"], no_reset=["task2"], parameters={"x": 1})
    assert error.problems == [
        'Unable to rerun workflow execution "%s" because it is not in a completed state.' % EX,
        "Parameters override is not supported when re-running task(s) for a workflow.",
        'Task "nope" is not defined in the workflow.',
        'Task "task1" did not run on route 4; it ran on route 0.',
        "List of tasks to reset does not match the tasks to rerun.",
    ]


def test_r5_no_reset_must_be_a_subset_of_tasks():
    run = run_workflow(SEQUENTIAL_ITEMS, item_fail={"task3": {1}})
    error = refused(run, ["task3"], no_reset=["task2"])
    assert str(error) == "List of tasks to reset does not match the tasks to rerun."
    # A name does not cover a route-less no-reset when only one route was requested.
    error = refused(run, ["task3[0]"], no_reset=["task3"])
    assert str(error) == "List of tasks to reset does not match the tasks to rerun."
    assert plan(run, ["task3"], no_reset=["task3[0]"]).rerun[0].items == "abended"


def test_r6_with_items_task_is_reset_by_default():
    run = run_workflow(SEQUENTIAL_ITEMS, item_fail={"task3": {1}})
    [r] = plan(run, ["task3"]).rerun
    assert (r.task, r.items, r.item_indices) == ("task3", "all", None)
    assert plan(run, ["task3"]).requests == [("task3", 0, True)]


def test_r6_no_reset_reruns_only_abended_items():
    run = run_workflow(SEQUENTIAL_ITEMS, item_fail={"task3": {0, 2}})
    p = plan(run, ["task3"], no_reset=["task3"])
    [r] = p.rerun
    assert (r.items, r.item_indices) == ("abended", [0, 2])
    assert p.requests == [("task3", 0, False)]


def test_r6_item_statuses_come_from_staged_items_when_the_host_gives_none():
    run = run_workflow(SEQUENTIAL_ITEMS, item_fail={"task3": {1}})
    state = run.state
    del state["items"]
    p = plan_rerun(run.spec, state, RerunRequest(["task3"], ["task3"]), EX)
    assert p.rerun[0].item_indices == [1]


def test_r6_unknown_item_statuses_give_a_warning():
    run = run_workflow(SEQUENTIAL_ITEMS, item_fail={"task3": {1}})
    state = run.state
    del state["items"]
    state["staged"] = []
    p = plan_rerun(run.spec, state, RerunRequest(["task3"], ["task3"]), EX)
    assert p.rerun[0].item_indices is None
    assert p.warnings == [
        "The item statuses of task3[0] are unknown: Orquesta will re-run the items it "
        "recorded as failed, timed out or abandoned."
    ]


def test_r6_seed_parallel_items_reset_one_not_the_other():
    # st2 execution re-run <id> `tasks task2` task3 `no_reset task3`
    run = run_workflow(PARALLEL_JOIN_ITEMS, item_fail={"task2": {1, 3}, "task3": {0}})
    p = plan(run, ["task2", "task3"], no_reset=["task3"])
    assert [(r.task, r.items, r.item_indices) for r in p.rerun] == [
        ("task2", "all", None),
        ("task3", "abended", [0]),
    ]
    assert p.requests == [("task2", 0, True), ("task3", 0, False)]
    both = plan(run, ["task2", "task3"], no_reset=["task2", "task3"])
    assert [(r.items, r.item_indices) for r in both.rerun] == [("abended", [1, 3]), ("abended", [0])]


def test_r7_with_items_tasks_downstream_are_reset_whatever_no_reset_says():
    # Seed: "both task2 and task3 will be reset when task1 completes".
    run = run_workflow(PARALLEL_JOIN_ITEMS, item_fail={"task2": {1}, "task3": {0}})
    p = plan(run, ["task1", "task2", "task3"], no_reset=["task2", "task3"])
    assert rerun_refs(p) == ["task1[0]"]
    assert [(d.task, d.items, d.join) for d in p.downstream] == [
        ("task2", "all", False), ("task3", "all", False), ("task4", None, True)]
    assert p.warnings == [
        "`no_reset task2` has no effect where task2 runs downstream of a re-run task: it is reset there.",
        "`no_reset task3` has no effect where task3 runs downstream of a re-run task: it is reset there.",
    ]


def test_r8_terminal_task_with_pending_transition_continues():
    run = run_workflow(PARALLEL_JOIN, fail={"task2"})
    p = plan(run, ["task2"])
    assert [(c.task, c.route, c.sequence_index, c.status, c.pending) for c in p.continuing] == [
        ("task3", 0, 2, "succeeded", ["task4"])
    ]
    [join] = p.joins
    assert (join.task, join.blocked) == ("task4", False)
    assert [(b.task, b.state) for b in join.branches] == [("task2", "rerun"), ("task3", "satisfied")]


def test_r8_continuing_excludes_executions_the_rerun_replaces():
    run = run_workflow(PARALLEL_JOIN, fail={"task2"})
    p = plan(run, ["task1"])
    assert p.continuing == []
    assert [(b.task, b.state) for b in p.joins[0].branches] == [("task2", "rerun"), ("task3", "rerun")]


def test_r9_join_with_other_failed_branch_not_requested_is_refused():
    run = run_workflow(PARALLEL_JOIN, fail={"task2", "task3"})
    error = refused(run, ["task2"])
    assert str(error) == (
        'Join "task4" waits for task3, which failed and is not in the request: add `tasks '
        "task3` to re-run it (or `skip task3` to skip it)."
    )


def test_r9_force_turns_the_blocked_join_into_a_warning():
    run = run_workflow(PARALLEL_JOIN, fail={"task2", "task3"})
    p = plan(run, ["task2"], force=True)
    assert rerun_refs(p) == ["task2[0]"]
    [join] = p.joins
    assert join.blocked is True
    assert [(b.task, b.state, b.reason, b.include) for b in join.branches] == [
        ("task2", "rerun", None, ()),
        ("task3", "blocked", "failed", ("task3",)),
    ]
    assert p.warnings == [
        'Join "task4" waits for task3, which failed and is not in the request: add `tasks '
        "task3` to re-run it (or `skip task3` to skip it). Submitted anyway (`force`)."
    ]


def test_r9_both_branches_requested_is_fine():
    run = run_workflow(PARALLEL_JOIN, fail={"task2", "task3"})
    p = plan(run, ["task2", "task3"])
    assert rerun_refs(p) == ["task2[0]", "task3[0]"]
    assert p.joins[0].blocked is False


def test_r9_branch_that_never_ran_names_the_failed_task_before_it():
    run = run_workflow(LONG_BRANCHES_JOIN, fail={"task2", "task4"})
    error = refused(run, ["task2"])
    assert str(error) == (
        'Join "task6" waits for task5, which never ran because task4 did not succeed: add '
        "`tasks task4` to re-run it (or `skip task4` to skip it)."
    )
    p = plan(run, ["task2", "task4"])
    assert [(b.task, b.state) for b in p.joins[0].branches] == [("task3", "rerun"), ("task5", "rerun")]


def test_r9_count_join_needs_only_its_count():
    run = run_workflow(JOIN_COUNT, fail={"task2", "task3"})
    # task5 waits for 2 of 3: task4 succeeded, so re-running one failed branch is enough.
    p = plan(run, ["task2"])
    [join] = p.joins
    assert (join.barrier, join.required, join.blocked) == (2, 2, False)
    assert [(b.task, b.state) for b in join.branches] == [
        ("task2", "rerun"), ("task3", "blocked"), ("task4", "satisfied")]


def test_r9_count_join_blocked_lists_the_candidates():
    run = run_workflow(JOIN_COUNT, fail={"task2", "task3", "task4"})
    error = refused(run, ["task2"])
    assert str(error) == (
        'Join "task5" needs 2 of its 3 inbound branches but only 1 can arrive (task3 failed '
        "and is not in the request; task4 failed and is not in the request): add task3 or "
        "task4 with `tasks` to re-run one of them."
    )


def test_r11_failed_reruns_every_task_whose_latest_execution_abended():
    run = run_workflow(LONG_BRANCHES_JOIN, fail={"task2", "task4"})
    p = plan(run, failed=True)
    assert rerun_refs(p) == ["task2[0]", "task4[0]"]
    assert {r.requested_as for r in p.rerun} == {"`failed`"}
    assert p.joins[0].blocked is False


def test_r11_failed_with_nothing_failed_is_refused():
    run = run_workflow(SEQUENTIAL)
    assert str(refused(run, failed=True)) == (
        'No task of workflow execution "%s" failed, timed out or was abandoned; name the '
        "tasks to re-run with `tasks`." % EX
    )


def test_r11_failed_combines_with_tasks_and_collapses():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    p = plan(run, ["task1"], failed=True)
    assert rerun_refs(p) == ["task1[0]"]
    assert [(d.requested_as, d.task, d.covered_by) for d in p.dropped] == [
        ("`failed`", "task3", "task1[0]")]


def test_r11_no_tasks_is_a_rerun_from_the_beginning():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    p = plan(run, parameters={"who": "me"})
    assert p.mode == "from_beginning"
    assert p.rerun == [] and p.requests == []
    assert p.request["parameters"] == {"who": "me"}
    assert p.fingerprint == fingerprint(run.state)


def test_r12_parameters_with_tasks_are_refused():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    assert str(refused(run, ["task3"], parameters={"x": 1})) == (
        "Parameters override is not supported when re-running task(s) for a workflow."
    )
    assert plan(run, ["task3"], parameters={}).rerun  # an empty override is no override


def test_r13_plan_carries_the_fingerprint_of_its_state():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    p = plan(run, ["task3"])
    assert p.fingerprint == fingerprint(run.state)


def test_superseded_routes_after_a_rerun_through_a_split_are_dropped():
    from orquesta.requests import TaskRerunRequest

    from .orquesta_runs import rerun_and_finish

    run = run_workflow(SPLIT, fail={"task5"})
    rerun_and_finish(run, [TaskRerunRequest("task1", 0)], fail={"task5"})
    # The re-run ran the split again on new routes 3 and 4; routes 1 and 2 are history.
    assert sorted(k for k in run.state["tasks"] if k.startswith("task5")) == [
        "task5__r1", "task5__r2", "task5__r3", "task5__r4"]
    p = plan(run, ["task5"])
    assert rerun_refs(p) == ["task5[3]", "task5[4]"]
    assert [(d.task, d.route, d.reason, d.covered_by) for d in p.dropped] == [
        ("task5", 1, "superseded", "task5[3]"),
        ("task5", 2, "superseded", "task5[4]"),
    ]


def test_r4_covers_through_an_earlier_attempt_of_the_covering_task():
    # task1 re-ran and failed again: its new execution triggered nothing, but re-running it
    # still re-creates task2, which the first attempt of task1 triggered.
    from orquesta.requests import TaskRerunRequest

    from .orquesta_runs import rerun_and_finish

    run = run_workflow(PARALLEL_JOIN, fail={"task2"})
    rerun_and_finish(run, [TaskRerunRequest("task1", 0)], fail={"task1"})
    assert run.executions()[-1] == ("task1", 0, "failed")
    p = plan(run, failed=True)
    assert rerun_refs(p) == ["task1[0]"]
    assert [(d.task, d.reason, d.covered_by) for d in p.dropped] == [
        ("task2", "downstream", "task1[0]")]


def test_plan_is_json_serializable_and_round_trips():
    run = run_workflow(PARALLEL_JOIN_ITEMS, item_fail={"task2": {1}, "task3": {2}})
    p = plan(run, ["task2", "task3", "task1"], no_reset=["task3"], force=True)
    data = json.loads(json.dumps(p.to_dict()))
    assert Plan.from_dict(data) == p
    assert data["requests"] == [["task1", 0, True]]
    assert set(data) == {
        "execution_id", "mode", "workflow_status", "request", "fingerprint", "rerun",
        "dropped", "downstream", "continuing", "joins", "requests", "unstage", "hold",
        "stale_branches", "warnings", "in_place"}


def test_spec_may_be_given_as_yaml_or_dict():
    import yaml

    run = run_workflow(SEQUENTIAL, fail={"task3"})
    request = RerunRequest(["task1", "task2"])
    from_yaml = plan_rerun(SEQUENTIAL, run.state, request, EX)
    from_dict = plan_rerun(yaml.safe_load(SEQUENTIAL), run.state, request, EX)
    assert from_yaml == from_dict == plan_rerun(run.spec, run.state, request, EX)


def test_request_extras_travel_with_the_plan_and_are_not_validated():
    run = run_workflow(SEQUENTIAL_ITEMS, item_fail={"task3": {1}})
    request = RerunRequest(
        ["task3"], items={"task3": [0]}, context={"task3": {"x": 1}}, skip=["task9"],
        result={"task9": None}, publish={"task9": {"k": "v"}})
    p = plan_rerun(run.spec, run.state, request, EX)
    assert rerun_refs(p) == ["task3[0]"]
    assert p.request["items"] == {"task3": [0]} and p.request["skip"] == ["task9"]
    assert RerunRequest.from_dict(p.request) == request


def test_naming_only_replaced_executions_is_refused():
    from orquesta.requests import TaskRerunRequest

    from .orquesta_runs import rerun_and_finish

    run = run_workflow(SPLIT, fail={"task5"})
    rerun_and_finish(run, [TaskRerunRequest("task1", 0)], fail={"task5"})
    assert str(refused(run, ["task5[1]"])) == (
        "Nothing to re-run: task5[1] ran on a branch that the later re-run task5[3] replaced; "
        "name the current executions instead."
    )


def test_r12_parameters_with_failed_are_refused():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    assert str(refused(run, failed=True, parameters={"x": 1})) == PARAMETERS_MESSAGE


PARAMETERS_MESSAGE = "Parameters override is not supported when re-running task(s) for a workflow."


def test_r9_blocked_branch_that_took_another_way():
    definition = {
        "version": 1.0,
        "tasks": {
            "task1": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": ["task2", "task3"]}]},
            "task2": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": "task4"}]},
            "task3": {"action": "core.noop", "next": [{"when": "<% failed() %>", "do": "task4"}]},
            "task4": {"action": "core.noop", "join": "all"},
        },
    }
    run = run_workflow(definition, fail={"task2"})
    assert str(refused(run, ["task2"])) == (
        'Join "task4" waits for task3, which did not take its transition to task4: add '
        "`tasks task3` to re-run it."
    )


def test_a_problem_found_by_several_checks_is_listed_once():
    from wfops.planner.extras import plan_with_extras

    run = run_workflow(SEQUENTIAL)
    for request in (RerunRequest(["nope"], items={"nope": [1]}),
                    RerunRequest(["nope"], context={"nope": {"a": 1}})):
        with pytest.raises(PlanError) as caught:
            plan_with_extras(run.spec, run.state, request, EX)
        assert caught.value.problems == ['Task "nope" is not defined in the workflow.']
