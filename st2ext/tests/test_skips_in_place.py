"""E4 on a paused workflow as the wfops-operation runner applies it
(wfops_st2.in_place): wfops_examples.handled_failure run by a real Orquesta conductor
standing in for st2workflowengine, paused by the operator while ``notify`` (task2's
failure handler) runs, stopped paused with task2 failed. The skip is recorded on the
paused execution itself (no new execution), which resumes: task3 runs with the supplied
publish, nothing else runs again, the audit entry says in place; paused sub-workflows
resume (L4); refusals (E5/E6, a running workflow) change nothing."""

from __future__ import annotations

import copy
import pathlib

import pytest
import yaml
from captures import ROOT
from orquesta import conducting as orquesta_conducting
from orquesta import events
from orquesta.specs import native
from wfops_st2 import audit, conducting, operations
from wfops_st2.records import MemoryRecords

NOW = "2026-12-02T03:00:00Z"
LAUNCH = "6c0000000000000000000001"
WF_ID = "6c0000000000000000000002"
SPEC = ROOT / "wfops_examples" / "actions" / "workflows" / "handled_failure.yaml"


def _results():
    return {"task1": {"stdout": "task1"}, "task2": {"stdout": "", "stderr": "failure marker fail.task2 exists"},
            "notify": {"stdout": "notified"}}


def _paused(sub_workflow_status=None):
    """MemoryRecords of the paused workflow (as StackStorm stores it), and the tasks the
    conductor handed out, in order."""
    spec = native.WorkflowSpec(yaml.safe_load(pathlib.Path(SPEC).read_text()))
    c = orquesta_conducting.WorkflowConductor(spec, inputs={"log": "/tmp/l", "dir": "/tmp/d"})
    c.request_workflow_status("running")
    tasks, ran = [], []
    stamp = iter(range(10, 99))

    def handed_out():
        for task in c.get_next_tasks():
            ran.append(task["id"])
            c.update_task_state(task["id"], task["route"], events.ActionExecutionEvent("running"))
            tasks.append({"workflow_execution": WF_ID, "task_name": task["id"], "task_id": task["id"],
                          "task_route": task["route"], "task_spec": {}, "itemized": False,
                          "context": task["ctx"], "status": "running", "result": None,
                          "start_timestamp": "2026-12-02 02:00:%02d.000000+00:00" % next(stamp)})
        return ran[-1]

    for _ in range(2):
        task = handed_out()
        c.update_task_state(task, 0, events.ActionExecutionEvent("succeeded" if task == "task1" else "failed",
                                                                 result=_results()[task]))
        tasks[-1].update(status="succeeded" if task == "task1" else "failed", result=_results()[task])
    assert handed_out() == "notify"
    c.request_workflow_status("paused")
    assert c.get_workflow_status() == "pausing"
    c.update_task_state("notify", 0, events.ActionExecutionEvent("succeeded", result=_results()["notify"]))
    tasks[-1].update(status="succeeded", result=_results()["notify"])
    assert c.get_workflow_status() == "paused"
    workflow = dict(c.serialize(), id=WF_ID, action_execution=LAUNCH, status="paused",
                    context={"st2": {"action_execution_id": LAUNCH}})
    execution = {"id": LAUNCH, "status": "paused", "runner": {"name": "orquesta"},
                 "action": {"ref": "wfops_examples.handled_failure"}, "parameters": {},
                 "context": {"user": "root", "workflow_execution": WF_ID}}
    children = [{"id": "6c00000000000000000000%02d" % (10 + i), "parent": LAUNCH, "status": "succeeded",
                 "runner": {"name": "local-shell-cmd"}, "action": {"ref": "core.local"}, "context": {}}
                for i in range(3)]
    if sub_workflow_status:
        children.append({"id": "6c0000000000000000000020", "parent": LAUNCH, "status": sub_workflow_status,
                         "runner": {"name": "orquesta"}, "action": {"ref": "wfops_examples.nested_child"},
                         "context": {}})
    return MemoryRecords(executions=[execution] + children, workflows=[workflow], task_executions=tasks), ran


def _engine(records):
    """What st2workflowengine does once the resuming status is published."""
    c = conducting.conductor(records.workflow(WF_ID))
    if c.get_workflow_status() == "resuming":
        c.request_workflow_status("running")
    return c


def _finish(c, results):
    ran = []
    while c.get_next_tasks():
        for task in c.get_next_tasks():
            ran.append((task["id"], dict(task["ctx"])))
            c.update_task_state(task["id"], task["route"], events.ActionExecutionEvent("running"))
            c.update_task_state(task["id"], task["route"],
                                events.ActionExecutionEvent("succeeded", result=results.get(task["id"])))
    return ran


def _snapshot(records):
    return copy.deepcopy((records.executions, records.workflows, records.tasks, records.published))


