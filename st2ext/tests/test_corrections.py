"""wfops's corrections (``wfops.corrections``, shared with the embedded host) on the
serialized conductors StackStorm 3.9.0 stored, through :func:`wfops.corrections.corrected`
and a real Orquesta conductor (StackStorm runs 1.6; this runs PyPI's 1.2.0 on the same
serialized state): what the conductor hands out next is what the correction says; and the
task execution records the extension writes beside it (``wfops_st2.item_records``)."""

from __future__ import annotations

import copy

import pytest
from captures import load
from wfops_st2 import item_records
from wfops_st2.conducting import RECORD_FIELDS, conductor
from wfops_st2.run_state import item_statuses, records_by_entry

from wfops import corrections


def _workflow(capture, which="db_before"):
    return copy.deepcopy(capture[which]["workflow_executions"][0])


def _items(capture, which="db_before"):
    db = capture[which]
    sequence = db["workflow_executions"][0]["state"]["sequence"]
    return item_statuses(records_by_entry(sequence, db["task_executions"]), sequence)


def _corrected(workflow, entries, statuses=()):
    """``workflow`` with its conductor after ``entries`` (the input is left as it was)."""
    before = copy.deepcopy(workflow)
    data = corrections.corrected({k: workflow.get(k) for k in RECORD_FIELDS}, entries,
                                 lambda c, task, route, reset: item_records.staged_items(list(statuses)))
    assert workflow == before
    return dict(workflow, **{k: data[k] for k in ("spec", "graph", "state", "errors")})


def _rerun(workflow, requests, statuses=()):
    return _corrected(workflow, [{"op": "rerun", "requests": [list(r) for r in requests]}], statuses)


def _next_items(workflow):
    """(task, item ids) of what the conductor hands out next."""
    c = conductor(workflow)
    c.request_workflow_status("running")
    return [(t["id"], [a.get("item_id") for a in t["actions"]]) for t in c.get_next_tasks()]


@pytest.mark.parametrize("name", ["with_items"])
def test_item_selection_runs_exactly_the_chosen_items(name):
    capture = load(name)
    # Items 1 and 4 failed. Orquesta's no-reset re-run would run both; E3 with [4] runs
    # item 4 only, item 1 keeps its failure.
    workflow = _workflow(capture)
    statuses = _items(capture)[0]
    assert statuses == ["succeeded", "failed", "succeeded", "succeeded", "failed", "succeeded"]
    plain = _rerun(copy.deepcopy(workflow), [("task1", 0, False)])
    assert _next_items(plain) == [("task1", [1, 4])]
    chosen = _corrected(workflow, [
        {"op": "rerun", "requests": [["task1", 0, False]]},
        {"op": "restage", "task": "task1", "route": 0, "indices": [4], "statuses": statuses}])
    assert _next_items(chosen) == [("task1", [4])]
    staged = chosen["state"]["staged"][0]
    assert [i["status"] for i in staged["items"]] == [
        "succeeded", "failed", "succeeded", "succeeded", "null", "succeeded"]


@pytest.mark.parametrize("name", ["with_items"])
def test_rerun_of_a_with_items_task_whose_staged_entry_is_gone(name):
    capture = load(name)
    # After the re-run, task1 succeeded and Orquesta dropped its staged entry: a second
    # re-run fails inside Orquesta (as it does on StackStorm). Restaged first, it works.
    workflow = _workflow(capture, "db")
    assert workflow["state"]["staged"] == []
    with pytest.raises(AttributeError):
        conductor(workflow).request_workflow_rerun(task_requests=[corrections.rerun_request("task1", 0, True)])
    statuses = _items(capture, "db")[1]
    again = _rerun(workflow, [("task1", 0, True)], statuses)
    assert _next_items(again) == [("task1", [0, 1, 2, 3, 4, 5])]
    # no reset: the items keep the statuses their records show (all succeeded: none runs)
    kept = _rerun(workflow, [("task1", 0, False)], statuses)
    assert [i["status"] for i in kept["state"]["staged"][0]["items"]] == statuses


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_changed_context_reaches_the_rerun_task_only(name):
    capture = load(name)
    rerun = {"op": "rerun", "requests": [["task2", 0, True]]}
    before = [e["ctxs"]["in"] for e in _corrected(_workflow(capture), [rerun])["state"]["sequence"]]
    workflow = _corrected(_workflow(capture), [
        rerun, {"op": "context", "task": "task2", "route": 0, "values": {"msg1": "changed", "extra": [1, 2]}}])
    c = conductor(workflow)
    c.request_workflow_status("running")
    (task,) = c.get_next_tasks()
    assert task["id"] == "task2"
    assert task["ctx"]["msg1"] == "changed" and task["ctx"]["extra"] == [1, 2]
    assert task["ctx"]["log"] == "/tmp/WORKDIR/log"
    # the old executions keep the contexts they had (Orquesta 1.2.0 adds task2's new
    # entry at the re-run: it takes the changed context too)
    after = [e["ctxs"]["in"] for e in workflow["state"]["sequence"]]
    assert after[:2] == before[:2] and after[2:] == [i + [len(workflow["state"]["contexts"]) - 1]
                                                     for i in before[2:]]


