"""The pack's actions on a real StackStorm 3.9 (runs when WFOPS_ST2_API_URL is set, e.g.
``http://127.0.0.1:49101/v1``; skips otherwise). The StackStorm must have the wfops and
wfops_examples packs installed and run its actions on this machine (the workflows write
their side-effect logs into a temporary directory here). The tests that need the wfops-st2
runner extension skip when its runner type is not registered.

Scenarios (counted by the log lines each task or item appends): R4 on a chain, the
re-run output fix, item selection then a no-reset re-run with complete results, changed
context, task context and audit; and without the extension, the refusal of extras.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

import pytest

API = os.environ.get("WFOPS_ST2_API_URL", "").rstrip("/")
pytestmark = pytest.mark.skipif(not API, reason="WFOPS_ST2_API_URL is not set (no real StackStorm to test against)")
COMPLETED = ("succeeded", "failed", "canceled", "timeout", "abandoned")


def http(method, path, body=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(API + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def run(ref, timeout=240, **parameters) -> dict:
    status, doc = http("POST", "/executions", {"action": ref, "parameters": parameters})
    assert status == 201, doc
    return wait(doc["id"], timeout)


def wait(execution_id, timeout=240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        doc = http("GET", "/executions/%s" % execution_id)[1]
        children = http("GET", "/executions/%s/children?depth=-1" % execution_id)[1]
        if doc["status"] in COMPLETED and all(c["status"] in COMPLETED for c in children):
            return doc
        assert time.monotonic() < deadline, "execution %s stayed %s" % (execution_id, doc["status"])
        time.sleep(1)


def action_result(doc) -> dict:
    """The pack action's own result (the python runner wraps it)."""
    assert doc["status"] == "succeeded", doc.get("result")
    return doc["result"]["result"]


@pytest.fixture(scope="module")
def extension():
    status, _ = http("GET", "/runnertypes/wfops-operation")
    return status == 200


@pytest.fixture
def work(tmp_path):
    return tmp_path, tmp_path / "log"


def lines(log) -> list:
    return log.read_text().split() if log.exists() else []


def failed_run(work, ref, *markers, **parameters) -> str:
    d, log = work
    for marker in markers:
        (d / marker).touch()
    doc = run(ref, log=str(log), dir=str(d), **parameters)
    assert doc["status"] == "failed", doc["status"]
    return doc["id"]


def test_r4_collapse_on_a_chain(work, extension):
    d, log = work
    execution_id = failed_run(work, "wfops_examples.sequential", "fail.task3")
    (d / "fail.task3").unlink()
    result = action_result(run("wfops.rerun", id=execution_id, tasks=["task1", "task2"]))
    assert [x["task"] for x in result["plan"]["dropped"]] == ["task2"]
    new = wait(result["execution"]["id"])
    assert new["status"] == "succeeded"
    # task1, task2 and task3 once more each: task2 does not run twice
    assert lines(log) == ["task1", "task2", "task3", "task1", "task2", "task3"]
    if extension:
        assert new["result"]["output"]["msg3"] == "task3"  # the output fix


def test_extras_need_the_extension(work, extension):
    if extension:
        pytest.skip("the wfops-st2 extension is installed")
    execution_id = failed_run(work, "wfops_examples.with_items", "fail.task1.1")
    doc = run("wfops.rerun", id=execution_id, items={"task1": [1]})
    assert doc["status"] == "failed"
    assert "install the wfops-st2 runner extension" in doc["result"]["result"]["error"]


def test_items_then_no_reset_with_complete_results(work, extension):
    if not extension:
        pytest.skip("the wfops-st2 runner extension is not installed on this StackStorm")
    d, log = work
    execution_id = failed_run(work, "wfops_examples.with_items", "fail.task1.1", "fail.task1.4")
    (d / "fail.task1.4").unlink()
    first = action_result(run("wfops.rerun", id=execution_id, items={"task1": [4]}, comment="item 4"))
    assert wait(first["execution"]["id"])["status"] == "failed"  # item 1 still failed
    assert lines(log)[6:] == ["task1:4"]
    (d / "fail.task1.1").unlink()
    second = action_result(run("wfops.rerun", id=first["execution"]["id"], tasks=["task1"], no_reset=["task1"]))
    last = wait(second["execution"]["id"])
    assert lines(log)[7:] == ["task1:1"]
    assert last["status"] == "succeeded" and last["result"]["output"] == {"results": [0, 1, 2, 3, 4, 5]}
    view = action_result(run("wfops.task_context", id=last["id"], task="task1"))
    assert [i["status"] for i in view["items"]] == ["succeeded"] * 6
    entries = action_result(run("wfops.audit", id=execution_id))["entries"]
    assert [(e["operation"], e["comment"]) for e in entries] == [("rerun", "item 4")]


def test_changed_context(work, extension):
    if not extension:
        pytest.skip("the wfops-st2 runner extension is not installed on this StackStorm")
    d, log = work
    other = d / "other"
    other.mkdir()
    execution_id = failed_run(work, "wfops_examples.sequential", "fail.task2")
    result = action_result(run("wfops.rerun", id=execution_id, tasks=["task2"],
                               context={"task2": {"dir": str(other)}}))
    assert wait(result["execution"]["id"])["status"] == "succeeded"
    assert (d / "fail.task2").exists() and lines(log) == ["task1", "task2", "task2", "task3"]
