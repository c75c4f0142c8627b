"""Conformance of the re-run plan with the embedded host (issue 4 item 5, issue 5 item 8).

For random workflow shapes (chains, splits, ``join: all`` joins, with-items tasks, failure
branches), random failures and random re-run requests, the plan computed by
``wfops.engine.reruns.plan_for`` must predict what the REAL host then does when the same
request is applied with ``wfops.engine.commands.execute``:

- each task execution of ``plan.rerun`` runs again exactly once, on its route, with exactly
  the items the plan names (all, the abended ones for no-reset, the selected ones for
  ``--items``); a skipped task runs no action, is recorded succeeded and ``skipped`` and
  publishes what the plan computed (E4);
- every other task that runs is in ``plan.downstream`` and runs afresh with all its items
  (R7); how many times each task runs is what the plan implies once the conditions of the
  transitions are known (the plan's downstream is spec-graph reachability: a failure
  branch is "downstream" but runs only if its task fails). The oracle below reads the
  plan's re-run entries, its continuing tasks (R8) and the old run's join branches;
- a task runs after the task executions that lead to it (all of them for a join);
- the original execution keeps its status and children (R10);
- a request the planner refuses (``PlanError``) is refused by the host too and changes
  nothing (executions, statuses, task executions, journal, side effects);
- skips on a *paused* workflow (its failed tasks handled by failure transitions) are taken
  in place: the paused execution keeps its children, takes the skipped task executions
  and resumes, and what then runs is what the plan implies, as above.

The host runs in-process: ``Session(home=<fresh dir>)``, a generated pack whose workflow
tasks are ``core.local`` commands appending ``<task>`` / ``<task>:<item>`` to a log file and
failing while a marker file ``fail.<task>`` / ``fail.<task>.<item>`` exists. The engine gets
one worker (``WFOPS_WORKERS=1``) so that a run is deterministic for a given shape: actions
run one at a time in the order Orquesta schedules them, which keeps hypothesis' replays
and shrinking exact.

On a failure, hypothesis prints (``note``) the shrunk workflow as a compact shape and as
YAML, the failure markers, the request and the plan.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import event as _event
from hypothesis import note as _note
from hypothesis import strategies as st

from wfops import statuses as s
from wfops.engine import commands, loop, reruns
from wfops.planner import PlanError
from wfops.rerun_request import RerunRequest
from wfops.session import Session

PACK = "conformance"
REF = PACK + ".wf"
ITEMS = 3  # every with-items task runs over range(ITEMS)
OK, KO = s.SUCCEEDED, s.FAILED
RUN_TIMEOUT = 15  # seconds; a run of these shapes takes well under one

SETTINGS = dict(
    deadline=None,
    derandomize=True,  # reproducible in CI: the same examples on every run
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    print_blob=True,
)


def note(text: str) -> None:
    """hypothesis' note inside a property; collected for the message in explicit examples."""
    try:
        _note(text)
    except Exception:
        NOTES.append(text)


def event(text: str) -> None:
    try:
        _event(text)
    except Exception:
        pass


NOTES: list[str] = []


# ======================================================================================
# Workflow shapes
# ======================================================================================


@dataclass
class Shape:
    """A workflow: tasks t0..t<n-1>, each transition from a lower to a higher task, taken
    on success or on failure of its task. ``fail`` are the failure markers of the first
    run, ``refail`` those present during the re-run ("t3" fails task t3, "t3.1" item 1 of
    with-items task t3). ``refail`` only names tasks that have a failure transition, so
    that a failure in the re-run is handled and what runs next does not depend on timing.
    """

    n: int
    inbound: dict[str, list[tuple[str, str]]]  # task -> [(parent, OK | KO)]
    joins: frozenset[str]
    items: frozenset[str]
    fail: frozenset[str]
    refail: frozenset[str]

    @property
    def tasks(self) -> list[str]:
        return ["t%d" % i for i in range(self.n)]

    def children(self, task: str, outcome: str) -> list[str]:
        return [c for c in self.tasks if (task, outcome) in self.inbound.get(c, [])]

    def parents(self, task: str) -> list[str]:
        return [p for p, _ in self.inbound.get(task, [])]

    def publishes(self, task: str) -> bool:
        return task not in self.items and bool(self.children(task, OK))

    def definition(self, work: str = "<work dir>") -> dict[str, Any]:
        """The workflow, its commands writing to and testing in ``work``. The paths are
        literal and items use one YAQL expression: rendering expressions (over a context
        that holds the whole workflow state) was most of an example's run time."""
        tasks: dict[str, Any] = {}
        for t in self.tasks:
            if t in self.items:
                cmd = 'i=<%% item(i) %%>; echo %s:$i >> "%s/log"; test ! -e "%s/fail.%s.$i"' % (t, work, work, t)
            else:
                cmd = 'echo %s >> "%s/log"; test ! -e "%s/fail.%s"' % (t, work, work, t)
            task: dict[str, Any] = {}
            if t in self.joins:
                task["join"] = "all"
            if t in self.items:
                task["with"] = {"items": "i in <% range(" + str(ITEMS) + ") %>"}
            task["action"] = "core.local"
            task["input"] = {"cmd": cmd}
            nexts = []
            on_ok, on_ko = self.children(t, OK), self.children(t, KO)
            if on_ok:
                transition: dict[str, Any] = {"when": "<% succeeded() %>"}
                if self.publishes(t):
                    transition["publish"] = [{"p_" + t: "<% result().stdout %>"}]
                transition["do"] = on_ok
                nexts.append(transition)
            if on_ko:
                nexts.append({"when": "<% failed() %>", "do": on_ko})
            if nexts:
                task["next"] = nexts
            tasks[t] = task
        return {"version": 1.0, "input": ["dir"], "tasks": tasks}

    def yaml(self, work: str = "<work dir>") -> str:
        return yaml.safe_dump(self.definition(work), sort_keys=False, width=200)

    def describe(self) -> str:
        """One line per task: its kind and its transitions; then the markers."""
        lines = []
        for t in self.tasks:
            kind = []
            if t in self.joins:
                kind.append("join: all")
            elif len(self.parents(t)) > 1:
                kind.append("split")
            if t in self.items:
                kind.append("with-items(%d)" % ITEMS)
            arrows = []
            if self.children(t, OK):
                arrows.append("on success -> " + ", ".join(self.children(t, OK)))
            if self.children(t, KO):
                arrows.append("on failure -> " + ", ".join(self.children(t, KO)))
            lines.append("  %s%s %s" % (t, " [%s]" % ", ".join(kind) if kind else "", "; ".join(arrows)))
        lines.append("  markers, first run: %s" % (sorted(self.fail) or "none"))
        lines.append("  markers, re-run:    %s" % (sorted(self.refail) or "none"))
        return "\n".join(lines)


