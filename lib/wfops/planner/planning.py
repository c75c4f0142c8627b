"""``plan_rerun``: decide what a re-run from tasks will do, or refuse it with every reason."""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Mapping
from typing import Any

from wfops import statuses
from wfops.errors import collect
from wfops.planner import joins
from wfops.planner.admission import admit
from wfops.planner.fingerprint import fingerprint, item_statuses
from wfops.planner.plan import (
    DOWNSTREAM,
    DUPLICATE,
    FROM_BEGINNING,
    FROM_TASKS,
    ITEMS_ABENDED,
    ITEMS_ALL,
    SUPERSEDED,
    ContinuingTask,
    DownstreamTask,
    Dropped,
    Plan,
    PlanError,
    RerunTask,
)
from wfops.planner.run_graph import RunGraph
from wfops.planner.spec_graph import SpecGraph, SpecLike
from wfops.request_terms import term
from wfops.rerun_request import RESET_NOT_SUBSET as NO_RESET_NOT_SUBSET
from wfops.rerun_request import RerunRequest, TaskRef

FAILED_FLAG = term("failed")  # what a task that --failed found was requested as


def plan_rerun(
    spec: SpecLike,
    run_state: Mapping[str, Any],
    request: RerunRequest,
    execution_id: str,
) -> Plan:
    """Plan a re-run of workflow execution ``execution_id``.

    Inputs: ``spec`` is the workflow definition (a :class:`SpecGraph`, an Orquesta
    ``WorkflowSpec``, a dict or YAML text; a host planning often passes a SpecGraph it
    keeps per definition); ``run_state`` is Orquesta's serialized ``WorkflowState`` plus
    ``items: {sequence index: [item status, ...]}``; ``request`` is what the user asked.

    Returns a :class:`Plan`. A request without tasks and without ``failed`` is a re-run
    from the beginning (mode ``from_beginning``: nothing else to plan). Of the extras,
    only ``skips`` and ``items`` are read here: skips alone may act on a paused workflow
    (``plan.in_place``, see :mod:`wfops.planner.admission`), and a task whose items or skip
    are chosen is exempt from the "no item left to re-run" check. Raises
    :class:`PlanError` listing every problem of the request (R1, R2, R5, R6, R9, R11, R12).

    Pure: no I/O, clock or randomness. O(V + E + T + R + items) for V task executions, E
    prev links, T tasks and R transitions of the definition: the run graph is built once
    and every reachability question is one breadth-first search over it.
    """
    status = run_state.get("status")
    in_place, problems = admit(status, request, execution_id)
    problems += request.problems()

    items = item_statuses(run_state)
    plan = Plan(
        execution_id=execution_id,
        mode=FROM_BEGINNING if request.from_beginning else FROM_TASKS,
        workflow_status=status,
        request=request.to_dict(),
        fingerprint=fingerprint(run_state, items),
        in_place=in_place,
    )
    if not request.from_beginning:
        planner = _Planner(SpecGraph.build(spec), RunGraph(run_state), run_state, items, execution_id)
        planner.plan(request, plan, problems)
        if in_place:
            plan.requests.clear()  # Orquesta is handed nothing: the host stages in place
    collect(problems, PlanError)
    return plan


