"""Re-runs as the wfops-operation runner applies them (wfops_st2.operations), on the
records StackStorm 3.9.0 stored for the seed scenarios, with a real Orquesta conductor
and the in-memory records: what the workflow engine would hand out next, the records
written, the audit entry, and the refusals (which change nothing)."""

from __future__ import annotations

import copy

import pytest
from captures import load, memory_records, step
from wfops_st2 import audit, conducting, operations
from wfops_st2.records import MemoryRecords

NOW = "2026-12-01T20:00:00Z"


def _records(capture) -> MemoryRecords:
    return memory_records(capture)


def _next(records: MemoryRecords, wf_id: str):
    c = conducting.conductor(records.workflow(wf_id))
    c.request_workflow_status("running")
    return [(t["id"], t["route"], [a.get("item_id") for a in t["actions"]]) for t in c.get_next_tasks()]


def _snapshot(records: MemoryRecords):
    return copy.deepcopy((records.executions, records.workflows, records.tasks, records.published))


@pytest.mark.parametrize("name", ["with_items"])
def test_item_selection_with_complete_results(name):
    capture = load(name)
    records = _records(capture)
    launch = step(capture, "launch")["id"]
    wf_id = capture["db_before"]["workflow_executions"][0]["id"]
    done = operations.rerun(records, launch, {"items": {"task1": [4]}}, "alice", NOW,
                            operation_execution="op1", comment="disk replaced")
    new = done["execution"]
    assert new["status"] == "running" and new["context"]["re-run"] == {
        "ref": launch, "tasks": ["task1"], "reset": []}
    assert new["context"]["workflow_execution"] == wf_id
    assert new["context"]["wfops"]["created_by"]["request"] == {"items": {"task1": [4]}}
    workflow = records.workflow(wf_id)
    assert workflow["action_execution"] == new["id"] and workflow["output"] is None
    assert workflow["status"] == "resuming" and records.published == [wf_id]
    assert workflow["context"]["st2"]["action_execution_id"] == new["id"]
    # the engine hands out item 4 only; item 1 keeps its failure
    assert _next(records, wf_id) == [("task1", 0, [4])]
    # the record StackStorm's engine will reuse: every item but 4 kept
    inserted = records.task_executions(wf_id)[-1]
    assert inserted["status"] == "running" and inserted["itemized"]
    kept = capture["db_before"]["task_executions"][0]["result"]["items"]
    assert inserted["result"]["items"] == kept[:4] + [None] + kept[5:]
    (entry,) = audit.entries(records.execution(launch))
    assert (entry["operation"], entry["user"], entry["comment"], entry["operation_execution"]) == (
        "re-run", "alice", "disk replaced", "op1")
    assert entry["outcome"] == {"execution": new["id"]}
    assert entry["plan"]["item_selections"][0]["indices"] == [4]


@pytest.mark.parametrize("name", ["with_items"])
def test_no_reset_keeps_the_succeeded_items_results(name):
    capture = load(name)
    records = _records(capture)
    wf_id = capture["db_before"]["workflow_executions"][0]["id"]
    operations.rerun(records, step(capture, "launch")["id"], {"tasks": ["task1"], "no_reset": ["task1"]},
                     "alice", NOW)
    assert _next(records, wf_id) == [("task1", 0, [1, 4])]
    inserted = records.task_executions(wf_id)[-1]
    assert [i is None for i in inserted["result"]["items"]] == [False, True, False, False, True, False]


