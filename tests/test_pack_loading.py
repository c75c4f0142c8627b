"""Packs load as StackStorm registers content: a file that cannot be loaded is reported
(file and reason) and left out, everything else loads, packs that shadow one another are
reported. The pack is tests/fixtures/st2_shaped/examples, laid out like StackStorm's own
`examples` pack with an action of every runner type; the real `wfops` command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import SHARED, Wfops

from wfops.packs import ActionRegistry
from wfops.packs import registry as registry_module
from wfops.packs.runner_types import RUNNER_TYPES

FIXTURES = Path(__file__).parent / "fixtures"
ST2_SHAPED = FIXTURES / "st2_shaped"
EXAMPLES = ST2_SHAPED / "examples"
SHADOWING = FIXTURES / "st2_shadowing"
ACTIONS = EXAMPLES / "actions"
CORE = (registry_module.BUILTIN_CORE_PACK, "core")

LEFT_OUT = {
    str(ACTIONS / "broken_yaml.yaml"): "Malformed YAML at line 5, column 1: ",
    str(ACTIONS / "broken_runner.yaml"): 'It has unknown runner_type "mistral-v2"; known runner types: ',
    str(ACTIONS / "broken_entry_point.yaml"): 'Its entry_point "pythonactions/not_there.py" does not exist',
    str(ACTIONS / "broken_override.yaml"): 'It cannot override the attribute "type" of the runner parameter '
                                           '"timeout".',
}
NOT_RUNNABLE = {"examples.windows_ipconfig", "examples.windows_env", "examples.windows_uptime",
                "examples.announce"}


@pytest.fixture(scope="module")
def registry() -> ActionRegistry:
    return ActionRegistry.from_paths([str(ST2_SHAPED)], [CORE])


@pytest.fixture
def st2_wfops(tmp_path) -> Wfops:
    home = tmp_path / "home"
    home.mkdir()
    return Wfops(home, packs_path="%s:%s" % (ST2_SHAPED, SHADOWING))


def test_every_runner_type_loads(registry):
    examples = registry.list("examples")
    assert {a.runner_type for a in examples} == set(RUNNER_TYPES)
    assert len(examples) == 17


def test_the_files_that_cannot_load_are_reported_with_file_pack_and_reason(registry):
    problems = registry.problems()
    assert {p.file for p in problems} == set(LEFT_OUT)
    for problem in problems:
        assert problem.pack == "examples"
        assert problem.reason.startswith(LEFT_OUT[problem.file]), problem.reason
        assert problem.to_dict() == {"file": problem.file, "pack": "examples", "reason": problem.reason}
    assert not any("broken" in a.ref for a in registry.list())


def test_st2_metadata_is_kept(registry):
    chain = registry.get("examples.echo_chain")
    assert chain.entry_point == str(ACTIONS / "chains" / "echo_chain.yaml")
    assert chain.parameters["skip_notify"] == {"type": "array", "default": ["second"],
                                               "description": "Tasks that send no notification."}
    ask = registry.get("examples.ask_continue")
    assert ask.parameters["ttl"]["default"] == 60 and ask.parameters["schema"]["required"] is True
    winrm = registry.get("examples.windows_ipconfig")
    assert winrm.parameters["password"]["secret"] is True and winrm.parameters["port"]["default"] == 5986
    remote = registry.get("examples.uptime_remote_parallel")
    assert remote.parameters["parallel"] == dict(RUNNER_TYPES["remote-shell-cmd"].parameters["parallel"],
                                                 default=True)
    # A local-shell-cmd action with an entry point loads, as StackStorm registers it.
    assert registry.get("examples.greet_entry_point").entry_point == str(ACTIONS / "bash_greet" / "greet.sh")


@pytest.mark.skipif(SHARED is None or not (SHARED / "st2-schemas").is_dir(),
                    reason="StackStorm's JSON schemas (../shared/st2-schemas) are not here")
def test_the_fixture_is_valid_st2_metadata():
    """The files meant to load validate against StackStorm's own schemas, as st2 registers them."""
    schemas = {kind: json.loads((SHARED / "st2-schemas" / ("%s.json" % kind)).read_text())
               for kind in ("pack", "action", "rule", "sensor")}
    files = [("pack", EXAMPLES / "pack.yaml")]
    files += [("action", p) for p in sorted(ACTIONS.glob("*.yaml")) if str(p) not in LEFT_OUT]
    files += [("rule", p) for p in sorted((EXAMPLES / "rules").glob("*.yaml"))]
    files += [("sensor", p) for p in sorted((EXAMPLES / "sensors").glob("*.yaml"))]
    for kind, path in files:
        content = yaml.safe_load(path.read_text())
        if kind != "pack":
            content.setdefault("pack", "examples")
            content["metadata_file"] = str(path.relative_to(EXAMPLES))
        found = sorted(e.message for e in jsonschema.Draft3Validator(schemas[kind]).iter_errors(content))
        assert not found, "%s: %s" % (path, found)


