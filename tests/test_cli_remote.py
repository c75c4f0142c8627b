"""`wfops --url URL` (and WFOPS_URL): every command against a real `wfops serve` subprocess,
each a real `wfops` subprocess. Where a command only reads, its output is compared with
the local command line's on the server's own state directory: they must be the same,
byte for byte, with the same exit status. The client's own WFOPS_HOME stays untouched.
Operations are recorded as the client's user (alice), not the server's (wfops-server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from api.harness import Server, log_lines, wait_for

WFOPS = [sys.executable, "-m", "wfops.cli.main"]


class Cli:
    """`wfops` against the server (``remote``) or against its state directory (``local``)."""

    def __init__(self, server: Server, client_home):
        self.server = server
        self.url = "http://127.0.0.1:%d" % server.port
        self.client_home = client_home
        base = {k: v for k, v in os.environ.items() if k not in ("WFOPS_URL", "WFOPS_API_KEY")}
        self.remote_env = dict(base, WFOPS_HOME=str(client_home), WFOPS_USER="alice")
        self.local_env = dict(server.env, WFOPS_USER="alice")

    def _popen(self, args, env, url: bool) -> subprocess.Popen:
        argv = WFOPS + (["--url", self.url] if url else []) + list(args)
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    @staticmethod
    def _done(process: subprocess.Popen, timeout: float = 60) -> subprocess.CompletedProcess:
        out, err = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def popen(self, *args: str) -> subprocess.Popen:
        return self._popen(args, self.remote_env, True)

    def run(self, *args: str, env: dict | None = None, url: bool = True, timeout: float = 60):
        return self._done(self._popen(args, env or self.remote_env, url), timeout)

    def json(self, *args: str):
        done = self.run(*args, "-j")
        assert done.stdout, "no output (exit %s): %s" % (done.returncode, done.stderr)
        return json.loads(done.stdout), done

    def both(self, *args: str, rc: int = 0) -> subprocess.CompletedProcess:
        """Run remotely and locally at once; assert the same output and exit status
        (which must be ``rc``)."""
        return self.all_both([(args, rc)])[0]

    def all_both(self, cases) -> list[subprocess.CompletedProcess]:
        """``both`` for each (args, rc) of ``cases``, all at once (they must not change
        anything that another of them reads)."""
        started = [(args, rc, self._popen(args, self.remote_env, True), self._popen(args, self.local_env, False))
                   for args, rc in cases]
        answers = []
        for args, rc, remote, local in started:
            r, l = self._done(remote), self._done(local)
            assert (r.returncode, r.stdout, r.stderr) == (l.returncode, l.stdout, l.stderr), (
                "wfops %s differs with --url\n--- remote (%s)\n%s%s\n--- local (%s)\n%s%s"
                % (" ".join(args), r.returncode, r.stdout, r.stderr, l.returncode, l.stdout, l.stderr))
            assert r.returncode == rc, "wfops %s: exit %s, wanted %s\n%s" % (" ".join(args), r.returncode, rc, r.stderr)
            answers.append(r)
        return answers

    def status(self, execution_id: str) -> str:
        return self.server.get("/executions/%s" % execution_id)["status"]


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    root = tmp_path_factory.mktemp("remote")
    server = Server(root / "server-home")
    server.env["WFOPS_USER"] = "wfops-server"
    server.start()
    client_home = root / "client-home"
    client_home.mkdir()
    try:
        yield Cli(server, client_home)
    finally:
        code = server.stop()
    assert code == 0, "wfops serve exited with %s\n%s" % (code, server.log())
    assert list(client_home.iterdir()) == [], "the client wrote to its local WFOPS_HOME"


@pytest.fixture
def work(tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    return d, d / "log.txt"


def _run(cli, work, ref, *params, fail=()):
    """`wfops --url run` an examples workflow with failure markers present for ``fail``
    (removed afterwards); returns (view, completed process)."""
    d, log = work
    for marker in fail:
        (d / ("fail." + marker)).touch()
    try:
        view, done = cli.json("run", ref, "log=%s" % log, "dir=%s" % d, *params)
    finally:
        for marker in fail:
            (d / ("fail." + marker)).unlink()
    return view, done


def _tasks(view):
    return [(c["context"]["orquesta"]["task_name"], c["status"]) for c in view.get("children", [])]


# -- run, get, list -------------------------------------------------------------------------


def test_run_get_and_list(cli, work):
    d, log = work
    view, done = _run(cli, work, "wfops_examples.sequential")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded" and view["context"]["user"] == "alice"
    assert log_lines(log) == ["task1", "task2", "task3"]

    failed, done = _run(cli, work, "wfops_examples.sequential", fail=["task2"])
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
    runner = cli.popen("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "sleep=2", "-j")
    wait_for(lambda: log_lines(log) == ["task1"], timeout=30)
    ex = cli.server.get("/executions?limit=1&parent=null")[0]["id"]

    done = cli.run("execution", "pause", ex, "--comment", "maintenance")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == 'pause: execution "%s" is pausing.' % ex
    wait_for(lambda: cli.status(ex) == "paused", timeout=30)
    ran = Cli._done(runner)
    assert ran.returncode == 1 and json.loads(ran.stdout)["status"] == "paused", ran.stderr
    assert log_lines(log) == ["task1"]

    answer, done = cli.json("execution", "resume", ex)
    assert done.returncode == 0 and answer == [{"id": ex, "status": "running", "changed": True}], answer
    wait_for(lambda: log_lines(log) == ["task1", "task2"], timeout=30)
    done = cli.run("--user", "bob", "execution", "cancel", ex, "--comment", "stop")
    assert done.returncode == 0 and done.stdout.strip() == 'cancel: execution "%s" is canceling.' % ex
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


# -- re-run -----------------------------------------------------------------------------------


def test_rerun_from_the_beginning(cli, work):
    d, log = work
    first, _ = _run(cli, work, "wfops_examples.sequential")
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
    failed, _ = _run(cli, work, "wfops_examples.sequential", fail=["task2"])
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
    failed, _ = _run(cli, work, "wfops_examples.with_items", "items=[0, 1, 2]", fail=["task1.1"])
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
    failed, _ = _run(cli, work, "wfops_examples.context_demo")
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

    failed, _ = _run(cli, work, "wfops_examples.context_demo")
    cli.all_both([
        (("execution", "skip", failed["id"], "task2", "--publish", "token=manual", "--dry-run"), 0),
        (("execution", "skip", failed["id"], "task1", "--dry-run"), 1),  # refused: task1 succeeded
    ])
    view, done = cli.json("execution", "skip", failed["id"], "task2", "--publish", "token=manual")
    assert done.returncode == 0 and view["status"] == "succeeded", done.stderr
    assert log_lines(log)[-3:] == ["task1", "task2:bad", "task3:manual"]
    cli.both("execution", "audit", failed["id"])


# -- actions ----------------------------------------------------------------------------------


def test_actions(cli):
    cli.all_both([
        (("action", "list"), 0),
        (("action", "list", "-p", "wfops_examples", "-j"), 0),
        (("action", "get", "core.noop", "-j"), 0),
        (("action", "get", "nosuchpack.nosuchaction"), 1),
    ])


# -- bad input --------------------------------------------------------------------------------


def test_bad_input_gets_the_local_answers(cli, work):
    d, log = work
    unknown = "0123456789abcdef01234567"
    for done in cli.all_both([(args, 1) for args in (
        ("execution", "get", unknown),
        ("execution", "get", "last"),
        ("execution", "pause", unknown),
        ("execution", "cancel", unknown, "-j"),
        ("execution", "re-run", unknown, "--tasks", "task2"),
        ("execution", "skip", unknown, "task2"),
        ("execution", "context", unknown, "task1"),
        ("execution", "audit", unknown),
        ("run", "nosuchpack.nosuchaction"),
        ("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "sleep=abc", "bogus=1"),
        ("run", "wfops_examples.sequential"),
    )]):
        assert done.stderr.startswith("ERROR: "), done.stderr

    ok, _ = _run(cli, work, "wfops_examples.sequential")
    noop, _ = cli.json("run", "core.noop")
    total = cli.server.total()
    for done in cli.all_both([(args, 1) for args in (
        ("execution", "re-run", ok["id"], "--tasks", "task9", "--dry-run"),           # unknown task
        ("execution", "re-run", ok["id"], "--tasks", "task2", "--no-reset", "task3"),  # not a subset
        ("execution", "re-run", ok["id"], "--tasks", "task2", "sleep=1"),              # parameters
        ("execution", "re-run", ok["id"], "--result", "task2", "1"),                   # not skipped
        ("execution", "re-run", noop["id"], "--tasks", "task1"),                      # not a workflow
        ("execution", "context", ok["id"], "task9"),
        ("execution", "context", noop["id"], "task1"),
        ("execution", "resume", ok["id"]),
        ("execution", "skip", ok["id"], "task2", "--dry-run"),
    )]):
        assert done.stderr.startswith("ERROR: "), done.stderr
    assert cli.server.total() == total, "nothing was created"
    assert log_lines(log) == ["task1", "task2", "task3"], "nothing ran"

    # Usage errors exit 2 as in local mode.
    cli.both("run", "core.noop", "oops", rc=2)


def test_local_only_commands_and_unreachable_server(cli):
    for args, env in ((["--url", cli.url, "engine", "--until-idle"], cli.remote_env),
                      (["serve", "--port", "0"], dict(cli.remote_env, WFOPS_URL=cli.url)),
                      (["--url", cli.url, "--home", str(cli.client_home), "execution", "list"], cli.remote_env)):
        done = subprocess.run(WFOPS + args, env=env, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 2, (args, done.stderr)
        assert "--url" in done.stderr.splitlines()[-1], done.stderr
    done = cli.run("execution", "list", url=False, env=dict(cli.remote_env, WFOPS_URL="http://127.0.0.1:1"))
    assert done.returncode == 1 and done.stderr.startswith("ERROR: Cannot reach the wfops server at "), done.stderr
    done = cli.run("execution", "list", url=False, env=dict(cli.remote_env, WFOPS_URL="ftp://example"))
    assert done.returncode == 1 and "is not a wfops server URL" in done.stderr, done.stderr
