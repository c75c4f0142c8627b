"""The REST API with plain HTTP, operations: refused in the wrong state (SEMANTICS wording,
nothing changed), recorded as the user the request names, reaching an execution that
another live process runs, and a skip on a paused workflow."""

from __future__ import annotations

import json
import subprocess
import sys

from .harness import log_lines, wait_for
from .rest_helpers import execution_state, failed_sequential, run_params

# -- operations in the wrong state (SEMANTICS wording), nothing changed -----------------------


def test_operations_in_the_wrong_state(server, work):
    failed = failed_sequential(server, work)
    before = execution_state(server, failed["id"])
    cases = [
        ("PUT", {"status": "pausing"},
         'Unable to pause execution "%s" because it is not in a running state.'),
        ("PUT", {"status": "resuming"}, 'Unable to resume execution "%s" because it is in "failed" state'),
        ("DELETE", None, 'Unable to cancel execution "%s" because it is already in a completed state.'),
    ]
    for method, body, message in cases:
        status, value, _ = server.request(method, "/executions/%s" % failed["id"], body)
        assert status == 400, value
        assert value["faultstring"].startswith(message % failed["id"])
    assert execution_state(server, failed["id"]) == before


def test_rerun_from_tasks_of_a_running_workflow_is_refused(server, work):
    d, log = work
    (d / "hold.task1").touch()
    running = server.launch("apitest.gated", run_params(work))
    wait_for(lambda: log_lines(log) == ["task1"])
    before = execution_state(server, running["id"])
    status, value, _ = server.request("POST", "/executions/%s/re_run" % running["id"], {"tasks": ["task1"]})
    assert status == 400
    assert value["faultstring"] == (
        'Unable to rerun workflow execution "%s" because it is not in a completed state.' % running["id"])
    assert execution_state(server, running["id"]) == before
    (d / "hold.task1").unlink()
    server.wait_status(running["id"], "succeeded")


def test_tasks_of_a_plain_action_and_pause_of_a_plain_action(server):
    done = server.launch("core.noop", {})
    server.wait_status(done["id"], "succeeded")
    status, value, _ = server.request("POST", "/executions/%s/re_run" % done["id"], {"tasks": ["t"]})
    assert (status, value) == (400, {"faultstring": "Task option is only supported for Orquesta workflows."})
    status, value, _ = server.request("PUT", "/executions/%s" % done["id"], {"status": "pausing"})
    assert status == 400 and 'does not support pause' in value["faultstring"]


def test_delay_on_a_plain_action_is_refused_rather_than_ignored(server):
    before = server.total()
    status, value, _ = server.request("POST", "/executions", {"action": "core.noop", "delay": 500})
    assert status == 400 and '"core.noop" is not a workflow' in value["faultstring"], value
    assert server.total() == before


# -- who acts ------------------------------------------------------------------------------


def test_operations_are_recorded_as_the_user_the_request_names(server, work):
    """Without API keys, the user named by the request (body, or DELETE's query) is the one
    the audit records; without one, the user running the server."""
    d, log = work
    server_user = server.launch("core.noop", {})["context"]["user"]
    (d / "hold.task1").touch()
    running = server.launch("apitest.gated", run_params(work))
    wait_for(lambda: log_lines(log) == ["task1"])
    path = "/executions/%s" % running["id"]
    for method, target, body in [("PUT", path, {"status": "pausing", "user": "erin"}),
                                 ("PUT", path, {"status": "resuming"}),
                                 ("DELETE", path + "?user=frank&comment=done", None)]:
        status, value, _ = server.request(method, target, body)
        assert status == 200, value
    (d / "hold.task1").unlink()
    server.wait_status(running["id"], "canceled")
    status, value, _ = server.request("POST", path + "/re_run", {"tasks": ["task1"], "user": "grace"})
    assert status == 201, value
    assert value["context"]["user"] == "grace"
    server.wait_status(value["id"], "succeeded")
    audit = server.get(path + "/audit")
    assert [(e["operation"], e["user"]) for e in audit] == [
        ("pause", "erin"), ("resume", server_user), ("cancel", "frank"), ("re-run", "grace")]


# -- an execution owned by another live process ------------------------------------------------


def test_operations_reach_an_execution_run_by_another_process(server, work):
    """`wfops run` in another process owns the tree: the API sends it the pause through the
    store (the commands table) and answers with the owner's decision."""
    d, log = work
    (d / "hold.task1").touch()
    runner = subprocess.Popen(
        [sys.executable, "-m", "wfops.cli.main", "run", "apitest.gated", "log=%s" % log, "dir=%s" % d,
         "--json"], env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: log_lines(log) == ["task1"])
        execution = server.get("/executions?action=apitest.gated&status=running&limit=1")[0]
        status, value, _ = server.request("PUT", "/executions/%s" % execution["id"], {"status": "pausing"})
        assert status == 200, value
        assert value["status"] == "pausing"
        (d / "hold.task1").unlink()
        server.wait_status(execution["id"], "paused")
        # As `st2 run`, `wfops run` returns once the execution is paused (exit 1: not
        # succeeded), and leaves the tree to whichever engine comes next.
        out, err = runner.communicate(timeout=60)
        assert runner.returncode == 1, err
        assert json.loads(out)["status"] == "paused"
        # No live owner now: this server's engine adopts the tree and resumes it.
        status, value, _ = server.request("PUT", "/executions/%s" % execution["id"], {"status": "resuming"})
        assert status == 200, value
        server.wait_status(execution["id"], "succeeded")
        assert log_lines(log) == ["task1", "task2", "task3"]
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()


# -- a skip on a paused workflow ----------------------------------------------------------


def test_skip_on_a_paused_workflow_answers_200_with_the_same_execution(server, work):
    """A skip on a paused workflow creates no execution: 200 with the execution itself,
    which resumes and runs the skipped task's on-success transition."""
    d, log = work
    (d / "fail.task2").touch()
    (d / "hold.notify").touch()
    view = server.launch("wfops_examples.handled_failure", run_params(work))
    wait_for(lambda: log_lines(log) == ["task1", "task2", "notify"])
    status, paused, _ = server.request("PUT", "/executions/%s" % view["id"], {"status": "pausing"})
    assert status == 200, paused
    (d / "hold.notify").unlink()
    server.wait_status(view["id"], "paused")
    roots_before = _root_count(server)

    status, answer, _ = server.request("POST", "/executions/%s/re_run" % view["id"], {
        "skip": ["task2"], "publish": {"task2": {"token": "by-api"}}, "comment": "api skip"})
    assert status == 200, answer
    assert answer["id"] == view["id"]
    done = server.wait_status(view["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded"
    assert log_lines(log)[-1] == "task3:by-api"
    assert _root_count(server) == roots_before, "no new workflow execution"
    assert server.get("/executions/%s/audit" % view["id"])[-1]["operation"] == "skip"


def _root_count(server) -> int:
    status, _, headers = server.request("GET", "/executions?parent=null&limit=1")
    assert status == 200
    return int(headers["X-Total-Count"])