class _Planner:
    """The steps of one planning, sharing the spec graph, the run graph and the problems."""

    def __init__(
        self,
        spec: SpecGraph,
        run: RunGraph,
        run_state: Mapping[str, Any],
        items: dict[int, tuple[str | None, ...]],
        execution_id: str,
    ):
        self.spec = spec
        self.run = run
        self.run_state = run_state
        self.items = items
        self.execution_id = execution_id

    def plan(self, request: RerunRequest, plan: Plan, problems: list[str]) -> None:
        run = self.run
        claims: dict[int, str] = {}  # execution index -> the request string that named it
        task_refs = self.resolve_tasks(request.tasks, claims, plan.dropped, problems)
        failed = self.resolve_failed(claims, problems) if request.failed else []
        no_reset = self.check_no_reset(request.no_reset, task_refs, failed, problems)
        if not claims and not problems:
            problems.append(
                "Nothing to re-run: %s; name the current executions instead."
                % "; ".join(
                    "%s[%d] ran on a branch that the later re-run %s replaced"
                    % (d.task, d.route, d.covered_by)
                    for d in plan.dropped
                    if d.reason == SUPERSEDED
                )
            )

        covered = run.covering(claims)
        for index, coverer in covered.items():
            plan.dropped.append(self.dropped(claims[index], index, DOWNSTREAM, coverer))
        plan.dropped.sort(key=lambda d: (d.sequence_index, d.requested_as))
        kept = sorted((i for i in claims if i not in covered), key=lambda i: (run.task(i), run.route(i)))

        # Tasks whose items the extras choose (--items) or that are skipped: their
        # no-reset is the extras planner's doing, not a request to keep every item.
        chosen = set(request.items or ()).union(request.skip or ())
        self.fill_rerun(kept, claims, no_reset, chosen, plan, problems)
        replaced = run.descendants(kept, attempts=True)
        self.fill_staged(replaced.union(kept), plan)
        self.fill_continuing(set(kept), replaced, plan)
        self.fill_downstream(plan, set(request.skip or ()))
        self.check_no_reset_effect([r for r in no_reset if r.name not in chosen], plan)
        self.fill_joins(replaced, plan, problems, force=request.force)

    def dropped(self, requested_as: str, index: int, reason: str, cover: int) -> Dropped:
        run = self.run
        return Dropped(requested_as, run.task(index), run.route(index), index, reason, run.ref(cover))

    def live(self, task: str, route: int) -> int | None:
        """The latest execution of ``task`` on ``route`` unless a later re-run replaced it."""
        index = self.run.routes(task).get(route)
        if index is None or self.run.superseded_by(index) is not None:
            return None
        return index

    # R2, R3: names and routes to task executions.
    def resolve_tasks(
        self, texts: list[str], claims: dict[int, str], dropped: list[Dropped], problems: list[str]
    ) -> list[TaskRef]:
        refs = []
        for text in texts:
            try:
                ref = TaskRef.parse(text)
            except ValueError as e:
                problems.append(str(e))
                continue
            refs.append(ref)
            if not self.spec.has_task(ref.name):
                problems.append(self.unknown_task(ref.name))
                continue
            routes = self.run.routes(ref.name)
            if not routes:
                problems.append(self.never_ran(ref.name))
                continue
            if ref.route is not None and ref.route not in routes:
                problems.append(
                    'Task "%s" did not run on route %d; it ran on %s %s.'
                    % (
                        ref.name,
                        ref.route,
                        "route" if len(routes) == 1 else "routes",
                        ", ".join(str(r) for r in sorted(routes)),
                    )
                )
                continue
            for route in [ref.route] if ref.route is not None else sorted(routes):
                self.claim(routes[route], str(text).strip(), claims, dropped)
        return refs

    def claim(self, index: int, requested_as: str, claims: dict[int, str], dropped: list[Dropped]) -> None:
        if index in claims:
            dropped.append(self.dropped(requested_as, index, DUPLICATE, index))
            return
        newer = self.run.superseded_by(index)
        if newer is not None:
            dropped.append(self.dropped(requested_as, index, SUPERSEDED, newer))
            return
        claims[index] = requested_as

    def unknown_task(self, name: str) -> str:
        close = difflib.get_close_matches(name, sorted(self.spec.task_names), n=1)
        hint = ' (did you mean "%s"?)' % close[0] if close else ""
        return 'Task "%s" is not defined in the workflow%s.' % (name, hint)

    def never_ran(self, name: str) -> str:
        message = 'Task "%s" never ran in workflow execution "%s", so it cannot be re-run' % (
            name,
            self.execution_id,
        )
        upstream = self.upstream_that_ran(name, lambda task: True)
        if upstream:
            return message + "; re-run a task upstream of it instead: %s." % ", ".join(upstream)
        return message + "."

    def upstream_that_ran(self, name: str, keep) -> list[str]:
        """The closest tasks upstream of ``name`` (spec graph) that ran, those for which
        ``keep(task)`` holds. Search stops at every task that ran. O(T + R)."""
        found, seen = [], {name}
        queue = deque([name])
        while queue:
            for parent in self.spec.inbound(queue.popleft()):
                if parent in seen:
                    continue
                seen.add(parent)
                if not self.run.has_run(parent):
                    queue.append(parent)
                elif keep(parent):
                    found.append(parent)
        return sorted(found)

    # R11: --failed.
    def resolve_failed(self, claims: dict[int, str], problems: list[str]) -> list[TaskRef]:
        run, found = self.run, []
        for (task, route), index in run.latest_executions().items():
            if (
                run.status(index) in statuses.ABENDED
                and self.spec.has_task(task)
                and run.superseded_by(index) is None
            ):
                found.append(TaskRef(task, route))
                claims.setdefault(index, FAILED_FLAG)
        if not found and not claims:
            problems.append(
                'No task of workflow execution "%s" failed, timed out or was abandoned; '
                "name the tasks to re-run with %s." % (self.execution_id, term("tasks"))
            )
        return found

    # R5.
    def check_no_reset(
        self, texts: list[str], task_refs: list[TaskRef], failed: list[TaskRef], problems: list[str]
    ) -> list[TaskRef]:
        failed_names = {f.name for f in failed}
        refs, subset = [], True
        for text in texts:
            try:
                ref = TaskRef.parse(text)
            except ValueError:
                subset = False
                continue
            refs.append(ref)
            if ref.name not in failed_names and not any(t.covers(ref) for t in task_refs):
                subset = False
        if not subset:
            problems.append(NO_RESET_NOT_SUBSET)
        return refs

    # R6.
    def fill_rerun(
        self,
        kept: list[int],
        claims: dict[int, str],
        no_reset: list[TaskRef],
        chosen: set[str],
        plan: Plan,
        problems: list[str],
    ) -> None:
        run = self.run
        by_name: dict[str, list[TaskRef]] = {}
        for ref in no_reset:
            by_name.setdefault(ref.name, []).append(ref)
        for index in kept:
            task, route = run.task(index), run.route(index)
            keep_items = any(r.covers(TaskRef(task, route)) for r in by_name.get(task, ()))
            entry = RerunTask(task, route, index, run.status(index), claims[index])
            if self.spec.has_items(task):
                entry.items = ITEMS_ABENDED if keep_items else ITEMS_ALL
                if keep_items:
                    items = self.items.get(index)
                    if items is None:
                        plan.warnings.append(
                            "The item statuses of %s are unknown: Orquesta will re-run the "
                            "items it recorded as failed, timed out or abandoned." % run.ref(index)
                        )
                    else:
                        # Orquesta also starts the items that never ran (status unset).
                        entry.item_indices = [
                            i for i, s in enumerate(items) if s is None or s in statuses.ABENDED
                        ]
                        if items and not entry.item_indices and task not in chosen:
                            problems.append(self.nothing_abended(index))
            plan.rerun.append(entry)
            plan.requests.append((task, route, not keep_items))

    def nothing_abended(self, index: int) -> str:
        """R6 with nothing to re-run: every item of a no-reset task succeeded. Orquesta
        would stage the task with no item to start and never complete it (st2 fails the
        request); the user is told what to ask instead."""
        task, route = self.run.task(index), self.run.route(index)
        ref = task if set(self.run.routes(task)) == {0} else "%s[%d]" % (task, route)
        return (
            "No item of %s failed, timed out or was abandoned, so %s leaves nothing of it to re-run. "
            "Drop %s to re-run all its items, choose items with %s, or re-run the tasks after it "
            "instead." % (ref, term("no_reset", task), term("no_reset", task), term("items", task, "I,J"))
        )

    def fill_staged(self, dead: set[int], plan: Plan) -> None:
        """Staged entries, ready but never started, that executions the re-run replaces (or
        re-runs) staged: all of their inbound executions (unstage) or some (hold)."""
        for staged in self.run_state.get("staged") or []:
            if not staged.get("ready") or staged.get("completed"):
                continue
            prev = list((staged.get("prev") or {}).values())
            stale = sum(1 for p in prev if p in dead)
            if stale:
                target = plan.unstage if stale == len(prev) else plan.hold
                target.append((staged["id"], staged.get("route", 0)))

    # R8.
    def fill_continuing(self, kept: set[int], replaced: set[int], plan: Plan) -> None:
        """Completed executions the re-run leaves in place whose true transitions triggered
        nothing yet. For terminal ones (the workflow completed while they ran) Orquesta
        clears the terminal mark and follows every such transition, joins included. A
        non-terminal one counts for the tasks it staged ready that never started (the
        workflow failed first): they run on resume. Its transition into a join still
        waiting has already counted towards that join (see the joins)."""
        run = self.run
        held = set(plan.unstage).union(plan.hold)
        waiting: set[str] = set()
        candidates = set(run.terminals())
        for staged in self.run_state.get("staged") or []:
            if (
                staged.get("ready")
                and not staged.get("completed")
                and (staged["id"], staged.get("route", 0)) not in held
            ):
                waiting.add(staged["id"])
                candidates.update((staged.get("prev") or {}).values())
        for index in sorted(candidates):
            if (
                index in kept
                or index in replaced
                or run.status(index) not in statuses.COMPLETED
                or not run.is_latest(index)
                or run.superseded_by(index) is not None
            ):
                continue
            terminal = run.terminal(index)
            pending = run.pending_transitions(index)
            if not terminal:
                pending = [t for t in pending if t in waiting]
            if pending:
                plan.continuing.append(
                    ContinuingTask(
                        run.task(index), run.route(index), index, run.status(index), pending, terminal
                    )
                )
        plan.continuing.sort(key=lambda c: c.sequence_index)

    # R7.
    def fill_downstream(self, plan: Plan, skipped: set[str]) -> None:
        """Tasks reachable in the spec graph from the re-run tasks and the continuing
        transitions (from a ``skipped`` task: through the transitions its success can
        take). A re-run task is one of them when it is reachable too: re-run on one route,
        it also runs afresh on others (a task reached from several branches)."""
        spec, has_run = self.spec, self.run.has_run
        rerun_names = {r.task for r in plan.rerun}
        # A skipped task succeeds: only the transitions a success can take lead on from it.
        after_skips = [t for name in sorted(rerun_names & skipped) for t in spec.targets_on_success(name)]
        pending = sorted({t for c in plan.continuing for t in c.pending})
        names = dict.fromkeys(pending + after_skips)
        names.update(dict.fromkeys(spec.reachable((rerun_names - skipped).union(pending, after_skips))))
        for name in names:
            if spec.is_command(name):
                continue
            plan.downstream.append(
                DownstreamTask(
                    name,
                    ITEMS_ALL if spec.has_items(name) else None,
                    spec.barrier(name) is not None,
                    has_run(name),
                )
            )

    def check_no_reset_effect(self, no_reset: list[TaskRef], plan: Plan) -> None:
        downstream = {d.task for d in plan.downstream}
        for ref in no_reset:
            if ref.name in downstream and self.spec.has_items(ref.name):
                plan.warnings.append(
                    "%s has no effect where %s runs downstream of a re-run task: "
                    "it is reset there." % (term("no_reset", ref), ref.name)
                )
            elif not self.spec.has_items(ref.name) and any(
                ref.covers(TaskRef(r.task, r.route)) for r in plan.rerun
            ):
                plan.warnings.append(
                    "%s has no effect: %s is not a with-items task." % (term("no_reset", ref), ref.name)
                )

    # R9.
    def fill_joins(self, replaced: set[int], plan: Plan, problems: list[str], force: bool) -> None:
        joins.fill_joins(self, replaced, plan, problems, force)

    def culprits(self, task: str) -> list[str]:
        """Tasks upstream of ``task`` (which never ran) whose latest execution on some route
        did not succeed: re-running them can make ``task`` run. O(T + R)."""
        run = self.run
        return self.upstream_that_ran(
            task,
            lambda parent: any(run.status(i) != statuses.SUCCEEDED for i in run.routes(parent).values()),
        )
