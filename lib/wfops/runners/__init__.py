"""Action runners, one module per runner type: ``get_runner(type).run(action, params, ctx)``.

Workflow actions (runner type ``orquesta``) are not run here: the engine runs them.
"""

from __future__ import annotations

from wfops import errors
from wfops.packs.runner_types import (
    LOCAL_SHELL_CMD,
    LOCAL_SHELL_SCRIPT,
    NOOP,
    ORQUESTA,
    PYTHON_SCRIPT,
)
from wfops.runners.base import ActionOutcome, RunContext, Runner
from wfops.runners.local_shell import LocalShellCommandRunner, LocalShellScriptRunner
from wfops.runners.noop import NoopRunner
from wfops.runners.python_script import PythonScriptRunner

__all__ = ["ActionOutcome", "RunContext", "Runner", "get_runner"]

# Runners keep no state between runs, so one instance of each serves every thread.
_RUNNERS: dict[str, Runner] = {
    NOOP: NoopRunner(),
    LOCAL_SHELL_CMD: LocalShellCommandRunner(),
    LOCAL_SHELL_SCRIPT: LocalShellScriptRunner(),
    PYTHON_SCRIPT: PythonScriptRunner(),
}


def get_runner(runner_type: str) -> Runner:
    """The runner of ``runner_type``; raises RunnerNotFound for unknown types and ``orquesta``."""
    runner = _RUNNERS.get(runner_type)
    if runner is not None:
        return runner
    if runner_type == ORQUESTA:
        raise errors.RunnerNotFound(
            'Runner type "orquesta" has no action runner: workflow actions are run by the engine.'
        )
    raise errors.RunnerNotFound(
        'Runner type "%s" cannot be found. Known runner types: %s.'
        % (runner_type, ", ".join(sorted(_RUNNERS)))
    )
