"""wfops.cancel (actions/cancel.py): L6 cancel, per-id results and refusals, on the
embedded host and on a StackStorm stand-in."""

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


def test_cancel_running_workflows(wfops_server, config, workdir):
    d, log = workdir
    first = wfops_server.run("wfops_examples.sequential", log=str(log), dir=str(d), sleep=2)
    second = wfops_server.run("wfops_examples.sequential", log=str(log), dir=str(d), sleep=2)
    wfops_server.wait(first, {"running"})
    wfops_server.wait(second, {"running"})
    ok, result = run_action("cancel", config, ids=["%s,%s" % (first, second)], comment="wrong target")
    assert ok, result
    assert set(result) == {first, second}
    for execution_id in (first, second):
        assert result[execution_id]["status"] in ("canceling", "canceled")
        # L6: the running action finishes, nothing new is scheduled.
        assert wfops_server.wait(execution_id)["status"] == "canceled"
    assert sorted(log_lines(log)) == ["task1", "task1"]
    status, entries = http("GET", wfops_server.url + "/executions/%s/audit" % first)
    assert [(e["operation"], e.get("comment")) for e in entries] == [("cancel", "wrong target")]


def test_cancel_a_completed_execution_is_refused(wfops_server, config, workdir):
    d, log = workdir
    done = wfops_server.run("wfops_examples.sequential", log=str(log), dir=str(d))
    wfops_server.wait(done)
    ok, result = run_action("cancel", config, ids=[done])
    assert not ok
    assert result == {done: 'Unable to cancel execution "%s" because it is already in a completed state.' % done}
    assert wfops_server.get(done)["status"] == "succeeded"


def test_cancel_on_stackstorm(wfops_server, workdir):
    fake = FakeStackStorm(wfops_server.url).start()
    try:
        d, log = workdir
        target = wfops_server.run("wfops_examples.sequential", log=str(log), dir=str(d), sleep=2)
        wfops_server.wait(target, {"running"})
        ok, result = run_action("cancel", {"api_url": fake.url}, ids=[target], comment="dropped")
        assert ok, result
        # StackStorm's DELETE, without wfops's comment.
        assert [(r[1], r[2]) for r in fake.calls("DELETE")] == [("/api/v1/executions/%s" % target, {})]
        assert wfops_server.wait(target)["status"] == "canceled"
    finally:
        fake.stop()
