"""Every workflow of the bundled `wfops_examples` pack does what its description says, run
by the reference runner of tests/examples_runner.py (Orquesta's conductor and real shell
commands) or stepped through Orquesta's conductor directly."""

from __future__ import annotations

from examples_pack import workflow_definition, workflow_spec
from examples_runner import load_python_action, run  # noqa: F401 - run is a fixture

import wfops  # noqa: F401  (applies the Orquesta compatibility layer)

# isort: split
from orquesta import conducting, events, statuses


def test_sequential(run):
    status, result, lines = run("sequential")
    assert status == statuses.SUCCEEDED, result
    assert lines == ["task1", "task2", "task3"]
    assert result["output"] == {"msg1": "task1", "msg2": "task2", "msg3": "task3"}


def test_sequential_failure_marker_stops_the_chain(run):
    run.fail("task2")
    status, result, lines = run("sequential")
    assert status == statuses.FAILED
    assert lines == ["task1", "task2"]  # the attempt is logged before the check
    assert result["output"] == {"msg1": "task1", "msg2": None, "msg3": None}


def test_parallel_join(run):
    status, _, lines = run("parallel_join")
    assert status == statuses.SUCCEEDED
    assert lines[0] == "task1" and lines[-1] == "task4"
    assert sorted(lines[1:3]) == ["task2", "task3"] and len(lines) == 4


def test_parallel_join_waits_for_both_branches(run):
    run.fail("task3")
    status, _, lines = run("parallel_join")
    assert status == statuses.FAILED
    assert sorted(lines) == ["task1", "task2", "task3"]


def test_with_items(run):
    status, result, lines = run("with_items")
    assert status == statuses.SUCCEEDED
    assert lines == ["task1:%d" % i for i in range(6)]
    assert result["output"] == {"results": list(range(6))}  # stdout is parsed as JSON, as st2 does


def test_with_items_item_marker_is_the_index(run):
    run.fail("task1.1")
    status, _, lines = run("with_items", items=["a", "b", "c"], concurrency=2)
    assert status == statuses.FAILED
    assert lines[:2] == ["task1:a", "task1:b"]
    item_runs = [e for e in run.runner.executions if e[0] == "core.local"]
    assert [e[2] for e in item_runs[:2]] == [statuses.SUCCEEDED, statuses.FAILED]


def test_with_items_concurrency_limits_each_batch(run, monkeypatch):
    batches = []
    original = conducting.WorkflowConductor.get_next_tasks

    def spy(self):
        tasks = original(self)
        batches.extend(len(t["actions"]) for t in tasks if "items_count" in t)
        return tasks

    monkeypatch.setattr(conducting.WorkflowConductor, "get_next_tasks", spy)
    status, _, lines = run("with_items", concurrency=2)
    assert status == statuses.SUCCEEDED and len(lines) == 6
    assert max(batches) == 2


def test_join_count_third_branch_stages_the_join_again_in_orquesta_1_2():
    """Upstream behaviour worth knowing (Orquesta 1.2.0): once `join: 2` is satisfied and
    task5 has started, the third branch succeeding stages task5 once more, so a host that
    dispatches every next task runs task5 twice. Which happens depends on timing. The wfops
    host drops that staging (tests/test_host_run.py::test_count_join_*)."""
    conductor = conducting.WorkflowConductor(
        workflow_spec("wfops_examples.join_count"), inputs={"log": "l", "dir": "d"}
    )
    conductor.request_workflow_status(statuses.RUNNING)

    def event(task_id, status):
        conductor.update_task_state(task_id, 0, events.ActionExecutionEvent(status, result={}))

    conductor.get_next_tasks()
    event("task1", statuses.RUNNING)
    event("task1", statuses.SUCCEEDED)
    conductor.get_next_tasks()
    for task_id in ("task2", "task3", "task4"):
        event(task_id, statuses.RUNNING)
    event("task2", statuses.SUCCEEDED)
    event("task3", statuses.SUCCEEDED)
    assert [t["id"] for t in conductor.get_next_tasks()] == ["task5"]
    event("task5", statuses.RUNNING)
    event("task4", statuses.SUCCEEDED)
    assert [t["id"] for t in conductor.get_next_tasks()] == ["task5"]


