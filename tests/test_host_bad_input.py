"""Bad input gets a one-line (or one-list) error naming the problem, a non-zero exit and
no state change."""

from __future__ import annotations


def _no_executions(wfops) -> bool:
    listed, done = wfops.json("execution", "list")
    return listed == []


def _failed_to_start(wfops, done) -> list[dict]:
    """A workflow that cannot start is created and fails, as on StackStorm: its errors are
    in result.errors and on stderr; no task ran. Returns the errors."""
    assert done.returncode == 1
    listed, _ = wfops.json("execution", "list")
    assert [e["status"] for e in listed] == ["failed"]
    view = wfops.get(listed[0]["id"])
    assert view.get("children", []) == []
    assert view["result"]["output"] is None
    return view["result"]["errors"]


def test_malformed_workflow_yaml_names_the_line(wfops):
    done = wfops.run("run", "hosttest.broken_yaml")
    found = _failed_to_start(wfops, done)
    assert len(found) == 1 and "not valid YAML" in found[0]["message"] and "line 7" in found[0]["message"]
    assert "not valid YAML" in done.stderr and "line 7" in done.stderr


def test_unknown_action_reference_in_workflow(wfops):
    done = wfops.run("run", "hosttest.unknown_action")
    assert _failed_to_start(wfops, done) == [{
        "type": "content",
        "message": 'The action "nosuchpack.nosuchaction" is not registered in the database.',
        "spec_path": "tasks.task2.action",
        "schema_path": "properties.tasks.patternProperties.^\\w+$.properties.action",
    }]
    assert 'tasks.task2.action: The action "nosuchpack.nosuchaction" is not registered' in done.stderr


def test_undefined_expression_function(wfops):
    done = wfops.run("run", "hosttest.undefined_function")
    (error,) = _failed_to_start(wfops, done)
    assert error["type"] == "expression" and error["spec_path"] == "tasks.task1.next[0].when"
    assert '"no_such_function"' in error["message"]
    assert '"no_such_function"' in done.stderr and "tasks.task1.next[0].when" in done.stderr


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
