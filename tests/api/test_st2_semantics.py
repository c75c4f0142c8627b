"""StackStorm's error and status semantics and runtime context on ``wfops serve``, met
through the real ``st2`` command line and the REST API: a task's action canceled (its
process stopped), POST answering before the workflow starts, ``result.errors`` only for
abended workflows, definitions and renderings that fail giving failed executions with
st2's error entries, action-less tasks, ``ctx(st2)`` and the ``ST2_ACTION_*``
environment. Workflows: the ``st2sem`` fixture pack."""

from __future__ import annotations

import time

from .harness import field, log_lines, wait_for

STARTING = {"requested", "scheduled", "running"}


def _params(work, **extra):
    d, log = work
    return {"log": str(log), "dir": str(d), **extra}


def test_st2_cancel_of_a_running_task_cancels_its_action_and_the_workflow(server, work):
    d, log = work
    (d / "hold.step1").touch()
    workflow = server.launch("st2sem.held_task", _params(work))
    wait_for(lambda: log_lines(log) == ["step1-start"])
    (step1,) = server.get("/executions/%s/children" % workflow["id"])

    done = server.st2("execution", "cancel", step1["id"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "action execution with id %s canceled." % step1["id"]
    canceled = server.wait_status(step1["id"], "canceled")
    assert canceled["result"] == {"message": "Action canceled by user.", "user": canceled["context"]["user"]}
    assert server.wait_status(workflow["id"], "canceled")["result"] == {"output": None}  # no errors
    (d / "hold.step1").unlink()  # a process still running would now log step1-end
    time.sleep(1.0)
    assert log_lines(log) == ["step1-start"], "the action's process was stopped; nothing ran after it"
    assert [c["status"] for c in server.get("/executions/%s/children" % workflow["id"])] == ["canceled"]
    audit = server.get("/executions/%s/audit" % step1["id"])
    assert [(e["operation"], e["plan"]["target"]) for e in audit] == [("cancel", step1["id"])]


def test_post_answers_before_the_workflow_starts(server, work):
    for ref, parameters in [("st2sem.actionless", {"log": str(work[1])}), ("core.noop", {}),
                            ("st2sem.bad_inspection", {})]:
        status, created, _ = server.request("POST", "/executions", {"action": ref, "parameters": parameters})
        assert status == 201, created
        assert created["status"] in STARTING, (ref, created["status"])
        assert "result" not in created or not created["result"]
    assert server.wait_status(created["id"], "failed")["result"]["output"] is None


def test_post_still_refuses_what_st2_refuses_at_the_request(server):
    before = server.total()
    status, body, _ = server.request("POST", "/executions", {"action": "nosuchpack.nosuchaction"})
    assert status == 400 and 'Action "nosuchpack.nosuchaction" cannot be found.' in body["faultstring"]
    status, body, _ = server.request("POST", "/executions", {"action": "st2sem.held_task",
                                                             "parameters": {"log": "x", "bogus": 1}})
    assert status == 400 and "dir" in body["faultstring"] and "bogus" in body["faultstring"]
    assert server.total() == before


def test_a_workflow_failing_inspection_is_created_and_fails_with_every_problem(server):
    done = server.st2("run", "st2sem.bad_inspection")
    assert field(done.stdout, "status").startswith("failed"), done.stdout + done.stderr
    view = server.get("/executions/%s" % field(done.stdout, "id"))
    task = "properties.tasks.patternProperties.^\\w+$"
    assert view["result"] == {"output": None, "errors": [
        {"type": "content", "message": 'The action "nosuchpack.nosuchaction" is not registered in the database.',
         "spec_path": "tasks.task3.action", "schema_path": task + ".properties.action"},
        {"type": "content", "message": 'Action "core.local" is missing required input "cmd".',
         "spec_path": "tasks.task2.input", "schema_path": task + ".properties.input"},
        {"type": "content", "message": 'Action "core.echo" has unexpected input "colour".',
         "spec_path": "tasks.task1.input.colour", "schema_path": task + ".properties.input.patternProperties.^\\w+$"},
        {"type": "semantic", "message": 'The task "no_such_task" is not defined.',
         "spec_path": "tasks.task1.next[0].do", "schema_path": task + ".properties.next.items.properties.do"},
    ]}
    assert 'has unexpected input \\"colour\\"' in done.stdout or 'unexpected input "colour"' in done.stdout
    assert server.get("/executions/%s/children" % view["id"]) == []


def test_vars_that_cannot_be_rendered_fail_the_created_execution(server):
    status, created, _ = server.request("POST", "/executions", {"action": "st2sem.bad_vars"})
    assert status == 201 and created["status"] in STARTING
    view = server.wait_status(created["id"], "failed")
    (error,) = view["result"]["errors"]
    assert error["type"] == "error"
    assert error["message"].startswith("YaqlEvaluationException: Unable to evaluate expression '<% ctx().base.deeper %>'")
    assert server.get("/executions/%s/children" % view["id"]) == []


def test_action_less_tasks_run_and_a_handled_failure_carries_no_errors(server, work):
    d, log = work
    done = server.st2("run", "st2sem.actionless", "log=%s" % log)
    assert field(done.stdout, "status").startswith("succeeded"), done.stdout + done.stderr
    view = server.get("/executions/%s" % field(done.stdout, "id"))
    assert view["result"] == {"output": {"greeting": "hello"}}
    assert log_lines(log) == ["hello"]
    assert [c["context"]["orquesta"]["task_name"] for c in server.get("/executions/%s/children" % view["id"])] == ["speak"]

    handled = server.launch("st2sem.handled_failure", {"log": str(log)})
    view = server.wait_status(handled["id"], "succeeded")
    assert view["result"] == {"output": None}, "st2 adds errors only to abended workflows"
    assert log_lines(log)[1:] == ["step1", "recover"]


def test_runtime_context_of_workflows_and_actions(server):
    done = server.st2("run", "st2sem.context")
    assert field(done.stdout, "status").startswith("succeeded"), done.stdout + done.stderr
    view = server.get("/executions/%s" % field(done.stdout, "id"))
    (task1,) = server.get("/executions/%s/children" % view["id"])
    assert view["result"]["output"]["st2"] == {
        "action_execution_id": view["id"],
        "api_url": server.api_url,
        "user": view["context"]["user"],
        "pack": "st2sem",
        "action": "st2sem.context",
        "runner": "orquesta",
        "workflow_execution_id": view["context"]["workflow_execution"],
    }
    env = view["result"]["output"]["env"].splitlines()
    token = env.pop(1)  # the execution's token (tests/api/test_action_token.py uses one)
    assert token.startswith("ST2_ACTION_AUTH_TOKEN=%s." % task1["id"]), token
    assert env == [
        "ST2_ACTION_API_URL=%s" % server.api_url,
        "ST2_ACTION_DEBUG=False",
        "ST2_ACTION_EXECUTION_ID=%s" % task1["id"],
        "ST2_ACTION_PACK_NAME=core",
    ]
