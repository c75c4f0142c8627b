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


def test_st2_pause_resume_and_cancel_a_chain(server, work):
    d, log = work
    (d / "hold.a").touch()
    started = server.st2("run", "chains.held", *_cli_params(work), "-a")
    assert started.returncode == 0, started.stderr
    execution_id = started.stdout.strip().split()[-1].strip('"')
    wait_for(lambda: log_lines(log) == ["a"])

    paused = server.st2("execution", "pause", execution_id)
    assert paused.returncode == 0, paused.stdout + paused.stderr
    (d / "hold.a").unlink()
    wait_for(lambda: _status(server, execution_id) == "paused")
    assert log_lines(log) == ["a"]

    resumed = server.st2("execution", "resume", execution_id)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    wait_for(lambda: _status(server, execution_id) == "succeeded")
    assert log_lines(log) == ["a", "b", "c"]

    (d / "hold.a").touch()
    log.unlink()
    started = server.st2("run", "chains.held", *_cli_params(work), "-a")
    second = started.stdout.strip().split()[-1].strip('"')
    wait_for(lambda: log_lines(log) == ["a"])
    canceled = server.st2("execution", "cancel", second)
    assert canceled.returncode == 0, canceled.stdout + canceled.stderr
    (d / "hold.a").unlink()
    wait_for(lambda: _status(server, second) == "canceled")
    assert log_lines(log) == ["a"]

    refused = server.st2("execution", "re-run", execution_id, "--tasks", "b")
    assert refused.returncode != 0
    assert "Task option is only supported for Orquesta workflows." in refused.stdout + refused.stderr
