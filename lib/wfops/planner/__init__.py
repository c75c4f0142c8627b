"""The pure re-run planner: what a re-run from tasks will do, decided from the workflow
definition and the serialized run state alone (no I/O, no clock, no randomness)."""

from wfops.planner.fingerprint import check_fingerprint, fingerprint, item_statuses
from wfops.planner.plan import (
    ContinuingTask,
    DownstreamTask,
    Dropped,
    JoinBranch,
    JoinCheck,
    Plan,
    PlanError,
    RerunTask,
)
from wfops.planner.planning import plan_rerun
from wfops.planner.render import render_dot, render_text
from wfops.planner.run_graph import RunGraph
from wfops.planner.spec_graph import SpecGraph
from wfops.rerun_request import RerunRequest, TaskRef

__all__ = [
    "ContinuingTask",
    "DownstreamTask",
    "Dropped",
    "JoinBranch",
    "JoinCheck",
    "Plan",
    "PlanError",
    "RerunRequest",
    "RerunTask",
    "RunGraph",
    "SpecGraph",
    "TaskRef",
    "check_fingerprint",
    "fingerprint",
    "item_statuses",
    "plan_rerun",
    "render_dot",
    "render_text",
]