@pytest.mark.parametrize("name", ["with_items"])
def test_complete_items_record_keeps_the_items_not_rerun(name):
    capture = load(name)
    # R6: StackStorm's own no-reset re-run left None for items 0, 2, 3, 5 (captured);
    # the record the extension inserts keeps them.
    previous = capture["db_before"]["task_executions"][0]
    record = item_records.complete_items_record(previous, [1, 4])
    assert record["status"] == "running" and record["itemized"] is True
    assert "id" not in record and "start_timestamp" not in record
    kept = previous["result"]["items"]
    assert record["result"]["items"] == [kept[0], None, kept[2], kept[3], None, kept[5]]
    assert [i["result"]["stdout"] for i in record["result"]["items"] if i] == [0, 2, 3, 5]
    assert record["task_id"] == "task1" and record["workflow_execution"] == previous["workflow_execution"]
    after = [i is None for i in capture["db"]["task_executions"][-1]["result"]["items"]]
    assert after == [True, False, True, True, False, True]


def test_rerun_items():
    statuses = ["succeeded", "failed", None, "timeout"]
    assert item_records.rerun_items(statuses, reset=True) == [0, 1, 2, 3]
    assert item_records.rerun_items(statuses, reset=False) == [1, 2, 3]
    assert item_records.rerun_items(statuses, reset=False, chosen=[3, 0, 3]) == [0, 3]


def test_prepare_unstages_holds_and_forgets_stale_branches():
    capture = load("parallel_join")
    workflow = _workflow(capture)
    state = workflow["state"]
    state["staged"] = [{"id": "task4", "route": 0, "ctxs": {"in": [0]}, "prev": {}, "ready": True},
                       {"id": "task2", "route": 0, "ctxs": {"in": [0]}, "prev": {}, "ready": True}]
    fixed = _corrected(workflow, [{"op": "stage", "tasks": [], "unstage": [["task4", 0], ["x", 0]],
                                   "hold": [["task2", 0]], "stale_branches": [["task3", 0]]}])
    assert fixed["state"]["staged"] == [{"id": "task2", "route": 0, "ctxs": {"in": [0]}, "prev": {}, "ready": False}]
    assert "task3__r0" not in fixed["state"]["tasks"] and "task3__r0" in state["tasks"]


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_skip_completes_the_task_with_the_result_and_publish(name):
    capture = load(name)
    workflow = _workflow(capture)
    skipped = _corrected(workflow, [
        {"op": "rerun", "requests": [["task2", 0, True]]},
        {"op": "skip", "task": "task2", "route": 0, "result": {"stdout": "given"}, "publish": {}}])
    entry = skipped["state"]["sequence"][-1]
    assert (entry["id"], entry["status"], entry["skipped"]) == ("task2", "succeeded", True)
    c = conductor(skipped)
    (task,) = c.get_next_tasks()
    assert (task["id"], task["ctx"]["msg2"]) == ("task3", "given")
    overridden = _corrected(workflow, [
        {"op": "rerun", "requests": [["task2", 0, True]]},
        {"op": "skip", "task": "task2", "route": 0, "result": None, "publish": {"msg2": "manual"}}])
    (task,) = conductor(overridden).get_next_tasks()
    assert (task["id"], task["ctx"]["msg2"]) == ("task3", "manual")
    # the override lasted for the skip only: the spec still publishes result().stdout
    assert overridden["spec"]["spec"]["tasks"]["task2"]["next"][0]["publish"] == [{"msg2": "<% result().stdout %>"}]


def test_skipped_record():
    capture = load("sequential_task2")
    previous = capture["db_before"]["task_executions"][1]
    record = item_records.skipped_record(previous, "wf1", "task2", 0, {"stdout": "given"})
    assert (record["task_id"], record["task_route"], record["status"], record["result"]) == (
        "task2", 0, "succeeded", {"stdout": "given"})
    assert record["context"]["msg1"] == previous["context"]["msg1"] == "task1"
    assert record["context"][item_records.SKIPPED_RESULT] == {"stdout": "given"}
    plain = item_records.skipped_record(previous, "wf1", "task2", 0, "text")
    assert plain["result"] is None and plain["context"][item_records.SKIPPED_RESULT] == "text"
