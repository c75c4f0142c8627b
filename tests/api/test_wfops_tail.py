"""``wfops run --tail``, ``wfops execution tail`` and the live progress table of ``wfops run``
on a terminal: each task as it starts and ends (and its output), as it happens, on the
local store and through ``--url`` alike.

``apitest.tailed`` runs task1 -> task2; each prints "<task> waiting", waits while
``<dir>/hold.<task>`` exists, then prints "<task> done"."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

from .harness import ANSI, Lines, wait_for


def _wfops(server, *args: str, remote: bool = False) -> list[str]:
    url = ["--url", "http://127.0.0.1:%d" % server.port] if remote else []
    return [sys.executable, "-m", "wfops.cli.main", *url, *args]


def _popen(server, *args: str, remote: bool = False) -> subprocess.Popen:
    return subprocess.Popen(_wfops(server, *args, remote=remote), env=server.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def _task_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"^(task\d (started|succeeded)|  task\d \| )", line)]


def _in_order(lines: list[str], *expected: str) -> None:
    positions = [next(i for i, line in enumerate(lines) if line.startswith(e)) for e in expected]
    assert positions == sorted(positions), lines


def test_run_tail_prints_each_task_as_it_happens(server, tmp_path):
    (tmp_path / "hold.task1").touch()
    (tmp_path / "hold.task2").touch()
    proc = _popen(server, "run", "apitest.tailed", "dir=%s" % tmp_path, "--tail")
    lines = Lines(proc)
    try:
        lines.wait_for("  task1 | task1 waiting")
        assert lines.lines[0].startswith('Tailing execution "')
        assert any(line.startswith("task1 started (") for line in lines.lines)
        assert "task1 done" not in lines.text() and "task2" not in lines.text()   # the gate is still closed
        (tmp_path / "hold.task1").unlink()
        lines.wait_for("  task2 | task2 waiting")
        assert "task2 done" not in lines.text()
        (tmp_path / "hold.task2").unlink()
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines.wait_for("status: succeeded")
    _in_order(lines.lines, "task1 started", "  task1 | task1 waiting", "  task1 | task1 done", "task1 succeeded",
              "task2 started", "  task2 | task2 waiting", "  task2 | task2 done", "task2 succeeded", "id: ")


def test_execution_tail_of_a_detached_run_and_through_the_server(server, tmp_path):
    """Tailing what another process runs (`wfops run --async`: a detached engine), locally
    and with --url; once it is done, both print the same tree again from its start."""
    (tmp_path / "hold.task1").touch()
    launched = subprocess.run(_wfops(server, "run", "apitest.tailed", "dir=%s" % tmp_path, "--async"),
                              env=server.env, capture_output=True, text=True, timeout=120)
    assert launched.returncode == 0, launched.stderr
    execution_id = launched.stdout.strip()
    local, remote = _popen(server, "execution", "tail", execution_id), _popen(
        server, "execution", "tail", execution_id, remote=True)
    followers = [Lines(local), Lines(remote)]
    try:
        for lines in followers:
            lines.wait_for("  task1 | task1 waiting")
            assert "task1 done" not in lines.text()
        (tmp_path / "hold.task1").unlink()
        for proc in (local, remote):
            assert proc.wait(timeout=120) == 0, proc.stderr.read()
    finally:
        for proc in (local, remote):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for lines in followers:
        lines.wait_for("Execution %s succeeded." % execution_id)
    again = [subprocess.run(_wfops(server, "execution", "tail", execution_id, remote=remote), env=server.env,
                            capture_output=True, text=True, timeout=120) for remote in (False, True)]
    assert [a.returncode for a in again] == [0, 0]
    assert again[0].stdout == again[1].stdout
    expected = ["task1 started", "  task1 | task1 waiting", "  task1 | task1 done", "task1 succeeded",
                "task2 started", "  task2 | task2 waiting", "  task2 | task2 done", "task2 succeeded"]
    assert [line.split(" (")[0] for line in _task_lines(again[0].stdout) if "stderr" not in line] == expected


def test_run_on_a_terminal_shows_a_live_task_table(server, tmp_path):
    (tmp_path / "hold.task1").touch()
    master, slave = pty.openpty()
    proc = subprocess.Popen(_wfops(server, "run", "apitest.tailed", "dir=%s" % tmp_path), env=dict(
        server.env, COLUMNS="120", TERM="xterm"), stdout=subprocess.PIPE, stderr=slave,
        stdin=subprocess.DEVNULL, text=True)
    os.close(slave)
    screen = b""

    def read_screen() -> str:
        nonlocal screen
        while select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        return ANSI.sub("", screen.decode("utf-8", "replace"))

    try:
        wait_for(lambda: re.search(r"task1\s+│\s+running", read_screen()), timeout=30)
        assert "task2" not in read_screen()             # drawn while task1 is still held
        (tmp_path / "hold.task1").unlink()
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        time.sleep(0.2)
        final = read_screen()
        assert re.search(r"task1\s+│\s+succeeded", final) and re.search(r"task2\s+│\s+succeeded", final), final
        assert "execution %s" % re.search(r"^id: (\w+)", out, re.M).group(1) in final
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    # Without a terminal, nothing is drawn (stderr stays empty).
    quiet = subprocess.run(_wfops(server, "run", "core.noop"), env=server.env, capture_output=True, text=True,
                           timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""