@pytest.mark.parametrize("name", ["sequential_r4"])
def test_r4_hands_orquesta_the_collapsed_request(name):
    capture = load(name)
    # [task1, task2] with task3 failed: only task1 is staged (StackStorm stages both and
    # then runs task2 twice, as captured).
    records = _records(capture)
    wf_id = capture["db_before"]["workflow_executions"][0]["id"]
    done = operations.rerun(records, step(capture, "launch")["id"], {"tasks": ["task1", "task2"]}, "bob", NOW)
    assert done["execution"]["context"]["re-run"]["tasks"] == ["task1"]
    assert [d["task"] for d in done["plan"]["dropped"]] == ["task2"]
    assert _next(records, wf_id) == [("task1", 0, [None])]
    assert step(capture, "st2_rerun_done")["log"].count("task2") == 3


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_changed_context(name):
    capture = load(name)
    records = _records(capture)
    wf_id = capture["db_before"]["workflow_executions"][0]["id"]
    request = {"tasks": ["task2"], "context": {"task2": {"msg1": "fixed"}}}
    operations.rerun(records, step(capture, "launch")["id"], request, "bob", NOW)
    c = conducting.conductor(records.workflow(wf_id))
    c.request_workflow_status("running")
    (task,) = c.get_next_tasks()
    assert (task["id"], task["ctx"]["msg1"]) == ("task2", "fixed")


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_dry_run_and_refusals_change_nothing(name):
    capture = load(name)
    records = _records(capture)
    launch = step(capture, "launch")["id"]
    before = _snapshot(records)
    planned = operations.rerun(records, launch, {"tasks": ["task2"], "dry_run": True}, "bob", NOW)
    assert planned["execution"] is None and [r["task"] for r in planned["plan"]["rerun"]] == ["task2"]
    for request, status, text in [
        ({"tasks": ["task9"]}, 400, 'Task "task9" is not defined'),
        ({"tasks": ["task2"], "fingerprint": "0" * 64}, 409, ""),
        ({"skip": ["task2"]}, 400, 'Task "task2" publishes "msg2" with <% result().stdout %>, which cannot be '
         "computed from the supplied result (null): give `publish task2 msg2=VALUE`, or a `result task2 JSON` "
         "that provides it."),
        ({"skip": ["task1"]}, 400, 'Task "task1" already succeeded, so it cannot be skipped; to run it again, '
         "use `tasks task1`."),
        ({"tasks": ["task2"], "parameters": {"sleep": 1}}, 400,
         "Parameters override is not supported when re-running task(s) for a workflow."),
    ]:
        with pytest.raises(operations.OperationError) as refused:
            operations.rerun(records, launch, request, "bob", NOW)
        assert refused.value.status == status and text in refused.value.message, refused.value.message
    with pytest.raises(operations.OperationError) as refused:
        operations.rerun(records, "0" * 24, {"tasks": ["task2"]}, "bob", NOW)
    assert refused.value.message == 'Unable to identify resource with id "000000000000000000000000".'
    assert _snapshot(records) == before


@pytest.mark.parametrize("name", ["parallel_join"])
def test_task_context_and_audit(name):
    capture = load(name)
    records = _records(capture)
    launch = step(capture, "launch")["id"]
    view = operations.task_context(records, launch, "task3")
    assert view["status"] == "failed" and [p["task"] for p in view["led_to_by"]] == ["task1"]
    assert "fail.task3" in view["result"]["stderr"]
    assert operations.audit(records, launch) == []
    with pytest.raises(operations.OperationError) as refused:
        operations.task_context(records, launch, "task4")
    assert refused.value.message == 'Task "task4" has not run in workflow execution "%s".' % launch


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_lifecycle_checks_first_and_audits_before_the_request(name):
    capture = load(name)
    records = _records(capture)
    launch = step(capture, "launch")["id"]
    with pytest.raises(operations.OperationError) as refused:
        operations.lifecycle(records, "pause", launch, "bob", NOW)
    assert refused.value.message == 'Unable to pause execution "%s" because it is not in a running state.' % launch
    with pytest.raises(operations.OperationError) as refused:
        operations.lifecycle(records, "cancel", launch, "bob", NOW)
    assert refused.value.message == (
        'Unable to cancel execution "%s" because it is already in a completed state.' % launch)
    assert audit.entries(records.execution(launch)) == []
    records.executions[launch]["status"] = "running"
    done = operations.lifecycle(records, "pause", launch, "bob", NOW, comment="maintenance")
    assert done["changed"] and done["execution"]["status"] == "pausing"
    again = operations.lifecycle(records, "pause", launch, "bob", NOW)
    assert not again["changed"] and again["message"] == 'Execution "%s" is already pausing.' % launch
    (entry,) = audit.entries(records.execution(launch))
    assert (entry["operation"], entry["comment"], entry["outcome"]) == (
        "pause", "maintenance", {"status_before": "running", "requested": "pausing"})
