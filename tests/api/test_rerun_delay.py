"""st2's ``delay`` (milliseconds) on a workflow re-run and launch: the new execution exists
at once, and the first tasks it starts are ``delayed`` until the delay has passed, then
run. Checked by the records' timestamps."""

from __future__ import annotations

import datetime

from .harness import field, log_lines

DELAY_MS = 1500


def _time(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def _status_time(execution: dict, status: str) -> datetime.datetime:
    return _time(next(e["timestamp"] for e in execution["log"] if e["status"] == status))


def _assert_first_task_held(server, execution_id: str, task: str) -> None:
    new = server.get("/executions/%s" % execution_id)
    child = next(c for c in server.get("/executions/%s/children" % execution_id)
                 if c["context"]["orquesta"]["task_name"] == task)
    assert [e["status"] for e in child["log"]][:2] == ["delayed", "running"], child["log"]
    held = (_status_time(child, "running") - _time(new["start_timestamp"])).total_seconds()
    assert held >= DELAY_MS / 1000.0, held
    assert held < DELAY_MS / 1000.0 + 10, held


def test_st2_rerun_from_tasks_with_delay(server, work):
    d, log = work
    (d / "fail.task2").touch()
    first = server.launch("wfops_examples.sequential", {"log": str(log), "dir": str(d)})
    server.wait_status(first["id"], "failed")
    (d / "fail.task2").unlink()

    done = server.st2("execution", "re-run", first["id"], "--tasks", "task2", "--delay", str(DELAY_MS))
    assert done.returncode == 0, done.stdout + done.stderr
    new_id = field(done.stdout, "id")
    server.wait_status(new_id, "succeeded")
    assert log_lines(log) == ["task1", "task2", "task2", "task3"]
    _assert_first_task_held(server, new_id, "task2")
    audit = server.get("/executions/%s/audit" % first["id"])
    assert audit[-1]["request"]["delay"] == DELAY_MS


def test_rerun_from_the_beginning_and_launch_with_delay(server, work):
    d, log = work
    first = server.launch("wfops_examples.sequential", {"log": str(log), "dir": str(d)})
    server.wait_status(first["id"], "succeeded")
    status, rerun, _ = server.request("POST", "/executions/%s/re_run" % first["id"], {"delay": DELAY_MS})
    assert status == 201, rerun
    assert rerun["status"] == "requested", "answered before the workflow starts, as st2"
    server.wait_status(rerun["id"], "succeeded")
    _assert_first_task_held(server, rerun["id"], "task1")

    status, launched, _ = server.request("POST", "/executions", {
        "action": "wfops_examples.sequential", "parameters": {"log": str(log), "dir": str(d)}, "delay": DELAY_MS})
    assert status == 201, launched
    server.wait_status(launched["id"], "succeeded")
    _assert_first_task_held(server, launched["id"], "task1")
    assert log_lines(log) == ["task1", "task2", "task3"] * 3
