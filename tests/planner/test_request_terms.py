"""The planner's messages name the parts of a request by the request's own field names
(the API's and the pack's), never by a command-line option; front ends render them
(wfops.request_terms)."""

from __future__ import annotations

import pytest

from wfops import request_terms
from wfops.planner import PlanError, RerunRequest
from wfops.planner.extras import plan_with_extras

from .orquesta_runs import run_workflow
from .workflows import SEQUENTIAL, WITH_ITEMS

EX = "5f0000000000000000000001"


def _problems(spec, state, **request) -> list[str]:
    with pytest.raises(PlanError) as caught:
        plan_with_extras(spec, state, RerunRequest(**request), EX)
    return caught.value.problems


def test_planner_messages_name_request_fields_not_options():
    run = run_workflow(SEQUENTIAL, fail={"task2"})
    problems = _problems(run.spec, run.state, tasks=["task1"], skip=["task1", "task3"],
                         result={"task2": 1}, publish={"task3": {"a": 1}}, context={"task2": {"k": 1}})
    items = run_workflow(WITH_ITEMS)
    problems += _problems(items.spec, items.state, tasks=["task1"], no_reset=["task1"])
    assert problems and not [p for p in problems if "--" in p]
    text = "\n".join(problems)
    for shown in ("`result task2` applies only to a skipped task: add `skip task2`.",
                  "`context task2` names a task that is not in the request: add `tasks task2`",
                  'given both to `tasks` and to `skip`',
                  "so `no_reset task1` leaves nothing of it to re-run"):
        assert shown in text


def test_render_gives_each_part_its_front_ends_name():
    text = "add %s, or %s, then %s (%s)" % (
        request_terms.term("tasks", "task3"), request_terms.term("no_reset", "t0"),
        request_terms.term("publish", "t2", "k=VALUE"), request_terms.term("force"))
    assert text == "add `tasks task3`, or `no_reset t0`, then `publish t2 k=VALUE` (`force`)"
    assert request_terms.render(text, request_terms.command_line) == (
        "add --tasks task3, or --no-reset t0, then --publish t2 k=VALUE (--force)")
    assert request_terms.render("a `code` span and `tasks`", lambda p, t, r: p.upper()) == "a `code` span and TASKS"
    with pytest.raises(ValueError):
        request_terms.term("--tasks")
