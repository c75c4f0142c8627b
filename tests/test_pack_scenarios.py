"""The same behaviour on both hosts: the wfops pack's actions and ChatOps aliases, one set
of scenarios run against the embedded host (a ``wfops serve`` started here, always) and
against a real StackStorm 3.9 with the wfops-st2 extension (when WFOPS_ST2_API_URL is set,
e.g. ``http://127.0.0.1:49101/v1``; skipped otherwise). See
tests/fixtures/pack_actions/scenario_hosts.py for the hosts.

Every scenario asserts what a user sees, identically on both: statuses, which tasks and
items ran (the lines they append to a log in a temporary directory on this machine),
outputs, the pack actions' results and their refusal texts. The extras need the extension
on StackStorm; without it, they skip and the refusal of extras is checked instead.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import SERVE_UNAVAILABLE, WfopsServer, log_lines, serve_available  # noqa: E402
from scenario_hosts import NO_ST2, ST2_API_URL, Host, stackstorm  # noqa: E402

UNKNOWN = "0123456789abcdef01234567"


@pytest.fixture(scope="module", params=["embedded", "stackstorm"])
def host(request, tmp_path_factory):
    if request.param == "stackstorm":
        if not ST2_API_URL:
            pytest.skip(NO_ST2)
        yield stackstorm()
        return
    if not serve_available():
        pytest.skip(SERVE_UNAVAILABLE)
    server = WfopsServer(tmp_path_factory.mktemp("wfops-home"))
    # The pack's actions find the server as they would under a plain `wfops serve`: through
    # the ST2_ACTION_API_URL it sets for its actions, with no pack config.
    server.env.pop("ST2_ACTION_API_URL")
    server.start()
    try:
        yield Host("embedded", server.url, extras=True, timeout=60)
    finally:
        server.stop()


@pytest.fixture
def extras(host):
    if not host.extras:
        pytest.skip("the wfops-st2 runner extension is not installed on this StackStorm")
    return host


@pytest.fixture
def work(tmp_path):
    """(dir, log): the failure and hold markers and the side-effect log of the workflows."""
    return tmp_path, tmp_path / "log"


def failed(host, work, ref, *markers, **parameters) -> str:
    """Id of a run of ``ref`` that failed, with ``markers`` in place while it ran (and
    removed after)."""
    d, log = work
    for marker in markers:
        (d / marker).touch()
    doc = host.run(ref, log=str(log), dir=str(d), **parameters)
    assert doc["status"] == "failed", doc["status"]
    for marker in markers:
        (d / marker).unlink()
    return doc["id"]


def until(condition, host) -> None:
    """Wait for ``condition()`` to hold (within the host's timeout)."""
    deadline = time.monotonic() + host.timeout
    while not condition():
        assert time.monotonic() < deadline, "waited in vain on %s" % host.name
        time.sleep(0.1)


def entries(host, execution_id) -> list[tuple]:
    ok, result = host.action("wfops.audit", id=execution_id)
    assert ok, result
    return [(e["operation"], e.get("comment")) for e in result["entries"]]


def test_status_then_plan_then_r4_collapse(host, work):
    _, log = work
    original = failed(host, work, "wfops_examples.sequential", "fail.task3")
    ok, status = host.alias("wfops status %s" % original)
    assert ok, status
    assert status["status"] == "failed"
    assert [(t["task"], t["status"]) for t in status["failed_tasks"]] == [("task3", "failed")]
    assert status["suggested_rerun"]["chatops"] == "wfops rerun %s from task3" % original
    ok, plan = host.alias("wfops plan %s from task1,task2" % original)
    assert ok, plan
    assert [(x["task"], x["reason"]) for x in plan["plan"]["dropped"]] == [("task2", "downstream")]
    assert log_lines(log) == ["task1", "task2", "task3"]  # a plan changes nothing
    ok, result = host.alias("wfops rerun %s from task1,task2 comment r4" % original)
    assert ok, result
    assert [x["task"] for x in result["plan"]["dropped"]] == ["task2"]
    new = host.wait(result["execution"]["id"])
    assert new["status"] == "succeeded"
    # task1, task2 and task3 once more each: task2 does not run twice (R4)
    assert log_lines(log) == ["task1", "task2", "task3"] * 2
    if host.extras:
        assert new["result"]["output"]["msg3"] == "task3"  # StackStorm's stale output, fixed
        assert entries(host, original) == [("re-run", "r4")]


def test_extras_need_the_extension(host, work):
    if host.extras:
        pytest.skip("%s has the extras" % host.name)
    original = failed(host, work, "wfops_examples.with_items", "fail.task1.1")
    ok, result = host.action("wfops.rerun", id=original, items={"task1": [1]})
    assert not ok
    assert "install the wfops-st2 runner extension" in result["error"]


def test_items_then_no_reset_with_complete_results(extras, work):
    host = extras
    d, log = work
    original = failed(host, work, "wfops_examples.with_items", "fail.task1.1", "fail.task1.4")
    (d / "fail.task1.1").touch()  # item 1 still fails in the first re-run
    ok, first = host.alias('wfops rerun %s items {"task1": [4]} comment item 4' % original)
    assert ok, first
    assert host.wait(first["execution"]["id"])["status"] == "failed"
    assert log_lines(log)[6:] == ["task1:4"]
    (d / "fail.task1.1").unlink()
    ok, second = host.alias("wfops rerun %s from task1 no-reset task1" % first["execution"]["id"])
    assert ok, second
    last = host.wait(second["execution"]["id"])
    assert log_lines(log)[7:] == ["task1:1"]  # only the failed item ran again
    assert last["status"] == "succeeded"
    assert last["result"]["output"] == {"results": [0, 1, 2, 3, 4, 5]}  # R6: complete results
    ok, view = host.alias("wfops context %s task1" % last["id"])
    assert ok, view
    assert view["status"] == "succeeded"
    assert [i["status"] for i in view["items"]] == ["succeeded"] * 6
    assert entries(host, original) == [("re-run", "item 4")]


def test_changed_context(extras, work):
    host = extras
    _, log = work
    original = failed(host, work, "wfops_examples.context_demo")
    ok, result = host.alias('wfops rerun %s from task2 context {"task2": {"target": "good"}} comment good'
                            % original)
    assert ok, result
    new = host.wait(result["execution"]["id"])
    assert new["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2:bad", "task2:good", "task3:token-good"]
    assert new["result"]["output"] == {"target": "good", "token": "token-good"}
    assert entries(host, original) == [("re-run", "good")]


def test_skip_needs_what_transitions_publish_then_skip_with_publish(extras, work):
    host = extras
    _, log = work
    original = failed(host, work, "wfops_examples.context_demo")
    # E5: the transition publishes token from result().stdout, which 42 does not have.
    ok, refused = host.action("wfops.skip", id=original, task="task2", result="42")
    assert not ok
    assert refused["error"] == (
        'Task "task2" publishes "token" with <% result().stdout %>, which cannot be computed from '
        "the supplied result (42): give `publish task2 token=VALUE`, or a `result task2 JSON` that "
        "provides it.")
    ok, refused = host.action("wfops.skip", id=original, task="task1")
    assert not ok
    assert refused["error"] == ('Task "task1" already succeeded, so it cannot be skipped; '
                                "to run it again, use `tasks task1`.")
    assert log_lines(log) == ["task1", "task2:bad"]  # refusals change nothing
    # E4: skipped with what task3 needs.
    ok, result = host.alias('wfops skip %s task2 publish {"token": "given"} comment bad target' % original)
    assert ok, result
    new = host.wait(result["execution"]["id"])
    assert new["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2:bad", "task3:given"]
    assert new["result"]["output"] == {"target": "bad", "token": "given"}
    assert entries(host, original) == [("skip", "bad target")]


def test_skip_of_the_last_task_with_a_result(extras, work):
    host = extras
    _, log = work
    original = failed(host, work, "wfops_examples.sequential", "fail.task3")
    ok, result = host.alias('wfops skip %s task3 result {"stdout": "by hand"}' % original)
    assert ok, result
    new = host.wait(result["execution"]["id"])
    assert new["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "task3"]  # nothing ran again
    assert new["result"]["output"] == {"msg1": "task1", "msg2": "task2", "msg3": "by hand"}
    ok, view = host.action("wfops.task_context", id=new["id"], task="task3")
    assert ok, view
    assert (view["status"], view["skipped"], view["result"]) == ("succeeded", True, {"stdout": "by hand"})


def test_skip_on_a_paused_workflow_is_recorded_in_place_and_resumes_it(extras, work):
    host = extras
    d, log = work
    for marker in ("fail.task2", "hold.notify"):
        (d / marker).touch()
    paused = host.start("wfops_examples.handled_failure", log=str(log), dir=str(d))
    until(lambda: log_lines(log) == ["task1", "task2", "notify"], host)
    ok, result = host.alias("wfops pause %s" % paused)
    assert ok, result
    (d / "hold.notify").unlink()
    assert host.wait(paused, ("paused",))["status"] == "paused"
    # E5 on the paused workflow: refused, nothing changes
    ok, refused = host.action("wfops.skip", id=paused, task="task2")
    assert not ok and '"token" with <% result().stdout %>' in refused["error"], refused
    assert host.wait(paused, ("paused",))["status"] == "paused"
    # E4 in place: no new execution; task3 runs with the published token, task2 does not run again
    ok, result = host.alias('wfops skip %s task2 publish {"token": "manual"} comment by hand' % paused)
    assert ok, result
    assert result["execution"]["id"] == paused
    done = host.wait(paused)
    assert done["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "notify", "task3:manual"]
    assert done["result"]["output"]["token"] == "manual"
    assert entries(host, paused) == [("pause", None), ("skip", "by hand")]


def test_task_context_of_a_failed_task(extras, work):
    host = extras
    d, log = work
    original = failed(host, work, "wfops_examples.context_demo")
    ok, view = host.alias("wfops context %s task2" % original)
    assert ok, view
    assert (view["task"], view["status"], view["skipped"]) == ("task2", "failed", False)
    assert {k: view["context"][k] for k in ("log", "dir", "target", "token")} == {
        "log": str(log), "dir": str(d), "target": "bad", "token": None}
    assert [t["task"] for t in view["led_to_by"]] == ["task1"]
    assert 'echo "task2:bad"' in view["input"]["cmd"]
    assert view["result"]["stderr"] == "target is 'bad', expected 'good'"
    ok, refused = host.action("wfops.task_context", id=original, task="task9")
    assert not ok
    assert refused["error"] == 'Task "task9" is not defined in workflow execution "%s".' % original


def test_pause_resume_and_cancel(host, work):
    d, log = work
    for marker in ("hold.task2", "hold.task3"):
        (d / marker).touch()
    paused = host.start("wfops_examples.sequential", log=str(log), dir=str(d))
    canceled = host.start("wfops_examples.sequential", log=str(d / "log2"), dir=str(d))
    until(lambda: log_lines(log) == ["task1", "task2"] and log_lines(d / "log2") == ["task1", "task2"], host)
    ok, result = host.alias("wfops pause %s comment maintenance" % paused)
    assert ok, result
    assert result[paused]["status"] in ("pausing", "paused")
    ok, result = host.alias("wfops cancel %s" % canceled)
    assert ok, result
    assert result[canceled]["status"] in ("canceling", "canceled")
    (d / "hold.task2").unlink()
    assert host.wait(paused, ("paused",))["status"] == "paused"
    assert host.wait(canceled)["status"] == "canceled"
    assert log_lines(log) == ["task1", "task2"]  # task2 finished; task3 waits for the resume
    assert "task3" not in log_lines(d / "log2")
    (d / "hold.task3").unlink()
    ok, result = host.alias("wfops resume %s" % paused)
    assert ok, result
    assert host.wait(paused)["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "task3"]
    if host.extras:
        assert entries(host, paused) == [("pause", "maintenance"), ("resume", None)]
        assert entries(host, canceled) == [("cancel", None)]


def test_refusals_of_lifecycle_operations(host, work):
    original = failed(host, work, "wfops_examples.sequential", "fail.task1")
    ok, result = host.action("wfops.pause", ids=[original, UNKNOWN])
    assert not ok
    assert result == {
        original: 'Unable to pause execution "%s" because it is not in a running state.' % original,
        UNKNOWN: 'Unable to identify resource with id "%s".' % UNKNOWN,
    }
    ok, result = host.action("wfops.status", id=UNKNOWN)
    assert not ok
    assert result["error"] == 'Unable to identify resource with id "%s".' % UNKNOWN
