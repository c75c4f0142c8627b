"""wfops.rerun_until_succeeded (actions/workflows/rerun_until_succeeded.yaml), an Orquesta
workflow of the pack run by the embedded host: its python-script tasks (wfops.status,
wfops.rerun) reach the host's API through ST2_ACTION_API_URL, as on StackStorm."""

from __future__ import annotations

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    clear_markers,
    failed_run,
    http,
    log_lines,
    wfops_server,
    workdir,
)


def _reruns_of(server, original):
    status, docs = http("GET", server.url + "/executions?parent=null&limit=-1&action=wfops_examples.sequential")
    found, current = [], original
    by_ref = {(d.get("context") or {}).get("re-run", {}).get("ref"): d for d in docs}
    while current in by_ref:
        found.append(by_ref[current])
        current = by_ref[current]["id"]
    return found


def test_reruns_until_the_workflow_succeeds(wfops_server, workdir):
    d, log = workdir
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])

    def fix_after_first_failed_rerun():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            reruns = _reruns_of(wfops_server, original)
            if reruns and reruns[0]["status"] == "failed":
                clear_markers(workdir)
                return
            time.sleep(0.1)

    fixer = threading.Thread(target=fix_after_first_failed_rerun, daemon=True)
    fixer.start()
    workflow = wfops_server.run("wfops.rerun_until_succeeded", id=original, max_attempts=3, delay=2, timeout=120)
    doc = wfops_server.wait(workflow, timeout=180)
    fixer.join(timeout=5)
    assert doc["status"] == "succeeded", doc["result"]
    output = doc["result"]["output"]
    reruns = _reruns_of(wfops_server, original)
    assert [r["status"] for r in reruns] == ["failed", "succeeded"]
    assert output == {"execution": reruns[-1]["id"], "status": "succeeded", "attempts": 2,
                      "executions": [r["id"] for r in reruns]}
    assert log_lines(log) == ["task1", "task2", "task2", "task2", "task3"]
    # Each re-run is in the audit trail of the execution it re-ran, with the attempt.
    status, entries = http("GET", wfops_server.url + "/executions/%s/audit" % original)
    assert entries[-1]["comment"] == "wfops.rerun_until_succeeded: attempt 1 of 3"


def test_gives_up_after_max_attempts(wfops_server, workdir):
    d, log = workdir
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    workflow = wfops_server.run("wfops.rerun_until_succeeded", id=original, max_attempts=2, delay=0)
    doc = wfops_server.wait(workflow, timeout=180)
    assert doc["status"] == "failed"
    assert [r["status"] for r in _reruns_of(wfops_server, original)] == ["failed", "failed"]
    assert log_lines(log) == ["task1", "task2", "task2", "task2"]


def test_a_succeeded_execution_is_left_alone(wfops_server, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential")
    workflow = wfops_server.run("wfops.rerun_until_succeeded", id=original)
    doc = wfops_server.wait(workflow, timeout=120)
    assert doc["status"] == "succeeded"
    assert doc["result"]["output"] == {"execution": original, "status": "succeeded", "attempts": 0,
                                       "executions": []}
    assert _reruns_of(wfops_server, original) == []


def test_a_refused_rerun_fails_the_workflow(wfops_server, workdir):
    plain = wfops_server.run("core.local", cmd="exit 3")
    assert wfops_server.wait(plain)["status"] == "failed"
    workflow = wfops_server.run("wfops.rerun_until_succeeded", id=plain, delay=0)
    doc = wfops_server.wait(workflow, timeout=120)
    assert doc["status"] == "failed"
    rerun_task = [c for c in wfops_server.children(workflow) if c["context"]["orquesta"]["task_name"] == "rerun"]
    assert rerun_task[0]["result"]["result"]["error"] == "Task option is only supported for Orquesta workflows."
