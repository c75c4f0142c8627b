"""R13: a re-run plan is applied only to the state it was computed from. The engine that
owns the workflow checks the plan's fingerprint against its own state, before anything
else, and refuses a plan of another state as a conflict that changes nothing, whoever
sends it (the command line on the store, another process's command, the API: see
test_cli_remote_refusals.py and tests/api for those)."""

from __future__ import annotations

import pytest
from conftest import log_lines

from wfops import errors
from wfops.engine import commands, loop, reruns
from wfops.rerun_request import RerunRequest
from wfops.session import Session

STALE = ('The state of workflow execution "%s" changed since the plan was computed (another '
         "operation came in between). Compute the plan again (a dry run) and re-submit.")


def _failed_then_changed(wfops, workdir):
    """A sequential run whose task2 failed; a dry run's fingerprint of it; then another
    re-run of task2 (failing again), which changes the state. Returns (id, fingerprint)."""
    d, log = workdir
    (d / "fail.task2").touch()
    first, _ = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    plan, done = wfops.json("execution", "re-run", first["id"], "--tasks", "task2", "--dry-run")
    assert done.returncode == 0 and plan["fingerprint"], done.stderr
    other, done = wfops.json("execution", "re-run", first["id"], "--tasks", "task2", "--fingerprint",
                             plan["fingerprint"])
    assert other["status"] == "failed", done.stderr  # applied: the state was still the planned one
    (d / "fail.task2").unlink()
    return first["id"], plan["fingerprint"]


def _visible(wfops, execution_id, log):
    return (wfops.json("execution", "list")[0], wfops.json("execution", "audit", execution_id)[0], log_lines(log))


def test_a_plan_of_a_changed_state_is_refused_from_the_command_line(wfops, workdir):
    d, log = workdir
    ex, stale = _failed_then_changed(wfops, workdir)
    before = _visible(wfops, ex, log)
    for args in (("--tasks", "task2"), ("--failed",), ("--skip", "task2", "--publish", "task2", "msg2=x"),
                 ("--tasks", "task2", "--dry-run")):
        done = wfops.run("execution", "re-run", ex, *args, "--fingerprint", stale)
        assert (done.returncode, done.stdout, done.stderr) == (1, "", "ERROR: %s\n" % (STALE % ex)), args
    done = wfops.run("execution", "skip", ex, "task2", "--publish", "msg2=x", "--fingerprint", stale)
    assert (done.returncode, done.stderr) == (1, "ERROR: %s\n" % (STALE % ex))
    assert _visible(wfops, ex, log) == before, "nothing changed"

    # The plan of the state as it is now is applied.
    plan, _ = wfops.json("execution", "re-run", ex, "--tasks", "task2", "--dry-run")
    assert plan["fingerprint"] != stale
    view, done = wfops.json("execution", "re-run", ex, "--tasks", "task2", "--fingerprint", plan["fingerprint"])
    assert view["status"] == "succeeded", done.stderr
    assert log_lines(log) == ["task1", "task2", "task2", "task2", "task3"]
    assert wfops.json("execution", "audit", ex)[0][-1]["request"]["fingerprint"] == plan["fingerprint"]


def test_a_fingerprint_is_refused_for_a_rerun_from_the_beginning(wfops, workdir):
    d, log = workdir
    first, _ = wfops.json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    done = wfops.run("execution", "re-run", first["id"], "--fingerprint", "abc")
    assert done.returncode == 1 and "--plan applies to a re-run from tasks" in done.stderr
    assert len(wfops.json("execution", "list")[0]) == 1


def test_the_owning_engine_itself_refuses_a_plan_of_another_state(tmp_path):
    """No front end in between: the request reaches the engine as a command from another
    process does (commands.execute), with a fingerprint computed before another re-run."""
    d = tmp_path / "work"
    d.mkdir()
    log = d / "log.txt"
    (d / "fail.task2").touch()
    session = Session(home=str(tmp_path / "home"), user="tester")
    try:
        engine, store = session.engine, session.store
        ex = session.engine.launch("wfops_examples.sequential", {"log": str(log), "dir": str(d)})
        assert loop.run_until_settled(engine, ex)["status"] == "failed"
        wf_id = store.get_execution(ex)["context"]["workflow_execution"]
        stale = reruns.plan_for(store, store.get_execution(ex), RerunRequest(tasks=["task2"])).fingerprint
        request = {"tasks": ["task2"], "fingerprint": stale, "user": "tester"}
        other = commands.execute(engine, "rerun", ex, dict(request))
        assert loop.run_until_settled(engine, other["id"])["status"] == "failed"

        def state():
            return (store.list_executions(limit=None), store.journal_after(wf_id, -1),
                    store.task_executions(wf_id), store.operations(ex), log_lines(log))

        before = state()
        for payload in (request, dict(request, tasks=[], skip=["task2"], publish={"task2": {"msg2": "x"}})):
            with pytest.raises(errors.Conflict) as caught:
                commands.execute(engine, "rerun", ex, dict(payload))
            assert str(caught.value) == STALE % ex
        assert loop.run_until_idle(engine, timeout=30)
        assert state() == before, "a refused plan changed nothing"
    finally:
        session.close()
