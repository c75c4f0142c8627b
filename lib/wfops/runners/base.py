"""What every runner takes and returns: ``RunContext`` in, ``ActionOutcome`` out."""

from __future__ import annotations

import os
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from wfops import statuses
from wfops.packs.action_spec import ActionSpec
from wfops.packs.runner_types import runner_parameter_names


@dataclass
class ActionOutcome:
    """How an action ended: ``status`` (succeeded | failed | timeout) and its result, in the
    shape StackStorm's runner of the same type gives."""

    status: str
    result: Any


@dataclass
class RunContext:
    """Where and for which execution an action runs."""

    execution_id: str
    env: dict[str, str] = field(default_factory=dict)  # extra environment (ST2_ACTION_*)
    work_dir: str | None = None  # working directory when the action names none
    # Called with ("stdout" | "stderr", line) for each line the action writes, as it comes.
    on_output: Callable[[str, str], None] | None = None
    stop: threading.Event | None = None  # set when the execution is canceled: stop the work


class Runner(Protocol):
    """A runner type. ``run`` never raises for an action's failure: it returns an outcome."""

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        ...


def split_parameters(action: ActionSpec, parameters: dict) -> tuple[dict, dict]:
    """(runner parameters, action parameters), as StackStorm splits them for a runner.

    Every parameter the action declares appears among the action parameters, None when it
    has no value (StackStorm passes them all, so ``run(self, a, b)`` gets ``b=None``).
    """
    runner_names = runner_parameter_names(action.runner_type)
    runner_params = {k: v for k, v in parameters.items() if k in runner_names}
    action_params = {name: None for name in action.parameters if name not in runner_names}
    action_params.update({k: v for k, v in parameters.items() if k not in runner_names})
    return runner_params, action_params


def action_environment(action: ActionSpec, ctx: RunContext, env_param: Any) -> dict[str, str]:
    """The child's environment: os.environ, the ST2_ACTION_* variables, ctx.env, then the
    action's ``env`` parameter. Values that are not strings are converted; None drops a name."""
    env = dict(os.environ)
    env["ST2_ACTION_PACK_NAME"] = action.pack
    env["ST2_ACTION_EXECUTION_ID"] = str(ctx.execution_id)
    for extra in (ctx.env or {}, env_param if isinstance(env_param, dict) else {}):
        for key, value in extra.items():
            if value is None:
                env.pop(str(key), None)
            else:
                env[str(key)] = value if isinstance(value, str) else str(value)
    return env


def error_outcome(message: str) -> ActionOutcome:
    """A failed outcome for a problem found before or while starting the action (with the
    traceback when called while handling an exception), as StackStorm reports a runner error."""
    result = {"error": message}
    trace = traceback.format_exc()
    if trace and trace.strip() != "NoneType: None":
        result["traceback"] = trace
    return ActionOutcome(status=statuses.FAILED, result=result)
