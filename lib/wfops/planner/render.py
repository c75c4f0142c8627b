"""A plan for people: :func:`render_text`, and :func:`render_dot` to draw it on the run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from wfops.planner.plan import (
    BLOCKED,
    FROM_BEGINNING,
    ITEMS_ABENDED,
    ITEMS_ALL,
    Plan,
)
from wfops.planner.run_graph import RunGraph

# render_dot marks every task execution with one of these.
MARK_RERUN = "rerun"
MARK_DROPPED = "dropped"
MARK_DOWNSTREAM = "downstream"  # an execution the re-run replaces with a fresh one
MARK_KEPT = "kept"

# Longer lists (a join of thousands of branches) are cut in the text.
_SHOWN = 12

_STYLE = {
    MARK_RERUN: 'fillcolor="#fdba74", penwidth=2',
    MARK_DROPPED: 'fillcolor="#e5e7eb", style="rounded,filled,dashed", fontcolor="#6b7280"',
    MARK_DOWNSTREAM: 'fillcolor="#bfdbfe"',
    MARK_KEPT: 'fillcolor="#ffffff"',
}


def render_text(plan: Plan) -> str:
    """The plan as a few lines of text for a terminal. O(size of the plan)."""
    lines = ['Re-run plan for workflow execution "%s" (%s)' % (plan.execution_id, plan.workflow_status)]
    if plan.mode == FROM_BEGINNING:
        lines.append("Re-run from the beginning: a new execution with a new workflow execution.")
        if plan.request.get("parameters"):
            lines.append("  parameters: %s" % ", ".join(sorted(plan.request["parameters"])))
        lines.append("Fingerprint: %s" % plan.fingerprint)
        return "\n".join(lines)

    lines.append("Re-run:")
    for r in plan.rerun:
        line = "  %-24s #%-6d %-10s" % (r.ref, r.sequence_index, r.status or "-")
        if r.items == ITEMS_ALL:
            line += " items: all (reset)"
        elif r.items == ITEMS_ABENDED:
            shown = "unknown" if r.item_indices is None else ", ".join(map(str, r.item_indices)) or "none"
            line += " items: %s (no reset)" % shown
        if r.requested_as != r.task:
            line += "  [%s]" % r.requested_as
        lines.append(line.rstrip())
    if plan.dropped:
        lines.append("Dropped:")
        for d in plan.dropped:
            why = {
                "duplicate": "given more than once",
                "downstream": "downstream of %s, which re-runs it" % d.covered_by,
                "superseded": "replaced by the later re-run %s" % d.covered_by,
            }.get(d.reason, d.reason)
            asked = "  [%s]" % d.requested_as if d.requested_as != d.task else ""
            lines.append("  %-24s #%-6d %s%s" % ("%s[%d]" % (d.task, d.route), d.sequence_index, why, asked))
    if plan.continuing:
        lines.append("Continuing:")
        for c in plan.continuing:
            lines.append(
                "  %-24s #%-6d %-10s -> %s"
                % ("%s[%d]" % (c.task, c.route), c.sequence_index, c.status or "-", ", ".join(c.pending))
            )
    if plan.downstream:
        shown = []
        for d in plan.downstream:
            notes = [n for n, on in (("join", d.join), ("items reset", d.items == ITEMS_ALL)) if on]
            shown.append(d.task + (" (%s)" % ", ".join(notes) if notes else ""))
        lines.append("Runs afresh downstream: %s" % _some(shown))
    if plan.joins:
        lines.append("Joins:")
        for j in plan.joins:
            wanted = "all" if j.barrier == "*" else "%d" % j.required
            if len(j.branches) <= _SHOWN:
                branches = "; ".join(
                    "%s %s" % (b.task, b.state if b.state != BLOCKED else "BLOCKED (%s)" % b.reason)
                    for b in j.branches
                )
            else:
                counts = Counter(b.state for b in j.branches)
                blocked = ["%s (%s)" % (b.task, b.reason) for b in j.branches if b.state == BLOCKED]
                branches = ", ".join("%d %s" % (n, state) for state, n in sorted(counts.items()))
                if blocked:
                    branches += ": " + _some(blocked)
            lines.append(
                "  %s[%d] waits for %s of %d: %s%s"
                % (j.task, j.route, wanted, len(j.branches), branches, "  -> blocked" if j.blocked else "")
            )
    if plan.warnings:
        lines.append("Warnings:")
        lines.extend("  - %s" % w for w in plan.warnings)
    if plan.in_place:
        lines.append(
            "Paused workflow: the skipped tasks are recorded on its paused execution (no new "
            "execution is created), then the workflow resumes."
        )
    else:
        lines.append(
            "Orquesta requests: %s"
            % _some(["%s[%d]%s" % (t, r, "" if reset else " no-reset") for t, r, reset in plan.requests])
        )
    if plan.unstage:
        lines.append(
            "Unstage first (staged by replaced executions): %s"
            % _some(["%s[%d]" % (t, r) for t, r in plan.unstage])
        )
    if plan.hold:
        lines.append(
            "Hold first (staged, partly by replaced executions): %s"
            % _some(["%s[%d]" % (t, r) for t, r in plan.hold])
        )
    if plan.stale_branches:
        lines.append(
            "Forget first (old join branches): %s"
            % _some(["%s[%d]" % (t, r) for t, r in plan.stale_branches])
        )
    lines.append("Fingerprint: %s" % plan.fingerprint)
    return "\n".join(lines)


def _some(names: list[str]) -> str:
    """The names joined, or the first of them and how many more."""
    if len(names) <= _SHOWN:
        return ", ".join(names)
    return "%s, ... and %d more" % (", ".join(names[:_SHOWN]), len(names) - _SHOWN)


def render_dot(plan: Plan, run_state: Mapping[str, Any]) -> str:
    """Graphviz DOT of every task the plan touches, on the run graph of ``run_state``
    (the state ``plan`` was computed from), with a legend. Each task execution of the run
    is marked ``rerun``, ``dropped``, ``downstream`` (replaced by a fresh execution) or
    ``kept``; continuing executions get a bold outline. Each downstream task that never
    ran is a dashed ``downstream`` node of its own. Each join downstream of the re-run
    gets an edge from each inbound branch, labelled with what the branch brings
    (satisfied, rerun, blocked and why; blocked in red). The mark is also the node's
    ``class`` attribute. O(V + E + size of the plan)."""
    run = RunGraph(run_state)
    rerun = {r.sequence_index for r in plan.rerun}
    dropped = {d.sequence_index for d in plan.dropped}
    continuing = {c.sequence_index for c in plan.continuing}
    replaced = run.descendants(rerun, attempts=True)

    lines = [
        "digraph run {",
        "  rankdir=LR;",
        '  label="%s";' % _escape("re-run plan for %s" % plan.execution_id),
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
        '  edge [fontname="Helvetica"];',
    ]
    for index in range(len(run)):
        if index in rerun:
            mark = MARK_RERUN
        elif index in dropped:
            mark = MARK_DROPPED
        elif index in replaced:
            mark = MARK_DOWNSTREAM
        else:
            mark = MARK_KEPT
        label = "%s #%d\\n%s" % (_escape(run.ref(index)), index, _escape(run.status(index) or "-"))
        extra = ', color="#15803d", penwidth=3' if index in continuing else ""
        lines.append('  n%d [label="%s", class="%s", %s%s];' % (index, label, mark, _STYLE[mark], extra))
    for parent in range(len(run)):
        for child in run.children(parent):
            lines.append("  n%d -> n%d;" % (parent, child))
    lines.extend(_fresh_and_joins(plan, run))
    lines.extend(_LEGEND)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _fresh_and_joins(plan: Plan, run: RunGraph) -> list[str]:
    """DOT lines of the downstream tasks that never ran and of the joins' inbound
    branches. O(size of the plan + number of executions of the tasks named)."""
    lines = []
    node_of: dict[str, str] = {}  # task -> its node: a fresh one, else its latest execution
    for d in plan.downstream:
        if not d.ran_before and d.task not in node_of:
            node_of[d.task] = '"new:%s"' % _escape(d.task)
            notes = [n for n, on in (("join", d.join), ("all items", d.items == ITEMS_ALL)) if on]
            label = "%s\\nruns afresh%s" % (_escape(d.task), " (%s)" % ", ".join(notes) if notes else "")
            lines.append('  %s [label="%s", class="%s", %s, style="rounded,filled,dashed"];'
                         % (node_of[d.task], label, MARK_DOWNSTREAM, _STYLE[MARK_DOWNSTREAM]))
    for j in plan.joins:
        target = node_of.get(j.task) or _latest_node(run, j.task, j.route)
        if target is None:
            continue
        for b in j.branches:
            source = node_of.get(b.task) or _latest_node(run, b.task, None)
            if source is None:
                source = node_of[b.task] = '"never:%s"' % _escape(b.task)
                lines.append('  %s [label="%s\\nnever ran", class="%s", %s];'
                             % (source, _escape(b.task), MARK_KEPT, _STYLE[MARK_DROPPED]))
            what = b.state if b.state != BLOCKED else "blocked (%s)" % b.reason
            color = ', color="#dc2626", fontcolor="#dc2626"' if b.state == BLOCKED else ""
            lines.append('  %s -> %s [style=dashed, label="%s"%s];' % (source, target, _escape(what), color))
    return lines


def _latest_node(run: RunGraph, task: str, route: int | None) -> str | None:
    """The node of ``task``'s latest execution (on ``route``, or on any), or None."""
    latest = [i for (t, r), i in run.latest_executions(task).items() if route is None or r == route]
    return "n%d" % max(latest) if latest else None


_LEGEND = [
    "  subgraph cluster_legend {",
    '    label="legend"; fontname="Helvetica"; style=dashed;',
    '    legend_rerun [label="re-run", %s];' % _STYLE[MARK_RERUN],
    '    legend_dropped [label="asked for, dropped", %s];' % _STYLE[MARK_DROPPED],
    '    legend_downstream [label="runs afresh downstream", %s];' % _STYLE[MARK_DOWNSTREAM],
    '    legend_kept [label="kept as it is", %s];' % _STYLE[MARK_KEPT],
    '    legend_continuing [label="kept, continues", %s, color="#15803d", penwidth=3];' % _STYLE[MARK_KEPT],
    '    legend_join [label="join", %s];' % _STYLE[MARK_DOWNSTREAM],
    '    legend_branch [label="branch", %s];' % _STYLE[MARK_KEPT],
    '    legend_branch -> legend_join [style=dashed, label="what the branch brings"];',
    "  }",
]


def _escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')
