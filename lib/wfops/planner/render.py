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
    """Graphviz DOT of the run graph of ``run_state`` (the state ``plan`` was computed
    from), each task execution marked ``rerun``, ``dropped``, ``downstream`` (replaced by
    a fresh execution) or ``kept``; continuing executions get a bold outline. The mark is
    also the node's ``class`` attribute. O(V + E)."""
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
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')
