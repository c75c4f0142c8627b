"""Which workflow statuses take which requests.

R1: a re-run from tasks needs a completed workflow execution. The one exception is a
request made only of skips (``skip`` with its ``result`` and ``publish``) on a
*paused* workflow (E4, issue 5: "works on a failed workflow and on a paused one"): the
skips are recorded in place, on the paused execution, which then resumes. Anything else
on a workflow that has not completed is refused, saying what to do instead.
"""

from __future__ import annotations

from wfops import statuses
from wfops.request_terms import term
from wfops.rerun_request import RerunRequest

NOT_COMPLETED = 'Unable to rerun workflow execution "%s" because it is not in a completed state.'


def admit(status: str | None, request: RerunRequest, execution_id: str) -> tuple[bool, list[str]]:
    """Whether ``request`` can be planned on a workflow execution in ``status``.

    Inputs: the workflow execution's status, the request as given (its ``tasks`` may
    repeat the skipped tasks: the extras planner adds them), the id the user named.

    Returns ``(in_place, problems)``. ``in_place`` is true for skips on a paused workflow;
    ``problems`` is empty when the request is admitted. Pure, O(size of the request).
    """
    if status in statuses.COMPLETED:
        return False, []
    others = other_parts(request)
    if status == statuses.PAUSED:
        if request.skip and not others:
            return True, []
        return False, [_paused(execution_id, others if request.skip else [])]
    problems = []
    if others or not request.skip:
        problems.append(NOT_COMPLETED % execution_id)
    if request.skip:
        problems.append(_cannot_skip(execution_id, status))
    return False, problems


def other_parts(request: RerunRequest) -> list[str]:
    """The parts of ``request`` besides skips, as message terms."""
    skipped = set(request.skip or ())
    parts = []
    if any(_name(t) not in skipped for t in request.tasks):
        parts.append(term("tasks"))
    if request.failed:
        parts.append(term("failed"))
    if request.items:
        parts.append(term("items"))
    if request.context:
        parts.append(term("context"))
    if any(_name(t) not in set(request.items or ()) for t in request.no_reset):
        parts.append(term("no_reset"))
    if request.parameters:
        parts.append("parameters")
    return parts


def _name(text: str) -> str:
    return str(text).split("[", 1)[0].strip()


def _paused(execution_id: str, leave_out: list[str]) -> str:
    instead = ["resume it (wfops execution resume %s) and re-run once it has completed" % execution_id,
               "cancel it (wfops execution cancel %s) and re-run then" % execution_id]
    if leave_out:
        instead.insert(0, "leave out %s" % " and ".join(leave_out))
    return (
        "%s It is paused, and a paused workflow only takes skips (%s, with %s and %s), after which "
        "it resumes. Instead, %s."
        % (NOT_COMPLETED % execution_id, term("skip", "T"), term("result", "T"), term("publish", "T"),
           ", or ".join(instead))
    )


def _cannot_skip(execution_id: str, status: str | None) -> str:
    head = 'Unable to skip tasks of workflow execution "%s" because it is %s' % (execution_id, status)
    if status == statuses.PAUSING:
        return head + ": wait until it is paused (its running tasks finish first), then skip."
    if status == statuses.RUNNING:
        return head + (
            ": only a completed (failed) or paused workflow takes skips. Pause it (wfops "
            "execution pause %s) and skip once it is paused, or skip once it has completed."
            % execution_id
        )
    return head + ": skip once it is paused or has completed."