def test_parallel_join_items(run):
    run.fail("task3.2")
    status, _, lines = run("parallel_join_items")
    assert status == statuses.FAILED
    assert lines[0] == "task1"
    assert sorted(lines[1:]) == sorted(["task2:%d" % i for i in range(3)] + ["task3:%d" % i for i in range(3)])


def test_sequential_items(run):
    status, _, lines = run("sequential_items", items=[7, 8])
    assert status == statuses.SUCCEEDED
    assert lines == ["task1", "task2:7", "task2:8", "task3:7", "task3:8"]


def test_join_count(run):
    status, _, lines = run("join_count")
    assert status == statuses.SUCCEEDED
    assert lines[0] == "task1" and lines.count("task5") == 1
    assert sorted(lines) == ["task1", "task2", "task3", "task4", "task5"]


def test_join_count_starts_after_two_of_three_branches():
    conductor = conducting.WorkflowConductor(
        workflow_spec("wfops_examples.join_count"), inputs={"log": "l", "dir": "d"}
    )
    conductor.request_workflow_status(statuses.RUNNING)

    def finish(task_id, status=statuses.SUCCEEDED):
        conductor.update_task_state(task_id, 0, events.ActionExecutionEvent(statuses.RUNNING))
        conductor.update_task_state(task_id, 0, events.ActionExecutionEvent(status, result={}))

    assert [t["id"] for t in conductor.get_next_tasks()] == ["task1"]
    finish("task1")
    assert [t["id"] for t in conductor.get_next_tasks()] == ["task2", "task3", "task4"]
    for task_id in ("task2", "task3", "task4"):
        conductor.update_task_state(task_id, 0, events.ActionExecutionEvent(statuses.RUNNING))
    conductor.update_task_state("task2", 0, events.ActionExecutionEvent(statuses.SUCCEEDED, result={}))
    assert conductor.get_next_tasks() == []
    conductor.update_task_state("task3", 0, events.ActionExecutionEvent(statuses.SUCCEEDED, result={}))
    assert [t["id"] for t in conductor.get_next_tasks()] == ["task5"]  # task4 still running


def test_subworkflows(run):
    status, _, lines = run("subworkflows")
    assert status == statuses.SUCCEEDED
    assert lines[0] == "task1" and lines[-1] == "task4"
    assert sorted(lines[1:-1]) == ["task2.step1", "task2.step2", "task3.step1", "task3.step2"]
    assert lines.index("task2.step1") < lines.index("task2.step2")


def test_subworkflows_branch_failure(run):
    run.fail("task3.step2")
    status, _, lines = run("subworkflows")
    assert status == statuses.FAILED
    assert "task4" not in lines and "task3.step2" in lines


def test_nested(run):
    status, _, lines = run("nested")
    assert status == statuses.SUCCEEDED
    assert lines == [
        "task1",
        "child.task1",
        "grandchild.task1",
        "grandchild.task2",
        "child.task3",
        "task3",
    ]


def test_nested_grandchild_failure_propagates(run):
    run.fail("grandchild.task2")
    status, _, lines = run("nested")
    assert status == statuses.FAILED
    assert lines[-1] == "grandchild.task2"


def test_context_demo_fails_unless_target_is_good(run):
    status, result, lines = run("context_demo")
    assert status == statuses.FAILED
    assert lines == ["task1", "task2:bad"]
    assert result["output"] == {"target": "bad", "token": None}

    status, result, lines = run("context_demo", target="good")
    assert status == statuses.SUCCEEDED
    assert lines == ["task1", "task2:good", "task3:token-good"]
    assert result["output"] == {"target": "good", "token": "token-good"}


def test_context_demo_task3_uses_what_task2_published():
    task2 = workflow_definition("wfops_examples.context_demo")["tasks"]["task2"]
    (transition,) = task2["next"]
    assert [list(p)[0] for p in transition["publish"]] == ["token"]
    assert "ctx().token" in workflow_definition("wfops_examples.context_demo")["tasks"]["task3"]["input"]["cmd"]


def test_handled_failure_runs_notify_instead_of_task3(run):
    run.fail("task2")
    status, result, lines = run("handled_failure")
    assert status == statuses.SUCCEEDED, "the failure is handled"
    assert lines == ["task1", "task2", "notify"]
    assert result["output"]["token"] is None
    assert "fail.task2" in result["output"]["error"]


