"""The noop runner and runner lookup (wfops.runners)."""

from __future__ import annotations

import pytest

from wfops import errors
from wfops.packs import ActionRegistry
from wfops.packs import registry as registry_module
from wfops.runners import ActionOutcome, RunContext, get_runner


@pytest.fixture(scope="module")
def noop():
    return ActionRegistry.from_paths([], [(registry_module.BUILTIN_CORE_PACK, "core")]).get("core.noop")


def test_noop_succeeds_with_st2s_result(noop):
    outcome = get_runner("noop").run(noop, {}, RunContext(execution_id="e1"))
    assert outcome == ActionOutcome(
        status="succeeded", result={"failed": False, "succeeded": True, "return_code": 0}
    )


def test_noop_ignores_parameters(noop):
    assert get_runner("noop").run(noop, {"x": 1}, RunContext(execution_id="e1")).status == "succeeded"


@pytest.mark.parametrize("runner_type", ["noop", "local-shell-cmd", "local-shell-script", "python-script",
                                         "http-request", "remote-shell-cmd", "remote-shell-script"])
def test_every_known_runner_type_has_a_runner(runner_type):
    assert callable(get_runner(runner_type).run)


def test_unknown_runner_type_is_refused():
    with pytest.raises(errors.RunnerNotFound) as caught:
        get_runner("mistral-v2")
    assert str(caught.value) == (
        'Runner type "mistral-v2" cannot be found. Known runner types: http-request, inquirer, local-shell-cmd, '
        "local-shell-script, noop, python-script, remote-shell-cmd, remote-shell-script."
    )


@pytest.mark.parametrize("runner_type", ["orquesta", "action-chain"])
def test_workflow_runner_types_are_run_by_the_engine_not_by_a_runner(runner_type):
    with pytest.raises(errors.RunnerNotFound) as caught:
        get_runner(runner_type)
    assert str(caught.value) == 'Runner type "%s" has no action runner: its actions are run by the engine.' % (
        runner_type)


def test_the_network_runners_libraries_load_only_when_used():
    import subprocess
    import sys

    code = ("import sys, wfops.runners as r; r.get_runner('noop'); before = {'requests', 'paramiko'} & set(sys.modules); "
            "r.get_runner('http-request'); r.get_runner('remote-shell-cmd'); "
            "print(sorted(before), sorted({'requests', 'paramiko'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "['paramiko',", "'requests']"]
