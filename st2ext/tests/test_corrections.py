"""wfops's corrections on the conductor states StackStorm 3.9.0 stored, driven through a
real Orquesta conductor (StackStorm runs 1.6; this runs PyPI's 1.2.0 on the same
serialized state): what the conductor hands out next is what the correction says."""

from __future__ import annotations

import copy

import pytest
from captures import load, step
from wfops_st2 import corrections
from wfops_st2.conducting import conductor, rerun_request, state_of, with_state
from wfops_st2.run_state import item_statuses, records_by_entry


def _workflow(capture, which="db_before"):
    return copy.deepcopy(capture[which]["workflow_executions"][0])


def _items(capture, which="db_before"):
    db = capture[which]
    sequence = db["workflow_executions"][0]["state"]["sequence"]
    return item_statuses(records_by_entry(sequence, db["task_executions"]), sequence)


def _rerun(workflow, requests):
    c = conductor(workflow)
    c.request_workflow_rerun(task_requests=[rerun_request(*r) for r in requests])
    return with_state(workflow, state_of(c))


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
    chosen = _rerun(workflow, [("task1", 0, False)])
    corrections.select_items(chosen["state"], "task1", 0, [4], statuses)
    assert _next_items(chosen) == [("task1", [4])]
    staged = chosen["state"]["staged"][0]
    assert [i["status"] for i in staged["items"]] == [
        "succeeded", "failed", "succeeded", "succeeded", "null", "succeeded"]
    with pytest.raises(ValueError, match="has items 0 to 5; no item 9"):
        corrections.select_items(chosen["state"], "task1", 0, [9], statuses)


@pytest.mark.parametrize("name", ["with_items"])
def test_rerun_of_a_with_items_task_whose_staged_entry_is_gone(name):
    capture = load(name)
    # After the re-run, task1 succeeded and Orquesta dropped its staged entry: a second
    # re-run fails inside Orquesta (as it does on StackStorm). Restaged first, it works.
    workflow = _workflow(capture, "db")
    assert workflow["state"]["staged"] == []
    with pytest.raises(AttributeError):
        _rerun(copy.deepcopy(workflow), [("task1", 0, True)])
    statuses = _items(capture, "db")[1]
    corrections.restage_items(workflow["state"], "task1", 0, statuses)
    again = _rerun(workflow, [("task1", 0, True)])
    assert _next_items(again) == [("task1", [0, 1, 2, 3, 4, 5])]


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_changed_context_reaches_the_rerun_task_only(name):
    capture = load(name)
    workflow = _rerun(_workflow(capture), [("task2", 0, True)])
    before = [e["ctxs"]["in"] for e in workflow["state"]["sequence"]]
    corrections.merge_context(workflow["state"], "task2", 0, {"msg1": "changed", "extra": [1, 2]})
    c = conductor(workflow)
    c.request_workflow_status("running")
    (task,) = c.get_next_tasks()
    assert task["id"] == "task2"
    assert task["ctx"]["msg1"] == "changed" and task["ctx"]["extra"] == [1, 2]
    assert task["ctx"]["log"] == "/tmp/WORKDIR/log"
    # the old executions keep the contexts they had
    assert [e["ctxs"]["in"] for e in workflow["state"]["sequence"]] == before
    with pytest.raises(KeyError):
        corrections.merge_context(workflow["state"], "task3", 0, {"x": 1})


@pytest.mark.parametrize("name", ["with_items"])
def test_complete_items_record_keeps_the_items_not_rerun(name):
    capture = load(name)
    # R6: StackStorm's own no-reset re-run left None for items 0, 2, 3, 5 (captured);
    # the record the extension inserts keeps them.
    previous = capture["db_before"]["task_executions"][0]
    record = corrections.complete_items_record(previous, [1, 4])
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
    assert corrections.rerun_items(statuses, reset=True) == [0, 1, 2, 3]
    assert corrections.rerun_items(statuses, reset=False) == [1, 2, 3]
    assert corrections.rerun_items(statuses, reset=False, chosen=[3, 0, 3]) == [0, 3]


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_clear_output(name):
    capture = load(name)
    # StackStorm kept the failed run's output on the record after its own re-run.
    workflow = _workflow(capture, "db")
    assert step(capture, "rerun_done")["status"] == "succeeded"
    corrections.clear_output(workflow)
    assert workflow["output"] is None


def test_prepare_unstages_holds_and_forgets_stale_branches():
    state = {
        "staged": [{"id": "a", "route": 0, "ready": True}, {"id": "b", "route": 1, "ready": True}],
        "tasks": {"a__r0": 0, "c__r0": 1},
    }
    corrections.prepare(state, unstage=[["a", 0], ["x", 0]], hold=[["b", 1]], stale_branches=[["c", 0]])
    assert state["staged"] == [{"id": "b", "route": 1, "ready": False}]
    assert state["tasks"] == {"a__r0": 0}
