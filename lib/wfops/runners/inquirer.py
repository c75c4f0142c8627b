"""inquirer: StackStorm's runner for inquiries (``core.ask``).

A run asks nothing of the host: it ends at once in ``pending`` with st2's result
(``schema``, ``roles``, ``users``, ``route``, ``ttl``). The engine records the execution
pending and the workflow's task pending, which pauses the workflow (Orquesta: pausing
while other tasks run, then paused); a response (``wfops.engine.inquiry``) ends it.
"""

from __future__ import annotations

from wfops import statuses
from wfops.packs.action_spec import ActionSpec
from wfops.runners.base import ActionOutcome, RunContext, split_parameters

# The runner parameters, in the order of st2's result.
RESULT_FIELDS = ("schema", "roles", "users", "route", "ttl")


class InquirerRunner:
    """Ends every run at once in ``pending`` with the inquiry's definition as result."""

    runs_inline = True  # nothing to wait for

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        runner_params, _ = split_parameters(action, parameters)
        result = {name: runner_params.get(name) for name in RESULT_FIELDS}
        return ActionOutcome(status=statuses.PENDING, result=result)
