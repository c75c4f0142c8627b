"""What the engine keeps in memory about the executions it runs, as typed records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfops.engine.journal import JournaledConductor


@dataclass(frozen=True)
class TaskAction:
    """Which task (and item) of which workflow execution an action execution runs."""

    wf_id: str
    task: str
    route: int
    item: int | None = None
    count: int | None = None   # the number of items of its with-items task, when known


@dataclass(frozen=True)
class ChainStep:
    """Which node of which action-chain execution an action execution runs."""

    chain: str      # the chain's action execution
    node: str

    @property
    def wf_id(self) -> None:
        return None  # no workflow execution's task: Memory.actions_of never lists it


@dataclass(frozen=True)
class Outcome:
    """The end (``final``) or a status change of an action execution, posted to the loop.

    A status change that is not final is a sub-workflow's (paused, running, ...), which
    its parent's task for it follows (L3, L5); ``workflow``: the execution is a
    sub-workflow (its task may be paused or pausing when it ends)."""

    execution_id: str
    status: str
    result: Any = None
    final: bool = True
    workflow: bool = False


@dataclass
class TaskRecord:
    """The stored task execution of one entry of a conductor's task sequence."""

    id: str
    status: str


@dataclass
class LiveWorkflow:
    """What the loop keeps in memory for one workflow execution it owns."""

    wf_id: str
    execution_id: str          # the action execution currently attached to it
    root: str
    jc: "JournaledConductor"
    journal_seq: int
    snapshot_seq: int
    task_records: dict[int, TaskRecord]   # sequence index -> its task execution
    parent: TaskAction | None             # a sub-workflow: its own execution's task
    # The sequence indexes whose record is not completed: the only ones an action event
    # can change (kept by wfops.engine.driver; derived from task_records when made).
    open_records: set[int] = field(default_factory=set)
    # (action execution, status) the records were last seen to show, by
    # wfops.engine.driver.mirror_status; None: unknown (read them).
    mirrored: tuple[str, str] | None = None
    hold_until: float = 0.0               # monotonic time before which no task starts (st2's delay)

    def __post_init__(self) -> None:
        from wfops import statuses

        if not self.open_records:
            self.open_records = {i for i, r in self.task_records.items() if r.status not in statuses.COMPLETED}
