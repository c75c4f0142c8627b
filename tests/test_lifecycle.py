"""Pause, resume, cancel and re-run from the beginning (rules L1 to L7), each driven from a
second process against a workflow that a first `wfops run` process is running. Task
executions are counted by the lines each shell task appends to a log file.

The workflows of the ``gates`` fixture pack hold a step while its gate file
(``<dir>/hold.<step>``) exists, so that a test knows what is running when it acts and can
see the stored ``pausing`` / ``canceling`` status while the held step runs, instead of
racing a sleep."""

from __future__ import annotations

import time

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


def _gated(wfops, workdir, ref, *held, params=()):
    """Start `wfops run` of a ``gates`` workflow with the steps ``held`` waiting on their
    gate files, and return (process, execution id) once every held step has started."""
    d, log = workdir
    for name in held:
        (d / ("hold." + name)).touch()
    process, ex = _started(wfops, ref, "log=%s" % log, "dir=%s" % d, *params)
    wait_for(lambda: set(held) <= set(log_lines(log)), timeout=30)
    return process, ex


def _release(workdir, *held):
    for name in held:
        (workdir[0] / ("hold." + name)).unlink()


def _status(wfops, execution_id):
    return wfops.get(execution_id, tasks=False)["status"]


def _stays(wfops, status, *execution_ids):
    """Each execution is stored with ``status``, and still is a moment later (its held
    step is still running, so nothing may settle it)."""
    for _ in range(2):
        assert [_status(wfops, e) for e in execution_ids] == [status] * len(execution_ids)
        time.sleep(0.3)


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
    process, ex = _gated(wfops, workdir, "gates.sequential", "task1")
    done = _op(wfops, "pause", ex, "--comment", "maintenance window")
    assert done.returncode == 0, done.stderr
    assert done.stdout == 'pause: execution "%s" is pausing.\n' % ex
    # L1: pausing while task1 runs (it is held); paused only once it has finished.
    _stays(wfops, "pausing", ex)
    assert [(t, st) for t, _, st in tasks_of(wfops.get(ex))] == [("task1", "running")]
    _release(workdir, "task1")
    wfops.wait_status(ex, {"paused"}, timeout=30)
    full = wfops.get(ex)
    assert [(t, st) for t, _, st in tasks_of(full)] == [("task1", "succeeded")]
    assert full["children"][0]["result"]["stdout"] == "task1", "its result is recorded"
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
    process, ex = _gated(wfops, workdir, "gates.with_items", "task1.0", "task1.1", params=["concurrency=2"])
    assert _op(wfops, "pause", ex).returncode == 0
    _stays(wfops, "pausing", ex)
    assert len(log_lines(log)) == 2, "no item starts while pausing"
    _release(workdir, "task1.0", "task1.1")
    wfops.wait_status(ex, {"paused"}, timeout=30)
    time.sleep(1.0)
    assert sorted(log_lines(log)) == ["task1.0", "task1.1"], "no item starts while paused"
    assert _op(wfops, "resume", ex).returncode == 0
    view = wfops.wait_status(ex, {"succeeded", "failed"}, timeout=60)
    assert view["status"] == "succeeded"
    assert sorted(log_lines(log)) == ["task1.%d" % i for i in range(6)], "each item ran exactly once"
    assert view["result"]["output"]["results"] == ["task1.%d" % i for i in range(6)]


def test_pausing_a_pausing_or_paused_execution_changes_nothing(wfops, workdir):
    d, log = workdir
    process, ex = _gated(wfops, workdir, "gates.sequential", "task1")
    assert _op(wfops, "pause", ex).returncode == 0
    again = _op(wfops, "pause", ex)
    assert again.returncode == 0 and again.stdout == 'pause: execution "%s" is pausing.\n' % ex
    _stays(wfops, "pausing", ex)
    _release(workdir, "task1")
    wfops.wait_status(ex, {"paused"}, timeout=30)
    again = _op(wfops, "pause", ex)
    assert again.returncode == 0 and again.stdout == 'pause: execution "%s" is paused.\n' % ex
    assert _status(wfops, ex) == "paused"
    assert log_lines(log) == ["task1"]


# -- L2, L3 cascades -------------------------------------------------------------------------


def test_pause_cascades_down_to_nested_subworkflows(wfops, workdir):
    d, log = workdir
    process, ex = _gated(wfops, workdir, "gates.nested", "grandchild.task1")
    assert _op(wfops, "pause", ex).returncode == 0
    child = _child(wfops.get(ex), "task2")
    grandchild = _child(child, "task2")
    # L2: every level is pausing while the grandchild's step runs, paused once it ends.
    _stays(wfops, "pausing", ex, child["id"], grandchild["id"])
    _release(workdir, "grandchild.task1")
    wfops.wait_status(ex, {"paused"}, timeout=30)
    assert [_status(wfops, e) for e in (child["id"], grandchild["id"])] == ["paused", "paused"]
    assert log_lines(log) == ["task1", "child.task1", "grandchild.task1"]
    assert _op(wfops, "resume", ex).returncode == 0
    assert wfops.wait_status(ex, {"succeeded", "failed"}, timeout=60)["status"] == "succeeded"
    assert log_lines(log) == ["task1", "child.task1", "grandchild.task1", "grandchild.task2",
                              "child.task3", "task3"]


