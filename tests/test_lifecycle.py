"""Pause, resume, cancel and re-run from the beginning (rules L1 to L7), each driven from a
second process against a workflow that a first `wfops run` process is running. Task
executions are counted by the lines each shell task appends to a log file."""

from __future__ import annotations

import time

import pytest

from conftest import log_lines, tasks_of, wait_for


def _started(wfops, ref, *params):
    """Start `wfops run` in the background and return (process, execution id)."""
    process = wfops.popen("run", ref, *params)
    listed = []

    def appeared():
        nonlocal listed
        listed, _ = wfops.json("execution", "list")
        return bool(listed)

    wait_for(appeared, timeout=30, interval=0.1)
    return process, listed[0]["id"]


def _child(view, task_name):
    for child in view.get("children", []):
        if child["context"]["orquesta"]["task_name"] == task_name:
            return child
    raise AssertionError("no task %s in %s" % (task_name, tasks_of(view)))


def _op(wfops, operation, execution_id, *extra):
    done = wfops.run("execution", operation, execution_id, *extra)
    return done


# -- L1 pause ---------------------------------------------------------------------------


def test_pause_lets_the_running_task_finish_and_holds_the_next(wfops, workdir):
    d, log = workdir
    process, ex = _started(wfops, "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "sleep=2")
    wait_for(lambda: log_lines(log) == ["task1"])
    done = _op(wfops, "pause", ex, "--comment", "maintenance window")
    assert done.returncode == 0, done.stderr
    assert 'is pausing' in done.stdout
    view = wfops.wait_status(ex, {"paused"}, timeout=30)
    full = wfops.get(ex)
    assert [(t, st) for t, _, st in tasks_of(full)] == [("task1", "succeeded")]
    assert full["children"][0]["result"]["stdout"] == "task1"
    time.sleep(1.0)
    assert log_lines(log) == ["task1"], "no task starts while paused"
    assert process.wait(timeout=30) == 1, "`wfops run` returns when the execution is paused"

    done = _op(wfops, "resume", ex)
    assert done.returncode == 0, done.stderr
    view = wfops.wait_status(ex, {"succeeded", "failed"}, timeout=60)
    assert view["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "task3"]
    audit = wfops.get(ex, tasks=False)["audit"]
    assert [(a["operation"], a["comment"]) for a in audit] == [
        ("pause", "maintenance window"), ("resume", None)]


def test_pause_and_resume_with_items_concurrency(wfops, workdir):
    d, log = workdir
    process, ex = _started(wfops, "wfops_examples.with_items", "log=%s" % log, "dir=%s" % d, "sleep=2",
                           "concurrency=2")
    wait_for(lambda: len(log_lines(log)) == 2)
    assert _op(wfops, "pause", ex).returncode == 0
    wfops.wait_status(ex, {"paused"}, timeout=30)
    time.sleep(1.0)
    assert len(log_lines(log)) == 2, "no item starts while paused"
    assert _op(wfops, "resume", ex).returncode == 0
    view = wfops.wait_status(ex, {"succeeded", "failed"}, timeout=60)
    assert view["status"] == "succeeded"
    assert sorted(log_lines(log)) == ["task1:%d" % i for i in range(6)], "each item ran exactly once"
    # stdout that is JSON is parsed, as StackStorm does.
    assert view["result"]["output"]["results"] == [0, 1, 2, 3, 4, 5]


def test_pausing_a_paused_execution_changes_nothing(wfops, workdir):
    d, log = workdir
    process, ex = _started(wfops, "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "sleep=1")
    assert _op(wfops, "pause", ex).returncode == 0
    wfops.wait_status(ex, {"paused"}, timeout=30)
    again = _op(wfops, "pause", ex)
    assert again.returncode == 0 and "is paused" in again.stdout
    assert wfops.get(ex, tasks=False)["status"] == "paused"


# -- L2, L3 cascades -------------------------------------------------------------------------


def test_pause_cascades_down_to_nested_subworkflows(wfops, workdir):
    d, log = workdir
    process, ex = _started(wfops, "wfops_examples.nested", "log=%s" % log, "dir=%s" % d, "sleep=2")
    wait_for(lambda: "grandchild.task1" in log_lines(log), timeout=40)
    assert _op(wfops, "pause", ex).returncode == 0
    wfops.wait_status(ex, {"paused"}, timeout=30)
    full = wfops.get(ex)
    child = _child(full, "task2")
    assert child["status"] == "paused"
    grandchild = _child(child, "task2")
    assert grandchild["status"] == "paused"
    assert _op(wfops, "resume", ex).returncode == 0
    assert wfops.wait_status(ex, {"succeeded", "failed"}, timeout=60)["status"] == "succeeded"


def test_pausing_one_subworkflow_leaves_parent_and_peer_running(wfops, workdir):
    d, log = workdir
    process, ex = _started(wfops, "wfops_examples.subworkflows", "log=%s" % log, "dir=%s" % d, "sleep=2")
    wait_for(lambda: {"task2.step1", "task3.step1"} <= set(log_lines(log)), timeout=30)
    branch = _child(wfops.get(ex), "task2")
    assert _op(wfops, "pause", branch["id"]).returncode == 0
    assert wfops.get(ex, tasks=False)["status"] == "running", "the parent keeps running"
    # The peer branch finishes both of its steps while task2's branch is paused.
    wait_for(lambda: _child(wfops.get(ex), "task3")["status"] == "succeeded", timeout=30)
    assert "task2.step2" not in log_lines(log)
    parent = wfops.wait_status(ex, {"paused"}, timeout=30)
    assert _child(wfops.get(ex), "task2")["status"] == "paused"
    assert "task4" not in log_lines(log)

    assert _op(wfops, "resume", branch["id"]).returncode == 0
    assert wfops.wait_status(ex, {"succeeded", "failed"}, timeout=60)["status"] == "succeeded"
    assert log_lines(log).count("task4") == 1


# -- L4, L5 resume ----------------------------------------------------------------------------


def test_resuming_one_subworkflow_runs_parent_but_not_the_paused_peer(wfops, workdir):
    d, log = workdir
    process, ex = _started(wfops, "wfops_examples.subworkflows", "log=%s" % log, "dir=%s" % d, "sleep=2")
    wait_for(lambda: {"task2.step1", "task3.step1"} <= set(log_lines(log)), timeout=30)
    assert _op(wfops, "pause", ex).returncode == 0
    wfops.wait_status(ex, {"paused"}, timeout=30)
    full = wfops.get(ex)
    branch2, branch3 = _child(full, "task2"), _child(full, "task3")
    assert branch2["status"] == branch3["status"] == "paused"

    assert _op(wfops, "resume", branch2["id"]).returncode == 0
    wait_for(lambda: _child(wfops.get(ex), "task2")["status"] == "succeeded", timeout=30)
    full = wfops.get(ex)
    assert _child(full, "task3")["status"] == "paused", "the peer stays paused"
    parent = wfops.wait_status(ex, {"paused"}, timeout=30)
    assert "task3.step2" not in log_lines(log) and "task4" not in log_lines(log)

    assert _op(wfops, "resume", ex).returncode == 0
    assert wfops.wait_status(ex, {"succeeded", "failed"}, timeout=60)["status"] == "succeeded"
    assert log_lines(log).count("task4") == 1


# -- L6 cancel ---------------------------------------------------------------------------------


def test_cancel_lets_the_running_task_finish_and_starts_nothing_new(wfops, workdir):
    d, log = workdir
    process, ex = _started(wfops, "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "sleep=2")
    wait_for(lambda: log_lines(log) == ["task1"])
    done = _op(wfops, "cancel", ex)
    assert done.returncode == 0, done.stderr
    view = wfops.wait_status(ex, {"canceled"}, timeout=30)
    full = wfops.get(ex)
    assert [(t, st) for t, _, st in tasks_of(full)] == [("task1", "succeeded")]
    assert full["children"][0]["result"]["stdout"] == "task1", "its result is kept"
    time.sleep(0.5)
    assert log_lines(log) == ["task1"]


def test_cancel_from_a_subworkflow_cancels_the_whole_tree(wfops, workdir):
    d, log = workdir
    process, ex = _started(wfops, "wfops_examples.subworkflows", "log=%s" % log, "dir=%s" % d, "sleep=2")
    wait_for(lambda: {"task2.step1", "task3.step1"} <= set(log_lines(log)), timeout=30)
    branch = _child(wfops.get(ex), "task3")
    assert _op(wfops, "cancel", branch["id"]).returncode == 0
    view = wfops.wait_status(ex, {"canceled"}, timeout=30)
    full = wfops.get(ex)
    assert _child(full, "task2")["status"] == "canceled"
    assert _child(full, "task3")["status"] == "canceled"
    assert "task4" not in log_lines(log)


# -- refusals ----------------------------------------------------------------------------------


def test_refusals_name_the_reason_and_change_nothing(wfops, workdir):
    d, log = workdir
    view, _ = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    ex = view["id"]
    done = _op(wfops, "pause", ex)
    assert done.returncode == 1
    assert 'Unable to pause execution "%s" because it is not in a running state.' % ex in done.stderr
    done = _op(wfops, "cancel", ex)
    assert done.returncode == 1
    assert 'Unable to cancel execution "%s" because it is already in a completed state.' % ex in done.stderr
    done = _op(wfops, "resume", ex)
    assert done.returncode == 1 and '"succeeded"' in done.stderr
    done = _op(wfops, "pause", "0123456789abcdef01234567")
    assert done.returncode == 1 and "cannot be found" in done.stderr
    after = wfops.get(ex, tasks=False)
    assert after["status"] == "succeeded" and "audit" not in after


def test_pausing_a_plain_action_is_refused(wfops, workdir):
    process, ex = _started(wfops, "core.local", "cmd=sleep 2")
    done = _op(wfops, "pause", ex)
    assert done.returncode == 1
    assert "Only workflow executions can be paused" in done.stderr
    assert process.wait(timeout=30) == 0


def test_cancelling_twice(wfops, workdir):
    d, log = workdir
    process, ex = _started(wfops, "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "sleep=1")
    assert _op(wfops, "cancel", ex).returncode == 0
    wfops.wait_status(ex, {"canceled"}, timeout=30)
    done = _op(wfops, "cancel", ex)
    assert done.returncode == 1
    assert "already in a completed state" in done.stderr


def test_several_ids_report_each(wfops, workdir):
    d, log = workdir
    view, _ = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    done = wfops.run("execution", "cancel", view["id"], "0123456789abcdef01234567")
    assert done.returncode == 1
    assert done.stderr.count("ERROR") == 2


# -- L7 re-run from the beginning -----------------------------------------------------------------


def test_rerun_from_the_beginning_merges_parameters(wfops, workdir):
    d, log = workdir
    (d / "fail.task2").touch()
    first, _ = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    assert first["status"] == "failed"
    (d / "fail.task2").unlink()
    second, done = wfops.json("execution", "re-run", first["id"], "sleep=0")
    assert done.returncode == 0, done.stderr
    assert second["id"] != first["id"]
    assert second["status"] == "succeeded"
    assert second["context"]["re-run"] == {"ref": first["id"]}
    assert second["parameters"]["log"] == str(log)
    assert second["context"]["workflow_execution"] != wfops.get(first["id"])["context"]["workflow_execution"]
    assert log_lines(log) == ["task1", "task2", "task1", "task2", "task3"]
    assert wfops.get(first["id"], tasks=False)["status"] == "failed", "the original keeps its status"


def test_rerun_no_merge_uses_only_given_parameters(wfops, workdir):
    d, log = workdir
    first, _ = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    done = wfops.run("execution", "re-run", first["id"], "--no-merge", "log=%s" % log)
    assert done.returncode == 1
    assert "dir" in done.stderr and "required" in done.stderr
