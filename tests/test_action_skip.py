"""wfops.skip (actions/skip.py): E4-E6 on the embedded host; refused on StackStorm, whose
API cannot skip a task."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    config,
    executions_of,
    failed_run,
    fake_st2,
    http,
    log_lines,
    run_action,
    st2_config,
    wfops_server,
    workdir,
)


def test_skip_a_failed_task_and_continue(wfops_server, config, workdir):
    # E4: task2 of context_demo fails (target is "bad"); skipped with the token task3 needs.
    original = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    ok, result = run_action("skip", config, id=original, task="task2", result='{"stdout": "token-given"}',
                                publish={"token": "token-given"}, comment="known bad target")
    assert ok, result
    new = wfops_server.wait(result["execution"]["id"])
    assert new["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["task1", "task2:bad", "task3:token-given"]
    status, entries = http("GET", wfops_server.url + "/executions/%s/audit" % original)
    assert entries[-1]["comment"] == "known bad target"


def test_skip_needs_what_the_transitions_publish(wfops_server, config, workdir):
    # E5: task2's transition publishes token from result().stdout: a result without it,
    # and no publish, is refused naming the variable and its expression.
    original = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    before = executions_of(wfops_server, "wfops_examples.context_demo")
    ok, result = run_action("skip", config, id=original, task="task2", result="42")
    assert not ok
    assert "token" in result["error"] and "result().stdout" in result["error"]
    assert executions_of(wfops_server, "wfops_examples.context_demo") == before


def test_skip_a_task_that_succeeded_is_refused(wfops_server, config, workdir):
    # E6: skipping a task that succeeded says what to do instead.
    original = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    ok, result = run_action("skip", config, id=original, task="task1")
    assert not ok
    assert "task1" in result["error"] and "succeeded" in result["error"]


def test_skip_dry_run_and_option_checks(wfops_server, config, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    ok, result = run_action("skip", config, id=original, task="task2,task3", publish={"token": "x"})
    assert (ok, result) == (False, {"error": "With several skipped tasks, `publish` must be an object keyed by "
                                             "the skipped task names (task2, task3).", "status": 400})
    before = executions_of(wfops_server, "wfops_examples.context_demo")
    ok, result = run_action("skip", config, id=original, task="task2", publish={"token": "x"}, dry_run=True)
    assert ok, result
    assert result["dry_run"] and "execution" not in result
    assert executions_of(wfops_server, "wfops_examples.context_demo") == before


def test_skip_on_stackstorm_is_refused(wfops_server, st2_config, fake_st2, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    ok, result = run_action("skip", st2_config, id=original, task="task2", publish={"token": "x"})
    assert not ok and result["status"] == 501
    assert result["error"].startswith("StackStorm's API cannot do this re-run: its re_run takes only "
                                      "parameters, tasks, reset and delay, so it has no skip")
    assert "Run the operation through the wfops server (wfops serve), or install the wfops-st2 runner extension" in result["error"]
    assert not fake_st2.calls("POST")
