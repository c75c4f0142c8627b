"""The embedded host runs workflows for real: `wfops run` on the examples pack, with
shell tasks that leave side effects in a temporary directory."""

from __future__ import annotations

from conftest import log_lines, tasks_of


def test_sequential_workflow_runs_each_task_once_in_order(wfops, workdir):
    d, log = workdir
    view, done = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "task3"]
    assert view["result"]["output"] == {"msg1": "task1", "msg2": "task2", "msg3": "task3"}
    full = wfops.get(view["id"])
    assert [(t, st) for t, _, st in tasks_of(full)] == [
        ("task1", "succeeded"), ("task2", "succeeded"), ("task3", "succeeded")]
    child = full["children"][0]
    assert child["parent"] == view["id"]
    assert set(child["context"]["orquesta"]) >= {"task_name", "task_id", "task_route", "item_id"}
    assert child["result"]["stdout"] == "task1"
    assert child["result"]["return_code"] == 0


def test_failed_task_without_transition_fails_the_workflow(wfops, workdir):
    d, log = workdir
    (d / "fail.task2").touch()
    view, done = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    assert done.returncode == 1
    assert view["status"] == "failed"
    assert log_lines(log) == ["task1", "task2"]
    assert [(t, st) for t, _, st in tasks_of(wfops.get(view["id"]))] == [
        ("task1", "succeeded"), ("task2", "failed")]
    assert view["result"]["errors"], "a failed workflow reports its errors"


def test_parallel_join_runs_the_join_once_after_both_branches(wfops, workdir):
    d, log = workdir
    view, done = wfops.json("run", "wfops_examples.parallel_join", "log=%s" % log, "dir=%s" % d)
    assert done.returncode == 0, done.stderr
    lines = log_lines(log)
    assert sorted(lines) == ["task1", "task2", "task3", "task4"]
    assert lines[0] == "task1" and lines[-1] == "task4"


def test_with_items_concurrency_limits_items_running_at_once(wfops, workdir):
    d, log = workdir
    view, done = wfops.json("run", "hosttest.items_overlap", "log=%s" % log, "n=6", "concurrency=2")
    assert done.returncode == 0, done.stderr
    running, highest = 0, 0
    for line in log_lines(log):
        running += 1 if line.startswith("start:") else -1
        highest = max(highest, running)
    assert highest == 2
    starts = sorted(line for line in log_lines(log) if line.startswith("start:"))
    assert starts == ["start:%d" % i for i in range(6)]


def test_with_items_without_concurrency_runs_items_together(wfops, workdir):
    d, log = workdir
    view, done = wfops.json("run", "hosttest.items_overlap", "log=%s" % log, "n=4", "sleep=0.5")
    assert done.returncode == 0, done.stderr
    running, highest = 0, 0
    for line in log_lines(log):
        running += 1 if line.startswith("start:") else -1
        highest = max(highest, running)
    assert highest == 4


def test_with_items_failed_item_fails_task_and_keeps_every_result(wfops, workdir):
    d, log = workdir
    (d / "fail.task1.1").touch()
    view, done = wfops.json("run", "wfops_examples.with_items", "log=%s" % log, "dir=%s" % d)
    assert done.returncode == 1
    full = wfops.get(view["id"])
    statuses = {item: st for _, item, st in tasks_of(full)}
    assert statuses == {0: "succeeded", 1: "failed", 2: "succeeded", 3: "succeeded",
                        4: "succeeded", 5: "succeeded"}
    assert sorted(log_lines(log)) == ["task1:%d" % i for i in range(6)]


def test_subworkflows_run_as_child_executions(wfops, workdir):
    d, log = workdir
    view, done = wfops.json("run", "wfops_examples.subworkflows", "log=%s" % log, "dir=%s" % d)
    assert done.returncode == 0, done.stderr
    full = wfops.get(view["id"])
    subs = [c for c in full["children"] if c["action"]["ref"] == "wfops_examples.sub_branch"]
    assert len(subs) == 2
    for sub in subs:
        assert sub["status"] == "succeeded"
        assert sub["children"], "a sub-workflow's tasks are its children"
        assert all(g["parent"] == sub["id"] for g in sub["children"])
    assert log_lines(log)[-1] == "task4"


def test_expressions_workflow_exercises_orquesta_features(wfops, workdir):
    d, log = workdir
    view, done = wfops.json("run", "wfops_examples.expressions", "log=%s" % log, "dir=%s" % d)
    assert done.returncode == 0, done.stderr + done.stdout
    assert view["status"] == "succeeded"
    assert view["result"]["output"], "the workflow renders its output"


