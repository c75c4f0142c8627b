"""The lifecycle table (``wfops.lifecycle``, rules L1-L6), transition by transition, in
the manner of Orquesta's state machine tests: every cell (operation x status) against
the rule it comes from, then every cell the embedded host can reach, carried out by the
real engine on a real tree (``hosttest.gated_parent``: a sub-workflow of two steps, then
one task, each held on a gate file), with what it must leave in the store.

Statuses a workflow never rests in on the embedded host (requested, scheduled, delayed,
pending: a launch runs at once) are checked against the rules only.
"""

from __future__ import annotations

import os

import pytest
from conftest import FIXTURE_PACKS

from wfops import errors, lifecycle
from wfops import statuses as s
from wfops.engine import commands, loop
from wfops.session import Session

OPERATIONS = ("pause", "resume", "cancel")


# -- every cell against the rule it comes from ------------------------------------------------


def rule(operation: str, status: str) -> str:
    """What SEMANTICS.md says, read independently of the table."""
    if operation == "pause":  # L1: only a running one; pausing or paused: no change
        return {s.RUNNING: "apply", s.PAUSING: "noop", s.PAUSED: "noop"}.get(status, "refuse")
    if operation == "resume":  # L4: a paused or pausing one; running or resuming: no change
        return {s.PAUSED: "apply", s.PAUSING: "apply", s.RUNNING: "noop", s.RESUMING: "noop"}.get(status, "refuse")
    # L6: any non-completed one; canceling: no change; completed: an error
    if status in s.COMPLETED:
        return "refuse"
    return "noop" if status == s.CANCELING else "apply"


# Every status an execution record can have (retrying is a task's, null nobody's).
STATUSES = sorted(s.ACTIVE | s.COMPLETED | {s.PAUSED, s.PENDING})


def test_the_table_has_a_row_for_every_status():
    assert sorted(lifecycle.TABLE) == STATUSES


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_cell_follows_its_rule(operation, status):
    decision = lifecycle.check(operation, "E1", status, "orquesta")
    assert decision.action == rule(operation, status)
    if decision.action == "apply":
        assert decision.requests == {"pause": s.PAUSING, "resume": s.RESUMING, "cancel": s.CANCELING}[operation]
    if decision.action == "refuse":
        expected = {
            "pause": 'Unable to pause execution "E1" because it is not in a running state.',
            "cancel": 'Unable to cancel execution "E1" because it is already in a completed state.',
        }.get(operation)
        assert decision.message == expected if expected else '"%s"' % status in decision.message


@pytest.mark.parametrize("operation", ["pause", "resume"])
def test_only_workflows_pause_and_resume(operation):
    for runner in ("local-shell-cmd", "python-script", "noop"):
        decision = lifecycle.check(operation, "E1", s.RUNNING, runner)
        assert decision.action == "refuse" and "Only workflow executions" in decision.message
    assert lifecycle.check("cancel", "E1", s.RUNNING, "local-shell-cmd").action == "apply"


def test_cascades_as_the_rules_say():
    assert lifecycle.OPERATIONS["pause"].down == {s.RUNNING, s.RESUMING}          # L2
    assert lifecycle.OPERATIONS["pause"].up == frozenset()                         # L3
    assert lifecycle.OPERATIONS["resume"].down == {s.PAUSED, s.PAUSING}            # L4
    assert lifecycle.OPERATIONS["resume"].up == {s.PAUSED, s.PAUSING}              # L5
    assert lifecycle.OPERATIONS["cancel"].acts_on == lifecycle.ROOT                # L6
    # A workflow's cancel acts on its tree's root; a plain action's on that action (st2).
    assert lifecycle.acts_on("cancel", "orquesta") == lifecycle.ROOT
    assert lifecycle.acts_on("cancel", "local-shell-cmd") == lifecycle.SELF
    assert lifecycle.OPERATIONS["cancel"].down == s.ACTIVE - {s.CANCELING} | {s.PAUSED}
    assert lifecycle.SETTLED == {s.PAUSED, s.RUNNING} | s.COMPLETED


# -- every reachable cell on the real engine ------------------------------------------------------