def test_shadowed_packs_are_reported(st2_wfops):
    report, done = st2_wfops.json("pack", "list")
    assert done.returncode == 0, done.stderr
    packs = {p["ref"]: p for p in report["packs"]}
    assert packs["examples"]["path"] == str(EXAMPLES)
    assert packs["core"] == {"ref": "core", "path": str(SHADOWING / "core"), "bundled": False,
                             "actions": 1, "not_runnable": 0}
    assert packs["examples"]["not_runnable"] == len(NOT_RUNNABLE)
    assert packs["wfops_examples"]["bundled"] is True
    by_file = {p["file"]: p for p in report["problems"]}
    assert set(by_file) == set(LEFT_OUT) | {str(SHADOWING / "examples"), registry_module.BUILTIN_CORE_PACK}
    assert by_file[str(SHADOWING / "examples")]["reason"] == (
        'This pack "examples" is shadowed by the pack of the same ref in "%s", which comes first on '
        "WFOPS_PACKS_PATH and is loaded instead." % EXAMPLES)
    assert by_file[registry_module.BUILTIN_CORE_PACK] == {
        "file": registry_module.BUILTIN_CORE_PACK, "pack": "core",
        "reason": 'The bundled pack "core" is shadowed by the pack of the same ref in "%s" (from '
                  "WFOPS_PACKS_PATH), which is loaded instead." % (SHADOWING / "core")}

    done = st2_wfops.run("pack", "list", "--pack", "examples")
    assert done.returncode == 0
    assert "5 files left out:" in done.stdout
    for path, reason in LEFT_OUT.items():
        assert "  %s\n    pack: examples\n    %s" % (path, reason) in done.stdout


def test_action_list_shows_what_cannot_run_and_warns_about_what_was_left_out(st2_wfops):
    done = st2_wfops.run("action", "list", "--pack", "examples")
    assert done.returncode == 0, done.stderr
    rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines() if line.startswith("| examples.")}
    assert len(rows) == 17
    for ref in NOT_RUNNABLE:
        assert "(cannot run here)" in rows[ref]
    assert "(cannot run here)" not in rows["examples.fetch_greeting"]
    assert done.stderr.startswith("WARNING: packs have 5 problems; what they name was left out")
    for path in LEFT_OUT:
        assert '  "%s": ' % path in done.stderr

    listed, done = st2_wfops.json("action", "list", "--pack", "examples")
    assert {a["ref"] for a in listed if not a["runnable"]} == NOT_RUNNABLE


def test_a_left_out_action_is_not_found_with_why(st2_wfops):
    done = st2_wfops.run("run", "examples.broken_runner")
    assert done.returncode == 1
    assert done.stderr.strip().startswith(
        'ERROR: Action "examples.broken_runner" cannot be found. Its metadata file "%s" was not loaded: '
        'It has unknown runner_type "mistral-v2"' % (ACTIONS / "broken_runner.yaml"))


def test_the_pack_runs_through_wfops_run(st2_wfops):
    view, done = st2_wfops.json("run", "examples.orquesta_greetings", "who=ops")
    assert done.returncode == 0, done.stdout + done.stderr
    assert view["result"]["output"] == {"greetings": ["hello, ops", "HELLO, OPS"]}
    view, done = st2_wfops.json("run", "examples.is_even", "value=4")
    assert (done.returncode, view["result"]["result"]) == (0, True)
    # this pack's core shadows the built-in one
    view, done = st2_wfops.json("run", "core.local", "cmd=echo from the shadowing core")
    assert view["result"]["stdout"] == "from the shadowing core"
    assert "core.http" not in st2_wfops.run("action", "list", "--pack", "core").stdout


def test_serve_starts_with_the_problems_reported(st2_wfops):
    from fixtures.local_servers import free_port

    port = free_port()
    proc = subprocess.Popen(st2_wfops.command("serve", "--port", str(port)), env=st2_wfops.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "wfops serve exited: %s" % proc.communicate()[1]
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/actions?pack=examples" % port,
                                            timeout=5) as response:
                    refs = {a["ref"] for a in json.load(response)}
                break
            except OSError:
                assert time.monotonic() < deadline, "wfops serve did not answer"
                time.sleep(0.2)
        assert NOT_RUNNABLE | {"examples.echo_chain"} <= refs and "examples.greet_entry_point" in refs
        # The server reports its packs and the files it left out (GET /api/v1/pack_report):
        # `wfops pack list` says the same with --url as on the server's machine.
        for args in (["pack", "list"], ["pack", "list", "--json"], ["pack", "list", "-p", "examples"],
                     ["action", "list", "--pack", "examples"]):
            local = st2_wfops.run(*args)
            remote = st2_wfops.run("--url", "http://127.0.0.1:%d" % port, *args)
            assert (remote.returncode, remote.stdout, remote.stderr) == (local.returncode, local.stdout,
                                                                         local.stderr), args
        report = json.loads(st2_wfops.run("--url", "http://127.0.0.1:%d" % port, "pack", "list", "--json").stdout)
        assert {p["file"]: p["reason"][:len(LEFT_OUT[p["file"]])] for p in report["problems"]
                if p["file"] in LEFT_OUT} == LEFT_OUT
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert "WARNING: packs have 6 problems" in stderr
    assert str(ACTIONS / "broken_yaml.yaml") in stderr


def test_bundled_packs_alone_have_no_problems():
    env = dict(os.environ)
    env.pop("WFOPS_PACKS_PATH", None)
    done = subprocess.run([sys.executable, "-c", "from wfops.packs import load_registry; "
                           "print(load_registry([]).problems())"], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr
