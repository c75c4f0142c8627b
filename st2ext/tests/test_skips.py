"""Skips (E4/E5/E6) as the wfops-operation runner applies them (wfops_st2.operations), on
the records StackStorm 3.9.0 stored for the seed scenarios, with a real Orquesta
conductor standing in for st2workflowengine: the skipped task succeeds with the supplied
result without running, its on-success transitions publish from that result or from
``publish``, the workflow goes on downstream (and completes), the records written, the
task context view, the audit entry; and the refusals, in the embedded host's words, which
change nothing."""

from __future__ import annotations

import copy

import pytest
from captures import load, memory_records, step
from orquesta import events
from wfops_st2 import audit, conducting, operations

NOW = "2026-12-01T21:00:00Z"


def _setup(name):
    capture = load(name)
    return (memory_records(capture), step(capture, "launch")["id"],
            capture["db_before"]["workflow_executions"][0]["id"])


def _engine(records, wf_id):
    """The conductor st2workflowengine loads once the status is published."""
    c = conducting.conductor(records.workflow(wf_id))
    if c.get_workflow_status() == "resuming":
        c.request_workflow_status("running")
    return c


def _finish(c, results):
    """Run what the conductor hands out, as st2workflowengine would, each task succeeding
    with ``results[task]``; returns the tasks run, in order."""
    ran = []
    while True:
        next_tasks = c.get_next_tasks()
        if not next_tasks:
            return ran
        for task in next_tasks:
            ran.append(task["id"])
            c.update_task_state(task["id"], task["route"], events.ActionExecutionEvent("running"))
            c.update_task_state(task["id"], task["route"],
                                events.ActionExecutionEvent("succeeded", result=results.get(task["id"])))


def _snapshot(records):
    return copy.deepcopy((records.executions, records.workflows, records.tasks, records.published))


def test_skip_with_publish_continues_downstream():
    records, launch, wf_id = _setup("sequential_task2")
    request = {"skip": ["task2"], "publish": {"task2": {"msg2": "manual"}}}
    done = operations.rerun(records, launch, request, "alice", NOW, operation_execution="op7", comment="by hand")
    new = done["execution"]
    assert new["status"] == "running" and new["context"]["re-run"] == {
        "ref": launch, "tasks": ["task2"], "reset": ["task2"]}
    assert new["context"]["wfops"]["created_by"]["operation"] == "skip"
    assert done["plan"]["skips"][0]["task"] == "task2"
    workflow = records.workflow(wf_id)
    assert (workflow["status"], workflow["action_execution"], workflow["output"]) == ("resuming", new["id"], None)
    assert records.published == [wf_id]
    skipped = [e for e in workflow["state"]["sequence"] if e.get("skipped")]
    assert [(e["id"], e["status"]) for e in skipped] == [("task2", "succeeded")]
    # the skipped task's record, beside the failed one; task2 itself is never handed out
    record = records.task_executions(wf_id)[-1]
    assert (record["task_id"], record["status"], record["itemized"]) == ("task2", "succeeded", False)
    c = _engine(records, wf_id)
    (task,) = c.get_next_tasks()
    assert (task["id"], task["ctx"]["msg1"], task["ctx"]["msg2"]) == ("task3", "task1", "manual")
    assert _finish(c, {"task3": {"stdout": "task3"}}) == ["task3"]
    assert c.get_workflow_status() == "succeeded"
    c.render_workflow_output()
    assert c.get_workflow_output() == {"msg1": "task1", "msg2": "manual", "msg3": "task3"}
    view = operations.task_context(records, launch, "task2")
    assert (view["status"], view["skipped"], view["result"]) == ("succeeded", True, None)
    assert list(view["published"].values()) == [{"msg2": "manual"}]
    (entry,) = audit.entries(records.execution(launch))
    assert (entry["operation"], entry["user"], entry["comment"], entry["operation_execution"]) == (
        "skip", "alice", "by hand", "op7")
    assert entry["request"] == request and entry["outcome"] == {"execution": new["id"]}


def test_skip_with_a_supplied_result_publishes_from_it():
    records, launch, wf_id = _setup("sequential_task2")
    operations.rerun(records, launch, {"skip": ["task2"], "result": {"stdout": "given"}}, "bob", NOW)
    (task,) = _engine(records, wf_id).get_next_tasks()
    assert (task["id"], task["ctx"]["msg2"]) == ("task3", "given")
    view = operations.task_context(records, launch, "task2")
    assert (view["skipped"], view["result"]) == (True, {"stdout": "given"})
    assert records.task_executions(wf_id)[-1]["result"] == {"stdout": "given"}


def test_skipping_the_last_task_completes_the_workflow():
    records, launch, wf_id = _setup("sequential_r4")
    operations.rerun(records, launch, {"skip": ["task3"], "result": {"stdout": "by hand"}}, "bob", NOW)
    # published as resuming (st2workflowengine's queue); the conductor is already done
    workflow = records.workflow(wf_id)
    assert (workflow["status"], workflow["state"]["status"]) == ("resuming", "succeeded")
    c = _engine(records, wf_id)
    assert c.get_next_tasks() == []
    c.render_workflow_output()
    assert c.get_workflow_output()["msg3"] == "by hand"


