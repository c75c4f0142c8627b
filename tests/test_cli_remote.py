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
            r, loc = self._done(remote), self._done(local)
            assert (r.returncode, r.stdout, r.stderr) == (loc.returncode, loc.stdout, loc.stderr), (
                "wfops %s differs with --url\n--- remote (%s)\n%s%s\n--- local (%s)\n%s%s"
                % (" ".join(args), r.returncode, r.stdout, r.stderr, loc.returncode, loc.stdout, loc.stderr))
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
    yield d, d / "log.txt"
    for hold in d.glob("hold.*"):  # never leave a held task waiting after a failed test
        hold.unlink()


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


# -- bad input of item 4 of issue 14: the same refusal from the CLI and the API -----------------

TOO_DEEP = ("A value is nested more than 100 levels deep (lists and objects within each other); "
            "give a flatter value.")
TOO_DEEP_AT = "%s is nested more than 100 levels deep (lists and objects within each other); give a flatter value."
DEEP, MIDDLE = 2000, 150  # too deep for Python's JSON parser to read; readable, but over 100 levels


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _refused_alike(cli, execution_id: str, cases) -> None:
    """Each case: (the `wfops` arguments, the API request (method, path, body; a body of
    bytes is sent as it is), the message). The command line, on the store and with
    --url, prints exactly ``ERROR: <message>`` and exits 1; the API answers 400 with
    exactly that faultstring. Nothing is created or changed by any of them."""
    server = cli.server
    total = server.total()
    audit = server.get("/executions/%s/audit" % execution_id)
    answers = cli.all_both([(args, 1) for args, _, _ in cases])
    for (args, (method, path, body), message), done in zip(cases, answers):
        assert (done.stdout, done.stderr) == ("", "ERROR: %s\n" % message), args
        raw = body if isinstance(body, bytes) else None
        status, value, _ = server.request(method, path, None if raw else body, raw=raw)
        assert (status, value) == (400, {"faultstring": message}), (method, path)
    assert server.total() == total, "nothing was created"
    assert server.get("/executions/%s/audit" % execution_id) == audit, "nothing was recorded"


def test_bad_item_selections_are_refused_alike_and_block_nothing(cli, work):
    d, log = work
    failed, _ = _run(cli, work, "wfops_examples.with_items", "items=[0, 1, 2]", fail=["task1.1"])
    ex = failed["id"]
    path = "/executions/%s/re_run" % ex
    selection = 'The item selection of task "task1" '
    _refused_alike(cli, ex, [
        (("execution", "re-run", ex, "--items", "task1", ""), ("POST", path, {"items": {"task1": []}}),
         selection + "is empty: name at least one item index, or re-run the whole task instead."),
        (("execution", "re-run", ex, "--items", "task1", "0,2,0"), ("POST", path, {"items": {"task1": [0, 2, 0]}}),
         selection + "names item 0 more than once: name each item once."),
        (("execution", "re-run", ex, "--items", "task1", "-1"), ("POST", path, {"items": {"task1": [-1]}}),
         'Task "task1" has items 0 to 2; -1 is out of range.'),
        (("execution", "re-run", ex, "--items", "task1", "1,3,4"), ("POST", path, {"items": {"task1": [1, 3, 4]}}),
         'Task "task1" has items 0 to 2; 3, 4 are out of range.'),
        (("execution", "re-run", ex, "--items", "task1", "x"), ("POST", path, {"items": {"task1": ["x"]}}),
         'The item selection of task "task1": "x" is not an item index (0, 1, 2, ...).'),
        (("execution", "re-run", ex, "--items", "task1", "1,1", "--dry-run"), ("POST", path, {"items": {"task1": [1, 1]},
                                                                                          "dry_run": True}),
         selection + "names item 1 more than once: name each item once."),
    ])
    for body, message in (({"items": {"task1": [1.5, True]}}, "1.5, true are not item indices (0, 1, 2, ...)."),
                          ({"items": {"task1": "1"}}, "\"items.task1\": '1' is not of type 'array'")):
        status, value, _ = cli.server.request("POST", path, body)
        assert status == 400 and value["faultstring"].endswith(message), value
    assert sorted(log_lines(log)) == ["task1:0", "task1:1", "task1:2"], "nothing ran"
    # None of the refusals left anything behind that blocks the next re-run.
    view, done = cli.json("execution", "re-run", ex, "--items", "task1", "1")
    assert done.returncode == 0 and view["status"] == "succeeded", done.stderr
    assert sorted(log_lines(log)) == ["task1:0", "task1:1", "task1:1", "task1:2"]


