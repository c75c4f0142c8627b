"""TaskRef and RerunRequest."""

from __future__ import annotations

import pytest

from wfops import errors
from wfops.planner import RerunRequest, TaskRef
from wfops.rerun_request import per_skip


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
        skip=["task4"], result={"task4": {"ok": True}}, publish={"task4": {"y": 2}})
    data = request.to_dict()
    assert data["items"] == {"task3": [0, 2]} and data["publish"] == {"task4": {"y": 2}}
    assert RerunRequest.from_payload({**request.to_payload(), "unknown": "ignored"}) == request


def test_the_payload_carries_the_operation_and_leaves_out_what_is_empty():
    request = RerunRequest(["task2"], execution_id="E1", fingerprint="f" * 64, comment="why", user="ops",
                           delay=250)
    payload = request.to_payload()
    assert payload == {"tasks": ["task2"], "execution_id": "E1", "fingerprint": "f" * 64, "comment": "why",
                       "user": "ops", "delay": 250}
    assert RerunRequest.from_payload(payload) == request
    assert request.audit_record() == {"tasks": ["task2"], "fingerprint": "f" * 64, "delay": 250}


@pytest.mark.parametrize("parts", [
    {"tasks": ["t1"]}, {"failed": True}, {"no_reset": ["t1"]}, {"items": {"t1": [0]}},
    {"context": {"t1": {"k": 1}}}, {"skip": ["t1"]}, {"result": {"t1": None}}, {"publish": {"t1": {"k": 1}}},
])
def test_any_part_but_parameters_makes_a_rerun_from_tasks(parts):
    assert RerunRequest(**parts).from_tasks and not RerunRequest(**parts).from_beginning
    assert RerunRequest(parameters={"x": 1}, no_merge=True, comment="c").from_beginning


def test_problems_whatever_the_run_are_all_reported_in_request_terms():
    request = RerunRequest(tasks=["t1"], parameters={"x": 1}, result={"t2": 1}, publish={"t3": {"k": 1}})
    assert request.problems() == [
        "Parameters override is not supported when re-running task(s) for a workflow.",
        "`result t2` applies only to a skipped task: add `skip t2`.",
        "`publish t3` applies only to a skipped task: add `skip t3`.",
    ]
    assert RerunRequest(fingerprint="abc").problems() == [
        "`fingerprint` applies to a re-run from tasks (a plan of the workflow's state); a re-run from the "
        "beginning does not depend on that state."]


def test_parameters_of_a_rerun_from_the_beginning_merge_over_the_original_but_immutable_ones():
    schema = {"fixed": {"immutable": True}, "x": {}}
    original = {"fixed": "default", "x": 1, "y": 2}
    assert RerunRequest(parameters={"x": 5}).parameters_from(original, schema) == {"x": 5, "y": 2}
    assert RerunRequest(parameters={"x": 5}, no_merge=True).parameters_from(original, schema) == {"x": 5}


def test_a_skipped_task_value_alone_is_keyed_by_that_task():
    assert per_skip("result", {"ok": 1}, ["t2"]) == {"t2": {"ok": 1}}
    assert per_skip("result", {"t2": 1, "t3": 2}, ["t2", "t3"]) == {"t2": 1, "t3": 2}
    with pytest.raises(errors.ParameterError, match="name the task in `skip`"):
        per_skip("result", 1, [])
    with pytest.raises(errors.ParameterError, match="keyed by the skipped task names"):
        per_skip("publish", {"k": "v"}, ["t2", "t3"])
