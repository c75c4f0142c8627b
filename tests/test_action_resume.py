"""wfops.resume (actions/resume.py): L4 resume of a paused workflow, per-id results and
refusals, on the embedded host and on a StackStorm stand-in."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    FakeStackStorm,
    config,
    http,
    log_lines,
    run_action,
    wfops_server,
    workdir,
)


def _paused_sequential(server, workdir):
    d, log = workdir
    execution_id = server.run("wfops_examples.sequential", log=str(log), dir=str(d), sleep=1)
    server.wait(execution_id, {"running"})
    status, _ = http("PUT", server.url + "/executions/%s" % execution_id, {"status": "pausing"})
    assert status == 200
    server.wait(execution_id, {"paused"})
    return execution_id


def test_resume_a_paused_workflow(wfops_server, config, workdir):
    execution_id = _paused_sequential(wfops_server, workdir)
    assert log_lines(workdir[1]) == ["task1"]
    ok, result = run_action("resume", config, ids=[execution_id], comment="window over")
    assert ok, result
    assert result[execution_id]["status"] in ("resuming", "running", "succeeded")
    # L4: the tasks that were due run; the workflow completes.
    assert wfops_server.wait(execution_id)["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["task1", "task2", "task3"]
    status, entries = http("GET", wfops_server.url + "/executions/%s/audit" % execution_id)
    assert [(e["operation"], e.get("comment")) for e in entries][-1] == ("resume", "window over")


def test_resume_refusals(wfops_server, config, workdir):
    d, log = workdir
    done = wfops_server.run("wfops_examples.sequential", log=str(log), dir=str(d))
    wfops_server.wait(done)
    ok, result = run_action("resume", config, ids=[done, "0123456789abcdef01234567"])
    assert not ok
    # Anything but paused/pausing/running/resuming is an error naming the current status.
    assert "succeeded" in result[done] and done in result[done]
    assert result["0123456789abcdef01234567"] == 'Unable to identify resource with id "0123456789abcdef01234567".'
    assert wfops_server.get(done)["status"] == "succeeded"


def test_resume_a_running_workflow_changes_nothing(wfops_server, config, workdir):
    d, log = workdir
    execution_id = wfops_server.run("wfops_examples.sequential", log=str(log), dir=str(d), sleep=1)
    wfops_server.wait(execution_id, {"running"})
    ok, result = run_action("resume", config, ids=[execution_id])
    assert ok, result
    assert result[execution_id]["status"] == "running"
    assert wfops_server.wait(execution_id)["status"] == "succeeded"


def test_resume_on_stackstorm(wfops_server, workdir):
    fake = FakeStackStorm(wfops_server.url).start()
    try:
        execution_id = _paused_sequential(wfops_server, workdir)
        ok, result = run_action("resume", {"api_url": fake.url}, ids=execution_id, comment="dropped")
        assert ok, result
        assert [r[3] for r in fake.calls("PUT")] == [{"status": "resuming"}]
        assert wfops_server.wait(execution_id)["status"] == "succeeded"
    finally:
        fake.stop()
