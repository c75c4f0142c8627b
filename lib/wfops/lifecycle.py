"""Pause, resume and cancel as data: the whole of rules L1 to L6 of SEMANTICS.md.

- :data:`TABLE`: operation x current status -> outcome (apply, no-op, refuse);
- :data:`OPERATIONS`: per operation, the status it requests of the conductor, which
  execution of the tree it acts on, which runner types take it, how it cascades (down to
  sub-workflows in which statuses, up to which ancestors' tasks), and its refusal;
- :data:`PARENT_TASK_FOLLOWS`: how a sub-workflow's status is seen by its parent's task;
- :data:`SETTLED`: where a tree may come to rest (nothing may stay pausing, resuming or
  canceling with nothing active).

One function, :func:`check`, reads the table for a request; the engine's cascades
(``wfops.engine.cascades``) read :data:`OPERATIONS` and :data:`PARENT_TASK_FOLLOWS`.
Orquesta's own workflow state machine then moves the conductor (pausing -> paused once
nothing is active, and so on).
"""

from __future__ import annotations

from dataclasses import dataclass

from wfops import statuses as s

APPLY = "apply"     # the operation changes the execution
NOOP = "noop"       # accepted, changes nothing (and is audited as such)
REFUSE = "refuse"   # refused with the operation's message; nothing changes

OPERATION_NAMES = ("pause", "resume", "cancel")

# Operation x status -> outcome. Columns in OPERATION_NAMES order.
TABLE: dict[str, tuple[str, str, str]] = {
    #               pause    resume   cancel
    s.REQUESTED:   (REFUSE, REFUSE, APPLY),    # L6: any non-completed execution
    s.SCHEDULED:   (REFUSE, REFUSE, APPLY),
    s.DELAYED:     (REFUSE, REFUSE, APPLY),
    s.RUNNING:     (APPLY,  NOOP,   APPLY),    # L1 only a running one pauses; L4 no-op
    s.PENDING:     (REFUSE, REFUSE, APPLY),
    s.PAUSING:     (NOOP,   APPLY,  APPLY),    # L1 no-op; L4 a pausing one resumes
    s.PAUSED:      (NOOP,   APPLY,  APPLY),
    s.RESUMING:    (REFUSE, NOOP,   APPLY),
    s.CANCELING:   (REFUSE, REFUSE, NOOP),
    s.SUCCEEDED:   (REFUSE, REFUSE, REFUSE),   # L6: completed ones cannot be canceled
    s.FAILED:      (REFUSE, REFUSE, REFUSE),
    s.TIMEOUT:     (REFUSE, REFUSE, REFUSE),
    s.ABANDONED:   (REFUSE, REFUSE, REFUSE),
    s.CANCELED:    (REFUSE, REFUSE, REFUSE),
}

SELF = "self"   # the operation acts on the execution named
ROOT = "root"   # ... on the root of its tree (cancelling a sub-workflow cancels the tree, st2)


@dataclass(frozen=True)
class Operation:
    """How one operation is carried out."""

    name: str
    requests: str                 # the workflow status requested of the conductor
    acts_on: str                  # SELF or ROOT, for a workflow execution
    plain_acts_on: str            # SELF or ROOT, for a plain action's execution
    runner_types: frozenset | None  # runner types that take it (None: every one)
    down: frozenset               # sub-workflow statuses the operation cascades down to
    up: frozenset                 # ancestor statuses set running first, with their task
                                  # for the execution below (L5, as st2), up the tree
    plain_action_status: str | None  # what it sets on a plain action execution
    stops_delayed: bool           # delayed tasks are canceled before they start
    refusal: str                  # the message of REFUSE ({id}, {status} filled in)


# Runner types whose executions can be paused and resumed (StackStorm: only workflows).
PAUSABLE_RUNNERS = frozenset(["orquesta", "action-chain"])