def test_pausing_one_subworkflow_leaves_parent_and_peer_running(wfops, workdir):
    d, log = workdir
    process, ex = _gated(wfops, workdir, "gates.subworkflows", "task2.step1", "task3.step1")
    branch = _child(wfops.get(ex), "task2")
    assert _op(wfops, "pause", branch["id"]).returncode == 0
    # L3: the branch is pausing while its step runs; the parent and the peer run on.
    _stays(wfops, "pausing", branch["id"])
    assert _status(wfops, ex) == "running", "the parent keeps running"
    _release(workdir, "task3.step1")
    wait_for(lambda: _child(wfops.get(ex), "task3")["status"] == "succeeded", timeout=30)
    assert "task3.step2" in log_lines(log), "the peer branch finished both of its steps"
    # Nothing else is active in the parent but the pausing branch: the parent is pausing
    # too (Orquesta's table: a task succeeded while another is paused), paused once the
    # branch has paused.
    assert [_status(wfops, e) for e in (ex, branch["id"])] == ["pausing", "pausing"]
    _release(workdir, "task2.step1")
    wfops.wait_status(ex, {"paused"}, timeout=30)
    assert _status(wfops, branch["id"]) == "paused"
    assert "task2.step2" not in log_lines(log) and "task4" not in log_lines(log)

    assert _op(wfops, "resume", branch["id"]).returncode == 0
    assert wfops.wait_status(ex, {"succeeded", "failed"}, timeout=60)["status"] == "succeeded"
    assert log_lines(log).count("task4") == 1


# -- L4, L5 resume ----------------------------------------------------------------------------


def test_resuming_one_subworkflow_runs_parent_but_not_the_paused_peer(wfops, workdir):
    d, log = workdir
    process, ex = _gated(wfops, workdir, "gates.subworkflows", "task2.step1", "task3.step1")
    assert _op(wfops, "pause", ex).returncode == 0
    full = wfops.get(ex)
    branch2, branch3 = _child(full, "task2")["id"], _child(full, "task3")["id"]
    _stays(wfops, "pausing", ex, branch2, branch3)
    _release(workdir, "task2.step1", "task3.step1")
    wfops.wait_status(ex, {"paused"}, timeout=30)
    assert [_status(wfops, e) for e in (branch2, branch3)] == ["paused", "paused"]

    assert _op(wfops, "resume", branch2).returncode == 0
    wait_for(lambda: _status(wfops, branch2) == "succeeded", timeout=30)
    assert _status(wfops, branch3) == "paused", "the peer stays paused"
    wfops.wait_status(ex, {"paused"}, timeout=30)
    assert "task3.step2" not in log_lines(log) and "task4" not in log_lines(log)

    assert _op(wfops, "resume", ex).returncode == 0
    assert wfops.wait_status(ex, {"succeeded", "failed"}, timeout=60)["status"] == "succeeded"
    assert log_lines(log).count("task4") == 1


# -- L6 cancel ---------------------------------------------------------------------------------


def test_cancel_lets_the_running_task_finish_and_starts_nothing_new(wfops, workdir):
    d, log = workdir
    process, ex = _gated(wfops, workdir, "gates.sequential", "task1")
    done = _op(wfops, "cancel", ex)
    assert done.returncode == 0, done.stderr
    assert done.stdout == 'cancel: execution "%s" is canceling.\n' % ex
    # L6: canceling while task1 runs (it is held); canceled once it has finished.
    _stays(wfops, "canceling", ex)
    assert [(t, st) for t, _, st in tasks_of(wfops.get(ex))] == [("task1", "running")]
    _release(workdir, "task1")
    wfops.wait_status(ex, {"canceled"}, timeout=30)
    full = wfops.get(ex)
    assert [(t, st) for t, _, st in tasks_of(full)] == [("task1", "succeeded")]
    assert full["children"][0]["result"]["stdout"] == "task1", "its result is kept"
    time.sleep(0.5)
    assert log_lines(log) == ["task1"]


def test_cancel_from_a_subworkflow_cancels_the_whole_tree(wfops, workdir):
    d, log = workdir
    process, ex = _gated(wfops, workdir, "gates.subworkflows", "task2.step1", "task3.step1")
    full = wfops.get(ex)
    branch2, branch3 = _child(full, "task2")["id"], _child(full, "task3")["id"]
    assert _op(wfops, "cancel", branch3).returncode == 0
    # st2: cancelling a sub-workflow cancels the tree from its root, each part canceling
    # while its step runs.
    _stays(wfops, "canceling", ex, branch2, branch3)
    _release(workdir, "task2.step1", "task3.step1")
    wfops.wait_status(ex, {"canceled"}, timeout=30)
    assert [_status(wfops, e) for e in (branch2, branch3)] == ["canceled", "canceled"]
    assert sorted(log_lines(log)) == ["task1", "task2.step1", "task3.step1"], "nothing new started"


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
    process, ex = _gated(wfops, workdir, "gates.step", "alone", params=["name=alone"])
    done = _op(wfops, "pause", ex)
    assert done.returncode == 1
    assert "Only workflow executions can be paused" in done.stderr
    assert _status(wfops, ex) == "running"
    _release(workdir, "alone")
    assert process.wait(timeout=30) == 0


def test_cancelling_twice(wfops, workdir):
    process, ex = _gated(wfops, workdir, "gates.sequential", "task1")
    assert _op(wfops, "cancel", ex).returncode == 0
    _release(workdir, "task1")
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
