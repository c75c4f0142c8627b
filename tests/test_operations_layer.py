"""The operations layer in-process (no HTTP): what every front end calls. Each test runs
the real engine on a real store (:class:`wfops.session.Session`), with shell tasks that
append to a log, and checks statuses, the log, the audit trail and the errors."""

from __future__ import annotations

import pytest
from conftest import log_lines

from wfops import errors
from wfops.engine import loop
from wfops.operations import Operations
from wfops.operations.plans import BeginningPlan
from wfops.rerun_request import RerunRequest
from wfops.session import Session

REF = "wfops_examples.sequential"


@pytest.fixture
def ops(tmp_path):
    session = Session(home=str(tmp_path / "home"), user="operator")
    try:
        yield Operations(session)
    finally:
        session.close()


def _run(ops, workdir, *, fail: str | None = None) -> str:
    d, log = workdir
    if fail:
        (d / ("fail." + fail)).touch()
    execution_id = ops.launch(REF, {"log": str(log), "dir": str(d)})["id"]
    loop.run_until_settled(ops.session.engine, execution_id)
    if fail:
        (d / ("fail." + fail)).unlink()
    return execution_id


def _settle(ops, execution_id: str) -> dict:
    return loop.run_until_settled(ops.session.engine, execution_id)


def test_a_launch_answers_before_the_workflow_starts(ops, workdir):
    d, log = workdir
    created = ops.launch(REF, {"log": str(log), "dir": str(d)})
    assert created["status"] == "requested" and log_lines(log) == []
    assert _settle(ops, created["id"])["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "task3"]


def test_a_rerun_from_the_beginning_merges_its_parameters_and_is_audited_once(ops, workdir):
    d, log = workdir
    first = _run(ops, workdir)
    request = RerunRequest(execution_id=first, parameters={"sleep": 0}, comment="again")
    plan = ops.plan(request)
    assert isinstance(plan, BeginningPlan)
    assert plan.parameters == {"log": str(log), "dir": str(d), "sleep": 0}
    assert ops.audit(first) == [] and log_lines(log) == ["task1", "task2", "task3"]  # a dry run changes nothing
    outcome = ops.rerun(request)
    assert outcome.record["status"] == "requested" and outcome.created
    assert _settle(ops, outcome.execution_id)["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "task3"] * 2
    [entry] = ops.audit(first)
    assert (entry["operation"], entry["user"], entry["comment"]) == ("re-run", "operator", "again")
    assert entry["request"] == {"parameters": {"sleep": 0}}
    assert entry["outcome"] == {"execution": outcome.execution_id}


def test_a_rerun_from_tasks_is_planned_then_applied_by_the_owner(ops, workdir):
    _, log = workdir
    first = _run(ops, workdir, fail="task2")
    request = RerunRequest(execution_id=first, tasks=["task2"])
    plan = ops.plan(request)
    assert [(r.task, r.route) for r in plan.rerun] == [("task2", 0)]
    outcome = ops.rerun(request, run_here=True)
    assert outcome.created and outcome.plan["fingerprint"] == plan.fingerprint
    assert _settle(ops, outcome.execution_id)["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "task2", "task3"]
    assert [e["operation"] for e in ops.audit(first)] == ["re-run"]


def test_every_problem_of_a_request_from_tasks_at_once_and_nothing_changes(ops, workdir):
    _, log = workdir
    first = _run(ops, workdir, fail="task2")
    request = RerunRequest(execution_id=first, tasks=["nosuch"], parameters={"sleep": 1}, result={"task3": 1})
    with pytest.raises(errors.PlanError) as refused:
        ops.rerun(request)
    problems = refused.value.problems
    assert "Parameters override is not supported when re-running task(s) for a workflow." in problems
    assert "`result task3` applies only to a skipped task: add `skip task3`." in problems
    assert any('"nosuch"' in p for p in problems) and len(problems) == 3, problems
    assert ops.audit(first) == [] and log_lines(log) == ["task1", "task2"]


def test_a_fingerprint_on_a_rerun_from_the_beginning_is_refused(ops, workdir):
    first = _run(ops, workdir)
    with pytest.raises(errors.PlanError, match="`fingerprint` applies to a re-run from tasks"):
        ops.rerun(RerunRequest(execution_id=first, fingerprint="0" * 64))
    assert ops.audit(first) == []


def test_a_stale_plan_refused_by_another_process_comes_back_as_a_conflict(ops, workdir):
    """The owner is a detached engine process (nothing runs the workflow here): the
    command table carries the request there and the refusal back, as its own class."""
    _, log = workdir
    first = _run(ops, workdir, fail="task2")
    stale = "0" * 64
    with pytest.raises(errors.Conflict) as refused:
        ops.rerun(RerunRequest(execution_id=first, tasks=["task2"], fingerprint=stale), run_here=False)
    assert "changed since the plan was computed" in refused.value.message
    assert ops.audit(first) == [] and log_lines(log) == ["task1", "task2"]


def test_lifecycle_refusals_say_what_to_do_and_change_nothing(ops, workdir):
    first = _run(ops, workdir)
    with pytest.raises(errors.InvalidOperation):
        ops.lifecycle("pause", first)
    assert ops.audit(first) == []


def test_delay_is_for_workflows_only(ops, workdir):
    with pytest.raises(errors.ParameterError, match="is not a workflow"):
        ops.launch("core.noop", {}, delay=100)
    with pytest.raises(errors.ExecutionNotFound, match='Execution "nosuch" cannot be found.'):
        ops.rerun(RerunRequest(execution_id="nosuch"))


@pytest.mark.parametrize("error", [
    errors.PlanError("two problems", problems=["a", "b"]),
    errors.Conflict("changed"),
    errors.ExecutionNotFound("abc"),
    errors.NotAWorkflow("abc", "local-shell-cmd"),
    errors.InvalidOperation("not now"),
])
def test_errors_cross_the_command_table_as_themselves(error):
    again = errors.from_response(error.to_response())
    assert type(again) is type(error)
    assert (again.message, again.problems, again.http_status) == (error.message, error.problems, error.http_status)


def test_an_error_of_a_class_this_process_lacks_keeps_its_status():
    again = errors.from_response({"type": "SomethingNewer", "message": "m", "http_status": 409})
    assert type(again) is errors.WfopsError and again.http_status == 409 and again.message == "m"
