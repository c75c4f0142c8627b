"""render_text and render_dot."""

from __future__ import annotations

import re

from wfops.planner import RerunRequest, plan_rerun, render_dot, render_text

from .orquesta_runs import run_workflow
from .workflows import PARALLEL_JOIN, PARALLEL_JOIN_ITEMS, SEQUENTIAL

EX = "5f0000000000000000000004"


def test_text_of_a_chain_plan():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    plan = plan_rerun(run.spec, run.state, RerunRequest(["task1", "task2"]), EX)
    text = render_text(plan)
    assert text.splitlines()[0] == 'Re-run plan for workflow execution "%s" (failed)' % EX
    assert re.search(r"^  task1\[0\] +#0 +succeeded$", text, re.M)
    assert re.search(r"^  task2\[0\] +#1 +downstream of task1\[0\], which re-runs it$", text, re.M)
    assert "Runs afresh downstream: task2, task3" in text
    assert "Orquesta requests: task1[0]" in text
    assert text.endswith("Fingerprint: %s" % plan.fingerprint)


def test_text_of_joins_items_continuing_and_warnings():
    run = run_workflow(PARALLEL_JOIN_ITEMS, item_fail={"task2": {1, 3}})
    plan = plan_rerun(run.spec, run.state, RerunRequest(["task2"], ["task2"]), EX)
    text = render_text(plan)
    assert "items: 1, 3 (no reset)" in text
    # task3 finished after task2 failed the workflow: terminal, its transition to task4 pending.
    assert re.search(r"^Continuing:\n  task3\[0\] +#2 +succeeded +-> task4$", text, re.M)
    assert "  task4[0] waits for all of 2: task2 rerun; task3 satisfied" in text
    assert "Orquesta requests: task2[0] no-reset" in text

    blocked = run_workflow(PARALLEL_JOIN, fail={"task2", "task3"})
    forced = plan_rerun(blocked.spec, blocked.state, RerunRequest(["task2"], force=True), EX)
    text = render_text(forced)
    assert "task3 BLOCKED (failed)  -> blocked" in text
    assert "Warnings:\n  - Join \"task4\" waits for task3" in text


def test_text_of_a_rerun_from_the_beginning():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    plan = plan_rerun(run.spec, run.state, RerunRequest(parameters={"who": "me"}), EX)
    assert render_text(plan).splitlines()[1:] == [
        "Re-run from the beginning: a new execution with a new workflow execution.",
        "  parameters: who",
        "Fingerprint: %s" % plan.fingerprint,
    ]


def test_dot_marks_every_execution():
    run = run_workflow(SEQUENTIAL, fail={"task3"})
    plan = plan_rerun(run.spec, run.state, RerunRequest(["task1", "task2"]), EX)
    dot = render_dot(plan, run.state)
    assert dot.startswith("digraph run {\n") and dot.endswith("}\n")
    marks = dict(re.findall(r'^  n(\d+) \[.*class="(\w+)"', dot, re.M))
    assert marks == {"0": "rerun", "1": "dropped", "2": "downstream"}
    assert re.findall(r"^  n(\d+) -> n(\d+);$", dot, re.M) == [("0", "1"), ("1", "2")]
    assert 'label="task3[0] #2\\nfailed"' in dot


def test_dot_outlines_continuing_and_keeps_the_rest():
    run = run_workflow(PARALLEL_JOIN, fail={"task2"})
    plan = plan_rerun(run.spec, run.state, RerunRequest(["task2"]), EX)
    dot = render_dot(plan, run.state)
    marks = dict(re.findall(r'^  n(\d+) \[.*class="(\w+)"', dot, re.M))
    assert marks == {"0": "kept", "1": "rerun", "2": "kept"}
    assert re.search(r'^  n2 \[.*penwidth=3\];$', dot, re.M)


def test_text_of_a_wide_join_is_summed_up():
    branches = ["b%d" % i for i in range(30)]
    tasks = {"start": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": branches}]}}
    for name in branches:
        tasks[name] = {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": "join"}]}
    tasks["join"] = {"action": "core.noop", "join": "all"}
    run = run_workflow({"version": 1.0, "tasks": tasks}, fail={"b7"})
    plan = plan_rerun(run.spec, run.state, RerunRequest(["b7"]), EX)
    text = render_text(plan)
    assert "  join[0] waits for all of 30: 1 rerun, 29 satisfied" in text
    assert len(text.splitlines()) < 20
