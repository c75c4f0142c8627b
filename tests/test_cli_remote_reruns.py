"""`wfops --url URL` re-runs: from the beginning, from tasks (dry runs and their plans too),
with items not reset, with a task's context changed, and skips (tests/remote_cli.py)."""

from __future__ import annotations

import json

from api.harness import log_lines, wait_for
from remote_cli import cli, remote_run, work  # noqa: F401 - cli and work are fixtures


def _tasks(view):
    return [(c["context"]["orquesta"]["task_name"], c["status"]) for c in view.get("children", [])]


def test_rerun_from_the_beginning(cli, work):
    d, log = work
    first, _ = remote_run(cli, work, "wfops_examples.sequential")
    view, done = cli.json("execution", "re-run", first["id"], "sleep=0")
    assert done.returncode == 0, done.stderr
    assert view["id"] != first["id"] and view["status"] == "succeeded"
    assert view["context"]["re-run"] == {"ref": first["id"]}
    assert log_lines(log) == ["task1", "task2", "task3"] * 2
    done = cli.run("execution", "re-run", first["id"], "--async", "--comment", "again")
    assert done.returncode == 0 and len(done.stdout.strip()) == 24, done.stderr
    new = done.stdout.strip()
    wait_for(lambda: cli.status(new) == "succeeded", timeout=30)
    audit, _ = cli.json("execution", "audit", first["id"])
    assert [(e["operation"], e["user"], e["comment"]) for e in audit] == [
        ("re-run", "alice", None), ("re-run", "alice", "again")]


def test_rerun_tasks_dry_run_then_for_real(cli, work):
    d, log = work
    failed, _ = remote_run(cli, work, "wfops_examples.sequential", fail=["task2"])
    ex = failed["id"]
    cli.all_both([
        (("execution", "re-run", ex, "--tasks", "task2", "--dry-run"), 0),
        (("execution", "re-run", ex, "--tasks", "task2", "--dry-run", "-j"), 0),
        (("execution", "re-run", ex, "--failed", "--dry-run", "--format", "json"), 0),
    ])
    # The plan's run graph: the server draws the very graph the local command line draws.
    dot = cli.both("execution", "re-run", ex, "--tasks", "task2", "--dry-run", "--format", "dot")
    assert dot.stdout.startswith("digraph run {") and 'class="rerun"' in dot.stdout, dot.stdout
    assert log_lines(log) == ["task1", "task2"], "a dry run changes nothing"

    view, done = cli.json("execution", "re-run", ex, "--tasks", "task2")
    assert done.returncode == 0, done.stderr
    full, _ = cli.json("execution", "get", view["id"], "--show-tasks")
    assert view["status"] == "succeeded" and _tasks(full) == [("task2", "succeeded"), ("task3", "succeeded")]
    assert view["context"]["re-run"] == {"ref": ex, "tasks": ["task2"], "reset": ["task2"]}
    assert log_lines(log) == ["task1", "task2", "task2", "task3"]
    audit, _ = cli.json("execution", "audit", ex)
    assert [(e["operation"], e["user"]) for e in audit] == [("re-run", "alice")]
    # Re-running a re-run execution's tasks again is planned from its latest state.
    cli.all_both([(("execution", "re-run", ex, "--tasks", "task3", "--dry-run", *extra), 0)
                  for extra in ([], ["--format", "dot"])])


def test_rerun_with_items_no_reset(cli, work):
    d, log = work
    failed, _ = remote_run(cli, work, "wfops_examples.with_items", "items=[0, 1, 2]", fail=["task1.1"])
    ex = failed["id"]
    cli.all_both([
        (("execution", "re-run", ex, "--tasks", "task1", "--no-reset", "task1", "--dry-run"), 0),
        (("execution", "re-run", ex, "--tasks", "task1", "--no-reset", "task1", "--dry-run", "-j"), 0),
        (("execution", "re-run", ex, "--tasks", "task1", "--no-reset", "task1", "--dry-run", "--format", "dot"), 0),
        # --no-reset as the local planner reads it: by route, and with --failed.
        (("execution", "re-run", ex, "--tasks", "task1", "--no-reset", "task1[0]", "--dry-run", "-j"), 0),
        (("execution", "re-run", ex, "--failed", "--no-reset", "task1", "--dry-run", "-j"), 0),
        (("execution", "re-run", ex, "--items", "task1", "1", "--dry-run", "--format", "dot"), 0),
    ])
    view, done = cli.json("execution", "re-run", ex, "--tasks", "task1", "--no-reset", "task1")
    assert done.returncode == 0 and view["status"] == "succeeded", done.stderr
    assert sorted(log_lines(log)) == ["task1:0", "task1:1", "task1:1", "task1:2"], "only item 1 ran again"


def test_context_and_skip(cli, work):
    d, log = work
    failed, _ = remote_run(cli, work, "wfops_examples.context_demo")
    ex = failed["id"]
    # The server masks secret inputs (core.local's sudo_password); the rest is the same.
    remote, done = cli.json("execution", "context", ex, "task2")
    local = json.loads(cli.run("execution", "context", ex, "task2", "-j", url=False, env=cli.local_env).stdout)
    assert done.returncode == 0
    assert {k: v for k, v in remote.items() if k != "input"} == {k: v for k, v in local.items() if k != "input"}
    assert remote["status"] == "failed" and remote["context"]["target"] == "bad"
    text = cli.run("execution", "context", ex, "task2")
    assert text.returncode == 0 and text.stdout.startswith("task: task2[0]\nstatus: failed\n")

    cli.all_both([
        (("execution", "re-run", ex, "--tasks", "task2", "--context", "task2", "target=good", "--dry-run"), 0),
        (("execution", "re-run", ex, "--context", "task2", "target=good", "--dry-run"), 1),  # no --tasks
    ])
    view, done = cli.json("execution", "re-run", ex, "--tasks", "task2", "--context", "task2", "target=good")
    assert done.returncode == 0 and view["status"] == "succeeded", done.stderr
    assert log_lines(log) == ["task1", "task2:bad", "task2:good", "task3:token-good"]

    failed, _ = remote_run(cli, work, "wfops_examples.context_demo")
    cli.all_both([
        (("execution", "skip", failed["id"], "task2", "--publish", "token=manual", "--dry-run"), 0),
        (("execution", "skip", failed["id"], "task1", "--dry-run"), 1),  # refused: task1 succeeded
    ])
    view, done = cli.json("execution", "skip", failed["id"], "task2", "--publish", "token=manual")
    assert done.returncode == 0 and view["status"] == "succeeded", done.stderr
    assert log_lines(log)[-3:] == ["task1", "task2:bad", "task3:manual"]
    cli.both("execution", "audit", failed["id"])
