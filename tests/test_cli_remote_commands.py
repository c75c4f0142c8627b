"""`wfops --url URL` runs, gets and lists executions, pauses, resumes and cancels them from a
second process, and reads actions, as the local command line does (tests/remote_cli.py)."""

from __future__ import annotations

import json
import os

from api.harness import log_lines, wait_for
from remote_cli import Cli, cli, remote_run, work  # noqa: F401 - cli and work are fixtures

# -- run, get, list -------------------------------------------------------------------------


def test_run_get_and_list(cli, work):
    d, log = work
    view, done = remote_run(cli, work, "wfops_examples.sequential")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded" and view["context"]["user"] == "alice"
    assert log_lines(log) == ["task1", "task2", "task3"]

    failed, done = remote_run(cli, work, "wfops_examples.sequential", fail=["task2"])
    assert done.returncode == 1 and failed["status"] == "failed"
    assert log_lines(log)[3:] == ["task1", "task2"]

    text = cli.run("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)  # the text printout
    assert text.returncode == 0 and "status: succeeded" in text.stdout and "+ tasks:" in text.stdout

    cli.all_both([(("execution", "get", ex, *extra), 0)
                  for ex in (view["id"], failed["id"]) for extra in (["--show-tasks", "-j"], ["-j"], [])])
    # Id prefixes: one that names one execution, and one that its first task's id shares.
    ids = [v["id"] for v in cli.server.get("/executions?limit=-1&include_attributes=id")]
    ex = failed["id"]
    unique = next(ex[:n] for n in range(1, 25) if sum(i.startswith(ex[:n]) for i in ids) == 1)
    shared = os.path.commonprefix([ex, cli.server.get("/executions/%s" % ex)["children"][0]])
    cli.all_both([
        (("execution", "get", unique, "--show-tasks"), 0),
        (("execution", "get", shared), 1),
        (("execution", "list", "-j"), 0),
        (("execution", "list", "--status", "failed", "-n", "5"), 0),
    ])

    # WFOPS_URL does what --url does.
    done = cli.run("execution", "list", "--action", "wfops_examples.sequential", "-j", url=False,
                   env=dict(cli.remote_env, WFOPS_URL=cli.url))
    assert done.returncode == 0, done.stderr
    assert [v["id"] for v in json.loads(done.stdout)][1:3] == [failed["id"], view["id"]]


# -- pause, resume, cancel from a second process --------------------------------------------


def test_pause_resume_cancel_from_a_second_process(cli, work):
    d, log = work
    (d / "hold.task1").touch()  # gates.sequential: each task runs until its gate file goes
    (d / "hold.task2").touch()
    runner = cli.popen("run", "gates.sequential", "log=%s" % log, "dir=%s" % d, "-j")
    wait_for(lambda: log_lines(log) == ["task1"], timeout=30)
    ex = cli.server.get("/executions?limit=1&parent=null")[0]["id"]

    done = cli.run("execution", "pause", ex, "--comment", "maintenance")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == 'pause: execution "%s" is pausing.' % ex
    assert cli.status(ex) == "pausing", "pausing while task1 runs"
    (d / "hold.task1").unlink()
    wait_for(lambda: cli.status(ex) == "paused", timeout=30)
    ran = Cli._done(runner)
    assert ran.returncode == 1 and json.loads(ran.stdout)["status"] == "paused", ran.stderr
    assert log_lines(log) == ["task1"]

    answer, done = cli.json("execution", "resume", ex)
    assert done.returncode == 0 and answer == [{"id": ex, "status": "running", "changed": True}], answer
    wait_for(lambda: log_lines(log) == ["task1", "task2"], timeout=30)
    done = cli.run("--user", "bob", "execution", "cancel", ex, "--comment", "stop")
    assert done.returncode == 0 and done.stdout.strip() == 'cancel: execution "%s" is canceling.' % ex
    assert cli.status(ex) == "canceling", "canceling while task2 runs"
    (d / "hold.task2").unlink()
    wait_for(lambda: cli.status(ex) == "canceled", timeout=30)
    assert log_lines(log) == ["task1", "task2"]

    # Wrong state: the local wording, exit 1, nothing changed.
    cli.all_both([
        (("execution", "pause", ex), 1),
        (("execution", "resume", ex, "0123456789abcdef01234567", "-j"), 1),
        (("execution", "audit", ex), 0),
    ])
    audit, _ = cli.json("execution", "audit", ex)
    assert [(e["operation"], e["user"], e["comment"]) for e in audit] == [
        ("pause", "alice", "maintenance"), ("resume", "alice", None), ("cancel", "bob", "stop")]


# -- actions ----------------------------------------------------------------------------------


def test_actions(cli):
    cli.all_both([
        (("action", "list"), 0),
        (("action", "list", "-p", "wfops_examples", "-j"), 0),
        (("action", "get", "core.noop", "-j"), 0),
        (("action", "get", "nosuchpack.nosuchaction"), 1),
    ])
