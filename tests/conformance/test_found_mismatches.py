"""Mismatches the conformance tests found (M1 to M4), fixed; kept as explicit examples."""

from __future__ import annotations

import pytest

from wfops import statuses as s
from wfops.engine import reruns
from wfops.planner import PlanError
from wfops.rerun_request import RerunRequest

from .check import conform
from .host import host_for, run_first, store_snapshot
from .notes import NOTES
from .shapes import OK, RUN_TIMEOUT, Shape

SPLIT = {"t1": [("t0", OK)], "t2": [("t0", OK), ("t1", OK)]}  # t0 -> t1 -> t2 and t0 -> t2


def _explicit(pack_root, shape: Shape, payload: dict, timeout: float = RUN_TIMEOUT, check_plan=None) -> str:
    """Run ``shape``, then check ``payload`` with :func:`conform`; ``check_plan(plan or
    PlanError)`` first looks at what the planner says. Returns conform's outcome."""
    NOTES.clear()
    with host_for(pack_root, shape) as host:
        record, state = run_first(host)
        try:
            if check_plan is not None:
                try:
                    check_plan(reruns.plan_for(host.store, record, RerunRequest.from_payload(payload)))
                except PlanError as refused:
                    check_plan(refused)
            return conform(host, record, state, payload, timeout=timeout)
        except BaseException as e:
            raise type(e)("%s\n%s" % (e, "\n".join(NOTES))) from e


def test_m1_no_reset_of_with_items_task_without_abended_items_is_refused(pack_root):
    """t0 (with-items, 3 items) succeeded; `re-run --tasks t0 --no-reset t0` would re-run
    no item (the host used to stay "resuming" forever: Orquesta never completes a staged
    task with no item left to start). Refused, saying what to ask instead; nothing changes."""
    shape = Shape(1, {}, frozenset(), frozenset({"t0"}), frozenset(), frozenset())

    def check(outcome):
        assert isinstance(outcome, PlanError)
        assert outcome.problems == [
            "No item of t0 failed, timed out or was abandoned, so `no_reset t0` leaves nothing of it "
            "to re-run. Drop `no_reset t0` to re-run all its items, choose items with `items t0 I,J`, "
            "or re-run the tasks after it instead."]

    assert _explicit(pack_root, shape, {"tasks": ["t0"], "no_reset": ["t0"]}, check_plan=check) == "refused"


def test_m2_task_rerun_on_one_route_and_reached_afresh_on_another(pack_root):
    """t0 -> t1 -> t2 and t0 -> t2 (t2 a split); t1 and t2 fail; `re-run --failed`
    re-runs t1[0] and t2[1], and t2 also runs afresh on a new route after t1: the plan's
    downstream (R7) names t2."""
    shape = Shape(3, SPLIT, frozenset(), frozenset(), frozenset({"t1", "t2"}), frozenset())

    def check(plan):
        assert [r.ref for r in plan.rerun] == ["t1[0]", "t2[1]"]
        assert [(d.task, d.ran_before) for d in plan.downstream] == [("t2", True)]

    assert _explicit(pack_root, shape, {"failed": True}, check_plan=check) == "applied"


def test_m3_item_selection_on_a_route_dropped_as_downstream(pack_root):
    """Same shape, t2 with 3 items, nothing failed; `re-run --tasks t1 --items t2 0`: the
    selection applies to t2[1] only; t2[2] runs afresh after t1 (all its items), and the
    plan says so."""
    shape = Shape(3, SPLIT, frozenset(), frozenset({"t2"}), frozenset(), frozenset())

    def check(plan):
        assert [(x.task, x.route, x.indices) for x in plan.item_selections] == [("t2", 1, [0])]
        assert plan.warnings == [
            "`items t2` does not apply to t2[2]: t2[2] runs afresh after t1[0], which the request re-runs."]

    assert _explicit(pack_root, shape, {"tasks": ["t1"], "items": {"t2": [0]}}, check_plan=check) == "applied"


def test_m4_skip_of_a_route_dropped_as_downstream(pack_root):
    """Same shape; t2 fails on both routes; `re-run --tasks t1 --skip t2` skips t2[1]
    only (the apply used to crash on t2[2], which runs afresh after t1)."""
    shape = Shape(3, SPLIT, frozenset(), frozenset(), frozenset({"t2"}), frozenset())

    def check(plan):
        assert [(x.task, x.route) for x in plan.skips] == [("t2", 1)]

    assert _explicit(pack_root, shape, {"tasks": ["t1"], "skip": ["t2"]}, check_plan=check) == "applied"


def test_a_failed_apply_leaves_the_engine_as_the_store_has_it(pack_root):
    """M4's crash, forced: a conductor change that Orquesta rejects in the middle of an
    apply (a skip of a task execution nothing staged) rolls back the store, and the
    engine's memory is put back as the store has it; a valid re-run then goes through."""
    shape = Shape(3, SPLIT, frozenset(), frozenset(), frozenset({"t2"}), frozenset())
    NOTES.clear()
    with host_for(pack_root, shape) as host:
        record, state = run_first(host)
        store, engine = host.store, host.engine
        wf_id = record["context"]["workflow_execution"]
        before = store_snapshot(store, wf_id)
        live = engine.load_workflow(wf_id)
        with pytest.raises(TypeError):
            with engine.transaction():
                engine.journal(live, {"op": "rerun", "requests": [["t1", 0, True], ["t2", 1, True]]})
                engine.journal(live, {"op": "skip", "task": "t2", "route": 2, "result": None, "publish": {}})
        assert store_snapshot(store, wf_id) == before
        restored = engine.live[wf_id]
        assert restored is not live and restored.jc.status == s.FAILED
        stored = reruns.restore_conductor(store, store.get_workflow_execution(wf_id))
        assert restored.jc.conductor.serialize() == stored.conductor.serialize()
        assert conform(host, record, state, {"tasks": ["t1"], "skip": ["t2"]}) == "applied"
