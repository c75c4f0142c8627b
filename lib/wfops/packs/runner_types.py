"""The runner types wfops knows and the parameters each runner contributes to an action.

The parameter schemas follow StackStorm's ``runner.yaml`` files so that an action written
for StackStorm (which may override attributes of these parameters) loads unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

NOOP = "noop"
LOCAL_SHELL_CMD = "local-shell-cmd"
LOCAL_SHELL_SCRIPT = "local-shell-script"
PYTHON_SCRIPT = "python-script"
ORQUESTA = "orquesta"

# Attributes of a runner parameter an action may change (as StackStorm allows); changing any
# other attribute, such as ``type``, is refused when the pack is loaded.
OVERRIDABLE_ATTRIBUTES = frozenset(["default", "description", "enum", "immutable", "required"])

_LOCAL_COMMON = {
    "cwd": {"description": "Working directory where the command is run.", "type": "string"},
    "env": {
        "description": "Environment variables available to the command.",
        "type": "object",
    },
    "kwarg_op": {
        "default": "--",
        "description": 'Operator put in front of keyword arguments, i.e. "--" or "-".',
        "type": "string",
    },
    "sudo": {
        "default": False,
        "description": "Run the command with sudo (not supported by wfops: refused).",
        "type": "boolean",
    },
    "sudo_password": {
        "default": None,
        "description": "Sudo password (not supported by wfops).",
        "type": "string",
        "secret": True,
        "required": False,
    },
    "timeout": {
        "default": 60,
        "description": "Seconds after which the command is killed.",
        "type": "integer",
    },
}

_DEBUG = {
    "description": "Enable runner debug mode.",
    "type": "boolean",
    "required": False,
    "default": False,
}

_CONTENT_VERSION = {
    "description": "Git revision of the pack content (accepted for compatibility, ignored).",
    "type": "string",
    "required": False,
}


@dataclass(frozen=True)
class RunnerType:
    """A runner type: its name, its parameters and whether actions need an entry point."""

    name: str
    parameters: dict = field(default_factory=dict)
    needs_entry_point: bool = False
    allows_entry_point: bool = True


RUNNER_TYPES: dict[str, RunnerType] = {
    NOOP: RunnerType(NOOP, {}, needs_entry_point=False, allows_entry_point=False),
    LOCAL_SHELL_CMD: RunnerType(
        LOCAL_SHELL_CMD,
        {
            "cmd": {
                "description": "Arbitrary Linux command to be executed on the host.",
                "type": "string",
            },
            **_LOCAL_COMMON,
        },
        needs_entry_point=False,
        allows_entry_point=False,
    ),
    LOCAL_SHELL_SCRIPT: RunnerType(
        LOCAL_SHELL_SCRIPT,
        {"debug": _DEBUG, "content_version": _CONTENT_VERSION, **_LOCAL_COMMON},
        needs_entry_point=True,
    ),
    PYTHON_SCRIPT: RunnerType(
        PYTHON_SCRIPT,
        {
            "debug": _DEBUG,
            "content_version": _CONTENT_VERSION,
            "env": {
                "description": "Environment variables available to the script.",
                "type": "object",
            },
            "timeout": {
                "default": 600,
                "description": "Seconds after which the action is killed.",
                "type": "integer",
            },
            "log_level": {
                "description": "Log level of the action's logger.",
                "type": "string",
                "default": "DEBUG",
                "enum": ["AUDIT", "CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
            },
        },
        needs_entry_point=True,
    ),
    # StackStorm's orquesta runner has a `notify` parameter; wfops does not send
    # notifications, so workflow actions take only their own parameters (the workflow input).
    ORQUESTA: RunnerType(ORQUESTA, {}, needs_entry_point=True),
}


def runner_parameters(runner_type: str) -> dict:
    """A copy of the parameter schemas a runner type contributes (``{}`` if unknown)."""
    known = RUNNER_TYPES.get(runner_type)
    return copy.deepcopy(known.parameters) if known else {}


def runner_parameter_names(runner_type: str) -> frozenset[str]:
    """Names of the parameters that belong to the runner rather than to the action."""
    known = RUNNER_TYPES.get(runner_type)
    return frozenset(known.parameters) if known else frozenset()
