"""TaskRef and RerunRequest."""

from __future__ import annotations

import pytest

from wfops.planner import RerunRequest, TaskRef


@pytest.mark.parametrize(
    "text, ref",
    [
        ("task2", TaskRef("task2")),
        ("task2[1]", TaskRef("task2", 1)),
        (" task2 [ 12 ] ", TaskRef("task2", 12)),
        ("a__r1", TaskRef("a__r1")),
    ],
)
def test_task_ref_parses_name_and_route(text, ref):
    assert TaskRef.parse(text) == ref


@pytest.mark.parametrize("text", ["", "task2[", "task2[x]", "task-2", "task2[-1]", "a b", "t[1][2]"])
def test_task_ref_refuses_anything_else(text):
    with pytest.raises(ValueError) as caught:
        TaskRef.parse(text)
    assert str(caught.value) == '"%s" is not a task name or name[route].' % text


def test_task_ref_prints_as_given_and_covers_routes():
    assert str(TaskRef("task2")) == "task2"
    assert str(TaskRef("task2", 0)) == "task2[0]"
    assert TaskRef("task2").covers(TaskRef("task2", 3))
    assert TaskRef("task2", 3).covers(TaskRef("task2", 3))
    assert not TaskRef("task2", 3).covers(TaskRef("task2"))
    assert not TaskRef("task2").covers(TaskRef("task3"))


def test_rerun_request_defaults_and_mode():
    request = RerunRequest()
    assert (request.tasks, request.no_reset, request.failed, request.force, request.parameters) == (
        [], [], False, False, None)
    assert request.from_beginning
    assert not RerunRequest(["task1"]).from_beginning
    assert not RerunRequest(failed=True).from_beginning


def test_rerun_request_carries_the_resume_extras():
    request = RerunRequest(
        ["task3"], ["task3"], items={"task3": [0, 2]}, context={"task3": {"x": 1}},
        skips=["task4"], results={"task4": {"ok": True}}, publish={"task4": {"y": 2}})
    data = request.to_dict()
    assert data["items"] == {"task3": [0, 2]} and data["publish"] == {"task4": {"y": 2}}
    assert RerunRequest.from_dict({**data, "comment": "ignored"}) == request
