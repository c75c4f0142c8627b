"""Actions of runner types wfops cannot run (WinRM; for now announcement) load and refuse
to run with an error naming the runner type; a local-shell-cmd action with an entry point fails as on StackStorm."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Wfops

from wfops.packs import ActionRegistry
from wfops.parameters import validate_parameters
from wfops.runners import RunContext, can_run, get_runner

ST2_SHAPED = Path(__file__).parent / "fixtures" / "st2_shaped"

CASES = [
    ("examples.windows_ipconfig", "winrm-cmd", "does not implement WinRM"),
    ("examples.windows_env", "winrm-ps-cmd", "does not implement WinRM"),
    ("examples.windows_uptime", "winrm-ps-script", "does not implement WinRM"),
    ("examples.announce", "announcement", "does not support it yet"),
]
WINRM_PARAMS = {"host": "win1", "username": "u", "password": "p"}


@pytest.fixture(scope="module")
def registry() -> ActionRegistry:
    return ActionRegistry.from_paths([str(ST2_SHAPED)])


@pytest.mark.parametrize("ref,runner_type,why", CASES)
def test_runner_refuses_with_the_runner_type_named(registry, ref, runner_type, why):
    action = registry.get(ref)
    params = validate_parameters(action, WINRM_PARAMS if runner_type.startswith("winrm") else {})
    outcome = get_runner(action.runner_type).run(action, params, RunContext(execution_id="e1"))

    assert not can_run(runner_type)
    assert outcome.status == "failed"
    assert outcome.result == {"error": outcome.result["error"]}
    assert outcome.result["error"].startswith(
        'Action "%s" cannot run: its runner type "%s" cannot run on the wfops embedded host; ' % (ref, runner_type))
    assert why in outcome.result["error"] and "Run it on StackStorm" in outcome.result["error"]


def test_wfops_run_fails_the_execution_with_the_reason(tmp_path):
    wfops = Wfops(tmp_path, packs_path=str(ST2_SHAPED))
    view, done = wfops.json("run", "examples.windows_ipconfig", *("%s=%s" % kv for kv in WINRM_PARAMS.items()))
    assert done.returncode == 1
    assert view["status"] == "failed"
    assert 'its runner type "winrm-cmd" cannot run' in view["result"]["error"]

    shown = wfops.run("action", "get", "examples.windows_env")
    assert shown.returncode == 0
    assert "runnable: false" in shown.stdout
    assert shown.stderr.startswith('NOTE: Action "examples.windows_env" cannot run: its runner type "winrm-ps-cmd"')


def test_local_shell_cmd_with_an_entry_point_fails_as_on_st2(tmp_path):
    wfops = Wfops(tmp_path, packs_path=str(ST2_SHAPED))
    view, done = wfops.json("run", "examples.greet_entry_point", "who=x")
    assert done.returncode == 1
    assert view["status"] == "failed"
    assert view["result"]["error"].startswith(
        'Action "examples.greet_entry_point" has an entry_point, but entry_point is only valid for '
        "local-shell-script runner")
    # the same script through the script runner runs
    view, done = wfops.json("run", "examples.greet_script", "who=x", "shout=true")
    assert (done.returncode, view["result"]["stdout"]) == (0, "HELLO, X")
