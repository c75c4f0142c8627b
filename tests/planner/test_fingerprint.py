"""R13: the fingerprint changes with every part of the state an operation changes."""

from __future__ import annotations

import copy

import pytest
from orquesta.requests import TaskRerunRequest

from wfops.errors import Conflict
from wfops.planner import RerunRequest, check_fingerprint, fingerprint, item_statuses, plan_rerun

from .orquesta_runs import run_workflow
from .workflows import PARALLEL_JOIN_ITEMS, SEQUENTIAL


def changed(state, change) -> bool:
    other = copy.deepcopy(state)
    change(other)
    return fingerprint(other) != fingerprint(state)


def test_fingerprint_is_a_sha256_stable_for_equal_states():
    state = run_workflow(PARALLEL_JOIN_ITEMS, item_fail={"task2": {1}}).state
    assert len(fingerprint(state)) == 64 and int(fingerprint(state), 16) >= 0
    assert fingerprint(state) == fingerprint(copy.deepcopy(state))
    as_ints = copy.deepcopy(state)
    as_ints["items"] = {int(k): v for k, v in state["items"].items()}
    assert fingerprint(as_ints) == fingerprint(state)


def test_what_operations_change_changes_the_fingerprint():
    state = run_workflow(PARALLEL_JOIN_ITEMS, item_fail={"task2": {1}}).state
    assert changed(state, lambda s: s.update(status="canceled"))
    assert changed(state, lambda s: s["sequence"][1].update(status="succeeded"))
    assert changed(state, lambda s: s["sequence"].append(dict(s["sequence"][0])))
    assert changed(state, lambda s: s["items"]["1"].__setitem__(1, "succeeded"))
    assert changed(state, lambda s: s.update(reruns=[[1]]))
    assert changed(state, lambda s: s["staged"][0].update(ready=False))
    assert changed(state, lambda s: s["staged"].pop())


def test_contexts_and_results_do_not_change_it():
    state = run_workflow(SEQUENTIAL, fail={"task3"}).state
    assert not changed(state, lambda s: s["contexts"].append({"x": 1}))
    assert not changed(state, lambda s: s["sequence"][0]["ctxs"]["in"].append(1))


def test_a_rerun_changes_the_fingerprint_and_check_refuses_the_old_plan():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    plan = plan_rerun(run.spec, run.state, RerunRequest(["task3"]), "ex9")
    check_fingerprint(plan.fingerprint, run.state, "ex9")
    run.conductor.request_workflow_rerun([TaskRerunRequest("task3", 0)])
    with pytest.raises(Conflict) as caught:
        check_fingerprint(plan.fingerprint, run.state, "ex9")
    assert caught.value.http_status == 409
    assert str(caught.value) == (
        'The state of workflow execution "ex9" changed since the plan was computed (another '
        "operation came in between). Compute the plan again (a dry run) and re-submit."
    )


def test_item_statuses_merge_host_items_over_staged_items():
    state = run_workflow(PARALLEL_JOIN_ITEMS, item_fail={"task2": {1}}).state
    assert item_statuses(state)[1] == ("succeeded", "failed", "succeeded", "succeeded")
    del state["items"]
    assert item_statuses(state) == {1: ("succeeded", "failed", "succeeded", "succeeded")}
    state["items"] = {"1": ["succeeded", "null", None, {"status": "timeout"}]}
    assert item_statuses(state)[1] == ("succeeded", None, None, "timeout")
