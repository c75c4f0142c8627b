"""The real ``st2`` command line (st2client 3.9) running action chains against ``wfops
serve``: ``st2 run`` waits for the chain and shows its nodes as child executions, ``st2
execution get --show-tasks`` lists them, pause/resume/cancel of a chain, and st2's
refusal of a re-run from tasks. Chains: tests/fixtures/packs/chains."""

from __future__ import annotations

import json

from .harness import field, log_lines, task_rows, wait_for


def _cli_params(work, *extra):
    d, log = work
    return ["log=%s" % log, "dir=%s" % d, *extra]


def _status(server, execution_id: str) -> str:
    """The status word st2 prints (without its elapsed time)."""
    return (field(server.st2("execution", "get", execution_id).stdout, "status") or "").split(" ")[0]


def test_st2_run_of_a_chain_shows_its_nodes_as_children(server, work):
    d, log = work
    done = server.st2("run", "chains.basic", *_cli_params(work))
    assert done.returncode == 0, done.stdout + done.stderr
    assert field(done.stdout, "status") == "succeeded"
    assert log_lines(log) == ["first", "first-v", "third-first-v"]
    execution_id = field(done.stdout, "id")

    got = server.st2("execution", "get", execution_id, "-j")
    assert got.returncode == 0, got.stderr
    doc, end = json.JSONDecoder().raw_decode(got.stdout)  # then st2 prints the tasks as JSON
    tasks = json.loads(got.stdout[end:])
    assert [(t["task"], t["action"]) for t in tasks] == [
        ("first", "gates.step"), ("second", "gates.step"), ("third", "gates.step")]
    # st2client shows a chain's result as its last node's, read from result.tasks
    assert doc["result"]["stdout"] == "third-first-v"
    shown = server.st2("execution", "get", execution_id, "--show-tasks")
    rows = task_rows(shown.stdout)
    assert [(r[1], r[2]) for r in rows] == [("succeeded", "first"), ("succeeded", "second"),
                                            ("succeeded", "third")]
    assert [r[0] for r in task_rows(done.stdout)] == [r[0] for r in rows]  # st2 run showed them too


def _held_then(server, work, operation: str, settles_as: str) -> str:
    """`st2 run -a` chains.held while node a is held, `st2 execution <operation>` it, then
    let a finish; returns the chain's id once st2 shows ``settles_as``."""
    d, log = work
    (d / "hold.a").touch()
    started = server.st2("run", "chains.held", *_cli_params(work), "-a")
    assert started.returncode == 0, started.stderr
    execution_id = started.stdout.strip().split()[-1].strip('"')
    wait_for(lambda: log_lines(log) == ["a"])
    done = server.st2("execution", operation, execution_id)
    assert done.returncode == 0, done.stdout + done.stderr
    (d / "hold.a").unlink()
    wait_for(lambda: _status(server, execution_id) == settles_as)
    assert log_lines(log) == ["a"], "nothing starts after the node running at the %s" % operation
    return execution_id


def test_st2_pause_resume_and_cancel_a_chain(server, work):
    log = work[1]
    execution_id = _held_then(server, work, "pause", "paused")
    resumed = server.st2("execution", "resume", execution_id)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    wait_for(lambda: _status(server, execution_id) == "succeeded")
    assert log_lines(log) == ["a", "b", "c"]

    log.unlink()
    _held_then(server, work, "cancel", "canceled")

    refused = server.st2("execution", "re-run", execution_id, "--tasks", "b")
    assert refused.returncode != 0
    assert "Task option is only supported for Orquesta workflows." in refused.stdout + refused.stderr
