"""The real ``st2`` command line (st2client 3.9, unchanged) against ``wfops serve``: each
command checked by what st2 prints, its exit status, and the side effects in the log.

The lifecycle tests use ``apitest.gated`` (tests/api/packs), whose tasks wait while
``<dir>/hold.<task>`` exists, so that nothing depends on how fast the st2 CLI starts."""

from __future__ import annotations

import concurrent.futures
import time

from .harness import field, log_lines, task_rows, wait_for


def _params(work, **extra):
    d, log = work
    return {"log": str(log), "dir": str(d), **extra}


def _cli_params(work, *extra):
    d, log = work
    return ["log=%s" % log, "dir=%s" % d, *extra]


def _parallel(*calls):
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


def test_action_list_and_get(server):
    listed, got = _parallel(
        lambda: server.st2("action", "list", "-p", "wfops_examples"),
        lambda: server.st2("action", "get", "wfops_examples.sequential"),
    )
    assert listed.returncode == 0, listed.stderr
    refs = [line.split("|")[1].strip() for line in listed.stdout.splitlines() if line.startswith("| wfops_examples.")]
    assert "wfops_examples.sequential" in refs and "wfops_examples.parallel_join_items" in refs
    assert all(r.startswith("wfops_examples.") for r in refs)
    assert got.returncode == 0, got.stderr
    assert "orquesta" in got.stdout and "workflows/sequential.yaml" in got.stdout


def test_run_succeeds_then_get_with_tasks_and_list(server, work):
    d, log = work
    done = server.st2("run", "wfops_examples.sequential", *_cli_params(work))
    assert done.returncode == 0, done.stdout + done.stderr
    assert field(done.stdout, "status") == "succeeded"
    assert field(done.stdout, "action.ref") == "wfops_examples.sequential"
    assert [(t, s) for _, s, t in task_rows(done.stdout)] == [
        ("task1", "succeeded"), ("task2", "succeeded"), ("task3", "succeeded")]
    assert log_lines(log) == ["task1", "task2", "task3"]
    execution_id = field(done.stdout, "id")

    got, listed = _parallel(
        lambda: server.st2("execution", "get", execution_id, "--show-tasks"),
        lambda: server.st2("execution", "list", "-n", "5"),
    )
    assert got.returncode == 0, got.stderr
    assert field(got.stdout, "id") == execution_id
    assert [t for _, _, t in task_rows(got.stdout)] == ["task1", "task2", "task3"]
    assert listed.returncode == 0, listed.stderr
    rows = [line for line in listed.stdout.splitlines() if execution_id in line]
    assert rows and "wfops_examples.sequential" in rows[0] and "succeeded" in rows[0]
    # Only top-level executions are listed (parent=null): no task of the workflow.
    assert not any(task_id in listed.stdout for task_id, _, _ in task_rows(got.stdout))


def test_run_fails_exit_1_then_rerun_from_the_beginning(server, work):
    d, log = work
    (d / "fail.task2").touch()
    done = server.st2("run", "wfops_examples.sequential", *_cli_params(work))
    assert done.returncode == 1, done.stdout + done.stderr
    assert field(done.stdout, "status") == "failed"
    assert [(t, s) for _, s, t in task_rows(done.stdout)] == [("task1", "succeeded"), ("task2", "failed")]
    assert log_lines(log) == ["task1", "task2"]
    original = field(done.stdout, "id")

    (d / "fail.task2").unlink()
    rerun = server.st2("execution", "re-run", original)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert field(rerun.stdout, "status") == "succeeded"
    new_id = field(rerun.stdout, "id")
    assert new_id != original
    assert log_lines(log) == ["task1", "task2", "task1", "task2", "task3"]   # L7: all again
    view = server.get("/executions/%s" % new_id)
    assert view["context"]["re-run"] == {"ref": original}
    assert view["parameters"] == _params(work, sleep=0)
    assert server.get("/executions/%s" % original)["status"] == "failed"
    audit = server.get("/executions/%s/audit" % original)
    assert [(e["operation"], e["outcome"]) for e in audit] == [("re-run", {"execution": new_id})]


