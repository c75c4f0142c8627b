"""Bad input gets a one-line (or one-list) error naming the problem, a non-zero exit and
no state change."""

from __future__ import annotations


def _no_executions(wfops) -> bool:
    listed, done = wfops.json("execution", "list")
    return listed == []


def test_malformed_workflow_yaml_names_the_line(wfops):
    done = wfops.run("run", "hosttest.broken_yaml")
    assert done.returncode == 1
    assert "not valid YAML" in done.stderr and "line 7" in done.stderr
    assert _no_executions(wfops)


def test_unknown_action_reference_in_workflow(wfops):
    done = wfops.run("run", "hosttest.unknown_action")
    assert done.returncode == 1
    assert 'Task "task2" refers to action "nosuchpack.nosuchaction", which cannot be found.' in done.stderr
    assert _no_executions(wfops)


def test_undefined_expression_function(wfops):
    done = wfops.run("run", "hosttest.undefined_function")
    assert done.returncode == 1
    assert '"no_such_function"' in done.stderr and 'task "task1"' in done.stderr
    assert "line 6" in done.stderr
    assert _no_executions(wfops)


def test_missing_required_input(wfops):
    done = wfops.run("run", "hosttest.missing_input")
    assert done.returncode == 1
    assert "who" in done.stderr and "required" in done.stderr
    assert _no_executions(wfops)


def test_unknown_action_to_run(wfops):
    done = wfops.run("run", "nosuchpack.nosuchaction")
    assert done.returncode == 1
    assert "nosuchpack.nosuchaction" in done.stderr
    assert _no_executions(wfops)


def test_wrong_parameter_type_and_unknown_parameter(wfops, workdir):
    d, log = workdir
    done = wfops.run("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "sleep=abc", "bogus=1")
    assert done.returncode == 1
    assert "sleep" in done.stderr and "bogus" in done.stderr
    assert _no_executions(wfops)


def test_nonexistent_execution_id(wfops):
    done = wfops.run("execution", "get", "0123456789abcdef01234567")
    assert done.returncode == 1
    assert 'Execution "0123456789abcdef01234567" cannot be found.' in done.stderr


def test_parameter_not_key_value_is_a_usage_error(wfops):
    done = wfops.run("run", "core.noop", "oops")
    assert done.returncode == 2
