"""A process killed at any moment loses nothing: the next engine adopts its executions,
marks the actions that were running as abandoned and carries the workflow on."""

from __future__ import annotations

import os
import signal

from conftest import log_lines, tasks_of, wait_for


def test_kill_during_shell_task_then_engine_adopts(wfops, workdir):
    d, log = workdir
    runner = wfops.popen("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "sleep=2")
    # task1 finishes, task2 starts; kill while task2's shell command sleeps.
    wait_for(lambda: log_lines(log) == ["task1", "task2"], timeout=30)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    listed, _ = wfops.json("execution", "list")
    execution_id = listed[0]["id"]
    assert listed[0]["status"] == "running"

    done = wfops.run("engine", "--until-idle", timeout=60)
    assert done.returncode == 0, done.stderr

    view = wfops.get(execution_id)
    assert view["status"] == "failed"
    assert [(t, st) for t, _, st in tasks_of(view)] == [("task1", "succeeded"), ("task2", "abandoned")]
    task1 = view["children"][0]
    assert task1["result"]["stdout"] == "task1", "earlier results are intact"
    assert "abandoned" in view["children"][1]["result"]["error"]
    assert log_lines(log) == ["task1", "task2"], "task3 never ran"


def test_killed_run_is_adopted_by_the_next_run(wfops, workdir):
    d, log = workdir
    (d / "other").mkdir()
    runner = wfops.popen("run", "wfops_examples.with_items", "log=%s" % log, "dir=%s" % d, "sleep=3",
                         "concurrency=2")
    wait_for(lambda: len(log_lines(log)) == 2, timeout=30)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    listed, _ = wfops.json("execution", "list")
    killed = listed[0]["id"]

    # Any later `wfops run` starts an engine, which hands the orphan to a background engine.
    other_log = d / "other" / "log.txt"
    view, done = wfops.json("run", "wfops_examples.sequential", "log=%s" % other_log, "dir=%s" % (d / "other"))
    assert done.returncode == 0
    adopted = wfops.wait_status(killed, {"failed", "succeeded"}, timeout=60)
    assert adopted["status"] == "failed"
    items = {item: st for _, item, st in tasks_of(wfops.get(killed))}
    assert sorted(items.values()).count("abandoned") == 2
    # Orquesta runs a with-items task's remaining items even after one abended; the task
    # then fails as a whole.
    assert sorted(items.values()).count("succeeded") == 4
    assert sorted(log_lines(log)) == ["task1:%d" % i for i in range(6)]