def test_rerun_from_tasks(server, work):
    d, log = work
    (d / "fail.task2").touch()
    first = server.launch("wfops_examples.sequential", _params(work))
    server.wait_status(first["id"], "failed")
    (d / "fail.task2").unlink()

    done = server.st2("execution", "re-run", first["id"], "--tasks", "task2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert field(done.stdout, "status") == "succeeded"
    assert [t for _, _, t in task_rows(done.stdout)] == ["task2", "task3"]
    assert log_lines(log) == ["task1", "task2", "task2", "task3"]
    new = server.get("/executions/%s" % field(done.stdout, "id"))
    assert new["context"]["re-run"] == {"ref": first["id"], "tasks": ["task2"], "reset": ["task2"]}
    assert server.get("/executions/%s" % first["id"])["status"] == "failed"   # R10


def test_rerun_from_with_items_tasks_with_no_reset(server, work):
    """The seed's join of two with-items tasks: `--tasks task2 task3 --no-reset task3` runs
    every item of task2 again but only the failed item of task3 (R6)."""
    d, log = work
    (d / "fail.task2.1").touch()
    (d / "fail.task3.2").touch()
    first = server.launch("wfops_examples.parallel_join_items", _params(work))
    server.wait_finished(first["id"], "failed")
    for marker in ("fail.task2.1", "fail.task3.2"):
        (d / marker).unlink()
    before = log_lines(log)

    done = server.st2("execution", "re-run", first["id"], "--tasks", "task2", "task3", "--no-reset", "task3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert field(done.stdout, "status") == "succeeded"
    new_lines = log_lines(log)[len(before):]
    assert sorted(new_lines) == ["task2:0", "task2:1", "task2:2", "task3:2", "task4"]
    assert new_lines[-1] == "task4"
    new = server.get("/executions/%s" % field(done.stdout, "id"))
    assert new["context"]["re-run"]["reset"] == ["task2"]


def test_pause_then_resume(server, work):
    d, log = work
    (d / "hold.task1").touch()
    execution = server.launch("apitest.gated", _params(work))
    wait_for(lambda: log_lines(log) == ["task1"])

    paused = server.st2("execution", "pause", execution["id"])
    assert paused.returncode == 0, paused.stdout + paused.stderr
    assert field(paused.stdout, "status").startswith("pausing")          # L1
    (d / "hold.task1").unlink()
    server.wait_status(execution["id"], "paused")
    time.sleep(0.3)
    assert log_lines(log) == ["task1"], "no task starts while paused"

    again = server.st2("execution", "pause", execution["id"])           # L1: no-op when paused
    assert again.returncode == 0, again.stdout + again.stderr
    assert field(again.stdout, "status").startswith("paused")

    resumed = server.st2("execution", "resume", execution["id"])        # L4
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert field(resumed.stdout, "status").split(" ")[0] in ("resuming", "running", "succeeded")
    server.wait_status(execution["id"], "succeeded")
    assert log_lines(log) == ["task1", "task2", "task3"]
    audit = server.get("/executions/%s/audit" % execution["id"])
    assert [e["operation"] for e in audit] == ["pause", "pause", "resume"]


def test_cancel_and_refusals_in_the_wrong_state(server, work):
    d, log = work
    (d / "hold.task1").touch()
    execution = server.launch("apitest.gated", _params(work))
    wait_for(lambda: log_lines(log) == ["task1"])

    canceled = server.st2("execution", "cancel", execution["id"])
    assert canceled.returncode == 0, canceled.stdout + canceled.stderr
    assert canceled.stdout.strip() == "action execution with id %s canceled." % execution["id"]
    assert server.get("/executions/%s" % execution["id"])["status"] == "canceling"   # L6
    (d / "hold.task1").unlink()
    view = server.wait_status(execution["id"], "canceled")
    time.sleep(0.3)
    assert log_lines(log) == ["task1"], "nothing new is scheduled after a cancel"
    task1 = server.get("/executions/%s/children" % execution["id"])[0]
    assert task1["status"] == "succeeded", "the running action finished; its result is kept"

    again, resume, pause = _parallel(
        lambda: server.st2("execution", "cancel", execution["id"]),
        lambda: server.st2("execution", "resume", execution["id"]),
        lambda: server.st2("execution", "pause", execution["id"]),
    )
    assert again.returncode == 1
    assert ('Unable to cancel execution "%s" because it is already in a completed state.'
            % execution["id"]) in again.stdout + again.stderr
    assert resume.returncode == 1
    assert 'Unable to resume execution "%s"' % execution["id"] in resume.stdout + resume.stderr
    assert pause.returncode == 1
    assert ('Unable to pause execution "%s" because it is not in a running state.'
            % execution["id"]) in pause.stdout + pause.stderr
    assert server.get("/executions/%s" % execution["id"])["log"] == view["log"], "nothing changed"


def test_unknown_execution_id(server):
    done = server.st2("execution", "get", "0123456789abcdef01234567")
    assert done.returncode == 1
    assert 'Action Execution "0123456789abcdef01234567" is not found.' in done.stdout
