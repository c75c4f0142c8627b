"""The ``noop`` runner: does nothing and succeeds."""

from __future__ import annotations

from wfops import statuses
from wfops.packs.action_spec import ActionSpec
from wfops.runners.base import ActionOutcome, RunContext


class NoopRunner:
    """Succeeds at once with StackStorm's noop result."""

    runs_inline = True  # returns at once, so the engine calls it without a worker thread

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        return ActionOutcome(
            status=statuses.SUCCEEDED,
            result={"failed": False, "succeeded": True, "return_code": 0},
        )
