"""Shared test helpers: a fresh WFOPS_HOME per test, and the real `wfops` command line run
as a subprocess (real processes, real SQLite, real shell commands in temporary dirs)."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get("WFOPS_SHARED", REPO.parent / "shared"))
FIXTURE_PACKS = REPO / "tests" / "fixtures" / "packs"


class Wfops:
    """Runs `wfops` commands against one state directory."""

    def __init__(self, home: pathlib.Path, packs_path: str | None = None):
        self.home = home
        self.env = dict(os.environ)
        self.env["WFOPS_HOME"] = str(home)
        self.env["WFOPS_COMMAND_TIMEOUT"] = "30"
        self.env.pop("WFOPS_URL", None)
        if packs_path:
            self.env["WFOPS_PACKS_PATH"] = packs_path

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "wfops.cli.main", *args]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(*args), env=self.env, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(*args), env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def json(self, *args: str, timeout: float = 120):
        done = self.run(*args, "--json", timeout=timeout)
        assert done.stdout, "no output; stderr: %s" % done.stderr
        return json.loads(done.stdout), done

    def get(self, execution_id: str, tasks: bool = True) -> dict:
        args = ["execution", "get", execution_id]
        if tasks:
            args.append("--show-tasks")
        view, done = self.json(*args)
        assert done.returncode == 0, done.stderr
        return view

    def wait_status(self, execution_id: str, statuses: set[str], timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            view = self.get(execution_id, tasks=False)
            if view["status"] in statuses:
                return view
            if time.monotonic() > deadline:
                raise AssertionError("execution %s stayed %s, wanted %s" % (execution_id, view["status"], statuses))
            time.sleep(0.1)


def tasks_of(view: dict) -> list[tuple[str, object, str]]:
    """(task name, item id, status) of each child execution, in creation order."""
    out = []
    for child in view.get("children", []):
        orquesta = child["context"]["orquesta"]
        out.append((orquesta["task_name"], orquesta.get("item_id"), child["status"]))
    return out


def log_lines(path: pathlib.Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def run_example(wfops: "Wfops", workdir, ref: str, *params: str, fail=()) -> dict:
    """`wfops run` an examples workflow with failure markers present for ``fail`` (each
    removed again afterwards, as an operator fixing the environment would)."""
    d, log = workdir
    for marker in fail:
        (d / ("fail." + marker)).touch()
    view, done = wfops.json("run", ref, "log=%s" % log, "dir=%s" % d, *params)
    for marker in fail:
        (d / ("fail." + marker)).unlink()
    return view


def wait_for(predicate, timeout: float = 30, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %s s" % timeout)
        time.sleep(interval)


@pytest.fixture
def wfops(tmp_path) -> Wfops:
    home = tmp_path / "home"
    home.mkdir()
    return Wfops(home, packs_path=str(FIXTURE_PACKS) if FIXTURE_PACKS.exists() else None)


@pytest.fixture
def workdir(tmp_path):
    """A directory for failure markers, gate files (``hold.*``, see the ``gates`` fixture
    pack) and the side-effect log: (dir, log path)."""
    d = tmp_path / "work"
    d.mkdir()
    yield d, d / "log.txt"
    for hold in d.glob("hold.*"):  # never leave a held task waiting after a failed test
        hold.unlink()


# -- real servers on 127.0.0.1 for the runner tests (tests/fixtures/local_servers.py) -------


@pytest.fixture
def http_server():
    """A local HTTP server (LocalHttpServer): ``http_server.url("/echo")``, ``.requests``."""
    from fixtures.local_servers import LocalHttpServer

    with LocalHttpServer() as server:
        yield server


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """A real sshd on a loopback port that accepts generated keys (LocalSshd); skips with the
    reason when OpenSSH's server is not installed."""
    from fixtures.local_servers import LocalSshd

    missing = LocalSshd.missing()
    if missing:
        pytest.skip(missing)
    server = LocalSshd(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


# -- the minimal pack scripts/build-pack writes (scripts/build_pack.py) --------------------


def load_script(name: str):
    """A Python module of scripts/ (``build_pack``, ``pack_readme``), imported from its file."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def built_pack(tmp_path_factory) -> pathlib.Path:
    """The pack as scripts/build-pack writes it, built by a subprocess on this Python (the
    build uses the standard library only, so this also runs it on 3.8 in .ci/pack-py38)."""
    out = tmp_path_factory.mktemp("built") / "wfops-pack"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "build_pack.py"), str(out)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return out
