"""The resume extras of a re-run request (rules E2 to E6): item selections, context
overrides and skips, planned and checked together with the re-run tasks.

:func:`plan_with_extras` extends :func:`plan_rerun`: every task named by ``--items``,
``--context`` or ``--skip`` is re-run from (so joins, collapsing and fingerprints are
planned as for ``--tasks``), then the extras are checked and attached to the plan. All
problems of the request, the re-run's and the extras', come in one error.

Pure: no I/O, clock or randomness.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping

from wfops import errors, nesting
from wfops import statuses as s
from wfops.item_selection import item_selection_problems, short_json
from wfops.planner.fingerprint import item_statuses
from wfops.planner.plan import DOWNSTREAM, SUPERSEDED, Plan, PlanError
from wfops.planner.planning import plan_rerun
from wfops.planner.run_graph import RunGraph
from wfops.request_terms import term
from wfops.rerun_request import RerunRequest


@dataclass
class ItemSelection:
    """Run exactly ``indices`` of a with-items task again; ``statuses`` are the latest
    status of every item, which the others keep."""

    task: str
    route: int
    indices: list[int]
    statuses: list[str]


@dataclass
class ContextOverride:
    task: str
    route: int
    values: dict[str, Any]


@dataclass
class SkipTask:
    task: str
    route: int
    result: Any
    publish: dict[str, Any]
    computed: dict[str, Any] = field(default_factory=dict)


@dataclass
class Extras:
    item_selections: list[ItemSelection] = field(default_factory=list)
    contexts: list[ContextOverride] = field(default_factory=list)
    skips: list[SkipTask] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __bool__(self) -> bool:
        return bool(self.item_selections or self.contexts or self.skips)


@dataclass
class ExtendedPlan:
    """A :class:`Plan` with the extras attached; reads like the plan."""

    plan: Plan
    extras: Extras

    def __getattr__(self, name: str) -> Any:
        if name in ("item_selections", "contexts", "skips"):
            return getattr(self.extras, name)
        return getattr(self.plan, name)

    def to_dict(self) -> dict[str, Any]:
        data = self.plan.to_dict()
        data.update(self.extras.to_dict())
        return data


def _latest(run: RunGraph, task: str) -> list[tuple[int, int]]:
    """[(route, sequence index)] of the latest execution of ``task`` on each route."""
    return sorted((route, index) for (_, route), index in run.latest_executions(task).items())


def _transitions_on_success(task_spec) -> list[Any]:
    """The transitions of a task that a success takes: no condition, or one that names
    succeeded() or completed()."""
    chosen = []
    for transition in getattr(task_spec, "next", None) or []:
        when = transition.spec.get("when")
        if not when or "succeeded()" in when or "completed()" in when:
            chosen.append(transition)
    return chosen


def _publish_problems(spec, run_state: Mapping[str, Any], skip: SkipTask, index: int) -> list[str]:
    """E5: each variable the skipped task's on-success transitions publish must be
    computable from the supplied result, or be given to ``publish``."""
    from orquesta.expressions import base as expr_base
    from orquesta.utils import context as ctx_util

    task_spec = spec.tasks.get_task(skip.task)
    contexts = run_state.get("contexts") or []
    entry = (run_state.get("sequence") or [])[index]
    inbound: dict[str, Any] = {}
    for i in entry.get("ctxs", {}).get("in", []):
        if 0 <= i < len(contexts):
            inbound.update(contexts[i])
    rolling = ctx_util.set_current_task(dict(inbound), {"id": skip.task, "route": skip.route, "result": skip.result})
    problems = []
    for transition in _transitions_on_success(task_spec):
        for item in getattr(transition, "publish", None) or []:  # inline "k=v" form parsed
            for name, expression in item.items():
                if name in skip.publish:
                    rolling[name] = skip.publish[name]
                    continue
                try:
                    value = expr_base.evaluate(expression, rolling)
                except Exception:
                    problems.append(
                        'Task "%s" publishes "%s" with %s, which cannot be computed from the '
                        "supplied result (%s): give %s, or a %s that provides it."
                        % (skip.task, name, expression, short_json(skip.result),
                           term("publish", skip.task, "%s=VALUE" % name), term("result", skip.task, "JSON"))
                    )
                    continue
                rolling[name] = value
                skip.computed[name] = value
    return problems


def plan_with_extras(spec, run_state: Mapping[str, Any], request: RerunRequest,
                     execution_id: str) -> ExtendedPlan:
    """Plan ``request`` including its extras. ``spec`` is an Orquesta ``WorkflowSpec``.

    An extra names a task; it applies to each route of it that the plan re-runs. A route
    the plan does not re-run (it runs afresh after another task of the request, or ran on
    a branch a later re-run replaced) is left out with a warning; a task with no route
    left is a problem. Skips alone may act on a paused workflow (``plan.in_place``). Each
    item selection is checked by :func:`item_selection_problems`, then against the task's
    item count; a value of the request nested too deeply is refused before anything else.

    Returns an :class:`ExtendedPlan`; raises :class:`PlanError` listing every problem.
    O(V + E + items) plus the evaluation of the skipped tasks' publish expressions.
    """
    # Values nested too deeply are refused before anything (copies, expressions) recurses
    # over them.
    errors.collect(_nesting_problems(request), PlanError)
    items = dict(request.items or {})
    contexts = {t: dict(v) for t, v in (request.context or {}).items()}
    skips = list(dict.fromkeys(request.skip or []))
    results = dict(request.result or {})
    publish = {t: dict(v) for t, v in (request.publish or {}).items()}
    extra_tasks = set(items) | set(contexts) | set(skips)
    if not extra_tasks and not results and not publish:
        return ExtendedPlan(plan_rerun(spec, run_state, request, execution_id), Extras())

    run = RunGraph(run_state)
    problems = _option_problems(request, items, contexts, skips, results, publish)
    malformed = set()  # selections that are not one: nothing more is said of them
    for task, indices in sorted(items.items()):
        found = item_selection_problems(task, indices)
        problems += found
        if found:
            malformed.add(task)
    tasks_named = {t.split("[")[0] for t in request.tasks}
    defined = set(spec.tasks.keys())
    combined = replace(
        request,
        tasks=list(request.tasks) + [t for t in sorted(extra_tasks) if t not in tasks_named],
        no_reset=list(request.no_reset) + [t for t in sorted(items) if t not in request.no_reset],
    )
    plan = None
    try:
        plan = plan_rerun(spec, run_state, combined, execution_id)
    except PlanError as e:
        problems = (e.problems or [e.message]) + problems
    # Which routes the extras act on: those the plan re-runs (every route that ran when
    # the plan itself was refused, so that the extras' own problems are all reported).
    rerun_keys = None if plan is None else {(r.task, r.route) for r in plan.rerun}

    extras = Extras()
    statuses_by_index = item_statuses(run_state)
    for task in sorted(extra_tasks):
        if task not in defined:
            problems.append('Task "%s" is not defined in the workflow.' % task)
            continue
        latest = _latest(run, task)
        if not latest:
            what = "skip" if task in skips else "re-run items of"
            problems.append(
                'Task "%s" never ran, so there is nothing to %s; re-run the task that leads to it '
                "with %s instead." % (task, what, term("tasks"))
            )
            continue
        options = _options_naming(task, items, contexts, skips)
        if rerun_keys is not None:
            left = [(route, index) for route, index in latest if (task, route) not in rerun_keys]
            latest = [(route, index) for route, index in latest if (task, route) in rerun_keys]
            if not latest:
                problems.append(_not_rerun_problem(task, options, plan, left))
                continue
            for route, _ in left:
                plan.warnings.append(
                    "%s does not apply to %s[%d]: %s." % (options, task, route, _why_not_rerun(task, route, plan))
                )
        for route, index in latest:
            status = run.status(index)
            if task in skips:
                if status == s.SUCCEEDED:
                    problems.append(
                        'Task "%s" already succeeded, so it cannot be skipped; to run it again, '
                        "use %s." % (task, term("tasks", task))
                    )
                    continue
                if status not in s.ABENDED:
                    problems.append('Task "%s" is %s; only a failed task can be skipped.' % (task, status))
                    continue
                skip = SkipTask(task, route, results.get(task), publish.get(task, {}))
                problems += _publish_problems(spec, run_state, skip, index)
                extras.skips.append(skip)
            if task in items and task not in malformed:
                prior = statuses_by_index.get(index)
                if prior is None:
                    problems.append('Task "%s" is not a with-items task; %s does not apply.' % (task, term("items")))
                    continue
                count = len(prior)
                bad = [i for i in items[task] if not 0 <= i < count]
                if bad:
                    problems.append(
                        'Task "%s" has items 0 to %d; %s out of range.'
                        % (task, count - 1, ", ".join(str(i) for i in bad) + (" is" if len(bad) == 1 else " are"))
                    )
                    continue
                extras.item_selections.append(
                    ItemSelection(task, route, sorted(items[task]),
                                  [st if st else s.SUCCEEDED for st in prior])
                )
            if task in contexts:
                extras.contexts.append(ContextOverride(task, route, contexts[task]))
    errors.collect(problems, PlanError)
    return ExtendedPlan(plan, extras)


def _nesting_problems(request: RerunRequest) -> list[str]:
    """Each value of the request nested more than :data:`wfops.nesting.MAX_DEPTH` levels
    deep. O(size of the values)."""
    problems = []

    def check(value: Any, what: str) -> None:
        if nesting.too_deep(value):
            problems.append("%s is %s." % (what, nesting.TOO_DEEP_TEXT))

    for task, values in sorted((request.context or {}).items()):
        for key, value in (values or {}).items() if isinstance(values, dict) else ():
            check(value, 'The context value "%s" of task "%s"' % (key, task))
    for task, value in sorted((request.result or {}).items()):
        check(value, 'The result given to skipped task "%s"' % task)
    for task, values in sorted((request.publish or {}).items()):
        for key, value in (values or {}).items() if isinstance(values, dict) else ():
            check(value, 'The value "%s" that skipped task "%s" publishes' % (key, task))
    for key, value in sorted((request.parameters or {}).items()):
        check(value, 'Parameter "%s"' % key)
    return problems


def _option_problems(request: RerunRequest, items, contexts, skips, results, publish) -> list[str]:
    """Options that contradict each other, whatever the run."""
    problems = []
    tasks_named = {t.split("[")[0] for t in request.tasks}
    for task in skips:
        if task in tasks_named:
            problems.append(
                'Task "%s" is given both to %s and to %s: re-run it (%s) or skip it (%s), not both.'
                % (task, term("tasks"), term("skip"), term("tasks"), term("skip"))
            )
    for task in contexts:
        if task in skips:
            problems.append("%s: a skipped task does not run, so its context cannot change." % term("context", task))
        elif task not in tasks_named and task not in items:
            problems.append(
                "%s names a task that is not in the request: add %s to re-run it with the changed "
                "context." % (term("context", task), term("tasks", task))
            )
    return problems


def _options_naming(task: str, items, contexts, skips) -> str:
    """```items t2```, ```skip t2`` and ``context t2```...: the extras naming ``task``."""
    named = [part for part, names in (("items", items), ("context", contexts), ("skip", skips))
             if task in names]
    return " and ".join(term(part, task) for part in named)


def _why_not_rerun(task: str, route: int, plan: Plan) -> str:
    for dropped in plan.dropped:
        if (dropped.task, dropped.route) == (task, route):
            if dropped.reason == SUPERSEDED:
                return "%s[%d] ran on a branch that the later re-run %s replaced" % (task, route, dropped.covered_by)
            return "%s[%d] runs afresh after %s, which the request re-runs" % (task, route, dropped.covered_by)
    return "%s[%d] is not re-run" % (task, route)


def _not_rerun_problem(task: str, options: str, plan: Plan, left: list[tuple[int, int]]) -> str:
    covering = [d for d in plan.dropped if d.task == task and d.reason == DOWNSTREAM]
    if covering:
        cover = covering[0].covered_by
        return (
            'Task "%s" runs afresh after %s, which the request re-runs, so %s cannot apply to it: '
            "leave %s out of the request, or leave out %s (%s then runs afresh, all of it)."
            % (task, cover, options, cover.split("[")[0], options, task)
        )
    return "%s cannot apply: %s." % (options, "; ".join(_why_not_rerun(task, r, plan) for r, _ in left))


def render_extras_text(extras: Extras) -> str:
    """The extras of a plan as a few lines of text. O(size of the extras)."""
    lines = []
    for selection in extras.item_selections:
        lines.append("Items of %s[%d] re-run: %s (the others keep their status and result)"
                     % (selection.task, selection.route, ", ".join(str(i) for i in selection.indices)))
    for override in extras.contexts:
        lines.append("Context of %s[%d] changed for this re-run: %s"
                     % (override.task, override.route, ", ".join("%s=%s" % (k, short_json(v)) for k, v in override.values.items())))
    for skip in extras.skips:
        published = {**skip.computed, **skip.publish}
        lines.append("Skipped: %s[%d] recorded as succeeded with result %s; publishes %s"
                     % (skip.task, skip.route, short_json(skip.result),
                        ", ".join("%s=%s" % (k, short_json(v)) for k, v in published.items()) or "nothing"))
    return "\n".join(lines)
