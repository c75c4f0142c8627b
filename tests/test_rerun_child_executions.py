"""Re-running a child workflow execution from its tasks (a sub-workflow of an Orquesta
workflow, or an Orquesta workflow that is an action-chain node), as st2 does: the re-run
is a new top-level execution (no parent; `execution list` shows it) that runs only the
requested tasks; the parent keeps its status and its tasks, and can itself still be
re-run."""

from __future__ import annotations

from conftest import log_lines, tasks_of


def _top_level(wfops) -> list[tuple[str, str]]:
    listed, done = wfops.json("execution", "list")
    assert done.returncode == 0, done.stderr
    return sorted((e["action"]["ref"], e["status"]) for e in listed)


def test_a_sub_workflow_re_run_is_a_new_top_level_execution(wfops, workdir):
    d, log = workdir
    (d / "fail.task2.step2").touch()
    parent, done = wfops.json("run", "gates.subworkflows", "log=%s" % log, "dir=%s" % d)
    assert parent["status"] == "failed", done.stderr
    before = tasks_of(wfops.get(parent["id"]))
    assert before == [("task1", None, "succeeded"), ("task2", None, "failed"), ("task3", None, "succeeded")]
    child = wfops.get(parent["id"])["children"][1]["id"]
    (d / "fail.task2.step2").unlink()
    ran = len(log_lines(log))

    rerun, done = wfops.json("execution", "re-run", child, "--tasks", "step2")
    assert done.returncode == 0, done.stderr
    assert rerun["status"] == "succeeded"
    assert rerun.get("parent") is None
    assert rerun["context"]["re-run"] == {"ref": child, "tasks": ["step2"], "reset": ["step2"]}
    assert log_lines(log)[ran:] == ["task2.step2"], "only the requested task ran"
    assert tasks_of(wfops.get(rerun["id"])) == [("step2", None, "succeeded")]
    assert _top_level(wfops) == [("gates.sub_branch", "succeeded"), ("gates.subworkflows", "failed")]
    # The parent and the original sub-workflow are as they were.
    assert wfops.get(parent["id"], tasks=False)["status"] == "failed"
    assert tasks_of(wfops.get(parent["id"])) == before
    assert [t[1:] for t in tasks_of(wfops.get(child))] == [(None, "succeeded"), (None, "failed")]

    # The parent re-runs from its failed task as before: task2 afresh, then the join.
    again, done = wfops.json("execution", "re-run", parent["id"], "--tasks", "task2")
    assert done.returncode == 0, done.stderr
    assert again["status"] == "succeeded"
    assert log_lines(log)[ran + 1:] == ["task2.step1", "task2.step2", "task4"]


def test_a_chain_nodes_workflow_re_run_leaves_the_chain_as_it_was(wfops, workdir):
    d, log = workdir
    (d / "fail.task2").touch()
    chain, done = wfops.json("run", "chains.calls_workflow", "log=%s" % log, "dir=%s" % d)
    assert chain["status"] == "failed", done.stderr
    flow = wfops.get(chain["id"])["children"][1]
    assert (flow["action"]["ref"], flow["status"]) == ("gates.sequential", "failed")
    (d / "fail.task2").unlink()

    rerun, done = wfops.json("execution", "re-run", flow["id"], "--tasks", "task2")
    assert done.returncode == 0, done.stderr
    assert rerun["status"] == "succeeded" and rerun.get("parent") is None
    assert "chain" not in rerun["context"]
    assert log_lines(log) == ["c1", "task1", "task2", "task2", "task3"], "c3 does not run"
    assert wfops.get(chain["id"], tasks=False)["status"] == "failed"
    assert len(wfops.get(chain["id"])["children"]) == 2
    assert _top_level(wfops) == [("chains.calls_workflow", "failed"), ("gates.sequential", "succeeded")]