OPERATIONS: dict[str, Operation] = {
    "pause": Operation(
        name="pause", requests=s.PAUSING, acts_on=SELF, plain_acts_on=SELF, runner_types=PAUSABLE_RUNNERS,
        down=frozenset([s.RUNNING, s.RESUMING]),            # L2 down; L3 never up
        up=frozenset(), plain_action_status=None, stops_delayed=False,
        refusal='Unable to pause execution "{id}" because it is not in a running state.',
    ),
    "resume": Operation(
        name="resume", requests=s.RESUMING, acts_on=SELF, plain_acts_on=SELF, runner_types=PAUSABLE_RUNNERS,
        down=frozenset([s.PAUSED, s.PAUSING]),              # L4 down to paused children
        up=frozenset([s.PAUSED, s.PAUSING]),                # L5 up, not to the peers
        plain_action_status=None, stops_delayed=False,
        refusal='Unable to resume execution "{id}" because it is in "{status}" state, '
        "not paused. Only a paused or pausing execution can be resumed.",
    ),
    "cancel": Operation(
        # A workflow's cancel cancels its whole tree; a task's action is canceled itself
        # (st2: its process stopped, then its workflow cancels as Orquesta says).
        name="cancel", requests=s.CANCELING, acts_on=ROOT, plain_acts_on=SELF, runner_types=None,
        down=frozenset([s.REQUESTED, s.SCHEDULED, s.DELAYED, s.RUNNING, s.PAUSING, s.PAUSED,
                        s.RESUMING]),                       # L6 the whole tree
        up=frozenset(), plain_action_status=s.CANCELING, stops_delayed=True,
        refusal='Unable to cancel execution "{id}" because it is already in a completed state.',
    ),
}

NOT_PAUSABLE = (
    'Unable to {operation} execution "{id}": runner type "{runner}" does not support '
    "{operation}. Only workflow executions can be paused and resumed."
)

# A sub-workflow's status -> the status its parent's task takes (L3: a paused branch
# counts as a paused task; L5: a resumed one as a running task).
PARENT_TASK_FOLLOWS: dict[str, str] = {
    s.PAUSING: s.PAUSING,
    s.PAUSED: s.PAUSED,
    s.RESUMING: s.RUNNING,
    s.RUNNING: s.RUNNING,
    s.CANCELING: s.CANCELING,
}

# Where a workflow may come to rest once its tasks are done moving: paused with nothing
# active, running with its due tasks started, or completed. pausing, resuming and
# canceling are transient: they must end once nothing is active.
SETTLED = frozenset([s.PAUSED, s.RUNNING]) | s.COMPLETED


@dataclass(frozen=True)
class Decision:
    """What an operation does to one execution."""

    operation: str
    execution_id: str
    action: str            # APPLY, NOOP or REFUSE
    requests: str | None   # the workflow status to request when applying
    message: str           # the refusal, or a description for the user


def outcome(operation: str, status: str) -> str:
    """The table's cell: APPLY, NOOP or REFUSE for ``operation`` on ``status``. O(1)."""
    row = TABLE.get(status)
    if row is None:
        return REFUSE
    return row[OPERATION_NAMES.index(operation)]


def check(operation: str, execution_id: str, status: str, runner_type: str) -> Decision:
    """Decide ``operation`` on an execution in ``status`` run by ``runner_type``.

    Pure. O(1).
    """
    rule = OPERATIONS[operation]
    if rule.runner_types is not None and runner_type not in rule.runner_types:
        return Decision(operation, execution_id, REFUSE, None,
                        NOT_PAUSABLE.format(operation=operation, id=execution_id, runner=runner_type))
    action = outcome(operation, status)
    if action == APPLY:
        return Decision(operation, execution_id, APPLY, rule.requests, "")
    if action == NOOP:
        return Decision(operation, execution_id, NOOP, None,
                        'Execution "%s" is already %s.' % (execution_id, status))
    return Decision(operation, execution_id, REFUSE, None,
                    rule.refusal.format(id=execution_id, status=status))


def acts_on(operation: str, runner_type: str) -> str:
    """SELF or ROOT: which execution of the tree ``operation`` on an execution of
    ``runner_type`` acts on. Pure. O(1)."""
    rule = OPERATIONS[operation]
    return rule.acts_on if runner_type in PAUSABLE_RUNNERS else rule.plain_acts_on


def cascades_to(operation: str, child_status: str) -> bool:
    """Whether ``operation`` cascading down reaches a sub-workflow in ``child_status``."""
    return child_status in OPERATIONS[operation].down


def task_steps(current: str | None, wanted: str) -> list[str]:
    """The action statuses that take a task from ``current`` to ``wanted`` in Orquesta's
    task state machine: ``[wanted]`` when it takes that at once, else by way of resuming
    and running. Pure; O(1)."""
    from orquesta import machines

    table = machines.TASK_STATE_MACHINE_DATA

    def takes(here, status) -> bool:
        return ("action_" + status) in table.get(here or s.UNSET, {})

    if current == wanted:
        return []
    if takes(current, wanted):
        return [wanted]
    path, here = [], current
    for step in (s.RESUMING, s.RUNNING):
        if here != s.RUNNING and here != wanted and takes(here, step):
            path.append(step)
            here = step
    if here != wanted:
        path.append(wanted)
    return path