def test_a_skip_on_a_paused_workflow_is_recorded_in_place_and_resumes_it():
    records, ran = _paused()
    assert ran == ["task1", "task2", "notify"]
    request = {"skip": ["task2"], "publish": {"token": "manual"}}
    done = operations.rerun(records, LAUNCH, request, "alice", NOW, operation_execution="op9", comment="by hand")
    assert done["plan"]["in_place"] is True and done["plan"]["requests"] == []
    execution = done["execution"]
    assert execution["id"] == LAUNCH, "the paused execution itself goes on"
    assert (execution["status"], execution["context"]["resumed_by"]) == ("running", "alice")
    assert len(records.executions) == 4, "no new execution"
    workflow = records.workflow(WF_ID)
    assert (workflow["status"], workflow["action_execution"]) == ("resuming", LAUNCH)
    assert records.published == [WF_ID]
    assert [(e["id"], e["status"], e.get("skipped", False)) for e in workflow["state"]["sequence"]] == [
        ("task1", "succeeded", False), ("task2", "failed", False), ("notify", "succeeded", False),
        ("task2", "succeeded", True)]
    record = records.task_executions(WF_ID)[-1]
    assert (record["task_id"], record["status"], record["itemized"]) == ("task2", "succeeded", False)
    # st2workflowengine hands out task3 only, with the published token; the workflow succeeds
    c = _engine(records)
    downstream = _finish(c, {"task3": {"stdout": "manual"}})
    assert [(t, ctx["token"]) for t, ctx in downstream] == [("task3", "manual")]
    assert c.get_workflow_status() == "succeeded"
    c.render_workflow_output()
    assert c.get_workflow_output()["token"] == "manual"
    view = operations.task_context(records, LAUNCH, "task2", 0)
    assert (view["status"], view["skipped"], view["result"]) == ("succeeded", True, None)
    (entry,) = audit.entries(records.execution(LAUNCH))
    assert (entry["operation"], entry["user"], entry["comment"], entry["operation_execution"]) == (
        "skip", "alice", "by hand", "op9")
    assert entry["request"] == request and entry["plan"]["in_place"] is True
    assert entry["outcome"] == {"execution": LAUNCH, "in_place": True, "status_before": "paused",
                                "status_after": "running", "resumed": True}


def test_a_skip_in_place_with_a_supplied_result_publishes_from_it():
    records, _ = _paused()
    operations.rerun(records, LAUNCH, {"skip": ["task2"], "result": {"stdout": "given"}}, "bob", NOW)
    assert [(t, ctx["token"]) for t, ctx in _finish(_engine(records), {})] == [("task3", "given")]
    assert records.task_executions(WF_ID)[-1]["result"] == {"stdout": "given"}


def test_a_skip_in_place_resumes_the_paused_sub_workflow_too():
    records, _ = _paused(sub_workflow_status="paused")
    operations.rerun(records, LAUNCH, {"skip": ["task2"], "publish": {"token": "t"}}, "bob", NOW)
    assert records.execution("6c0000000000000000000020")["status"] == "resuming"
    assert records.execution("6c0000000000000000000010")["status"] == "succeeded"


@pytest.mark.parametrize("request_, status, text", [
    ({"skip": ["task2"]}, 400, '"token" with <% result().stdout %>'),
    ({"skip": ["task1"]}, 400, 'Task "task1" already succeeded, so it cannot be skipped'),
    ({"skip": ["task3"], "publish": {"token": "x"}}, 400, 'Task "task3" never ran, so there is nothing to skip'),
    ({"tasks": ["task2"]}, 400, "not in a completed state"),
    ({"skip": ["task2"], "publish": {"token": "x"}, "fingerprint": "0" * 16}, 409, ""),
])
def test_refused_skips_on_a_paused_workflow_change_nothing(request_, status, text):
    records, _ = _paused()
    before = _snapshot(records)
    with pytest.raises(operations.OperationError) as refused:
        operations.rerun(records, LAUNCH, request_, "bob", NOW)
    assert refused.value.status == status and text in refused.value.message, refused.value.message
    assert _snapshot(records) == before


def test_a_skip_in_a_running_workflow_is_refused_and_changes_nothing():
    records, _ = _paused()
    records.workflows[WF_ID]["status"] = records.workflows[WF_ID]["state"]["status"] = "running"
    records.executions[LAUNCH]["status"] = "running"
    before = _snapshot(records)
    with pytest.raises(operations.OperationError) as refused:
        operations.rerun(records, LAUNCH, {"skip": ["task2"], "publish": {"token": "x"}}, "bob", NOW)
    assert "pause" in refused.value.message
    assert _snapshot(records) == before


def test_dry_run_of_a_skip_in_place_plans_it_only():
    records, _ = _paused()
    before = _snapshot(records)
    planned = operations.rerun(records, LAUNCH, {"skip": ["task2"], "publish": {"token": "m"}, "dry_run": True},
                               "bob", NOW)
    assert planned["execution"] is None and planned["plan"]["in_place"] is True
    assert _snapshot(records) == before