class Tree:
    """hosttest.gated_parent run in this process, steered into a status."""

    def __init__(self, tmp_path):
        self.dir = tmp_path / "work"
        self.dir.mkdir()
        self.log = self.dir / "log.txt"
        self.session = Session(home=str(tmp_path / "home"), user="table")
        self.engine, self.store = self.session.engine, self.session.store
        self.parent = self.child = None

    def gate(self, *names):
        for name in names:
            (self.dir / ("gate." + name)).touch()

    def open(self, *names):
        for name in names:
            (self.dir / ("gate." + name)).unlink(missing_ok=True)

    def lines(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []

    def run_until(self, predicate, timeout: float = 30) -> None:
        assert loop.run(self.engine, until=predicate, adopt=False, timeout=timeout), "timed out"

    def status(self, execution_id: str) -> str:
        return self.store.get_execution_status(execution_id)

    def start(self, *gates, fail: bool = False) -> None:
        self.gate(*gates)
        if fail:
            (self.dir / "fail.step1").touch()
        self.parent = self.session.engine.launch("hosttest.gated_parent", {"log": str(self.log), "dir": str(self.dir)})
        self.run_until(lambda: self.lines()[:1] == ["step1"] or self.status(self.parent) in s.COMPLETED)
        self.child = [r for r in self.store.child_executions(self.parent) if r["runner_type"] == "orquesta"][0]["id"]

    def op(self, operation: str, execution_id: str) -> dict:
        return commands.execute(self.engine, operation, execution_id, {"user": "table"})

    def snapshot(self) -> tuple:
        tree = self.store.tree_executions(self.parent)
        return (tuple((r["id"], r["status"]) for r in tree),
                tuple(len(self.store.operations(r["id"])) for r in tree))

    def close(self):
        self.open("step1", "step2", "after")
        loop.run_until_idle(self.engine, timeout=30)
        self.session.close()


def steer(tree: Tree, status: str) -> str:
    """Bring the tree into ``status``; returns the execution (parent or child) in it."""
    if status == s.RUNNING:
        tree.start("step1")
        return tree.parent
    if status in (s.PAUSING, s.PAUSED):
        tree.start("step1")
        tree.op("pause", tree.parent)
        if status == s.PAUSED:
            tree.open("step1")
            tree.run_until(lambda: tree.status(tree.parent) == s.PAUSED)
        return tree.parent
    if status == s.RESUMING:
        # Resumed while its step still runs: the child stays resuming until that step ends.
        tree.start("step1")
        tree.op("pause", tree.parent)
        tree.op("resume", tree.child)
        return tree.child
    if status == s.CANCELING:
        tree.start("step1")
        tree.op("cancel", tree.parent)
        return tree.parent
    if status == s.SUCCEEDED:
        tree.start()
        tree.run_until(lambda: tree.status(tree.parent) == s.SUCCEEDED)
        return tree.parent
    if status == s.FAILED:
        tree.start(fail=True)
        tree.run_until(lambda: tree.status(tree.parent) == s.FAILED)
        return tree.parent
    if status == s.CANCELED:
        tree.start("step1")
        tree.op("cancel", tree.parent)
        tree.open("step1")
        tree.run_until(lambda: tree.status(tree.parent) == s.CANCELED)
        return tree.parent
    raise AssertionError(status)


REACHABLE = [s.RUNNING, s.PAUSING, s.PAUSED, s.RESUMING, s.CANCELING, s.SUCCEEDED, s.FAILED, s.CANCELED]

# (status, operation) -> (target, parent, child) right after an applied operation; then
# what the tree comes to once every gate is open (and a paused root is resumed).
APPLIED = {
    (s.RUNNING, "pause"): ((s.PAUSING, s.PAUSING, s.PAUSING), s.SUCCEEDED),      # L1, L2
    (s.RUNNING, "cancel"): ((s.CANCELING, s.CANCELING, s.CANCELING), s.CANCELED),  # L6
    (s.PAUSING, "resume"): ((s.RUNNING, s.RUNNING, s.RESUMING), s.SUCCEEDED),     # L4
    (s.PAUSING, "cancel"): ((s.CANCELING, s.CANCELING, s.CANCELING), s.CANCELED),
    (s.PAUSED, "resume"): ((s.RUNNING, s.RUNNING, s.RUNNING), s.SUCCEEDED),       # L4 down
    (s.PAUSED, "cancel"): ((s.CANCELED, s.CANCELED, s.CANCELED), s.CANCELED),
    (s.RESUMING, "cancel"): ((s.CANCELING, s.CANCELING, s.CANCELING), s.CANCELED),  # from the root
}


@pytest.mark.parametrize("status", REACHABLE)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_reachable_cell_on_the_engine(tmp_path, monkeypatch, operation, status):
    monkeypatch.setenv("WFOPS_PACKS_PATH", str(FIXTURE_PACKS))
    tree = Tree(tmp_path)
    try:
        target = steer(tree, status)
        assert tree.engine.status_of(target) == status
        expected = lifecycle.outcome(operation, status)
        before = tree.snapshot()
        # Cancel acts on the root (L6), and its audit entry says what the root was.
        acted_status = tree.engine.status_of(tree.parent if operation == "cancel" else target)
        if expected == lifecycle.REFUSE:
            with pytest.raises(errors.InvalidOperation) as refused:
                tree.op(operation, target)
            assert refused.value.message == lifecycle.check(operation, target, status, "orquesta").message
            assert tree.snapshot() == before, "a refused operation changed something"
            return
        answer = tree.op(operation, target)
        audit = tree.store.operations(target)[-1]
        assert (audit["operation"], audit["outcome"]["status_before"]) == (operation, acted_status)
        if expected == lifecycle.NOOP:
            assert answer == {"id": target, "status": status, "changed": False}
            assert tree.snapshot()[0] == before[0], "a no-op changed a status"
            assert audit["outcome"]["changed"] is False
            return
        statuses, settled = APPLIED[(status, operation)]
        assert answer["changed"] is True and answer["status"] == statuses[0]
        assert (tree.status(target), tree.status(tree.parent), tree.status(tree.child)) == statuses
        tree.open("step1", "step2", "after")
        tree.run_until(lambda: tree.status(tree.parent) in s.COMPLETED | {s.PAUSED})
        if tree.status(tree.parent) == s.PAUSED:
            tree.op("resume", tree.parent)
            tree.run_until(lambda: tree.status(tree.parent) in s.COMPLETED)
        assert tree.status(tree.parent) == settled
        assert all(r["status"] in s.COMPLETED for r in tree.store.tree_executions(tree.parent))
    finally:
        tree.close()


def test_every_reachable_applied_cell_is_walked():
    cells = {(st, op) for st in REACHABLE for op in OPERATIONS if lifecycle.outcome(op, st) == lifecycle.APPLY}
    assert cells == set(APPLIED)


@pytest.mark.parametrize("operation", ["pause", "resume", "cancel"])
def test_a_plain_action(tmp_path, monkeypatch, operation):
    """Plain actions cannot be paused or resumed; cancelling one records it canceling."""
    monkeypatch.setenv("WFOPS_PACKS_PATH", str(FIXTURE_PACKS))
    gate = tmp_path / "gate"
    gate.touch()
    session = Session(home=str(tmp_path / "home"), user="table")
    try:
        execution_id = session.engine.launch("core.local", {"cmd": "while [ -e %s ]; do sleep 0.05; done" % gate})
        loop.run(session.engine, until=lambda: session.engine.jobs.count > 0, adopt=False, timeout=10)
        if operation == "cancel":
            answer = commands.execute(session.engine, operation, execution_id, {"user": "table"})
            assert answer["changed"] is True
            assert session.store.get_execution_status(execution_id) == s.CANCELING
        else:
            with pytest.raises(errors.InvalidOperation) as refused:
                commands.execute(session.engine, operation, execution_id, {"user": "table"})
            assert 'runner type "local-shell-cmd"' in refused.value.message
            assert session.store.operations(execution_id) == []
    finally:
        os.unlink(gate)
        loop.run_until_idle(session.engine, timeout=30)
        session.close()
