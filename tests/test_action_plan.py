"""wfops.plan (actions/plan.py): a dry run that returns the plan and changes nothing (R13).

Against a real StackStorm the plan is computed here, from the run state rebuilt out of
StackStorm's executions (wfops.pack_client.st2_state): the plans computed through the
StackStorm stand-in must be the wfops server's own, for the seed workflows and requests.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    clear_markers,
    config,
    executions_of,
    failed_run,
    fake_st2,
    http,
    log_lines,
    run_action,
    st2_config,
    wfops_server,
    workdir,
)


def test_plan_changes_nothing(wfops_server, config, workdir):
    execution_id = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    before = executions_of(wfops_server, "wfops_examples.sequential")
    ok, result = run_action("plan", config, id=execution_id, tasks=["task2"])
    assert ok, result
    assert result["backend"] == "wfops" and result["dry_run"] is True
    plan = result["plan"]
    assert [(r["task"], r["route"]) for r in plan["rerun"]] == [("task2", 0)]
    assert [d["task"] for d in plan["downstream"]] == ["task3"]
    assert "task2[0]" in result["plan_text"] and "Runs afresh downstream: task3" in result["plan_text"]
    assert "execution" not in result
    assert executions_of(wfops_server, "wfops_examples.sequential") == before
    assert log_lines(workdir[1]) == ["task1", "task2"]
    status, entries = http("GET", wfops_server.url + "/executions/%s/audit" % execution_id)
    assert entries == []


def test_plan_collapses_downstream_requests(wfops_server, config, workdir):
    # R4: on task1 -> task2 -> task3 with task3 failed, [task1, task2] re-runs task1 only.
    execution_id = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task3"])
    ok, result = run_action("plan", config, id=execution_id, tasks=["task1", "task2", "task1"])
    assert ok, result
    plan = result["plan"]
    assert [r["task"] for r in plan["rerun"]] == ["task1"]
    # R3: a name given twice counts once (the action drops the repeat).
    assert result["request"]["tasks"] == ["task1", "task2"]
    assert [(d["task"], d["reason"], d["covered_by"]) for d in plan["dropped"]] == [
        ("task2", "downstream", "task1[0]")]
    assert plan["requests"] == [["task1", 0, True]]


def test_plan_reports_every_problem(wfops_server, config, workdir):
    execution_id = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    ok, result = run_action("plan", config, id=execution_id, tasks=["task9", "task3"])
    assert not ok
    assert result["status"] == 400
    assert 'Task "task9" is not defined in the workflow' in result["error"]
    assert 'Task "task3" never ran in workflow execution "%s"' % execution_id in result["error"]


def test_plan_refusals_of_the_options(config):
    ok, result = run_action("plan", config, id="a,b", tasks=["task2"], no_reset=["task3"])
    assert not ok
    assert result["error"].splitlines() == [
        "The request has 2 problems:",
        "  - Give exactly one execution id to re-run (got ['a', 'b']).",
        "  - List of tasks to reset does not match the tasks to rerun.",
    ]


# --------------------------------------------------------------------------------------
# The same plans through StackStorm's API
# --------------------------------------------------------------------------------------

def _essentials(outcome):
    ok, result = outcome
    if not ok:
        return ("refused", result["error"])
    plan = result["plan"]
    return {
        "rerun": [(r["task"], r["route"], r["items"], r["item_indices"], r["requested_as"]) for r in plan["rerun"]],
        "dropped": [(d["task"], d["route"], d["reason"], d["covered_by"]) for d in plan["dropped"]],
        "downstream": [(d["task"], d["items"], d["join"], d["ran_before"]) for d in plan["downstream"]],
        "continuing": [(c["task"], c["route"], c["pending"], c["terminal"]) for c in plan["continuing"]],
        "joins": [(j["task"], j["route"], j["blocked"], [(b["task"], b["state"], b["reason"]) for b in j["branches"]])
                  for j in plan["joins"]],
        "requests": plan["requests"],
        "stale_branches": plan["stale_branches"],
        "warnings": plan["warnings"],
    }


CASES = [
    # (workflow, failure markers, request, re-run made first: (tasks, markers then))
    ("wfops_examples.sequential", ["fail.task2"], {"tasks": ["task2"]}, None),
    ("wfops_examples.sequential", ["fail.task3"], {"tasks": ["task1", "task2"]}, None),
    ("wfops_examples.sequential", ["fail.task2"], {"failed": True}, None),
    ("wfops_examples.parallel_join", ["fail.task3"], {"tasks": ["task3"]}, None),
    ("wfops_examples.parallel_join", ["fail.task2", "fail.task3"], {"tasks": ["task2"]}, None),
    ("wfops_examples.parallel_join", ["fail.task2", "fail.task3"], {"tasks": ["task2"], "force": True}, None),
    ("wfops_examples.parallel_join", ["fail.task2", "fail.task3"], {"tasks": ["task2", "task3"]}, None),
    ("wfops_examples.with_items", ["fail.task1.1", "fail.task1.3"], {"tasks": ["task1"], "no_reset": ["task1"]}, None),
    ("wfops_examples.with_items", ["fail.task1.1", "fail.task1.3"], {"tasks": ["task1"]}, None),
    ("wfops_examples.parallel_join_items", ["fail.task2.1", "fail.task3.2"],
     {"tasks": ["task2", "task3"], "no_reset": ["task3"]}, None),
    ("wfops_examples.sequential_items", ["fail.task3.1"], {"tasks": ["task1", "task3"], "no_reset": ["task3"]}, None),
    ("wfops_examples.join_count", ["fail.task2", "fail.task3"], {"tasks": ["task2"]}, None),
    ("wfops_examples.subworkflows", ["fail.task2.step2"], {"tasks": ["task2"]}, None),
    ("wfops_examples.expressions", [], {"tasks": ["check"]}, None),
    ("wfops_examples.sequential", ["fail.task2"], {"tasks": ["task3"]}, (["task2"], ["fail.task3"])),
    ("wfops_examples.sequential", ["fail.task2"], {"tasks": ["task2"]}, (["task2"], ["fail.task3"])),
    ("wfops_examples.with_items", ["fail.task1.1", "fail.task1.3"], {"tasks": ["task1"], "no_reset": ["task1"]},
     (["task1"], ["fail.task1.3"])),
    ("wfops_examples.sequential", [], {"tasks": ["task2"], "parameters": {"sleep": 1}}, None),
    ("wfops_examples.sequential", ["fail.task2"], {"tasks": ["task2[1]"]}, None),
]


@pytest.mark.parametrize("ref,markers,request_,first", CASES,
                         ids=["%s-%s%s" % (c[0].split(".")[1], "-".join(sorted(c[2].get("tasks", ["failed"]))),
                                           "-after-rerun" if c[3] else "") for c in CASES])
def test_stackstorm_plan_is_the_wfops_plan(wfops_server, config, st2_config, fake_st2, workdir,
                                           ref, markers, request_, first):
    execution_id = failed_run(wfops_server, workdir, ref, markers)
    if first:
        clear_markers(workdir)
        for marker in first[1]:
            (workdir[0] / marker).touch()
        status, doc = http("POST", wfops_server.url + "/executions/%s/re_run" % execution_id, {"tasks": first[0]})
        assert status == 201, doc
        wfops_server.wait(doc["id"])
    on_wfops = run_action("plan", config, id=execution_id, **request_)
    on_st2 = run_action("plan", st2_config, id=execution_id, **request_)
    assert _essentials(on_st2) == _essentials(on_wfops)
    if on_st2[0]:
        assert on_st2[1]["backend"] == "stackstorm"
        assert on_st2[1]["plan"]["execution_id"] == execution_id
    # Only StackStorm's endpoints were used, and nothing was submitted.
    assert not fake_st2.calls("POST") and not fake_st2.calls("PUT") and not fake_st2.calls("DELETE")
    if on_st2[0]:
        # The definition came from StackStorm's entry point view.
        assert fake_st2.calls("GET", r"/actions/views/entry_point/%s$" % ref)


def test_stackstorm_refuses_the_wfops_extras(wfops_server, st2_config, workdir):
    execution_id = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    ok, result = run_action("plan", st2_config, id=execution_id, context={"task2": {"target": "good"}},
                            items={"task1": [0]})
    assert not ok
    assert result["status"] == 501
    assert result["error"].startswith("StackStorm's API cannot do this re-run: its re_run takes only "
                                      "parameters, tasks, reset and delay, so it has no items")
    assert "context (a changed inbound context for a task)" in result["error"]
    assert "wfops serve" in result["error"]


def test_stackstorm_plan_of_a_missing_execution(st2_config):
    ok, result = run_action("plan", st2_config, id="0123456789abcdef01234567", tasks=["task1"])
    assert (ok, result) == (False, {"error": 'Unable to identify resource with id "0123456789abcdef01234567".',
                                    "status": 404})
