"""wfops.task_context (actions/task_context.py): E8 on the embedded host; refused on
StackStorm, which has no API for a task's context."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    config,
    failed_run,
    fake_st2,
    run_action,
    st2_config,
    wfops_server,
    workdir,
)


def _context(config, **parameters):
    return run_action("task_context", config, **parameters)


def test_context_of_a_failed_task(wfops_server, config, workdir):
    d, log = workdir
    original = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    ok, result = _context(config, id=original, task="task2")
    assert ok, result
    text = repr(result)
    # Its status, the variables it saw (target, log, dir) and its rendered input.
    assert "failed" in text
    assert "'target': 'bad'" in text and str(log) in text
    assert 'echo "task2:bad"' in text


def test_context_of_an_unknown_task(wfops_server, config, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    ok, result = _context(config, id=original, task="task9")
    assert not ok and "task9" in result["error"]


def test_unknown_execution(wfops_server, config):
    ok, result = run_action("task_context", config, id="0123456789abcdef01234567", task="task1")
    assert not ok
    assert result["error"] == 'Unable to identify resource with id "0123456789abcdef01234567".'


def test_task_context_on_stackstorm_is_refused(st2_config, fake_st2):
    ok, result = run_action("task_context", st2_config, id="0123456789abcdef01234567", task="task2[1]")
    assert not ok and result["status"] == 501
    assert result["error"].startswith("StackStorm's API cannot show a task's context")
    assert "st2 issue 4532" in result["error"]
    assert not fake_st2.calls("GET", "/tasks/")
