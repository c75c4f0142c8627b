"""Helpers of the `wfops --url URL` (and WFOPS_URL) tests, tests/test_cli_remote_*.py: every
command against a real `wfops serve` subprocess, each a real `wfops` subprocess. Where a
command only reads, its output is compared with the local command line's on the server's
own state directory: they must be the same, byte for byte, with the same exit status. The
client's own WFOPS_HOME stays untouched. Operations are recorded as the client's user
(alice), not the server's (wfops-server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from api.harness import Server

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
def work(workdir):
    """conftest's ``workdir``: (dir, log path)."""
    return workdir


def remote_run(cli, work, ref, *params, fail=()):
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
