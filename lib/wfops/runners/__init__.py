"""Action runners, one module per runner type: ``get_runner(type).run(action, params, ctx)``.

Workflow actions (runner types ``orquesta`` and ``action-chain``) are not run here: the
engine runs them. Runner
types in :data:`wfops.runners.unsupported.NOT_RUNNABLE` load, and fail when run.
"""

from __future__ import annotations

import importlib
import threading

from wfops import errors
from wfops.packs.runner_types import (
    ACTION_CHAIN,
    HTTP_REQUEST,
    INQUIRER,
    LOCAL_SHELL_CMD,
    LOCAL_SHELL_SCRIPT,
    NOOP,
    ORQUESTA,
    PYTHON_SCRIPT,
    REMOTE_SHELL_CMD,
    REMOTE_SHELL_SCRIPT,
)
from wfops.runners.base import ActionOutcome, RunContext, Runner
from wfops.runners.inquirer import InquirerRunner
from wfops.runners.local_shell import LocalShellCommandRunner, LocalShellScriptRunner
from wfops.runners.noop import NoopRunner
from wfops.runners.python_script import PythonScriptRunner
from wfops.runners.unsupported import NOT_RUNNABLE, UnsupportedRunner

__all__ = ["ActionOutcome", "RunContext", "Runner", "get_runner", "can_run", "NOT_RUNNABLE"]

# Runners keep no state between runs, so one instance of each serves every thread.
_RUNNERS: dict[str, Runner] = {
    NOOP: NoopRunner(),
    LOCAL_SHELL_CMD: LocalShellCommandRunner(),
    LOCAL_SHELL_SCRIPT: LocalShellScriptRunner(),
    PYTHON_SCRIPT: PythonScriptRunner(),
    INQUIRER: InquirerRunner(),
}
# Runners on heavy libraries (requests, paramiko) are imported when first used, so that a
# process that never runs one does not pay for them: runner type -> (module, class).
_ON_FIRST_USE: dict[str, tuple[str, str]] = {
    HTTP_REQUEST: ("wfops.runners.http_request", "HttpRequestRunner"),
    REMOTE_SHELL_CMD: ("wfops.runners.remote_shell", "RemoteShellCommandRunner"),
    REMOTE_SHELL_SCRIPT: ("wfops.runners.remote_shell", "RemoteShellScriptRunner"),
}
# Runner types the engine runs itself (wfops.engine.driver, wfops.engine.chains).
ENGINE_RUN = frozenset([ORQUESTA, ACTION_CHAIN])
_import_lock = threading.Lock()
_UNSUPPORTED = UnsupportedRunner()


def get_runner(runner_type: str) -> Runner:
    """The runner of ``runner_type``; raises RunnerNotFound for unknown types and ``orquesta``.

    A runner type wfops cannot run gets a runner that fails each run with the reason.
    """
    runner = _RUNNERS.get(runner_type)
    if runner is not None:
        return runner
    if runner_type in _ON_FIRST_USE:
        with _import_lock:
            if runner_type not in _RUNNERS:
                module, name = _ON_FIRST_USE[runner_type]
                _RUNNERS[runner_type] = getattr(importlib.import_module(module), name)()
            return _RUNNERS[runner_type]
    if runner_type in NOT_RUNNABLE:
        return _UNSUPPORTED
    if runner_type in ENGINE_RUN:
        raise errors.RunnerNotFound(
            'Runner type "%s" has no action runner: its actions are run by the engine.' % runner_type
        )
    raise errors.RunnerNotFound(
        'Runner type "%s" cannot be found. Known runner types: %s.'
        % (runner_type, ", ".join(sorted(set(_RUNNERS) | set(_ON_FIRST_USE))))
    )


def can_run(runner_type: str) -> bool:
    """Whether actions of ``runner_type`` can run on the embedded host (workflows can)."""
    return runner_type in _RUNNERS or runner_type in _ON_FIRST_USE or runner_type in ENGINE_RUN
