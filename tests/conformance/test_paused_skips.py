"""Skips on a paused workflow (E4: "works on a failed workflow and on a paused one"): taken
in place, and the workflow resumes as the plan implies."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings

from wfops import statuses as s
from wfops.engine import commands, loop, reruns

from .check import conform
from .choices import paused_choices, paused_request, ran_tasks
from .host import Host, host_for, settle
from .notes import event, note
from .shapes import EXAMPLES, KO, REF, RUN_TIMEOUT, SETTINGS, Shape, shapes


def handled_only(shape: Shape) -> Shape:
    """``shape`` with first-run failures of tasks whose failure is handled (a failure
    transition) only, at least one when the shape has such a task: the workflow goes on
    after them, so that it can be paused with a failed task instead of failing."""
    handled = [t for t in shape.tasks if shape.children(t, KO)]
    fail = {m for m in shape.fail if m.split(".")[0] in handled}
    if handled and not fail:
        fail.add(handled[0] if handled[0] not in shape.items else handled[0] + ".0")
    return replace(shape, fail=frozenset(fail))


def run_until_paused(host: Host, pause_after: int) -> tuple[dict, dict] | None:
    """Launch the workflow, pause it once an action failed and ``pause_after`` more have
    completed, and let it settle. Returns its record and run state if it is paused (None
    when it completed first). One worker: what ran before the pause is deterministic."""
    store, engine = host.store, host.engine
    host.set_markers(host.shape.fail)
    execution_id = host.session.engine.launch(REF, {"dir": host.work})

    def pause_now() -> bool:
        if store.get_execution(execution_id)["status"] not in s.WAITING:
            return True
        done = [c["status"] for c in store.child_executions(execution_id) if c["status"] in s.COMPLETED]
        return s.FAILED in done and len(done) - done.index(s.FAILED) > pause_after

    assert loop.run(engine, until=pause_now, adopt=False, timeout=RUN_TIMEOUT)
    if store.get_execution(execution_id)["status"] == s.RUNNING:
        commands.execute(engine, "pause", execution_id, {"user": "conformance"})
    record = settle(host, execution_id)
    note("First run, paused %d actions after a failure: %s; log: %s" % (
        pause_after, record["status"], " ".join(host.log())))
    if record["status"] != s.PAUSED:
        return None
    return record, reruns.state_for(store, record)


@pytest.mark.timeout(900)
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(shape=shapes(max_tasks=6, fail_odds=1), choices=paused_choices)
def test_plan_predicts_host_skip_on_paused_workflow(pack_root, shape, choices):
    """Issue 5 item 4: skips on a paused workflow whose failed tasks were handled by
    failure transitions. The skips are recorded in place and the workflow resumes."""
    shape = handled_only(shape)
    note("Workflow:\n" + shape.describe() + "\n" + shape.yaml())
    with host_for(pack_root, shape) as host:
        paused = run_until_paused(host, choices["pause_after"])
        if paused is None:
            event("completed before the pause")
            return
        record, state = paused
        event("paused with %s" % ("a failed task" if any(
            x in s.ABENDED for routes in ran_tasks(state).values() for x in routes.values()) else "no failed task"))
        event("skip on a paused workflow: " + conform(host, record, state, paused_request(choices, shape, state)))
