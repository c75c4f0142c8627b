"""Runner types whose actions load as metadata but cannot run on the embedded host.

Their actions are listed, shown and checked like any other; running one fails at once with
an error that names the runner type and says what to do instead (StackStorm reports a
runner that cannot start the same way: a failed execution whose result holds ``error``).
"""

from __future__ import annotations

from wfops.packs.action_spec import ActionSpec
from wfops.packs.runner_types import (
    ANNOUNCEMENT,
    WINRM_CMD,
    WINRM_PS_CMD,
    WINRM_PS_SCRIPT,
)
from wfops.runners.base import ActionOutcome, RunContext, error_outcome

_WINRM = (
    "wfops does not implement WinRM (it needs a Windows host and pywinrm). Run it on "
    "StackStorm, or reach the host with a remote-shell-cmd action over SSH."
)
_NOT_YET = "wfops does not support it yet. Run it on StackStorm, or %s."

# Runner type -> why its actions cannot run here and what to do instead.
NOT_RUNNABLE: dict[str, str] = {
    WINRM_CMD: _WINRM,
    WINRM_PS_CMD: _WINRM,
    WINRM_PS_SCRIPT: _WINRM,
    ANNOUNCEMENT: _NOT_YET % "leave the announcement out of the workflow",
}


def refusal(action: ActionSpec) -> str:
    """The error for running ``action``, whose runner type is in NOT_RUNNABLE."""
    return 'Action "%s" cannot run: its runner type "%s" cannot run on the wfops embedded ' \
        "host; %s" % (action.ref, action.runner_type, NOT_RUNNABLE[action.runner_type])


class UnsupportedRunner:
    """Fails every run with :func:`refusal`, at once."""

    runs_inline = True  # nothing to wait for

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        return error_outcome(refusal(action))
