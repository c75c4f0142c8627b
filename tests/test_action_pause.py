"""wfops.pause (actions/pause.py) against the embedded host (`wfops serve`) and against a
StackStorm stand-in: L1 pause of a running workflow, per-id results, refusals."""

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


def _running_sequential(server, workdir, sleep=2):
    d, log = workdir
    execution_id = server.run("wfops_examples.sequential", log=str(log), dir=str(d), sleep=sleep)
    server.wait(execution_id, {"running"})
    return execution_id


def test_pause_a_running_workflow(wfops_server, config, workdir):
    execution_id = _running_sequential(wfops_server, workdir)
    ok, result = run_action("pause", config, ids=[execution_id], comment="maintenance window")
    assert ok, result
    assert set(result) == {execution_id}
    assert result[execution_id]["id"] == execution_id
    assert result[execution_id]["status"] in ("pausing", "paused")
    assert result[execution_id]["action"] == "wfops_examples.sequential"
    # L1: the running task finishes, no new task starts.
    doc = wfops_server.wait(execution_id, {"paused"})
    assert doc["status"] == "paused"
    assert log_lines(workdir[1]) == ["task1"]
    # E7: the comment is in the audit trail.
    status, entries = http("GET", wfops_server.url + "/executions/%s/audit" % execution_id)
    assert status == 200
    assert [(e["operation"], e.get("comment")) for e in entries] == [("pause", "maintenance window")]
    # Pausing a paused execution changes nothing.
    ok, result = run_action("pause", config, ids=[execution_id])
    assert ok, result
    assert result[execution_id]["status"] == "paused"
    http("PUT", wfops_server.url + "/executions/%s" % execution_id, {"status": "resuming"})
    assert wfops_server.wait(execution_id)["status"] == "succeeded"


def test_result_per_id_and_refusals(wfops_server, config, workdir):
    d, log = workdir
    done = wfops_server.run("wfops_examples.sequential", log=str(log), dir=str(d))
    wfops_server.wait(done)
    running = _running_sequential(wfops_server, workdir)
    ok, result = run_action("pause", config, ids="%s, %s,nope" % (done, running))
    assert not ok
    assert result[done] == 'Unable to pause execution "%s" because it is not in a running state.' % done
    assert result["nope"] == 'Unable to identify resource with id "nope".'
    assert result[running]["status"] in ("pausing", "paused")
    wfops_server.wait(running, {"paused"})
    assert wfops_server.get(done)["status"] == "succeeded"
    http("DELETE", wfops_server.url + "/executions/%s" % running)


def test_no_ids(config):
    assert run_action("pause", config, ids=[]) == (False, {"error": "Give at least one execution id.", "status": 400})


def test_pause_runs_as_an_action_of_the_host(wfops_server, workdir):
    """wfops.pause run by the embedded host's python-script runner (a subprocess with the
    runner's st2common stand-in; the API found through ST2_ACTION_API_URL)."""
    target = _running_sequential(wfops_server, workdir)
    action = wfops_server.run("wfops.pause", ids=[target])
    doc = wfops_server.wait(action)
    assert doc["status"] == "succeeded", doc["result"]
    assert doc["result"]["result"][target]["status"] in ("pausing", "paused")
    assert wfops_server.wait(target, {"paused"})["status"] == "paused"
    # A refusal fails the action, with the reason in its result.
    again = wfops_server.run("wfops.pause", ids=["nope"])
    doc = wfops_server.wait(again)
    assert doc["status"] == "failed"
    assert doc["result"]["result"] == {"nope": 'Unable to identify resource with id "nope".'}
    http("DELETE", wfops_server.url + "/executions/%s" % target)


def test_pause_on_stackstorm(wfops_server, workdir):
    fake = FakeStackStorm(wfops_server.url).start()
    try:
        target = _running_sequential(wfops_server, workdir)
        ok, result = run_action("pause", {"api_url": fake.url}, ids=[target], comment="not recorded there")
        assert ok, result
        assert result[target]["status"] in ("pausing", "paused")
        # StackStorm's own request: the status only.
        assert [r[3] for r in fake.calls("PUT")] == [{"status": "pausing"}]
        wfops_server.wait(target, {"paused"})
    finally:
        fake.stop()
    http("DELETE", wfops_server.url + "/executions/%s" % target)
