"""The ``local-shell-cmd`` and ``local-shell-script`` runners (StackStorm's local runner).

Commands run with ``bash -c`` as the user wfops runs as, in a new session, with
``os.environ`` + the ST2_ACTION_* variables + ``ctx.env`` + the ``env`` parameter. The
result is StackStorm's: ``{failed, succeeded, return_code, stdout, stderr}`` (plus ``error``
on timeout), where stdout and stderr lose one trailing newline and are parsed as JSON
when they are JSON.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
from typing import Any

from wfops import statuses
from wfops.packs.action_spec import ActionSpec
from wfops.runners.base import (
    ActionOutcome,
    RunContext,
    action_environment,
    error_outcome,
    split_parameters,
)
from wfops.runners.process import run_process

DEFAULT_TIMEOUT = 60
DEFAULT_KWARG_OP = "--"
_SHELL = shutil.which("bash") or "/bin/sh"
_SUDO_REFUSED = (
    'Action "%s" asks for sudo, which wfops does not support: run wfops as the user the '
    "command needs."
)
# StackStorm registers a local-shell-cmd action with an entry point, and fails it when it runs
# with "entry_point is only valid for local-shell-script runner"; so does wfops, saying more.
_ENTRY_POINT_REFUSED = (
    'Action "%s" has an entry_point, but entry_point is only valid for local-shell-script '
    'runner (StackStorm refuses it too): set "runner_type: local-shell-script" to run the '
    'script, or drop the entry_point and give "cmd".'
)


class LocalShellCommandRunner:
    """``local-shell-cmd``: runs the ``cmd`` parameter."""

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        runner_params, _ = split_parameters(action, parameters)
        if action.entry_point:
            return error_outcome(_ENTRY_POINT_REFUSED % action.ref)
        if runner_params.get("sudo"):
            return error_outcome(_SUDO_REFUSED % action.ref)
        command = runner_params.get("cmd")
        if not command:
            return error_outcome(
                'Action "%s" has no command to run: parameter "cmd" is empty.' % action.ref
            )
        return run_shell(action, command, runner_params, ctx)


class LocalShellScriptRunner:
    """``local-shell-script``: runs the entry point with the action's parameters as arguments."""

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        runner_params, action_params = split_parameters(action, parameters)
        if runner_params.get("sudo"):
            return error_outcome(_SUDO_REFUSED % action.ref)
        if not action.entry_point:
            return error_outcome('Action "%s" is missing entry_point attribute' % action.ref)
        _make_executable(action.entry_point)
        command = script_command(
            action,
            action.entry_point,
            action_params,
            runner_params.get("kwarg_op") or DEFAULT_KWARG_OP,
        )
        return run_shell(action, command, runner_params, ctx)


def script_command(action: ActionSpec, script: str, action_params: dict, kwarg_op: str) -> str:
    """The shell command line for a script action: the quoted ``script`` and its arguments
    (:func:`script_arguments`)."""
    arguments = script_arguments(action, action_params, kwarg_op)
    return " ".join(part for part in (shlex.quote(script), arguments) if part)


def script_arguments(action: ActionSpec, action_params: dict, kwarg_op: str) -> str:
    """A script action's arguments, quoted for the shell, by StackStorm's rules.

    Parameters with a ``position`` become positional arguments, in position order (strings
    and numbers as is, None as "", booleans as 1/0, arrays comma-joined, objects as JSON;
    an integer 0 is "0", where StackStorm passes "").
    The others are named arguments ``<kwarg_op><name>=<value>``, placed before the
    positional ones; None and "" are left out, True is the bare ``<kwarg_op><name>`` and
    False is left out.
    """
    positions = sorted(
        (meta["position"], name)
        for name, meta in action.parameters.items()
        if isinstance(meta, dict) and meta.get("position") is not None and name in action_params
    )
    positional_names = {name for _, name in positions}
    parts = []
    for name, value in action_params.items():
        if name in positional_names or value is None or value == "":
            continue
        arg = kwarg_op + name
        if isinstance(value, bool):
            if value:
                parts.append(shlex.quote(arg))
            continue
        parts.append("%s=%s" % (shlex.quote(arg), shlex.quote(str(value))))
    for _, name in positions:
        declared = action.parameters[name].get("type")
        parts.append(shlex.quote(_positional(declared, action_params.get(name))))
    return " ".join(parts)


def _positional(declared: Any, value: Any) -> str:
    if declared in ("string", "number", "integer"):
        return "" if value is None else str(value)
    if declared == "boolean":
        return "" if value is None else ("1" if value else "0")
    if declared == "array":
        return ",".join(map(str, value)) if value else ""
    if declared == "object":
        return json.dumps(value) if value else ""
    return str(value) if value else ""


def _make_executable(path: str) -> None:
    # StackStorm runs `chmod +x` on the script before each run; do the same, quietly
    # (a read-only checkout then fails with the shell's "Permission denied").
    try:
        mode = os.stat(path).st_mode
        wanted = mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        if mode != wanted and not os.access(path, os.X_OK):
            os.chmod(path, wanted)
    except OSError:
        pass


def run_shell(
    action: ActionSpec, command: str, runner_params: dict, ctx: RunContext
) -> ActionOutcome:
    """Run ``command`` with bash and turn the process's end into StackStorm's result."""
    timeout = runner_params.get("timeout")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    cwd = runner_params.get("cwd") or ctx.work_dir
    env = action_environment(action, ctx, runner_params.get("env"))
    try:
        finished = run_process([_SHELL, "-c", command], env=env, cwd=cwd, timeout=timeout,
                               on_output=ctx.on_output, stop=ctx.stop)
    except OSError as exc:
        if cwd and not os.path.isdir(cwd):
            return error_outcome(
                'Working directory "%s" does not exist or is not a directory.' % cwd
            )
        return error_outcome("Cannot start the command: %s" % exc)

    succeeded = finished.exit_code == 0 and not finished.timed_out
    result = {
        "failed": not succeeded,
        "succeeded": succeeded,
        "return_code": finished.exit_code,
        "stdout": output_value(strip_shell_chars(finished.stdout)),
        "stderr": output_value(strip_shell_chars(finished.stderr)),
    }
    if finished.timed_out:
        result["error"] = "Action failed to complete in %s seconds" % timeout
        return ActionOutcome(status=statuses.TIMEOUT, result=result)
    return ActionOutcome(status=statuses.SUCCEEDED if succeeded else statuses.FAILED, result=result)


def strip_shell_chars(text: str) -> str:
    """Strip one trailing "\\n", then one trailing "\\r" (StackStorm's strip_shell_chars)."""
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    return text


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def output_value(text: str) -> Any:
    """The JSON value ``text`` holds, else ``text`` itself (StackStorm's json_loads of output)."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return text