def test_retry_runs_count_plus_one_attempts_apart(wfops, workdir):
    d, log = workdir
    (d / "fail.task1").touch()
    view, done = wfops.json("run", "wfops_examples.retry_delay", "log=%s" % log, "dir=%s" % d, "retry_delay=1")
    assert view["status"] == "failed", done.stderr
    assert log_lines(log) == ["task1", "task1", "task1"], "count: 2 means two retries"
    attempts = [c for c in wfops.get(view["id"])["children"]]
    assert [c["status"] for c in attempts] == ["failed", "failed", "failed"]
    starts = [c["log"][-2]["timestamp"] for c in attempts]
    assert starts[1] > attempts[0]["end_timestamp"]


def test_retry_succeeds_once_fixed_and_delay_holds_next_task(wfops, workdir):
    d, log = workdir
    view, done = wfops.json("run", "wfops_examples.retry_delay", "log=%s" % log, "dir=%s" % d, "delay=1")
    assert view["status"] == "succeeded", done.stderr
    assert log_lines(log) == ["task1", "task2"]
    task2 = wfops.get(view["id"])["children"][1]
    assert [entry["status"] for entry in task2["log"]][:2] == ["delayed", "running"]


def test_python_script_action_in_a_workflow(wfops, workdir):
    d, log = workdir
    view, done = wfops.json("run", "wfops_examples.python_demo", "log=%s" % log, "dir=%s" % d)
    assert done.returncode == 0, done.stderr + done.stdout
    full = wfops.get(view["id"])
    greet = [c for c in full["children"] if c["action"]["ref"] == "wfops_examples.greet"]
    assert greet and greet[0]["status"] == "succeeded"
    assert greet[0]["result"]["exit_code"] == 0


def test_plain_action_run(wfops, workdir):
    d, _ = workdir
    view, done = wfops.json("run", "core.local", "cmd=echo hi; pwd", "cwd=%s" % d)
    assert done.returncode == 0
    assert view["result"]["stdout"] == "hi\n%s" % d
    view, done = wfops.json("run", "core.local", "cmd=exit 3")
    assert done.returncode == 1
    assert view["status"] == "failed" and view["result"]["return_code"] == 3


def test_async_run_returns_at_once_and_the_execution_completes(wfops, workdir):
    d, log = workdir
    done = wfops.run("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "--async")
    assert done.returncode == 0, done.stderr
    execution_id = done.stdout.strip()
    view = wfops.wait_status(execution_id, {"succeeded", "failed"})
    assert view["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "task3"]


def test_execution_list_and_get(wfops, workdir):
    d, log = workdir
    first, _ = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    (d / "fail.task1").touch()
    second, _ = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    listed, done = wfops.json("execution", "list")
    assert [v["id"] for v in listed] == [second["id"], first["id"]]
    failed, _ = wfops.json("execution", "list", "--status", "failed")
    assert [v["id"] for v in failed] == [second["id"]]
    text = wfops.run("execution", "get", first["id"], "--show-tasks")
    assert "task3" in text.stdout and "succeeded" in text.stdout


def test_action_list_and_get(wfops):
    listed, done = wfops.json("action", "list", "--pack", "wfops_examples")
    refs = {a["ref"] for a in listed}
    assert {"wfops_examples.sequential", "wfops_examples.parallel_join", "wfops_examples.with_items"} <= refs
    got, _ = wfops.json("action", "get", "core.local")
    assert got["runner_type"] == "local-shell-cmd"
    assert "cmd" in got["parameters"]


def test_count_join_runs_once_when_the_late_branch_finishes(wfops, workdir):
    """Orquesta 1.2.0 stages a satisfied `join: 2` again when the third branch succeeds
    (tests/test_examples_runs.py pins that); the host runs the join once."""
    d, log = workdir
    view, done = wfops.json("run", "hosttest.late_join", "log=%s" % log, "slow=1.5")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded"
    assert view["result"]["output"] == {"rounds_run": 1}
    lines = log_lines(log)
    assert lines.count("done") == 1 and lines[-1] == "slow", lines
    full = wfops.get(view["id"])
    assert sorted(t for t, _, st in tasks_of(full) if st == "succeeded") == [
        "done", "fast1", "fast2", "init", "slow", "start"]


def test_count_join_in_a_loop_runs_once_per_round(wfops, workdir):
    """Each round's late branch finishes while that round's join still runs; the next
    round's branches stage the join afresh."""
    d, log = workdir
    view, done = wfops.json("run", "hosttest.late_join", "log=%s" % log, "slow=0.5", "hold=1.5",
                            "rounds=2")
    assert done.returncode == 0, done.stderr
    assert view["result"]["output"] == {"rounds_run": 2}
    lines = log_lines(log)
    assert lines.count("start") == 2 and lines.count("done") == 2 and lines.count("slow") == 2, lines