def test_join_needs_every_failed_branch_re_run_or_skipped():
    records, launch, wf_id = _setup("parallel_join")
    before = _snapshot(records)
    with pytest.raises(operations.OperationError) as refused:
        operations.rerun(records, launch, {"skip": ["task2"]}, "bob", NOW)
    assert refused.value.message == (
        'Join "task4" waits for task3, which failed and is not in the request: add `tasks task3` to '
        "re-run it (or `skip task3` to skip it).")
    assert _snapshot(records) == before
    operations.rerun(records, launch, {"tasks": ["task2"], "skip": ["task3"]}, "bob", NOW)
    c = _engine(records, wf_id)
    assert _finish(c, {}) == ["task2", "task4"] and c.get_workflow_status() == "succeeded"


def test_skipping_both_branches_runs_the_join():
    records, launch, wf_id = _setup("parallel_join")
    done = operations.rerun(records, launch, {"skip": ["task2", "task3"]}, "bob", NOW)
    assert sorted(s["task"] for s in done["plan"]["skips"]) == ["task2", "task3"]
    c = _engine(records, wf_id)
    assert _finish(c, {}) == ["task4"] and c.get_workflow_status() == "succeeded"
    assert [t["task_id"] for t in records.task_executions(wf_id)][-2:] == ["task2", "task3"]


def test_skipping_a_with_items_task_records_it_whole():
    records, launch, wf_id = _setup("with_items")
    request = {"skip": ["task1"], "publish": {"task1": {"results": ["a", "b"]}}}
    operations.rerun(records, launch, request, "bob", NOW)
    c = _engine(records, wf_id)
    assert c.get_next_tasks() == [] and c.get_workflow_status() == "succeeded"
    c.render_workflow_output()
    assert c.get_workflow_output()["results"] == ["a", "b"]
    # no running items record to complete: the skipped task's own record only
    record = records.task_executions(wf_id)[-1]
    assert (record["status"], record["itemized"]) == ("succeeded", False)
    assert len(records.task_executions(wf_id)) == 2


@pytest.mark.parametrize("request_, text", [
    ({"skip": ["task2"]}, 'Task "task2" publishes "msg2" with <% result().stdout %>, which cannot be computed '
     "from the supplied result (null): give `publish task2 msg2=VALUE`, or a `result task2 JSON` that provides it."),
    ({"skip": ["task1"]}, 'Task "task1" already succeeded, so it cannot be skipped; to run it again, use '
     "`tasks task1`."),
    ({"skip": ["task3"], "publish": {"task3": {"msg3": "x"}}},
     'Task "task3" never ran, so there is nothing to skip; re-run the task that leads to it with `tasks` instead.'),
])
def test_refused_skips_say_why_and_change_nothing(request_, text):
    records, launch, wf_id = _setup("sequential_task2")
    before = _snapshot(records)
    with pytest.raises(operations.OperationError) as refused:
        operations.rerun(records, launch, request_, "bob", NOW)
    assert refused.value.status == 400 and text in refused.value.message, refused.value.message
    assert _snapshot(records) == before


def test_dry_run_of_a_skip_plans_it_only():
    records, launch, wf_id = _setup("sequential_task2")
    before = _snapshot(records)
    planned = operations.rerun(records, launch, {"skip": ["task2"], "publish": {"task2": {"msg2": "m"}},
                                                 "dry_run": True}, "bob", NOW)
    assert planned["execution"] is None
    assert planned["plan"]["skips"][0]["publish"] == {"msg2": "m"}
    assert _snapshot(records) == before


def test_a_single_skips_publish_and_result_as_the_pack_sends_them():
    # the pack's actions send one skip's publish and result unkeyed; keyed by the task as
    # the wfops server's API keys them
    records, launch, wf_id = _setup("sequential_task2")
    done = operations.rerun(records, launch, {"skip": ["task2"], "publish": {"msg2": "unkeyed"},
                                              "result": {"stdout": "r"}}, "bob", NOW)
    assert done["plan"]["skips"][0]["publish"] == {"msg2": "unkeyed"}
    (task,) = _engine(records, wf_id).get_next_tasks()
    assert task["ctx"]["msg2"] == "unkeyed"
    assert operations.task_context(records, launch, "task2")["result"] == {"stdout": "r"}
    records, launch, wf_id = _setup("parallel_join")
    before = _snapshot(records)
    with pytest.raises(operations.OperationError) as refused:
        operations.rerun(records, launch, {"skip": ["task2", "task3"], "publish": {"x": 1}}, "bob", NOW)
    assert refused.value.message == (
        'With several skipped tasks, `publish` must be an object keyed by the skipped task names (task2, task3).')
    assert _snapshot(records) == before
