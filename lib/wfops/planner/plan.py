"""A re-run plan: plain data saying what a re-run will do, and :class:`PlanError`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from wfops.errors import PlanError  # noqa: F401  (the planner's error, raised from here)

FROM_TASKS = "from_tasks"
FROM_BEGINNING = "from_beginning"

# RerunTask.items
ITEMS_ALL = "all"  # reset: every item runs again
ITEMS_ABENDED = "abended"  # no-reset: only the items that abended (or never ran) run again

# Dropped.reason
DUPLICATE = "duplicate"  # R3
DOWNSTREAM = "downstream"  # R4
SUPERSEDED = "superseded"  # the execution is on a branch a later re-run replaced

# JoinBranch.state
SATISFIED = "satisfied"  # its transition into the join is already true
RERUN = "rerun"  # the re-run produces it (a re-run task or downstream of one)
BLOCKED = "blocked"  # neither: the join cannot count on it

# JoinBranch.reason, besides the execution's status, "not_taken" and "never_ran"
REPLACED = "replaced"  # its execution follows a failure that the request skips


@dataclass
class RerunTask:
    """A task execution that will re-run."""

    task: str
    route: int
    sequence_index: int
    status: str | None
    requested_as: str
    items: str | None = None  # ITEMS_ALL, ITEMS_ABENDED or None (no items)
    item_indices: list[int] | None = None  # ITEMS_ABENDED: the items that run again

    @property
    def ref(self) -> str:
        return "%s[%d]" % (self.task, self.route)


@dataclass
class Dropped:
    """A requested task execution that will not be handed to Orquesta, and why."""

    requested_as: str
    task: str
    route: int
    sequence_index: int
    reason: str  # DUPLICATE, DOWNSTREAM or SUPERSEDED
    covered_by: str  # "task[route]" of the execution that makes this one unnecessary


@dataclass
class DownstreamTask:
    """A task expected to run afresh after the re-run (spec-graph reachability)."""

    task: str
    items: str | None = None  # ITEMS_ALL for a with-items task (R7), else None
    join: bool = False
    ran_before: bool = False


@dataclass
class ContinuingTask:
    """An execution of the old run, left in place by the re-run, whose true transitions
    triggered nothing yet: the re-run continues it (R8). ``terminal`` is Orquesta's mark
    for executions that were running when the workflow completed."""

    task: str
    route: int
    sequence_index: int
    status: str | None
    pending: list[str] = field(default_factory=list)
    terminal: bool = True


@dataclass
class JoinBranch:
    task: str
    state: str  # SATISFIED, RERUN or BLOCKED
    reason: str | None = None  # for BLOCKED: "failed", "timeout", ..., "not_taken", "never_ran", REPLACED
    include: tuple[str, ...] = ()  # for BLOCKED: tasks to add to the request to unblock it


@dataclass
class JoinCheck:
    """A join downstream of the re-run and what each inbound branch will bring (R9)."""

    task: str
    route: int
    barrier: str | int
    required: int
    blocked: bool
    branches: list[JoinBranch] = field(default_factory=list)


@dataclass
class Plan:
    """What a re-run will do. Plain data: :meth:`to_dict` is JSON-serializable and
    :meth:`from_dict` reads it back.

    To apply it, the host first changes the workflow state as follows, then hands
    ``requests`` to ``request_workflow_rerun``. Orquesta 1.2.0 needs these changes:

    - ``unstage``: remove these staged entries. The old run staged them (ready, never
      started) from executions that the re-run replaces; left staged, they would run with
      the old context besides the fresh run the re-run makes.
    - ``hold``: set ``ready`` to false on these staged entries: staged and ready, never
      started, from several executions of which the re-run replaces some. The re-run's
      fresh transitions make them ready again, with the new context merged in.
    - ``stale_branches``: delete these ``"<task>__r<route>"`` keys from the ``tasks`` map
      (the sequence keeps the executions). They are inbound branches of a join that the
      re-run runs again, whose old execution transitioned into the join: a join counts the
      latest execution of each branch, so it would start as soon as its first branch is
      re-run, with an old execution standing in for the others.

    ``in_place`` marks skips on a *paused* workflow (mode ``from_tasks``): no new
    execution and no Orquesta request (``requests`` is empty: Orquesta only re-runs
    completed workflows). The host makes the same changes, stages each skipped execution
    afresh, records the skips on the paused execution and resumes it.
    """

    execution_id: str
    mode: str  # FROM_TASKS or FROM_BEGINNING
    workflow_status: str | None
    request: dict[str, Any]
    fingerprint: str
    rerun: list[RerunTask] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    downstream: list[DownstreamTask] = field(default_factory=list)
    continuing: list[ContinuingTask] = field(default_factory=list)
    joins: list[JoinCheck] = field(default_factory=list)
    requests: list[tuple[str, int, bool]] = field(default_factory=list)
    unstage: list[tuple[str, int]] = field(default_factory=list)
    hold: list[tuple[str, int]] = field(default_factory=list)
    stale_branches: list[tuple[str, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    in_place: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["requests"] = [list(r) for r in self.requests]
        data["unstage"] = [list(u) for u in self.unstage]
        data["hold"] = [list(h) for h in self.hold]
        data["stale_branches"] = [list(b) for b in self.stale_branches]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            execution_id=data["execution_id"],
            mode=data["mode"],
            workflow_status=data.get("workflow_status"),
            request=dict(data.get("request") or {}),
            fingerprint=data["fingerprint"],
            rerun=[RerunTask(**r) for r in data.get("rerun", [])],
            dropped=[Dropped(**d) for d in data.get("dropped", [])],
            downstream=[DownstreamTask(**d) for d in data.get("downstream", [])],
            continuing=[ContinuingTask(**c) for c in data.get("continuing", [])],
            joins=[
                JoinCheck(
                    **{
                        **j,
                        "branches": [
                            JoinBranch(**{**b, "include": tuple(b.get("include") or ())})
                            for b in j.get("branches", [])
                        ],
                    }
                )
                for j in data.get("joins", [])
            ],
            requests=[(t, int(r), bool(x)) for t, r, x in data.get("requests", [])],
            unstage=[(t, int(r)) for t, r in data.get("unstage", [])],
            hold=[(t, int(r)) for t, r in data.get("hold", [])],
            stale_branches=[(t, int(r)) for t, r in data.get("stale_branches", [])],
            warnings=list(data.get("warnings", [])),
            in_place=bool(data.get("in_place", False)),
        )

    def orquesta_requests(self) -> list[Any]:
        """The collapsed requests as Orquesta 1.2.0 ``TaskRerunRequest`` objects, ready for
        ``WorkflowConductor.request_workflow_rerun``."""
        from orquesta.requests import TaskRerunRequest

        return [TaskRerunRequest(task, route, reset) for task, route, reset in self.requests]
