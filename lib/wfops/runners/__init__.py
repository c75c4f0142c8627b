"""Action runners, one module per runner type: ``get_runner(type).run(action, params, ctx)``.

Workflow actions (runner type ``orquesta``) are not run here: the engine runs them. Runner
types in :data:`wfops.runners.unsupported.NOT_RUNNABLE` load, and fail when run.
"""

from __future__ import annotations

from wfops import errors
from wfops.packs.runner_types import (
    HTTP_REQUEST,
    LOCAL_SHELL_CMD,
    LOCAL_SHELL_SCRIPT,
    NOOP,
    ORQUESTA,
    PYTHON_SCRIPT,
    REMOTE_SHELL_CMD,
    REMOTE_SHELL_SCRIPT,
)
from wfops.runners.base import ActionOutcome, RunContext, Runner
from wfops.runners.http_request import HttpRequestRunner
from wfops.runners.local_shell import LocalShellCommandRunner, LocalShellScriptRunner
from wfops.runners.noop import NoopRunner
from wfops.runners.python_script import PythonScriptRunner
from wfops.runners.remote_shell import RemoteShellCommandRunner, RemoteShellScriptRunner
from wfops.runners.unsupported import NOT_RUNNABLE, UnsupportedRunner

__all__ = ["ActionOutcome", "RunContext", "Runner", "get_runner", "can_run", "NOT_RUNNABLE"]

# Runners keep no state between runs, so one instance of each serves every thread.
_RUNNERS: dict[str, Runner] = {
    NOOP: NoopRunner(),
    LOCAL_SHELL_CMD: LocalShellCommandRunner(),
    LOCAL_SHELL_SCRIPT: LocalShellScriptRunner(),
    PYTHON_SCRIPT: PythonScriptRunner(),
    HTTP_REQUEST: HttpRequestRunner(),
    REMOTE_SHELL_CMD: RemoteShellCommandRunner(),
    REMOTE_SHELL_SCRIPT: RemoteShellScriptRunner(),
}
_UNSUPPORTED = UnsupportedRunner()


def get_runner(runner_type: str) -> Runner:
    """The runner of ``runner_type``; raises RunnerNotFound for unknown types and ``orquesta``.

    A runner type wfops cannot run gets a runner that fails each run with the reason.
    """
    runner = _RUNNERS.get(runner_type)
    if runner is not None:
        return runner
    if runner_type in NOT_RUNNABLE:
        return _UNSUPPORTED
    if runner_type == ORQUESTA:
        raise errors.RunnerNotFound(
            'Runner type "orquesta" has no action runner: workflow actions are run by the engine.'
        )
    raise errors.RunnerNotFound(
        'Runner type "%s" cannot be found. Known runner types: %s.'
        % (runner_type, ", ".join(sorted(_RUNNERS)))
    )


def can_run(runner_type: str) -> bool:
    """Whether actions of ``runner_type`` can run on the embedded host (workflows can)."""
    return runner_type in _RUNNERS or runner_type == ORQUESTA
