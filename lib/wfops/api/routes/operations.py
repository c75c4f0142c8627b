"""Routes: running and operating on executions (st2's create, pause/resume, cancel and
re-run, with wfops's re-run extras). Every check that can refuse a request runs before
anything changes.

``delay`` (milliseconds, as st2) on a workflow: the execution exists at once, and the
first tasks it starts are ``delayed`` until the delay has passed (for a re-run from tasks:
the tasks the re-run starts). A plain action takes no delay (refused, nothing created).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from wfops.api.faults import ApiError
from wfops.api.models import Execution, ExecutionRequest, ExecutionUpdate, Plan
from wfops.api.models import RerunRequest as RerunBody
from wfops.api.routes import refusals
from wfops.api.service import Service
from wfops.rerun_request import PARAMETERS_WITH_TASKS, RESET_NOT_SUBSET

router = APIRouter()


# StackStorm's wording.
TASKS_NOT_ORQUESTA = "Task option is only supported for Orquesta workflows."
RESET_AND_NO_RESET = (
    'Give either "reset" (the tasks whose items are all re-run) or "no_reset" (the tasks whose '
    "succeeded items are kept), not both."
)
FORMAT_WITHOUT_DRY_RUN = '"format" chooses how a dry run shows its plan: add "dry_run": true.'
DOT_FROM_BEGINNING = (
    '"format": "dot" draws the run graph of a re-run from tasks; a re-run from the beginning '
    "has none. Name the tasks, or leave \"format\" out."
)


@router.post("/executions", status_code=201, summary="Run an action.",
             responses={201: {"model": Execution, "description": "The new execution"}, **refusals(400, 413)})
def create_execution(svc: Service, request: Request, body: ExecutionRequest):
    ref = body.action
    if ref not in svc.registry:
        raise ApiError(400, 'Action "%s" cannot be found.' % ref)  # st2: 400 here
    context = dict(body.context or {})
    context.pop("re-run", None)
    user = svc.user(request, body.user)
    context["user"] = user
    # The record as created (requested): the engine starts it after this answer.
    created = svc.ops.launch(ref, body.parameters, context=context, user=user, delay=body.delay or 0)
    return JSONResponse(svc.doc(created), status_code=201)


@router.put("/executions/{id}", summary="Pause (status pausing) or resume (status resuming) an execution.",
            responses={200: {"model": Execution, "description": "The execution after the request"},
                       **refusals(400, 404, 413)})
def update_execution(svc: Service, request: Request, id: str, body: ExecutionUpdate):
    record = svc.execution(id)
    operation = {"pausing": "pause", "paused": "pause", "resuming": "resume",
                 "canceling": "cancel", "canceled": "cancel"}[body.status]
    svc.ops.lifecycle(operation, record["id"], comment=body.comment, user=svc.user(request, body.user))
    return svc.doc(record["id"])


@router.delete("/executions/{id}", summary="Cancel an execution.",
               responses={200: {"model": Execution, "description": "The execution after the request"},
                          **refusals(400, 404)})
def cancel_execution(svc: Service, request: Request, id: str,
                     comment: Annotated[str | None, Query(description="wfops: recorded in the audit entry.")] = None,
                     user: Annotated[str | None, Query(description="wfops: who acts, for the audit entry (a key "
                                                                   "bound to a user acts as that user).")] = None):
    record = svc.execution(id)
    svc.ops.lifecycle("cancel", record["id"], comment=comment, user=svc.user(request, user))
    return svc.doc(record["id"])


@router.post("/executions/{id}/re_run", status_code=201,
             summary="Re-run an execution: from the beginning, or (workflows) from tasks.",
             responses={201: {"model": Execution, "description": "The new execution"},
                        200: {"model": Plan, "description": 'dry_run: the plan (and, with "format": "dot", '
                                                            'its run graph as "dot"); nothing changed'},
                        **refusals(400, 404, 409, 413)})
def rerun_execution(svc: Service, request: Request, id: str, body: Annotated[RerunBody | None, Body()] = None,
                    no_merge: Annotated[bool, Query(description="Use only the given parameters.")] = False):
    body = body or RerunBody()
    rerun = rerun_request(body, id, no_merge, svc.user(request, body.user))
    if body.format and not body.dry_run:
        raise ApiError(400, FORMAT_WITHOUT_DRY_RUN)
    if body.format == "dot" and rerun.from_beginning:
        raise ApiError(400, DOT_FROM_BEGINNING)
    # StackStorm's checks, in its order, before the execution is looked up.
    if (rerun.from_tasks or body.reset) and rerun.parameters:
        raise ApiError(400, PARAMETERS_WITH_TASKS)
    if set(body.reset) - set(rerun.tasks):
        raise ApiError(400, RESET_NOT_SUBSET)
    original = svc.execution(id)
    if rerun.from_tasks and original["runner_type"] != "orquesta":
        raise ApiError(400, TASKS_NOT_ORQUESTA)
    if body.dry_run:
        plan = svc.ops.plan(rerun)
        answer = {"id": original["id"], "dry_run": True, "plan": plan.to_dict()}
        if body.format == "dot":
            answer["dot"] = svc.ops.render_dot(rerun, plan)
        return JSONResponse(answer)
    outcome = svc.ops.rerun(rerun)
    doc = svc.doc(outcome.record or outcome.execution_id)
    doc["plan"] = outcome.plan
    # A skip on a paused workflow acts on that execution and creates none.
    return JSONResponse(doc, status_code=201 if outcome.created else 200)


def rerun_request(body: RerunBody, execution_id: str, no_merge: bool, user: str):
    """The :class:`wfops.rerun_request.RerunRequest` of a ``re_run`` body, read as st2
    reads its own (``reset``: the tasks whose items are all re-run, so no_reset = tasks -
    reset) with wfops's extras; refuses, in st2's words where st2 has them, what is not
    one request."""
    from wfops.rerun_request import RerunRequest, per_skip

    if body.no_reset is not None and "reset" in body.model_fields_set:
        raise ApiError(400, RESET_AND_NO_RESET)
    tasks = _dedupe(body.tasks)
    skips = _dedupe(body.skip or [])
    # A null result given for a skip is a result; otherwise null means none was given.
    result_given = body.result not in (None, [], {}) or ("result" in body.model_fields_set and skips)
    result = per_skip("result", body.result, skips) if result_given else None
    no_reset = (_dedupe(body.no_reset) if body.no_reset is not None
                else [t for t in tasks if t not in set(body.reset)])
    request = RerunRequest(
        execution_id=execution_id, tasks=tasks, failed=body.failed, force=body.force,
        parameters=body.parameters or None, no_merge=no_merge,
        items=body.items or None, context=body.context or None, skip=skips, result=result,
        publish=per_skip("publish", body.publish, skips) if body.publish else None,
        fingerprint=body.fingerprint, dry_run=body.dry_run, comment=body.comment, user=user,
        delay=body.delay or 0)
    # st2 sends the tasks to reset; a re-run without tasks has nothing to keep.
    request.no_reset = no_reset if request.from_tasks or body.no_reset else []
    return request


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
