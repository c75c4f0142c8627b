"""The python-script runner, with real subprocesses."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from wfops.packs import ActionRegistry
from wfops.parameters import validate_parameters
from wfops.runners import RunContext, get_runner

PACKS = Path(__file__).parent / "fixtures" / "packs"
# Only this pack: other test modules keep packs of their own next to it.
FIXTUREPACK = PACKS / "fixturepack"
ACTIONS = PACKS / "fixturepack" / "actions"


@pytest.fixture(scope="module")
def registry() -> ActionRegistry:
    return ActionRegistry.from_paths([str(FIXTUREPACK)])


def run(registry, ref, params, ctx=None):
    action = registry.get(ref)
    ctx = ctx or RunContext(execution_id="0123456789abcdef01234567")
    return get_runner(action.runner_type).run(action, validate_parameters(action, params), ctx)


def test_action_result_stdout_and_stderr(registry):
    ctx = RunContext(execution_id="exec-7", env={"FIXTURE_VAR": "ctx-value"})
    outcome = run(registry, "fixturepack.py_ok", {"name": "ann"}, ctx)

    assert outcome.status == "succeeded"
    assert outcome.result == {
        "result": {
            "greeting": "Hello, ann!",
            "shout": "ANN",  # imported from the pack's actions/lib
            "nickname": None,  # declared, not given: passed as None, as StackStorm
            "api_key": "fixture-key",  # the pack config...
            "region": "eu-west",  # ...with its schema's defaults
            "remembered": "ann",  # action_service datastore
            "execution_id": "exec-7",
            "extra_env": "ctx-value",
            "is_action": True,
        },
        # What the action prints is its stdout, never mistaken for its result.
        "stdout": 'greeting ann\n{"result": "this print is not the result"}\n',
        "stderr": "actions.python.GreetAction: INFO     greeted ann\n",
        "exit_code": 0,
    }


def test_false_status_fails_with_the_result(registry):
    outcome = run(registry, "fixturepack.py_fail", {})
    assert outcome.status == "failed"
    assert outcome.result == {
        "result": {"reason": "the marker says no"},
        "stdout": "",
        "stderr": "",
        "exit_code": 0,
    }


def test_exception_fails_with_error_and_traceback(registry):
    outcome = run(registry, "fixturepack.py_raise", {})

    assert outcome.status == "failed"
    result = outcome.result
    assert result["result"] is None
    assert result["exit_code"] == 1
    assert result["error"] == "ValueError: boom"
    assert result["traceback"].startswith("Traceback (most recent call last):\n")
    assert 'py_raise.py", line 5, in helper' in result["traceback"]
    assert result["traceback"].endswith("ValueError: boom\n")
    assert "python_wrapper" not in result["traceback"]
    assert result["stderr"] == result["traceback"]


def test_timeout_kills_the_action(registry):
    started = time.monotonic()
    outcome = run(registry, "fixturepack.py_sleep", {"seconds": 5, "timeout": 1})
    assert time.monotonic() - started < 3
    assert outcome.status == "timeout"
    assert outcome.result == {
        "result": None,
        "stdout": "",
        "stderr": "",
        "exit_code": -9,
        "error": "Action failed to complete in 1 seconds",
    }


def test_default_timeout_is_st2s(registry):
    assert registry.get("fixturepack.py_sleep").parameters["timeout"]["default"] == 600


@pytest.mark.parametrize(
    "value, result",
    [
        ({"nested": [1, "two", None]}, {"nested": [1, "two", None]}),
        ("plain string", "plain string"),
        (None, None),
        ("not-json", "{1, 2}"),  # a result that is not JSON becomes its str(), as StackStorm
    ],
)
def test_results_come_back_as_json(registry, value, result):
    outcome = run(registry, "fixturepack.py_sleep", {"value": value})
    assert outcome.status == "succeeded"
    assert outcome.result["result"] == result


def test_status_that_is_not_a_bool_is_refused(registry):
    outcome = run(registry, "fixturepack.py_sleep", {"value": "bad-status"})
    assert outcome.status == "failed"
    assert outcome.result["exit_code"] == 220
    assert outcome.result["error"] == (
        "Status returned from the action run() method must either be True or False, got: yes"
    )


def test_env_parameter_but_not_pythonpath(tmp_path):
    shutil.copytree(PACKS / "fixturepack", tmp_path / "fixturepack")
    (tmp_path / "fixturepack" / "actions" / "py_env.py").write_text(
        "import os, sys\n"
        "class EnvAction:\n"  # not an Action subclass: any class with run() will do
        "    def __init__(self, config=None):\n"
        "        self.config = config\n"
        "    def run(self):\n"
        "        return [os.environ.get('MINE'), os.environ.get('PYTHONPATH'), os.getcwd()]\n"
    )
    (tmp_path / "fixturepack" / "actions" / "py_env.yaml").write_text(
        "name: py_env\nrunner_type: python-script\nentry_point: py_env.py\n"
    )
    registry = ActionRegistry.from_paths([str(tmp_path)])
    ctx = RunContext(execution_id="e", work_dir=str(tmp_path))

    outcome = run(registry, "fixturepack.py_env", {"env": {"MINE": "yes", "PYTHONPATH": "/evil"}}, ctx)

    assert outcome.status == "succeeded", outcome.result
    mine, pythonpath, cwd = outcome.result["result"]
    assert mine == "yes"
    assert pythonpath != "/evil"
    assert cwd == str(tmp_path)


def test_module_that_does_not_load_fails_with_st2s_message(tmp_path):
    shutil.copytree(PACKS / "fixturepack", tmp_path / "fixturepack")
    broken = tmp_path / "fixturepack" / "actions" / "py_ok.py"
    broken.write_text("def oops(:\n")
    registry = ActionRegistry.from_paths([str(tmp_path)])

    outcome = run(registry, "fixturepack.py_ok", {"name": "x"})

    assert outcome.status == "failed"
    assert outcome.result["error"].startswith(
        'SyntaxError: Failed to load action class from file "%s" (action file most likely '
        "doesn't exist or contains invalid syntax)" % broken
    )


def test_module_without_an_action_class(tmp_path):
    shutil.copytree(PACKS / "fixturepack", tmp_path / "fixturepack")
    module = tmp_path / "fixturepack" / "actions" / "py_fail.py"
    module.write_text("def run():\n    return 1\n")
    registry = ActionRegistry.from_paths([str(tmp_path)])

    outcome = run(registry, "fixturepack.py_fail", {})

    assert outcome.status == "failed"
    assert outcome.result["error"] == (
        'Exception: File "%s" has no action class or the file doesn\'t exist.' % module
    )


def test_actions_run_in_parallel_threads(registry):
    def one(n):
        return run(registry, "fixturepack.py_sleep", {"seconds": 0.3, "value": {"n": n}})

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(one, range(8)))
    assert [o.result["result"] for o in outcomes] == [{"n": n} for n in range(8)]
    assert time.monotonic() - started < 3
