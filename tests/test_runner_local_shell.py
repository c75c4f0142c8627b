"""The local-shell-cmd and local-shell-script runners, with real processes."""

from __future__ import annotations

import os
import shutil
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from wfops.packs import ActionRegistry
from wfops.packs import registry as registry_module
from wfops.parameters import validate_parameters
from wfops.runners import RunContext, get_runner

PACKS = Path(__file__).parent / "fixtures" / "packs"
# Only this pack: other test modules keep packs of their own next to it.
FIXTUREPACK = PACKS / "fixturepack"
CORE = (registry_module.BUILTIN_CORE_PACK, "core")


@pytest.fixture(scope="module")
def registry() -> ActionRegistry:
    return ActionRegistry.from_paths([str(FIXTUREPACK)], [CORE])


def run(registry, ref, params, ctx=None):
    action = registry.get(ref)
    ctx = ctx or RunContext(execution_id="0123456789abcdef01234567")
    return get_runner(action.runner_type).run(action, validate_parameters(action, params), ctx)


def is_running(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid) as stream:
            state = stream.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_until_gone(pid: int, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not is_running(pid):
            return True
        time.sleep(0.02)
    return False


# --- local-shell-cmd ---------------------------------------------------------------------


def test_core_echo(registry):
    outcome = run(registry, "core.echo", {"message": "hi there"})
    assert outcome.status == "succeeded"
    assert outcome.result == {
        "failed": False,
        "succeeded": True,
        "return_code": 0,
        "stdout": "hi there",
        "stderr": "",
    }


def test_non_zero_exit_fails_with_output_kept(registry):
    outcome = run(registry, "core.local", {"cmd": "echo out; echo err >&2; exit 3"})
    assert outcome.status == "failed"
    assert outcome.result == {
        "failed": True,
        "succeeded": False,
        "return_code": 3,
        "stdout": "out",
        "stderr": "err",
    }


def test_unknown_command_fails_with_bash_message(registry):
    outcome = run(registry, "core.local", {"cmd": "no-such-command-wfops"})
    assert outcome.status == "failed"
    assert outcome.result["return_code"] == 127
    assert "no-such-command-wfops: command not found" in outcome.result["stderr"]


@pytest.mark.parametrize(
    "cmd, stdout",
    [
        (r"printf 'a\n\n'", "a\n"),  # only one trailing newline goes, as st2's strip_shell_chars
        (r"printf 'a\r\n'", "a"),
        ("printf 'no newline'", "no newline"),
        ("""echo '{"a": [1, 2]}'""", {"a": [1, 2]}),  # JSON output is parsed, as st2
        ("echo 42", 42),
        ("echo NaN", "NaN"),
    ],
)
def test_stdout_shape(registry, cmd, stdout):
    assert run(registry, "core.local", {"cmd": cmd}).result["stdout"] == stdout


def test_environment_layers(registry, monkeypatch):
    monkeypatch.setenv("WFOPS_TEST_INHERITED", "inherited")
    ctx = RunContext(
        execution_id="exec-1",
        env={"FROM_CTX": "ctx", "OVERRIDDEN": "ctx"},
    )
    cmd = 'echo "$WFOPS_TEST_INHERITED|$FROM_CTX|$OVERRIDDEN|$NUMBER|$ST2_ACTION_EXECUTION_ID|$ST2_ACTION_PACK_NAME"'
    outcome = run(
        registry,
        "core.local",
        {"cmd": cmd, "env": {"OVERRIDDEN": "param", "NUMBER": 7}},
        ctx,
    )
    assert outcome.result["stdout"] == "inherited|ctx|param|7|exec-1|core"


def test_cwd_parameter_and_work_dir(registry, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ctx = RunContext(execution_id="e", work_dir=str(tmp_path / "b"))

    assert run(registry, "core.local", {"cmd": "pwd", "cwd": str(tmp_path / "a")}, ctx).result["stdout"] == str(
        tmp_path / "a"
    )
    assert run(registry, "core.local", {"cmd": "pwd"}, ctx).result["stdout"] == str(tmp_path / "b")


def test_missing_cwd_fails_with_a_clear_error(registry, tmp_path):
    outcome = run(registry, "core.local", {"cmd": "pwd", "cwd": str(tmp_path / "nope")})
    assert outcome.status == "failed"
    assert outcome.result["error"] == 'Working directory "%s" does not exist or is not a directory.' % (
        tmp_path / "nope"
    )


def test_timeout_kills_the_command_and_its_children(registry, tmp_path):
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    outcome = run(
        registry,
        "core.local",
        {"cmd": "echo started; sleep 5 & echo $! > %s; wait" % pid_file, "timeout": 1},
    )
    elapsed = time.monotonic() - started

    assert outcome.status == "timeout"
    assert 0.9 < elapsed < 3
    assert outcome.result == {
        "failed": True,
        "succeeded": False,
        "return_code": -9,
        "stdout": "started",
        "stderr": "",
        "error": "Action failed to complete in 1 seconds",
    }
    assert wait_until_gone(int(pid_file.read_text()))


def test_timeout_kills_children_in_other_process_groups_of_the_session(registry, tmp_path):
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    # With job control on, bash puts the background job in a process group of its own.
    outcome = run(
        registry,
        "core.local",
        {"cmd": "set -m; sleep 5 & echo $! > %s; wait" % pid_file, "timeout": 1},
    )
    assert outcome.status == "timeout"
    assert time.monotonic() - started < 3
    assert wait_until_gone(int(pid_file.read_text()))


def test_background_process_holding_output_does_not_block(registry, tmp_path):
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    outcome = run(registry, "core.local", {"cmd": "sleep 3 & echo $! > %s; echo done" % pid_file})
    try:
        assert outcome.status == "succeeded"
        assert outcome.result["stdout"] == "done"
        assert time.monotonic() - started < 2
    finally:
        os.kill(int(pid_file.read_text()), 9)


def test_many_commands_at_once_from_threads(registry):
    def one(n):
        return run(registry, "core.local", {"cmd": "sleep 0.5; echo $N", "env": {"N": str(n)}})

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(one, range(12)))
    assert [o.result["stdout"] for o in outcomes] == list(range(12))
    assert all(o.status == "succeeded" for o in outcomes)
    assert time.monotonic() - started < 3


# --- local-shell-script ------------------------------------------------------------------


def test_script_arguments_follow_st2s_rules(registry, tmp_path):
    ctx = RunContext(execution_id="e", env={"FIXTURE_VAR": "from-ctx"}, work_dir=str(tmp_path))
    outcome = run(
        registry,
        "fixturepack.script",
        {"first": "a b", "second": 0, "label": "x y", "items": [1, 2]},
        ctx,
    )
    assert outcome.status == "succeeded"
    # Named arguments first (True is a bare flag, False and unset are left out), then the
    # positional ones in position order.
    assert outcome.result["stdout"].splitlines() == [
        "arg:--flag",
        "arg:--label=x y",
        "arg:--items=[1, 2]",
        "arg:a b",
        "arg:0",
        "cwd:%s" % tmp_path,
        "env:from-ctx",
    ]


def test_script_kwarg_op_and_empty_positionals(registry):
    outcome = run(registry, "fixturepack.script", {"kwarg_op": "-", "quiet": True})
    assert outcome.result["stdout"].splitlines()[:4] == ["arg:-flag", "arg:-quiet", "arg:", "arg:"]


def test_script_is_made_executable(tmp_path):
    shutil.copytree(PACKS / "fixturepack", tmp_path / "fixturepack")
    script = tmp_path / "fixturepack" / "actions" / "script.sh"
    script.chmod(0o644)
    registry = ActionRegistry.from_paths([str(tmp_path)])

    outcome = run(registry, "fixturepack.script", {"first": "x"})

    assert outcome.status == "succeeded"
    assert "arg:x" in outcome.result["stdout"].splitlines()
    assert script.stat().st_mode & stat.S_IXUSR


def test_script_timeout(registry, tmp_path):
    shutil.copytree(PACKS / "fixturepack", tmp_path / "fixturepack")
    (tmp_path / "fixturepack" / "actions" / "script.sh").write_text("#!/bin/sh\nsleep 5\n")
    registry = ActionRegistry.from_paths([str(tmp_path)])

    started = time.monotonic()
    outcome = run(registry, "fixturepack.script", {"timeout": 1})

    assert outcome.status == "timeout"
    assert time.monotonic() - started < 3
    assert outcome.result["error"] == "Action failed to complete in 1 seconds"


def test_sudo_is_refused(registry):
    outcome = run(registry, "fixturepack.script", {"sudo": True})
    assert outcome.status == "failed"
    assert outcome.result == {
        "error": 'Action "fixturepack.script" asks for sudo, which wfops does not support: run '
        "wfops as the user the command needs."
    }
