"""R9: the joins downstream of a re-run, and what to say about one that cannot run.

Functions of a planning (``planning._Planner``: its spec graph, run graph and the
``live`` executions it resolves).
"""

from __future__ import annotations

from wfops import statuses
from wfops.planner.plan import BLOCKED, REPLACED, RERUN, SATISFIED, JoinBranch, JoinCheck, Plan
from wfops.request_terms import term


def fill_joins(planner, replaced: set[int], plan: Plan, problems: list[str], force: bool) -> None:
    """R9: every join downstream of the re-run, route by route, with the state of each
    inbound branch; a join that cannot run is a problem (a warning with ``force``), and the
    old executions of re-run branches that it would count again go to
    ``plan.stale_branches``. O(joins x routes x inbound)."""
    produced = {r.task for r in plan.rerun} | {d.task for d in plan.downstream}
    rerun_names = {r.task for r in plan.rerun}
    stale: dict[tuple[str, int], None] = {}
    for down in plan.downstream:
        if not down.join or down.task in rerun_names:
            continue  # a join that is itself re-run does not wait for its branches
        join = down.task
        inbound = planner.spec.inbound(join)
        barrier = planner.spec.barrier(join)
        required = planner.spec.required_branches(join)
        for route in join_routes(planner, join, inbound):
            done = planner.live(join, route)
            if done is not None and done not in replaced and planner.run.status(done) == statuses.SUCCEEDED:
                continue  # that join already ran on this route and the re-run leaves it be
            branches = []
            for task in inbound:
                old = planner.live(task, route)
                if task in produced:
                    branches.append(JoinBranch(task, RERUN))
                    if old in replaced and planner.run.transitions_to(old, join):
                        stale[(task, route)] = None
                elif old is not None and old in replaced:
                    # Downstream of a skipped task's failure: a skip takes no failure
                    # transition, so nothing runs this branch again, and its old
                    # execution, which the skip replaces, must not count.
                    branches.append(JoinBranch(task, BLOCKED, REPLACED))
                    if planner.run.transitions_to(old, join):
                        stale[(task, route)] = None
                elif old is not None and planner.run.transitions_to(old, join):
                    branches.append(JoinBranch(task, SATISFIED))
                else:
                    branches.append(blocked_branch(planner, join, task, old))
            arriving = sum(1 for b in branches if b.state != BLOCKED)
            check = JoinCheck(join, route, barrier, required, arriving < required, branches)
            plan.joins.append(check)
            if check.blocked:
                for message in blocked_join_messages(check, len(inbound)):
                    if force:
                        plan.warnings.append(message + " Submitted anyway (%s)." % term("force"))
                    else:
                        problems.append(message)
    plan.stale_branches.extend(stale)

def join_routes(planner, join: str, inbound: list[str]) -> list[int]:
    """Routes on which the join or any of its inbound tasks ran (at least route 0)."""
    routes = set()
    for task in [join, *inbound]:
        for route, index in planner.run.routes(task).items():
            if route not in routes and planner.run.superseded_by(index) is None:
                routes.add(route)
    return sorted(routes) or [0]

def blocked_branch(planner, join: str, task: str, old: int | None) -> JoinBranch:
    """Inbound ``task`` of ``join``, not produced by the re-run, whose old execution
    ``old`` (if any) did not transition into the join."""
    if old is None:
        return JoinBranch(task, BLOCKED, "never_ran", tuple(planner.culprits(task)))
    status = planner.run.status(old)
    if status == statuses.SUCCEEDED:
        return JoinBranch(task, BLOCKED, "not_taken", (task,))
    return JoinBranch(task, BLOCKED, status or "unknown", (task,))


def blocked_join_messages(check: JoinCheck, inbound: int) -> list[str]:
    """What to tell the user about a join that cannot run: which branches and how to include
    them. Pure."""
    name = check.task if check.route == 0 else "%s[%d]" % (check.task, check.route)
    blocked = [b for b in check.branches if b.state == BLOCKED]
    if check.required >= inbound:
        return [
            'Join "%s" waits for %s, which %s: %s.'
            % (name, b.task, _why(b, check.task), _how(b))
            for b in blocked
        ]
    reasons = "; ".join("%s %s" % (b.task, _why(b, check.task)) for b in blocked)
    include = sorted({t for b in blocked for t in b.include})
    how = (
        "add %s with %s to re-run %s"
        % (" or ".join(include), term("tasks"), "it" if len(include) == 1 else "one of them")
        if include
        else "re-run a task upstream of them with %s" % term("tasks")
    )
    arriving = len(check.branches) - len(blocked)
    return [
        'Join "%s" needs %d of its %d inbound branches but only %d can arrive (%s): %s.'
        % (name, check.required, inbound, arriving, reasons, how)
    ]


def _why(branch: JoinBranch, join: str) -> str:
    if branch.reason == "never_ran":
        if branch.include:
            return "never ran because %s did not succeed" % _and(branch.include)
        return "never ran and is not downstream of the re-run"
    if branch.reason == "not_taken":
        return "did not take its transition to %s" % join
    if branch.reason == REPLACED:
        return "ran after the failure of a task that the request skips, so it no longer counts"
    phrase = {
        "timeout": "timed out",
        "abandoned": "was abandoned",
        "canceled": "was canceled",
        "unknown": "did not finish",
    }
    return "%s and is not in the request" % phrase.get(branch.reason or "", branch.reason)


def _how(branch: JoinBranch) -> str:
    if branch.reason == REPLACED:
        return (
            "a skipped task takes only its on-success transitions, so nothing runs it again; "
            "re-run the failed task before it with %s instead of skipping it, or add %s"
            % (term("tasks"), term("force"))
        )
    if not branch.include:
        return "re-run a task upstream of it with %s" % term("tasks")
    tasks = " ".join(branch.include)
    it = "it" if len(branch.include) == 1 else "them"
    if branch.reason == "not_taken":
        return "add %s to re-run %s" % (term("tasks", tasks), it)
    return "add %s to re-run %s (or %s to skip %s)" % (term("tasks", tasks), it, term("skip", tasks), it)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