@st.composite
def shapes(draw, max_tasks: int = 7, fail_odds: int = 3) -> Shape:
    """A random DAG of 2..max_tasks tasks from t0. A task with several inbound tasks is a
    join (``join: all``) or a split (runs once per arriving branch). Some transitions are
    taken on failure (failure branches); some tasks have items.

    As in tests/planner/test_properties.py, a join is never fed from a split or below one:
    Orquesta evaluates a join per route, so branches that arrive on different routes never
    meet and the join never runs."""
    n = draw(st.integers(min_value=2, max_value=max_tasks))
    inbound: dict[str, list[tuple[str, str]]] = {}
    joins, items, routed = set(), set(), set()
    for i in range(1, n):
        parents = sorted(draw(st.sets(st.integers(0, i - 1), min_size=1, max_size=min(i, 3))))
        inbound["t%d" % i] = [
            ("t%d" % p, KO if draw(st.integers(0, 4)) == 0 else OK) for p in parents
        ]
        below_split = any("t%d" % p in routed for p in parents)
        if len(parents) > 1 and not below_split and draw(st.booleans()):
            joins.add("t%d" % i)
        elif len(parents) > 1 or below_split:
            routed.add("t%d" % i)
    fail, refail = set(), set()
    for i in range(n):
        t = "t%d" % i
        has_ko = any((t, KO) in inbound.get(c, []) for c in inbound)
        if draw(st.integers(0, 3)) == 0:
            items.add(t)
            failing = draw(st.sets(st.integers(0, ITEMS - 1), max_size=2)) if draw(st.integers(0, 2)) == 0 else set()
            fail.update("%s.%d" % (t, k) for k in failing)
            if has_ko and draw(st.integers(0, 2)) == 0:
                refail.update("%s.%d" % (t, k) for k in draw(st.sets(st.integers(0, ITEMS - 1), min_size=1, max_size=2)))
        else:
            if draw(st.integers(0, fail_odds if i else 8)) == 0:
                fail.add(t)
            if has_ko and draw(st.integers(0, 2)) == 0:
                refail.add(t)
    return Shape(n, inbound, frozenset(joins), frozenset(items), frozenset(fail), frozenset(refail))


# ======================================================================================
# The host, in-process
# ======================================================================================


@pytest.fixture(scope="module")
def pack_root(tmp_path_factory):
    """One generated pack per test process; each example rewrites its workflow file (the
    host stores the definition with the workflow execution, so later examples cannot
    change earlier runs). Keeping the pack's path lets the registry cache stay warm."""
    root = tmp_path_factory.mktemp("conformance")
    actions = root / "packs" / PACK / "actions"
    (actions / "workflows").mkdir(parents=True)
    (root / "packs" / PACK / "pack.yaml").write_text(
        "ref: %s\nname: %s\ndescription: generated by test_conformance_host\nversion: 0.0.1\n" % (PACK, PACK)
    )
    (actions / "wf.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "wf",
                "pack": PACK,
                "description": "A generated workflow.",
                "runner_type": "orquesta",
                "entry_point": "workflows/wf.yaml",
                "enabled": True,
                "parameters": {"dir": {"type": "string", "required": True}},
            }
        )
    )
    return root


WORKFLOW_FILE_SIZE = 1 << 16
WORKFLOW_FILE_MTIME_NS = 1_600_000_000 * 10**9


def write_workflow(pack_root, text: str) -> None:
    """Write the example's workflow in place, padded to a fixed size and with a fixed
    modification time. The action registry is cached and revalidated by the size, mtime
    and inode of the files it read, the entry point included: unchanged marks keep the
    cache (reloading every pack took a third of an example's time). The engine reads the
    definition itself at launch, so it always runs this example's workflow."""
    data = text.encode("utf-8")
    assert len(data) < WORKFLOW_FILE_SIZE
    path = pack_root / "packs" / PACK / "actions" / "workflows" / "wf.yaml"
    with open(path, "r+b" if path.exists() else "wb") as handle:
        handle.write(data + b"\n" + b"#" * (WORKFLOW_FILE_SIZE - len(data) - 1))
        handle.truncate()
    os.utime(path, ns=(WORKFLOW_FILE_MTIME_NS, WORKFLOW_FILE_MTIME_NS))


