"""The ``python-script`` runner (StackStorm's python runner).

The action runs in a child process of the same interpreter through
:mod:`wfops.runners.python_wrapper`. Parameters and the pack config go to the child, and
the action's return value comes back, as JSON files in a private temporary directory, so
nothing the action prints can be mistaken for its result.

Result, as StackStorm: ``{"result": <run()'s value>, "stdout": ..., "stderr": ...,
"exit_code": ...}``, plus ``error`` on timeout, and ``error`` and ``traceback`` when the
action raised or could not be loaded. Returning ``(False, value)`` fails the action with
``value`` as result; ``(True, value)`` or any other value succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile

from wfops import errors, statuses
from wfops.packs.action_spec import ActionSpec
from wfops.packs.config import load_pack_config
from wfops.runners.base import (
    ActionOutcome,
    RunContext,
    action_environment,
    error_outcome,
    split_parameters,
)
from wfops.runners.process import run_process

DEFAULT_TIMEOUT = 600
WRAPPER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_wrapper.py")
# As StackStorm: the action may not replace the interpreter's module search path.
_REFUSED_ENV = frozenset(["pythonpath"])


class PythonScriptRunner:
    """Runs the entry point's action class in a subprocess."""

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        runner_params, action_params = split_parameters(action, parameters)
        if not action.entry_point:
            return error_outcome('Action "%s" is missing entry_point attribute' % action.name)
        try:
            config = load_pack_config(action.pack_path)
        except errors.PackError as exc:
            return error_outcome(str(exc))
        timeout = runner_params.get("timeout")
        if timeout is None:
            timeout = DEFAULT_TIMEOUT
        user_env = {
            k: v
            for k, v in (runner_params.get("env") or {}).items()
            if str(k).lower() not in _REFUSED_ENV
        }
        env = action_environment(action, ctx, user_env)

        io_dir = tempfile.mkdtemp(prefix="wfops-python-action-")
        try:
            input_path = os.path.join(io_dir, "input.json")
            output_path = os.path.join(io_dir, "output.json")
            request = {
                "file_path": action.entry_point,
                "pack": action.pack,
                "pack_path": action.pack_path,
                "parameters": action_params,
                "config": config,
                "log_level": runner_params.get("log_level") or "DEBUG",
            }
            with open(input_path, "w", encoding="utf-8") as stream:
                json.dump(request, stream, default=str)
            try:
                finished = run_process(
                    [sys.executable, "-u", WRAPPER_PATH, input_path, output_path],
                    env=env,
                    cwd=ctx.work_dir,
                    timeout=timeout,
                    on_output=ctx.on_output,
                    stop=ctx.stop,
                )
            except OSError as exc:
                return error_outcome("Cannot start the Python action: %s" % exc)
            answer = _read_answer(output_path)
        finally:
            shutil.rmtree(io_dir, ignore_errors=True)

        result = {
            "result": answer.get("result"),
            "stdout": finished.stdout,
            "stderr": finished.stderr,
            "exit_code": finished.exit_code,
        }
        if finished.timed_out:
            result["error"] = "Action failed to complete in %s seconds" % timeout
            return ActionOutcome(status=statuses.TIMEOUT, result=result)
        if "error" in answer:
            result["error"] = answer["error"]
            if "traceback" in answer:
                result["traceback"] = answer["traceback"]
        succeeded = (
            finished.exit_code == 0 and answer.get("status") is not False and "error" not in answer
        )
        status = statuses.SUCCEEDED if succeeded else statuses.FAILED
        return ActionOutcome(status=status, result=result)


def _read_answer(path: str) -> dict:
    """The wrapper's answer, or {} when it wrote none (killed, or exited early)."""
    try:
        with open(path, encoding="utf-8") as stream:
            answer = json.load(stream)
    except (OSError, ValueError):
        return {}
    return answer if isinstance(answer, dict) else {}