def test_handled_failure_success_path_publishes_the_token(run):
    status, result, lines = run("handled_failure")
    assert status == statuses.SUCCEEDED, result
    assert lines == ["task1", "task2", "task3:token-task2"]
    assert result["output"] == {"token": "token-task2", "error": None}


def test_retry_delay_retries_twice(run):
    run.fail("task1")
    status, _, lines = run("retry_delay", retry_delay=0)
    assert status == statuses.FAILED
    assert lines == ["task1", "task1", "task1"]


def test_retry_delay_succeeds(run):
    status, _, lines = run("retry_delay")
    assert status == statuses.SUCCEEDED
    assert lines == ["task1", "task2"]


def test_retry_delay_delays_are_declared():
    conductor = conducting.WorkflowConductor(
        workflow_spec("wfops_examples.retry_delay"), inputs={"log": "l", "dir": "d", "retry_delay": 3, "delay": 5}
    )
    conductor.request_workflow_status(statuses.RUNNING)
    (task1,) = conductor.get_next_tasks()
    conductor.update_task_state("task1", 0, events.ActionExecutionEvent(statuses.RUNNING))
    conductor.update_task_state("task1", 0, events.ActionExecutionEvent(statuses.FAILED))
    (retry,) = conductor.get_next_tasks()
    assert retry["id"] == "task1" and retry["delay"] == 3
    conductor.update_task_state("task1", 0, events.ActionExecutionEvent(statuses.RUNNING))
    conductor.update_task_state("task1", 0, events.ActionExecutionEvent(statuses.SUCCEEDED))
    (task2,) = conductor.get_next_tasks()
    assert task2["id"] == "task2" and task2["delay"] == 5


def test_expressions_success_path(run):
    status, result, lines = run("expressions")
    assert status == statuses.SUCCEEDED, result
    assert lines == ["check"]
    out = result["output"]
    assert out["greeting"] == "Hello, world!"
    assert out["total"] == 6
    assert out["squares"] == ["1 squared is 1", "2 squared is 4", "3 squared is 9"]
    assert out["check_status"] == statuses.SUCCEEDED
    assert out["error"] is None
    assert out["summary"] == "Hello, world! 3 squares, total 6"
    refs = [e[0] for e in run.runner.executions]
    assert "core.noop" in refs and refs.count("core.local") == 1


def test_expressions_remediation_path(run):
    run.fail("check")
    status, result, lines = run("expressions", name="ops", numbers=[2, 5])
    assert status == statuses.FAILED
    assert lines == ["check"]
    out = result["output"]
    assert out["greeting"] == "Hello, ops!" and out["total"] == 7
    assert out["check_status"] == statuses.FAILED
    assert "fail.check" in out["error"]
    assert out["summary"] is None
    cleanup = [e for e in run.runner.executions if e[0] == "core.echo" and "cleaning up" in e[1]["message"]]
    assert len(cleanup) == 1


def test_python_demo(run):
    status, result, lines = run("python_demo", name="ops")
    assert status == statuses.SUCCEEDED, result
    assert lines == ["task2", "task3:Hello, ops!"]
    assert result["output"] == {"greeting": "Hello, ops!"}


def test_python_demo_flaky_fails_with_a_result(run):
    run.fail("task2")
    status, _, lines = run("python_demo")
    assert status == statuses.FAILED
    assert lines == ["task2"]
    flaky = [e for e in run.runner.executions if e[0] == "wfops_examples.flaky"]
    assert flaky[0][2] == statuses.FAILED


def test_python_actions_return_st2_shapes(run, monkeypatch, tmp_path):
    greet = load_python_action("greet.py", monkeypatch)
    assert greet(config={}).run(name="x") == {"greeting": "Hello, x!"}
    flaky = load_python_action("flaky.py", monkeypatch)
    log = tmp_path / "flaky.log"
    assert flaky(config={}).run(log=str(log), dir=str(tmp_path), task="t") == (True, {"task": "t"})
    (tmp_path / "fail.t").touch()
    ok, value = flaky(config={}).run(log=str(log), dir=str(tmp_path), task="t")
    assert ok is False and "fail.t" in value["error"]
    assert log.read_text().splitlines() == ["t", "t"]
