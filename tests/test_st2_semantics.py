"""StackStorm's error and status semantics through the ``wfops`` command line on the
embedded host (real engine processes, real shell tasks): cancelling a task's action
stops its process, workflows that cannot start are created and fail with st2's error
entries (printed, exit 1), action-less tasks run. Workflows: the ``st2sem`` fixture pack."""

from __future__ import annotations

import json
import time

from conftest import log_lines, wait_for


def _children(wfops, execution_id: str) -> list[dict]:
    return wfops.get(execution_id).get("children", [])


def _root(wfops, ref: str) -> dict:
    wait_for(lambda: any(e["action"]["ref"] == ref for e in wfops.json("execution", "list")[0]))
    return next(e for e in wfops.json("execution", "list")[0] if e["action"]["ref"] == ref)


def test_cancel_of_a_running_task_stops_its_process_and_cancels_the_workflow(wfops, workdir):
    d, log = workdir
    (d / "hold.step1").touch()
    run = wfops.popen("run", "st2sem.held_task", "log=%s" % log, "dir=%s" % d, "--json")
    wait_for(lambda: log_lines(log) == ["step1-start"])
    workflow = _root(wfops, "st2sem.held_task")
    (step1,) = _children(wfops, workflow["id"])

    done = wfops.run("execution", "cancel", step1["id"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ('cancel: execution "%s" is canceling.' % step1["id"],
                                   'cancel: execution "%s" is canceled.' % step1["id"])
    out, err = run.communicate(timeout=60)
    assert run.returncode == 1, err
    assert json.loads(out)["status"] == "canceled"
    (d / "hold.step1").unlink()  # a process still running would now log step1-end
    time.sleep(1.0)
    assert log_lines(log) == ["step1-start"], "the process was stopped; no later task ran"
    (child,) = _children(wfops, workflow["id"])
    assert child["status"] == "canceled"
    assert child["result"]["message"] == "Action canceled by user."


def test_cancel_of_a_running_plain_action_stops_it(wfops, workdir):
    d, log = workdir
    hold = d / "hold.plain"
    hold.touch()
    command = 'echo start >> "%s"; while [ -e "%s" ]; do sleep 0.05; done; echo end >> "%s"' % (log, hold, log)
    run = wfops.popen("run", "core.local", "cmd=%s" % command, "--json")
    wait_for(lambda: log_lines(log) == ["start"])
    execution = _root(wfops, "core.local")
    assert wfops.run("execution", "cancel", execution["id"]).returncode == 0
    out, _ = run.communicate(timeout=60)
    assert json.loads(out)["status"] == "canceled"
    hold.unlink()
    time.sleep(1.0)
    assert log_lines(log) == ["start"]


def test_run_of_a_workflow_failing_inspection_prints_every_problem(wfops):
    done = wfops.run("run", "st2sem.bad_inspection")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-4:] == [
        '  - [content] tasks.task3.action: The action "nosuchpack.nosuchaction" is not registered in the database.',
        '  - [content] tasks.task2.input: Action "core.local" is missing required input "cmd".',
        '  - [content] tasks.task1.input.colour: Action "core.echo" has unexpected input "colour".',
        '  - [semantic] tasks.task1.next[0].do: The task "no_such_task" is not defined.',
    ]
    (listed,) = wfops.json("execution", "list")[0]
    assert listed["status"] == "failed"


def test_run_of_a_workflow_whose_input_cannot_be_rendered_fails(wfops):
    done = wfops.run("run", "st2sem.bad_input", "--json")
    assert done.returncode == 1
    view = json.loads(done.stdout)
    assert view["status"] == "failed"
    (error,) = view["result"]["errors"]
    assert error["type"] == "error" and error["message"].startswith("YaqlEvaluationException")
    assert "[error] " in done.stderr and "YaqlEvaluationException" in done.stderr


def test_action_less_tasks_run(wfops, workdir):
    d, log = workdir
    view, done = wfops.json("run", "st2sem.actionless", "log=%s" % log)
    assert done.returncode == 0, done.stderr
    assert view["result"] == {"output": {"greeting": "hello"}}
    assert log_lines(log) == ["hello"]


def test_a_sub_workflow_failing_inspection_fails_its_parents_task(wfops):
    done = wfops.run("run", "st2sem.bad_child", "--json")
    assert done.returncode == 1
    view = json.loads(done.stdout)
    assert view["status"] == "failed"
    (child,) = _children(wfops, view["id"])
    assert child["status"] == "failed" and child["action"]["ref"] == "st2sem.bad_inspection"
    assert len(child["result"]["errors"]) == 4 and child["result"]["output"] is None
    (error,) = view["result"]["errors"]
    assert error["task_id"] == "child" and error["result"]["errors"] == child["result"]["errors"]
