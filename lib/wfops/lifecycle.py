"""Pause, resume and cancel as data: which statuses allow an operation, which make it a
no-op, what it requests, and how it cascades (rules L1 to L6 of SEMANTICS.md).

One function, :func:`check`, reads the table; the engine carries out the decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from wfops import statuses as s

# Cascade directions.
DOWN = "down"                  # to the active sub-workflows, recursively
FROM_ROOT = "from_root"        # the operation is applied to the root, then cascades down

# The operations table. For each operation:
#   allowed   statuses in which it changes something
#   noop      statuses in which it is accepted and changes nothing
#   requests  the workflow status it requests from the conductor
#   cascade   how it reaches other executions of the tree
#   refusal   the message for any other status ({id}, {status} are filled in)
OPERATIONS: dict[str, dict] = {
    "pause": {
        "allowed": frozenset([s.RUNNING]),
        "noop": frozenset([s.PAUSING, s.PAUSED]),
        "requests": s.PAUSING,
        "cascade": DOWN,
        "refusal": 'Unable to pause execution "{id}" because it is not in a running state.',
    },
    "resume": {
        "allowed": frozenset([s.PAUSED, s.PAUSING]),
        "noop": frozenset([s.RUNNING, s.RESUMING]),
        "requests": s.RESUMING,
        "cascade": DOWN,
        "refusal": 'Unable to resume execution "{id}" because it is in "{status}" state, '
        "not paused. Only a paused or pausing execution can be resumed.",
    },
    "cancel": {
        "allowed": frozenset(
            [s.REQUESTED, s.SCHEDULED, s.DELAYED, s.RUNNING, s.PENDING, s.PAUSING, s.PAUSED, s.RESUMING]
        ),
        "noop": frozenset([s.CANCELING]),
        "requests": s.CANCELING,
        "cascade": FROM_ROOT,
        "refusal": 'Unable to cancel execution "{id}" because it is already in a completed state.',
    },
}

# Runner types whose executions can be paused and resumed (StackStorm: only workflows).
PAUSABLE_RUNNERS = frozenset(["orquesta"])

NOT_PAUSABLE = (
    'Unable to {operation} execution "{id}": runner type "{runner}" does not support '
    "{operation}. Only workflow executions can be paused and resumed."
)

# Which sub-workflow statuses a cascading operation reaches.
CASCADE_TARGETS = {
    "pause": frozenset([s.RUNNING, s.RESUMING]),
    "resume": frozenset([s.PAUSED, s.PAUSING]),
    "cancel": frozenset([s.REQUESTED, s.SCHEDULED, s.DELAYED, s.RUNNING, s.PAUSING, s.PAUSED, s.RESUMING]),
}


@dataclass(frozen=True)
class Decision:
    """What an operation does to one execution."""

    operation: str
    execution_id: str
    action: str            # "apply", "noop" or "refuse"
    requests: str | None   # the workflow status to request when applying
    message: str           # the refusal, or a description for the user


def check(operation: str, execution_id: str, status: str, runner_type: str) -> Decision:
    """Decide ``operation`` on an execution in ``status`` run by ``runner_type``.

    Pure. O(1).
    """
    row = OPERATIONS[operation]
    if operation in ("pause", "resume") and runner_type not in PAUSABLE_RUNNERS:
        return Decision(
            operation,
            execution_id,
            "refuse",
            None,
            NOT_PAUSABLE.format(operation=operation, id=execution_id, runner=runner_type),
        )
    if status in row["allowed"]:
        return Decision(operation, execution_id, "apply", row["requests"], "")
    if status in row["noop"]:
        return Decision(
            operation, execution_id, "noop", None, 'Execution "%s" is already %s.' % (execution_id, status)
        )
    return Decision(
        operation, execution_id, "refuse", None, row["refusal"].format(id=execution_id, status=status)
    )


def cascades_to(operation: str, child_status: str) -> bool:
    """Whether a cascading ``operation`` reaches a sub-workflow in ``child_status``."""
    return child_status in CASCADE_TARGETS[operation]
