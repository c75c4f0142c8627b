"""Commands that run no workflow start without Orquesta or the engine (issue 12, item 4),
and pack metadata is read from its cache until a file changes.

Each command runs in a real subprocess (the `wfops` command line, on a real store) through
a small wrapper that prints, after the command, which modules the process had imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import FIXTURE_PACKS, Wfops, run_example

# Run `wfops ARGS...` in this interpreter, then print its exit status and the imported
# modules as JSON on the last line of stdout.
_REPORT = (
    "import json, sys\n"
    "from wfops.cli.main import main\n"
    "try:\n"
    "    status = main(sys.argv[1:])\n"
    "except SystemExit as e:\n"
    "    status = e.code\n"
    "print('\\n' + json.dumps({'status': status, 'modules': sorted(sys.modules)}))\n"
)

# What running workflows needs and reading the store does not.
HEAVY = ("orquesta", "wfops.engine", "yaql", "jinja2", "networkx", "cryptography", "paramiko",
         "requests", "wfops.planner", "wfops.expressions")


def imported(wfops, *args: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """The modules ``wfops ARGS`` imported, and the process (``returncode``: the command's
    exit status; ``stdout`` without the report line)."""
    done = subprocess.run([sys.executable, "-c", _REPORT, *args], env=wfops.env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.stdout.strip(), done.stderr
    output, _, last = done.stdout.rstrip("\n").rpartition("\n")
    report = json.loads(last)
    done.stdout, done.returncode = output, report["status"]
    return set(report["modules"]), done


def heavy_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Wfops, str]:
    """A store holding a finished three-task workflow execution (one with parameters),
    and its id; shared by the tests that only read it."""
    root = tmp_path_factory.mktemp("finished")
    (root / "home").mkdir()
    (root / "work").mkdir()
    wfops = Wfops(root / "home", packs_path=str(FIXTURE_PACKS))
    view = run_example(wfops, (root / "work", root / "work" / "log.txt"), "wfops_examples.sequential")
    assert view["status"] == "succeeded"
    return wfops, view["id"]


def test_the_report_sees_what_a_workflow_run_imports(wfops, workdir):
    """The check itself can fail: a command that runs a workflow does import them."""
    d, log = workdir
    modules, done = imported(wfops, "run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
    assert "succeeded" in done.stdout, done.stderr
    assert "orquesta.conducting" in modules and "wfops.engine.host" in modules


def test_help_imports_neither_orquesta_nor_the_engine_nor_the_store(wfops):
    modules, done = imported(wfops, "--help")
    assert done.returncode == 0 and "execution" in done.stdout
    assert heavy_modules(modules) == []
    assert not {"sqlite3", "yaml", "wfops.packs", "wfops.store"} & modules


@pytest.mark.parametrize("command", [
    ["execution", "list"],
    ["execution", "list", "--json"],
    ["execution", "get", "{id}"],
    ["execution", "get", "{id}", "--show-tasks", "--json"],
    ["execution", "audit", "{id}"],
    ["execution", "context", "{id}", "task2"],
    ["action", "list"],
    ["action", "get", "wfops_examples.sequential"],
    ["pack", "list"],
])
def test_reading_commands_import_neither_orquesta_nor_the_engine(finished, command):
    wfops, execution_id = finished
    args = [a.format(id=execution_id) for a in command]
    modules, done = imported(wfops, *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert heavy_modules(modules) == [], args
    if command[0] in ("execution", "action") and command[1] in ("list", "get"):
        assert ("sequential" in done.stdout) and (command[0] == "action" or execution_id in done.stdout)


def test_listing_executions_without_parameters_reads_no_pack_metadata(wfops):
    done = wfops.run("run", "core.noop")
    assert done.returncode == 0, done.stderr
    os.remove(wfops.home / "registry-cache.json")
    modules, done = imported(wfops, "execution", "list")
    assert "core.noop" in done.stdout
    assert not {"yaml", "wfops.packs.registry"} & modules
    assert not (wfops.home / "registry-cache.json").exists()


@pytest.mark.parametrize("command", [["execution", "list"], ["execution", "get", "0123456789abcdef01234567"],
                                     ["action", "list"], ["execution", "pause", "0123456789abcdef01234567"]])
def test_commands_with_url_import_neither_orquesta_nor_the_engine(wfops, command):
    # Nothing listens on port 9 of 127.0.0.1: the command fails to connect, after having
    # imported all it would use to talk to a server.
    modules, done = imported(wfops, "--url", "http://127.0.0.1:9", *command)
    assert done.returncode == 1 and "ERROR" in done.stderr
    assert "Traceback" not in done.stderr
    assert heavy_modules(modules) == []
    assert not {"sqlite3", "wfops.store", "wfops.packs.registry"} & modules


def _write_pack(root, description: str) -> str:
    pack = root / "cachepack"
    (pack / "actions").mkdir(parents=True, exist_ok=True)
    (pack / "pack.yaml").write_text("ref: cachepack\nname: cachepack\nversion: 0.0.1\n"
                                    "description: d\nauthor: a\nemail: a@example.invalid\n")
    path = pack / "actions" / "hello.yaml"
    path.write_text("name: hello\nrunner_type: noop\ndescription: %s\nenabled: true\n" % description)
    return str(path)


def test_pack_metadata_is_cached_until_a_file_changes(wfops, tmp_path):
    packs = tmp_path / "packs"
    path = _write_pack(packs, "first text")
    wfops.env["WFOPS_PACKS_PATH"] = str(packs)

    modules, done = imported(wfops, "action", "list", "--pack", "cachepack")
    assert "first text" in done.stdout, done.stderr
    assert "yaml" in modules  # the first command parses the metadata ...
    assert (wfops.home / "registry-cache.json").exists()
    modules, done = imported(wfops, "action", "list", "--pack", "cachepack")
    assert "first text" in done.stdout
    assert "yaml" not in modules  # ... the next ones take it from the cache

    # The same size, a later modification time: the change is seen.
    with open(path, "r+", encoding="utf-8") as handle:
        text = handle.read().replace("first text", "other text")
        handle.seek(0)
        handle.write(text)
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    modules, done = imported(wfops, "action", "list", "--pack", "cachepack")
    assert "other text" in done.stdout, done.stderr
    assert "yaml" in modules

    # A new action file (the directory changes) is seen too.
    (packs / "cachepack" / "actions" / "bye.yaml").write_text("name: bye\nrunner_type: noop\n")
    done = wfops.run("action", "list", "--pack", "cachepack")
    assert "cachepack.bye" in done.stdout, done.stderr


def test_a_broken_cache_file_is_ignored(wfops, tmp_path):
    packs = tmp_path / "packs"
    _write_pack(packs, "some text")
    wfops.env["WFOPS_PACKS_PATH"] = str(packs)
    (wfops.home / "registry-cache.json").write_text("{not json")
    done = wfops.run("action", "get", "cachepack.hello")
    assert done.returncode == 0 and "some text" in done.stdout, done.stderr
    json.loads((wfops.home / "registry-cache.json").read_text())  # rewritten
