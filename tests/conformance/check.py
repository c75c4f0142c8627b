"""What the host did, and the property itself: :func:`conform` plans a request, applies it
on the host and checks that the plan predicted what the host did."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import pytest

from wfops import statuses as s
from wfops.engine import commands, loop, reruns
from wfops.planner import PlanError
from wfops.rerun_request import RerunRequest

from .host import Host, settle, store_snapshot
from .notes import event, note
from .oracle import predict
from .shapes import ITEMS, KO, OK, RUN_TIMEOUT, Shape


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
