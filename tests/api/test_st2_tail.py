"""``st2 execution tail`` and ``st2 run --tail`` (the real st2 CLI) against ``wfops serve``'s
event stream: each child's start, output and finish are printed as they happen.

``apitest.tailed`` runs task1 -> task2; each task prints "<task> waiting", then waits while
``<dir>/hold.<task>`` exists, then prints "<task> done". So a line printed while the hold
file still exists was printed live, before the task could finish."""

from __future__ import annotations

import re
import subprocess
import sys

from .harness import ST2, Lines, wait_for


def _st2_popen(server, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(ST2), *args], env=server.st2_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)


def _held(tmp_path, *tasks: str):
    for task in tasks:
        (tmp_path / ("hold.%s" % task)).touch()
    return tmp_path


def _finish(proc: subprocess.Popen, gates=()) -> int:
    """The exit status of ``proc``; ``gates`` (hold files) are opened first, so that a test
    that failed midway lets its workflow finish instead of waiting for it."""
    for gate in gates:
        gate.unlink(missing_ok=True)
    try:
        return proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _assert_task_sequence(out: str, ids: dict[str, str]) -> None:
    """Start, output and finish of task1, then of task2, in that order."""
    markers = [
        "Child execution (task=task1) %s has started." % ids["task1"], "task1 waiting", "task1 done",
        "Child execution (task=task1) %s has finished (status=succeeded)." % ids["task1"],
        "Child execution (task=task2) %s has started." % ids["task2"], "task2 waiting", "task2 done",
        "Child execution (task=task2) %s has finished (status=succeeded)." % ids["task2"],
    ]
    positions = [out.index(m) for m in markers]
    assert positions == sorted(positions), out
    assert all(out.count(m) == 1 for m in markers), out


def _child_ids(server, execution_id: str) -> dict[str, str]:
    return {c["context"]["orquesta"]["task_name"]: c["id"]
            for c in server.get("/executions/%s/children?depth=-1" % execution_id)}


def test_st2_run_tail_prints_each_task_as_it_happens(server, tmp_path):
    d = _held(tmp_path, "task1", "task2")
    proc = _st2_popen(server, "run", "apitest.tailed", "dir=%s" % d, "--tail")
    try:
        lines = Lines(proc)
        first = lines.wait_for('Tailing execution "')
        execution_id = re.search(r'"([0-9a-f]{24})"', lines.lines[first]).group(1)
        # The gate of task1 is closed: its start and first line show, nothing after them.
        started = lines.wait_for("Child execution (task=task1) ")
        waiting = lines.wait_for("task1 waiting")
        assert started < waiting and "has started." in lines.lines[started]
        lines.wait_for("task1 to stderr")  # stderr is streamed too (its own output record)
        assert "task1 done" not in lines.text() and "task2" not in lines.text()
        (d / "hold.task1").unlink()
        lines.wait_for("task2 waiting")
        assert "task2 done" not in lines.text()
        (d / "hold.task2").unlink()
        lines.wait_for("Execution %s has completed (status=succeeded)." % execution_id)
        assert _finish(proc) == 0, lines.text()
    finally:
        _finish(proc, d.glob("hold.*"))
    _assert_task_sequence(lines.text(), _child_ids(server, execution_id))
    assert re.search(r"^status: succeeded", lines.text(), re.M), lines.text()


def test_st2_execution_tail_of_a_running_workflow(server, tmp_path):
    """Tailing a workflow already under way shows its tree from the start (the replay),
    then goes on live."""
    d = _held(tmp_path, "task1", "task2")
    execution = server.launch("apitest.tailed", {"dir": str(d)})
    wait_for(lambda: len(server.get("/executions/%s/children" % execution["id"])) == 1)
    proc = _st2_popen(server, "execution", "tail", execution["id"])
    try:
        lines = Lines(proc)
        lines.wait_for("task1 waiting")
        assert "task1 done" not in lines.text()
        (d / "hold.task1").unlink()
        lines.wait_for("Child execution (task=task2) ")
        (d / "hold.task2").unlink()
        lines.wait_for("Execution %s has completed (status=succeeded)." % execution["id"])
        assert _finish(proc) == 0, lines.text()
    finally:
        _finish(proc, d.glob("hold.*"))
    _assert_task_sequence(lines.text(), _child_ids(server, execution["id"]))


def test_st2_execution_tail_of_a_workflow_another_process_runs(server, tmp_path):
    """The stream comes from the store: a `wfops run` in another process (its own engine,
    not the server's) is tailed like the server's own executions."""
    d = _held(tmp_path, "task1", "task2")
    runner = subprocess.Popen([sys.executable, "-m", "wfops.cli.main", "run", "apitest.tailed", "dir=%s" % d],
                              env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL)
    proc = None
    try:
        wait_for(lambda: server.get("/executions?action=apitest.tailed&status=running&limit=1"), timeout=30)
        execution = server.get("/executions?action=apitest.tailed&status=running&limit=1")[0]
        assert execution["context"]["user"]
        proc = _st2_popen(server, "execution", "tail", execution["id"])
        lines = Lines(proc)
        lines.wait_for("task1 waiting")
        (d / "hold.task1").unlink()
        lines.wait_for("task2 waiting")
        (d / "hold.task2").unlink()
        lines.wait_for("Execution %s has completed (status=succeeded)." % execution["id"])
        assert _finish(proc) == 0, lines.text()
        assert runner.wait(timeout=120) == 0
    finally:
        for p in (proc, runner):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    _assert_task_sequence(lines.text(), _child_ids(server, execution["id"]))


def test_st2_execution_tail_of_a_completed_execution_prints_its_output(server, tmp_path):
    execution = server.launch("core.local", {"cmd": "echo first; echo second >&2"})
    server.wait_status(execution["id"], "succeeded")
    done = server.st2("execution", "tail", execution["id"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[:2] == ["first", "second"]
    assert "Execution %s has completed (status=succeeded)." % execution["id"] in done.stdout