@contextlib.contextmanager
def _environ(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class Host:
    """One example's host: a fresh WFOPS_HOME, a work dir (log, markers), a session."""

    session: Session
    work: str
    shape: Shape

    @property
    def store(self):
        return self.session.store

    @property
    def engine(self):
        return self.session.engine

    def set_markers(self, markers) -> None:
        for name in os.listdir(self.work):
            if name.startswith("fail."):
                os.unlink(os.path.join(self.work, name))
        for marker in markers:
            open(os.path.join(self.work, "fail." + marker), "w").close()

    def log(self) -> list[str]:
        path = os.path.join(self.work, "log")
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return handle.read().split()


@contextlib.contextmanager
def host_for(pack_root, shape: Shape):
    base = tempfile.mkdtemp(dir=str(pack_root), prefix="ex-")
    work = str(pack_root / "work")  # one per test process, so that a shape's YAML is the same
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    write_workflow(pack_root, shape.yaml(work))
    with _environ(WFOPS_PACKS_PATH=str(pack_root / "packs"), WFOPS_WORKERS="1"):
        session = Session(home=os.path.join(base, "home"), user="conformance")
        session.engine  # noqa: B018  (created while WFOPS_WORKERS=1)
    try:
        yield Host(session, work, shape)
    finally:
        session.close()
        shutil.rmtree(base, ignore_errors=True)


def settle(host: Host, execution_id: str, timeout: float = RUN_TIMEOUT) -> dict:
    """Run until the execution has settled and no action of it is still running: a
    workflow shows "failed" as soon as Orquesta fails it, while tasks already started
    are still running and will be recorded."""
    record = loop.run_until_settled(host.engine, execution_id, timeout=timeout)
    assert record["status"] not in s.WAITING, (
        "execution %s is still %s after %s s" % (execution_id, record["status"], timeout))
    assert loop.run_until_idle(host.engine, timeout=timeout), "the host did not become idle"
    return host.store.get_execution(execution_id)


def run_first(host: Host) -> tuple[dict, dict]:
    """Launch the workflow with the first-run markers; return its record and run state."""
    host.set_markers(host.shape.fail)
    execution_id = host.session.engine.launch(REF, {"dir": host.work})
    settle(host, execution_id)
    record = host.store.get_execution(execution_id)
    assert record["status"] in s.COMPLETED, "the first run did not settle: %s" % record["status"]
    note("First run: %s; log: %s" % (record["status"], " ".join(host.log())))
    return record, reruns.state_for(host.store, record)


def store_snapshot(store, wf_id: str) -> dict:
    executions, _ = store.list_executions(limit=None, newest_first=False)
    wf = store.get_workflow_execution(wf_id)
    return {
        "executions": [(e["id"], e["status"], e["parent"], e["result"] is None) for e in executions],
        "task_executions": [(t["id"], t["task_id"], t["route"], t["status"]) for t in store.task_executions(wf_id)],
        "workflow": (wf["status"], wf["action_execution"], wf["journal_seq"]),
    }


# ======================================================================================
# The oracle: what the plan implies, once the transitions' conditions are known
# ======================================================================================


@dataclass
class Prediction:
    rerun: dict[tuple[str, int], set[int] | None]  # (task, route) -> items that run (None: no items)
    skipped: set[tuple[str, int]]
    outcomes: dict[str, list[str]]  # task -> outcome of each new task execution, sorted
    counts: Counter
    unhandled_failure: bool = False
    notes: list[str] = field(default_factory=list)


def _children_index(sequence: list[dict]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for i, entry in enumerate(sequence):
        for parent in (entry.get("prev") or {}).values():
            children.setdefault(parent, []).append(i)
    return children


def _descendants(children: dict[int, list[int]], sources) -> set[int]:
    seen: set[int] = set()
    stack = list(sources)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _attempts(sequence: list[dict], indices) -> set[int]:
    """``indices`` and every other attempt at the same position: the same task reached
    through the same chain of transitions from the start (an earlier run of it that a
    re-run replaced). What a re-run replaces includes what those attempts triggered."""
    position: list[tuple] = []
    for entry in sequence:
        parents = tuple(sorted((key, position[p]) for key, p in (entry.get("prev") or {}).items()))
        position.append((entry["id"], parents))
    wanted = {position[i] for i in indices}
    return {i for i, pos in enumerate(position) if pos in wanted}


def predict(shape: Shape, state: dict, plan) -> Prediction:
    """What the host must do with ``plan``: every re-run entry once with its items; then,
    in topological order, each task runs once per arriving transition (a split) or once
    when every inbound branch can count (a join); a branch counts when it arrives in the
    re-run or when its old execution, left in place by the re-run, took its transition
    into the join. Continuing tasks (R8) arrive too."""
    sequence = state["sequence"]
    latest = {}
    for key, index in (state.get("tasks") or {}).items():
        task, _, route = key.rpartition("__r")
        latest[(task, int(route))] = index
    old_items = {int(k): list(v) for k, v in (state.get("items") or {}).items()}
    selections = {(x.task, x.route): set(x.indices) for x in getattr(plan, "item_selections", [])}
    skipped = {(x.task, x.route) for x in getattr(plan, "skips", [])}
    rerun_index = {r.sequence_index for r in plan.rerun}
    replaced = _descendants(_children_index(sequence), _attempts(sequence, rerun_index))

    prediction = Prediction({}, skipped, {}, Counter())

    def outcome(task: str, ran: set[int] | None, prior: list[str] | None) -> str:
        if task not in shape.items:
            return KO if task in shape.refail else OK
        final = list(prior) if prior else [OK] * ITEMS
        for i in ran or ():
            final[i] = KO if "%s.%d" % (task, i) in shape.refail else OK
        return KO if any(x in s.ABENDED for x in final) else OK

    def handled(task: str, result: str) -> bool:
        # Orquesta counts a failed task as remediated when a transition it took staged a
        # task that is ready. A join is ready only once its other branches arrived, which
        # depends on the order the actions end in: a failure whose only transitions lead
        # into joins may fail the workflow. Then only an upper bound is predicted.
        return result == OK or any(c not in shape.joins for c in shape.children(task, KO))

    new: dict[str, list[str]] = {t: [] for t in shape.tasks}
    arriving_continuing = Counter(t for c in plan.continuing for t in c.pending)
    for task in shape.tasks:  # parents come before children
        for r in (r for r in plan.rerun if r.task == task):
            key = (r.task, r.route)
            if key in skipped:
                prediction.rerun[key] = set()
                new[task].append(OK)
                continue
            if key in selections:
                ran = selections[key]
            elif r.items == "all":
                ran = set(range(ITEMS))
            elif r.items == "abended":
                ran = set(r.item_indices or ())
            else:
                ran = None
            prediction.rerun[key] = ran
            new[task].append(outcome(task, ran, old_items.get(r.sequence_index)))
        arrivals = arriving_continuing[task] + sum(
            1 for p, on in shape.inbound.get(task, []) for result in new[p] if result == on
        )
        if task in shape.joins:
            if arrivals and not any(r.task == task for r in plan.rerun):
                branches = []
                for p, on in shape.inbound[task]:
                    old = latest.get((p, 0))
                    arrived = any(result == on for result in new[p])
                    kept = (
                        old is not None
                        and old not in replaced
                        and old not in rerun_index
                        and any(
                            k.rpartition("__t")[0] == task and v
                            for k, v in (sequence[old].get("next") or {}).items()
                        )
                    )
                    branches.append(arrived or kept)
                if all(branches):
                    new[task].append(outcome(task, set(range(ITEMS)), None))
                else:
                    prediction.notes.append("join %s cannot run: branches %s" % (
                        task, dict(zip(shape.parents(task), branches))))
        else:
            new[task].extend([outcome(task, set(range(ITEMS)), None)] * arrivals)
        for result in new[task]:
            if not handled(task, result):
                prediction.unhandled_failure = True
    prediction.outcomes = {t: sorted(v) for t, v in new.items() if v}
    prediction.counts = Counter({t: len(v) for t, v in new.items() if v})
    return prediction


# ======================================================================================
# What the host did
# ======================================================================================


@dataclass
class HostRun:
    """The task executions a re-run made: from its child action executions."""

    task_executions: dict[str, dict]  # task execution id -> {task, route, items, skipped, records}

    @classmethod
    def read(cls, store, execution_id: str, earlier: set[str] = frozenset()) -> HostRun:
        """From the children of ``execution_id`` but those in ``earlier`` (a workflow that
        took skips in place keeps the children it had)."""
        task_executions: dict[str, dict] = {}
        for record in store.child_executions(execution_id):
            if record["id"] in earlier:
                continue
            orq = record["context"]["orquesta"]
            te = task_executions.setdefault(
                record["task_execution"],
                {"task": orq["task_name"], "route": orq["task_route"], "items": [],
                 "skipped": False, "records": []},
            )
            te["records"].append(record)
            if record["item_id"] is not None:
                te["items"].append(record["item_id"])
            if record["context"].get("skipped"):
                te["skipped"] = True
        return cls(task_executions)

    def by_key(self) -> Counter:
        return Counter((te["task"], te["route"]) for te in self.task_executions.values())

    def counts(self) -> Counter:
        return Counter(te["task"] for te in self.task_executions.values())

    def log_lines(self) -> Counter:
        lines = Counter()
        for te in self.task_executions.values():
            for record in te["records"]:
                if record["context"].get("skipped"):
                    continue
                item = record["item_id"]
                lines[te["task"] if item is None else "%s:%d" % (te["task"], item)] += 1
        return lines


def _when(record: dict, key: str) -> str:
    return record[key] or ""


def check_order(shape: Shape, host_run: HostRun, store, rerun_keys, problems: list[str]) -> None:
    """A task runs after the task executions of this re-run that lead to it: for a join,
    after every inbound task that ran in the re-run; for any other task that the re-run
    reached (not a re-run entry), after at least one of them (none when only an old,
    continuing execution leads to it)."""
    spans = {}
    for te_id, te in host_run.task_executions.items():
        starts = [_when(r, "start_timestamp") for r in te["records"]]
        ends = [_when(r, "end_timestamp") for r in te["records"]]
        spans[te_id] = (min(starts), max(ends))
    by_task: dict[str, list[str]] = {}
    for te_id, te in host_run.task_executions.items():
        by_task.setdefault(te["task"], []).append(te_id)
    for te_id, te in host_run.task_executions.items():
        if (te["task"], te["route"]) in rerun_keys:
            continue
        start = spans[te_id][0]
        parents = [p for p in shape.parents(te["task"]) if p in by_task]
        ended = {p: [spans[x][1] <= start for x in by_task[p]] for p in parents}
        if te["task"] in shape.joins:
            late = [p for p, flags in ended.items() if not all(flags)]
            if late:
                problems.append("join %s[%d] started before %s finished" % (te["task"], te["route"], ", ".join(late)))
        elif parents and not any(any(flags) for flags in ended.values()):
            # It may only have been reached from an old (continuing) execution.
            record = store.get_task_execution(te_id)
            prev = set(record["prev"]) if record else set()
            if prev & set(host_run.task_executions):
                problems.append("%s[%d] started before any task leading to it finished" % (te["task"], te["route"]))


# ======================================================================================
# The property
# ======================================================================================


def _fmt_request(payload: dict) -> str:
    return json.dumps({k: v for k, v in payload.items() if v not in (None, [], {}, False)}, sort_keys=True)


def _refusal_kind(problem: str) -> str:
    for needle, kind in (
        ("never ran", "never ran"), ("not defined", "unknown task"), ("Join", "blocked join (R9)"),
        ("reset does not match", "no-reset not a subset (R5)"), ("No task of", "nothing failed (R11)"),
        ("already succeeded", "skip of a succeeded task (E6)"), ("only a failed task", "skip of a non-failed task"),
        ("cannot be computed", "skip without publish (E5)"), ("out of range", "item out of range"),
        ("runs afresh after", "extra on a task run afresh"), ("both to `tasks`", "skip and tasks"),
        ("not in the request", "context outside the request"), ("did not run on route", "bad route"),
        ("No item of", "no-reset without abended items (R6)"), ("It is paused", "more than skips on a paused workflow"),
        ("a skipped task does not run", "context of a skipped task"),
    ):
        if needle in problem:
            return kind
    return problem[:60]


def conform(host: Host, record: dict, state: dict, payload: dict, *, timeout: float = RUN_TIMEOUT) -> str:
    """Plan ``payload``, apply it on the host, and check that the plan predicted what the
    host did. Returns "refused" or "applied" (for hypothesis' statistics)."""
    store, engine, shape = host.store, host.engine, host.shape
    execution_id = record["id"]
    wf_id = record["context"]["workflow_execution"]
    note("Request: %s" % _fmt_request(payload))
    host.set_markers(shape.refail)
    log_before = host.log()
    before = store_snapshot(store, wf_id)
    original_children = [(c["id"], c["status"]) for c in store.child_executions(execution_id)]

    try:
        plan = reruns.plan_for(store, store.get_execution(execution_id), RerunRequest.from_payload(payload))
    except PlanError as refused:
        note("Refused: %s" % (refused.problems or [refused.message]))
        for problem in refused.problems or [refused.message]:
            event("refusal: " + _refusal_kind(problem))
        with pytest.raises(PlanError) as applied:
            commands.execute(engine, "rerun", execution_id, dict(payload))
        assert sorted(applied.value.problems) == sorted(refused.problems), (
            "the host refused with other problems than the plan"
        )
        assert loop.run_until_idle(engine, timeout=RUN_TIMEOUT)
        assert store_snapshot(store, wf_id) == before, "a refused re-run changed the store"
        assert host.log() == log_before, "a refused re-run ran actions"
        return "refused"

    note("Plan: %s" % json.dumps(
        {k: v for k, v in plan.to_dict().items() if k not in ("request", "fingerprint") and v},
        default=str))
    prediction = predict(shape, state, plan)
    note("Prediction: counts %s, outcomes %s%s%s" % (
        dict(prediction.counts), prediction.outcomes,
        " (unhandled failure: only an upper bound)" if prediction.unhandled_failure else "",
        "; " + "; ".join(prediction.notes) if prediction.notes else ""))

    answer = commands.execute(engine, "rerun", execution_id, dict(payload, fingerprint=plan.fingerprint))
    new_id = answer["id"]
    # Recovery replays the journal since the last snapshot: what the apply journaled
    # gives the state it left in memory.
    live = engine.live.get(wf_id)
    if live is not None:
        replayed = reruns.restore_conductor(store, store.get_workflow_execution(wf_id))
        assert replayed.conductor.serialize() == live.jc.conductor.serialize(), "the journal does not replay the apply"
    # Skips on a paused workflow are taken in place: the execution itself resumes.
    assert (new_id == execution_id) if plan.in_place else (new_id != execution_id)
    final = settle(host, new_id, timeout)
    assert final["status"] in s.COMPLETED, "the re-run did not settle: %s" % final["status"]

    problems: list[str] = []
    host_run = HostRun.read(store, new_id, {c for c, _ in original_children} if plan.in_place else set())
    new_log = host.log()[len(log_before):]
    note("Re-run: %s; log: %s; task executions: %s" % (
        final["status"], " ".join(new_log),
        sorted((te["task"], te["route"], sorted(te["items"]), te["skipped"]) for te in host_run.task_executions.values())))

    if plan.in_place:
        # E4, E7 on a paused workflow: its own children are kept; the skip is audited on it.
        children = [(c["id"], c["status"]) for c in store.child_executions(execution_id)]
        assert children[:len(original_children)] == original_children
        entry = store.operations(execution_id)[-1]
        if entry["operation"] != "skip" or not (entry["outcome"] or {}).get("resumed"):
            problems.append("the last audit entry is %s, not a skip that resumed the workflow" % entry)
    else:
        # R10: the original execution and its children are left as they were.
        assert store.get_execution(execution_id)["status"] == record["status"]
        assert [(c["id"], c["status"]) for c in store.child_executions(execution_id)] == original_children
        rerun_ctx = final["context"].get("re-run") or {}
        assert rerun_ctx.get("ref") == execution_id
        planned = sorted(t if r == 0 else "%s[%d]" % (t, r) for t, r, _ in plan.requests)
        if sorted(rerun_ctx.get("tasks") or []) != planned:
            problems.append("context.re-run.tasks is %s, the plan's requests are %s" % (rerun_ctx.get("tasks"), planned))

    # Side effects and records agree; every action record completed.
    if Counter(new_log) != host_run.log_lines():
        problems.append("log lines %s but action records %s" % (sorted(new_log), sorted(host_run.log_lines().elements())))
    for te in host_run.task_executions.values():
        for r in te["records"]:
            if r["status"] not in s.COMPLETED:
                problems.append("%s[%d] item %s is %s" % (te["task"], te["route"], r["item_id"], r["status"]))

    # The task executions of the re-run: new ones only, each (task, route) once.
    new_task_executions = [t for t in store.task_executions(wf_id) if t["seq_index"] >= len(state["sequence"])]
    if {t["id"] for t in new_task_executions} != set(host_run.task_executions):
        problems.append(
            "task executions of the re-run %s but its action executions belong to %s"
            % (sorted((t["task_id"], t["route"]) for t in new_task_executions),
               sorted((te["task"], te["route"]) for te in host_run.task_executions.values())))
    for te in host_run.task_executions.values():
        actions = Counter(r["item_id"] for r in te["records"])
        again = sorted(("item %s" % i if i is not None else "action") for i, n in actions.items() if n > 1)
        if again:
            problems.append("%s[%d] ran its %s more than once" % (te["task"], te["route"], ", ".join(again)))
    twice = [k for k, n in host_run.by_key().items() if n > 1]
    if twice:
        problems.append("task executions run more than once: %s" % twice)

    # R4, R6, E3, E4: each re-run entry once, with exactly the predicted items.
    ran = {(te["task"], te["route"]): te for te in host_run.task_executions.values()}
    for key, items in prediction.rerun.items():
        te = ran.get(key)
        if te is None:
            problems.append("%s[%d] is in the plan's re-run but did not run" % key)
            continue
        if key in prediction.skipped:
            if not te["skipped"] or len(te["records"]) != 1 or te["records"][0]["status"] != OK:
                problems.append("%s[%d] should be skipped (one succeeded record, skipped)" % key)
            continue
        if te["skipped"]:
            problems.append("%s[%d] was skipped, the plan re-runs it" % key)
        if items is None:
            if te["items"]:
                problems.append("%s[%d] ran items %s" % (key + (sorted(te["items"]),)))
        elif sorted(te["items"]) != sorted(items):
            problems.append("%s[%d] ran items %s, the plan said %s" % (key + (sorted(te["items"]), sorted(items))))

    # R7: everything else that ran is downstream in the plan, fresh, with all its items.
    downstream = {d.task: d for d in plan.downstream}
    for key, te in ran.items():
        if key in prediction.rerun:
            continue
        if key[0] not in downstream:
            problems.append("%s[%d] ran but is neither re-run nor downstream in the plan" % key)
        if key[0] in shape.items and sorted(te["items"]) != list(range(ITEMS)):
            problems.append("%s[%d] ran afresh with items %s, not all of them" % (key + (sorted(te["items"]),)))
        if te["skipped"]:
            problems.append("%s[%d] recorded as skipped" % key)

    # How many times each task ran, and how each ended.
    actual = host_run.counts()
    if prediction.unhandled_failure:
        over = {t: n for t, n in actual.items() if n > prediction.counts.get(t, 0)}
        if over:
            problems.append("ran more than predicted: %s (predicted at most %s)" % (over, dict(prediction.counts)))
    else:
        if actual != prediction.counts:
            problems.append("task executions per task %s, predicted %s" % (dict(actual), dict(prediction.counts)))
        outcomes: dict[str, list[str]] = {}
        for t in new_task_executions:
            outcomes.setdefault(t["task_id"], []).append(t["status"])
        outcomes = {k: sorted(v) for k, v in outcomes.items()}
        if actual == prediction.counts and outcomes != prediction.outcomes:
            problems.append("task outcomes %s, predicted %s" % (outcomes, prediction.outcomes))
        # Without conditional branches and blocked joins, downstream is exactly what runs.
        if (
            not any(shape.children(t, KO) for t in shape.tasks)
            and not any(j.blocked for j in plan.joins)
        ):
            fresh = {k[0] for k in ran if k not in prediction.rerun}
            if fresh != set(downstream):
                problems.append("ran afresh %s, the plan's downstream is %s" % (sorted(fresh), sorted(downstream)))

    # E2: a changed context is the re-run task's inbound context.
    new_rows = {(t["task_id"], t["route"]): t for t in new_task_executions}
    for override in getattr(plan, "contexts", []):
        row = new_rows.get((override.task, override.route))
        if row is not None:
            for k, v in override.values.items():
                if row["context"].get(k) != v:
                    problems.append("%s[%d] saw %s=%r, the override is %r" % (
                        override.task, override.route, k, row["context"].get(k), v))
    # E4: what a skipped task publishes reaches the tasks it leads to.
    ids_of = {(t["task_id"], t["route"]): t["id"] for t in new_task_executions}
    for skip in getattr(plan, "skips", []):
        published = {**skip.computed, **(skip.publish or {})}
        skip_id = ids_of.get((skip.task, skip.route))
        for row in new_task_executions:
            if skip_id and skip_id in (row["prev"] or []):
                for k, v in published.items():
                    if row["context"].get(k) != v:
                        problems.append("%s[%d] after skipped %s saw %s=%r, expected %r" % (
                            row["task_id"], row["route"], skip.task, k, row["context"].get(k), v))

    for part in ("items", "skip", "context", "no_reset", "failed", "force"):
        if payload.get(part):
            event("applied with --" + part.replace("_", "-"))
    check_order(shape, host_run, store, set(prediction.rerun), problems)
    assert not problems, "The plan did not predict what the host did:\n- " + "\n- ".join(problems)
    return "applied"


# ======================================================================================
# Requests
#
# A request is drawn before the first run, as plain choices (small integers), then resolved
# against what ran: "the k-th task that ran" is ``names[k % len(names)]``. The choices do
# not depend on the run, so hypothesis' replays and mutations never go invalid, and
# shrinking moves each choice towards the first (simplest) option.
# ======================================================================================


def ran_tasks(state: dict) -> dict[str, dict[int, str]]:
    """task -> {route: status of its latest execution}."""
    out: dict[str, dict[int, str]] = {}
    for key, index in (state.get("tasks") or {}).items():
        task, _, route = key.rpartition("__r")
        out.setdefault(task, {})[int(route)] = state["sequence"][index].get("status")
    return out


def _pick(options: list, k: int):
    return options[k % len(options)] if options else None


PICK = st.integers(0, 7)
# A rare option: about one draw in ten, and never the boundary values hypothesis favours
# (it draws the ends of a range far more often than their share); shrinks to "no".
RARE = st.integers(0, 99)


def rare(value: int) -> bool:
    return value % 10 == 7
# kind of a --tasks entry: 0-11 a task that ran, 12 name[route], 13 a task that never ran
# (if any), 14 a name not in the workflow.
TASK_CHOICE = st.tuples(st.integers(0, 14), PICK, PICK)


def resolve_tasks(choices, shape: Shape, ran: dict) -> list[str]:
    names, never = sorted(ran), sorted(set(shape.tasks) - set(ran))
    tasks = []
    for kind, k, r in choices:
        if kind == 13 and never:
            tasks.append(_pick(never, k))
        elif kind == 14 or not names:
            tasks.append("nosuchtask")
        else:
            name = _pick(names, k)
            tasks.append("%s[%d]" % (name, _pick(sorted(ran[name]), r)) if kind == 12 else name)
    return tasks


rerun_choices = st.fixed_dictionaries({
    "tasks": st.lists(TASK_CHOICE, max_size=3),
    "failed": st.booleans(),
    "no_reset": st.lists(PICK, max_size=2),
    "no_reset_outside": RARE,  # also name a task outside --tasks (R5)
    "force": st.integers(0, 99),  # --force when % 4 == 3
})


def rerun_request(choices: dict, shape: Shape, state: dict) -> dict:
    """Issue 4: --tasks (names, name[route], duplicates, bad names), --no-reset, --failed,
    --force."""
    ran = ran_tasks(state)
    tasks = resolve_tasks(choices["tasks"], shape, ran)
    if not tasks and not choices["failed"]:
        tasks = resolve_tasks([(0, 0, 0)], shape, ran)  # no tasks, no --failed: a re-run from the beginning
    failed = choices["failed"]
    candidates = {t.split("[")[0] for t in tasks} & shape.items
    if failed:
        candidates |= {t for t in shape.items if t in ran}
    no_reset = list(dict.fromkeys(_pick(sorted(candidates), k) for k in choices["no_reset"])) if candidates else []
    if rare(choices["no_reset_outside"]):
        no_reset.append(_pick(shape.tasks, choices["no_reset"][0] if choices["no_reset"] else 0))
    return {"tasks": tasks, "no_reset": no_reset, "failed": failed, "force": choices["force"] % 4 == 3}


extras_choices = st.fixed_dictionaries({
    "tasks": st.lists(TASK_CHOICE, max_size=2),
    # (which task, which items, rarely: add an index out of range)
    "items": st.lists(st.tuples(PICK, st.sets(st.integers(0, ITEMS - 1), min_size=1), RARE), max_size=2),
    # (which failed task, how: 0 --result, 1 --publish, 2 both, 3 neither)
    "skips": st.lists(st.tuples(PICK, st.integers(0, 3)), max_size=2),
    "skip_other": RARE,  # also skip a task that did not fail (E6)
    "context": st.tuples(st.booleans(), PICK),
})


def extras_request(choices: dict, shape: Shape, state: dict) -> dict:
    """Issue 5: --items selections, --skip with --result / --publish, --context, mixed
    with --tasks in one request."""
    ran = ran_tasks(state)
    tasks = resolve_tasks(choices["tasks"], shape, ran)
    item_tasks = sorted(t for t in shape.items if t in ran)
    items: dict[str, list[int]] = {}
    for k, indices, out_of_range in choices["items"] if item_tasks else []:
        items.setdefault(_pick(item_tasks, k), sorted(indices) + ([ITEMS] if rare(out_of_range) else []))
    failed_tasks = sorted(t for t, routes in ran.items() if any(x in s.ABENDED for x in routes.values()))
    skips: list[str] = []
    results: dict[str, Any] = {}
    publish: dict[str, dict] = {}
    hows = [(_pick(failed_tasks, k), how) for k, how in choices["skips"]] if failed_tasks else []
    if rare(choices["skip_other"]):
        hows.append((_pick(shape.tasks, len(hows)), 0))
    for task, how in hows:
        if task in skips:
            continue
        skips.append(task)
        if how in (0, 2):
            results[task] = {"stdout": "result-" + task}
        if how in (1, 2):
            publish[task] = {"p_" + task: "published-" + task}
    context = {}
    targets = sorted({t.split("[")[0] for t in tasks} | set(items))
    if targets and choices["context"][0]:
        target = _pick(targets, choices["context"][1])
        context[target] = {"override": "value-" + target}
    payload: dict[str, Any] = {"tasks": tasks, "items": items, "skip": skips, "result": results,
                               "publish": publish, "context": context}
    if not (tasks or items or skips):
        # Nothing drawn applies: skip a failed task, or select an item, or --failed.
        if failed_tasks:
            payload.update(skip=[failed_tasks[0]], result={failed_tasks[0]: {"stdout": "result"}})
        elif item_tasks:
            payload["items"] = {item_tasks[0]: [0]}
        else:
            payload["tasks"] = resolve_tasks([(0, 0, 0)], shape, ran)
    return payload


# ======================================================================================
# Tests
# ======================================================================================

EXAMPLES = int(os.environ.get("WFOPS_CONFORMANCE_EXAMPLES", "80"))


def two_rounds(host: Host, shape: Shape, choices: dict, make_request) -> None:
    """Run the workflow, re-run it as ``choices["first"]`` asks, and, when that re-run was
    applied and ``choices["second"]`` is given, re-run again (from the first re-run's
    execution or from the original one): the second plan reads a state that records an
    attempt, with branches a re-run replaced."""
    record, state = run_first(host)
    event("first run " + record["status"])
    outcome = conform(host, record, state, make_request(choices["first"], shape, state))
    event("1st re-run: " + outcome)
    if outcome != "applied" or not choices["do_second"]:
        return
    latest = host.store.get_execution(host.store.get_workflow_execution(
        record["context"]["workflow_execution"])["action_execution"])
    target = record if choices["second_on_original"] else latest
    state = reruns.state_for(host.store, target)
    note("Second re-run, on the %s execution" % ("original" if target is record else "latest"))
    event("2nd re-run: " + conform(host, target, state, make_request(choices["second"], shape, state)))


def _rounds(request_choices):
    return st.fixed_dictionaries({
        "first": request_choices,
        "second": request_choices,
        "do_second": st.booleans(),
        "second_on_original": st.booleans(),
    })


@pytest.mark.timeout(900)  # a failure's shrinking is capped by hypothesis at 5 minutes
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(shape=shapes(), choices=_rounds(rerun_choices))
def test_plan_predicts_host_rerun_from_tasks(pack_root, shape, choices):
    """Issue 4 item 5: --tasks / --no-reset / --failed / --force."""
    note("Workflow:\n" + shape.describe() + "\n" + shape.yaml())
    with host_for(pack_root, shape) as host:
        two_rounds(host, shape, choices, rerun_request)


@pytest.mark.timeout(900)
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(shape=shapes(max_tasks=6, fail_odds=2), choices=_rounds(extras_choices))
def test_plan_predicts_host_resume_extras(pack_root, shape, choices):
    """Issue 5 item 8: item selections, skips with --result / --publish, context overrides,
    mixed with re-run tasks (and, in a second round, with --tasks / --failed requests)."""
    note("Workflow:\n" + shape.describe() + "\n" + shape.yaml())
    with host_for(pack_root, shape) as host:
        two_rounds(host, shape, choices, extras_request)


# ======================================================================================
# Skips on a paused workflow (E4: "works on a failed workflow and on a paused one")
# ======================================================================================


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


paused_choices = st.fixed_dictionaries({
    "pause_after": st.integers(0, 3),  # actions completed after the first failure
    # (which failed task, how: 0 --result, 1 --publish, 2 both, 3 neither)
    "skips": st.lists(st.tuples(PICK, st.integers(0, 3)), min_size=1, max_size=2),
    "skip_other": RARE,  # also skip a task that did not fail (E6)
    "with_tasks": RARE,  # also --tasks: refused on a paused workflow
})


def paused_request(choices: dict, shape: Shape, state: dict) -> dict:
    """Skips (with --result / --publish) of failed tasks of a paused workflow; rarely a
    skip of another task or a --tasks part, which are refused."""
    ran = ran_tasks(state)
    failed_tasks = sorted(t for t, routes in ran.items() if any(x in s.ABENDED for x in routes.values()))
    hows = [(_pick(failed_tasks, k), how) for k, how in choices["skips"]] if failed_tasks else []
    if rare(choices["skip_other"]) or not hows:
        hows.append((_pick(sorted(ran) or shape.tasks, len(hows)), 0))
    payload: dict[str, Any] = {"skip": [], "result": {}, "publish": {}}
    for task, how in hows:
        if task in payload["skip"]:
            continue
        payload["skip"].append(task)
        if how in (0, 2):
            payload["result"][task] = {"stdout": "result-" + task}
        if how in (1, 2):
            payload["publish"][task] = {"p_" + task: "published-" + task}
    if rare(choices["with_tasks"]):
        payload["tasks"] = resolve_tasks([(0, 0, 0)], shape, ran)
    return payload


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


# ======================================================================================
# Mismatches this test found (M1 to M4), fixed; kept as explicit examples.
# ======================================================================================

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