def test_values_nested_too_deeply_are_refused_alike(cli, work):
    d, log = work
    failed, _ = _run(cli, work, "wfops_examples.context_demo")
    ex = failed["id"]
    path = "/executions/%s/re_run" % ex
    deep, middle = _nested(DEEP), _nested(MIDDLE)
    middle_value = json.loads(middle)

    def raw(prefix: str, suffix: str) -> bytes:
        return (prefix + deep + suffix).encode()

    _refused_alike(cli, ex, [
        # Too deep to be read at all: the same sentence from the command line and the API.
        (("execution", "re-run", ex, "--tasks", "task2", "--context", "task2", "target=" + deep),
         ("POST", path, raw('{"tasks": ["task2"], "context": {"task2": {"target": ', "}}}")), TOO_DEEP),
        (("execution", "skip", ex, "task2", "--result", deep),
         ("POST", path, raw('{"skip": ["task2"], "result": ', "}")), TOO_DEEP),
        (("execution", "skip", ex, "task2", "--publish", "token=" + deep),
         ("POST", path, raw('{"skip": ["task2"], "publish": {"token": ', "}}")), TOO_DEEP),
        # Readable but deeper than 100 levels: the planner names the value.
        (("execution", "re-run", ex, "--tasks", "task2", "--context", "task2", "target=" + middle),
         ("POST", path, {"tasks": ["task2"], "context": {"task2": {"target": middle_value}}}),
         TOO_DEEP_AT % 'The context value "target" of task "task2"'),
        (("execution", "skip", ex, "task2", "--result", middle),
         ("POST", path, {"skip": ["task2"], "result": middle_value}),
         TOO_DEEP_AT % 'The result given to skipped task "task2"'),
        (("execution", "skip", ex, "task2", "--publish", "token=" + middle),
         ("POST", path, {"skip": ["task2"], "publish": {"token": middle_value}}),
         TOO_DEEP_AT % 'The value "token" that skipped task "task2" publishes'),
    ])
    assert log_lines(log) == ["task1", "task2:bad"], "nothing ran"


def test_run_parameters_nested_too_deeply_or_of_the_wrong_container_are_refused_alike(cli, work):
    ok, _ = cli.json("run", "fixturepack.types", "name=x")
    ex = ok["id"]
    deep, middle = _nested(DEEP), _nested(MIDDLE)
    middle_value = json.loads(middle)
    types = 'Parameter "%s" of action "fixturepack.types": '
    run, rerun = ("POST", "/executions"), ("POST", "/executions/%s/re_run" % ex)
    _refused_alike(cli, ex, [
        (("run", "fixturepack.types", "name=x", "tags=" + deep),
         run + (('{"action": "fixturepack.types", "parameters": {"name": "x", "tags": %s}}' % deep).encode(),),
         TOO_DEEP),
        (("run", "fixturepack.types", "name=x", "tags=" + middle),
         run + ({"action": "fixturepack.types", "parameters": {"name": "x", "tags": middle_value}},),
         types % "tags" + "the value is nested more than 100 levels deep (lists and objects within each "
                          "other); give a flatter value."),
        (("execution", "re-run", ex, "meta=" + deep),
         rerun + (('{"parameters": {"meta": %s}}' % deep).encode(),), TOO_DEEP),
        # A list for an object parameter, an object for an array one: refused, not made {}.
        (("run", "fixturepack.types", "name=x", "meta=[1, 2]"),
         run + ({"action": "fixturepack.types", "parameters": {"name": "x", "meta": [1, 2]}},),
         types % "meta" + "[1, 2] is not of type 'object'"),
        (("run", "fixturepack.types", "name=x", 'tags={"a": 1}'),
         run + ({"action": "fixturepack.types", "parameters": {"name": "x", "tags": {"a": 1}}},),
         types % "tags" + "{'a': 1} is not of type 'array'"),
        (("execution", "re-run", ex, "meta=[1, 2]"), rerun + ({"parameters": {"meta": [1, 2]}},),
         types % "meta" + "[1, 2] is not of type 'object'"),
        (("execution", "re-run", ex, 'tags={"a": 1}'), rerun + ({"parameters": {"tags": {"a": 1}}},),
         types % "tags" + "{'a': 1} is not of type 'array'"),
    ])


def test_a_plan_of_a_changed_state_is_refused_alike(cli, work):
    """R13: dry run, another operation, then the first plan by its fingerprint: the engine
    that owns the workflow refuses it, whether the command line acts on the store, through
    the server, or the API is called."""
    d, log = work
    failed, _ = _run(cli, work, "wfops_examples.sequential", fail=["task2"])
    ex = failed["id"]
    plan, done = cli.json("execution", "re-run", ex, "--tasks", "task2", "--dry-run")
    stale = plan["fingerprint"]
    (d / "fail.task2").touch()
    other, done = cli.json("execution", "re-run", ex, "--tasks", "task2")  # fails again
    (d / "fail.task2").unlink()
    assert other["status"] == "failed", done.stderr
    message = ('The state of workflow execution "%s" changed since the plan was computed (another '
               "operation came in between). Compute the plan again (a dry run) and re-submit." % ex)
    total, audit, lines = cli.server.total(), cli.server.get("/executions/%s/audit" % ex), log_lines(log)
    for done in cli.all_both([(("execution", "re-run", ex, "--tasks", "task2", "--fingerprint", stale), 1),
                              (("execution", "skip", ex, "task2", "--publish", "msg2=x", "--fingerprint", stale), 1)]):
        assert (done.stdout, done.stderr) == ("", "ERROR: %s\n" % message)
    status, value, _ = cli.server.request("POST", "/executions/%s/re_run" % ex,
                                          {"tasks": ["task2"], "fingerprint": stale})
    assert (status, value) == (409, {"faultstring": message})
    assert (cli.server.total(), cli.server.get("/executions/%s/audit" % ex), log_lines(log)) == (total, audit, lines)
    # The plan of the state as it is now goes through, by its fingerprint, with --url.
    plan, _ = cli.json("execution", "re-run", ex, "--tasks", "task2", "--dry-run")
    view, done = cli.json("execution", "re-run", ex, "--tasks", "task2", "--fingerprint", plan["fingerprint"])
    assert view["status"] == "succeeded", done.stderr
    assert log_lines(log) == lines + ["task2", "task3"]
