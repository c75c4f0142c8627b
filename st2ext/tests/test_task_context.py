"""E8 on StackStorm's records (wfops_st2.task_context): what a task saw and did, read
from the workflow and task execution records and the task's action executions."""

from __future__ import annotations

import pytest
from captures import api_children, load, step
from wfops_st2.task_context import ViewError, task_context_view


def _view(capture, execution_id, task, **kwargs):
    db = capture["db"]
    workflow = db["workflow_executions"][0]
    actions = [c for e in (step(capture, "launch")["id"], step(capture, "rerun_done")["id"])
               for c in api_children(capture, e)]
    return task_context_view({"id": execution_id}, workflow, db["task_executions"], actions, task, **kwargs)


@pytest.mark.parametrize("name", ["parallel_join"])
def test_a_task_of_a_join(name):
    capture = load(name)
    rerun = step(capture, "rerun_done")["id"]
    view = _view(capture, rerun, "task4")
    assert (view["task"], view["route"], view["status"], view["skipped"]) == ("task4", 0, "succeeded", False)
    assert view["context"]["log"] == "/tmp/WORKDIR/log"
    assert [(p["task"], p["status"]) for p in view["led_to_by"]] == [("task2", "succeeded"), ("task3", "succeeded")]
    assert all(p["task_execution"] for p in view["led_to_by"])
    assert "task4" in view["input"]["cmd"] and view["result"]["stdout"] == "task4"
    assert view["action_execution"]


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_what_a_task_published(name):
    capture = load(name)
    view = _view(capture, step(capture, "launch")["id"], "task1")
    assert view["published"] == {"task2__t0": {"msg1": "task1"}}
    assert view["led_to_by"] == []


@pytest.mark.parametrize("name", ["with_items"])
def test_items_of_a_with_items_task(name):
    capture = load(name)
    view = _view(capture, step(capture, "rerun_done")["id"], "task1")
    # the re-run's record: items 1 and 4 ran again; the others are shown from the
    # first run's action executions
    assert [i["status"] for i in view["items"]] == ["succeeded"] * 6
    assert [i["result"]["stdout"] for i in view["items"]] == [0, 1, 2, 3, 4, 5]
    one = _view(capture, step(capture, "rerun_done")["id"], "task1", item=4)
    assert [i["item"] for i in one["items"]] == [4] and "task1:4" in one["items"][0]["input"]["cmd"]
    with pytest.raises(ViewError) as refused:
        _view(capture, "x", "task1", item=7)
    assert refused.value.message == 'Task "task1" has no item 7; its items are 0 to 5.'


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_refusals(name):
    capture = load(name)
    with pytest.raises(ViewError) as refused:
        _view(capture, "abc", "task9")
    assert (refused.value.status, refused.value.message) == (
        404, 'Task "task9" is not defined in workflow execution "abc".')
    with pytest.raises(ViewError) as refused:
        _view(capture, "abc", "task2", route=3)
    assert refused.value.message == 'Task "task2" did not run on route 3; it ran on route(s) 0.'
    with pytest.raises(ViewError) as refused:
        _view(capture, "abc", "task2", item=0)
    assert "not a with-items task" in refused.value.message
