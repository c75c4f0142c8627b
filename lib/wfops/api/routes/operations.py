"""Routes: running and operating on executions (st2's create, pause/resume, cancel and
re-run, with wfops's re-run extras). Every check that can refuse a request runs before
anything changes.

``delay`` (milliseconds, as st2) on a workflow: the execution exists at once, and the
first tasks it starts are ``delayed`` until the delay has passed (for a re-run from tasks:
the tasks the re-run starts). A plain action takes no delay (refused, nothing created).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from wfops import errors
from wfops.api.faults import ApiError
from wfops.api.models import (
    Execution,
    ExecutionRequest,
    ExecutionUpdate,
    Plan,
    RerunRequest,
)
from wfops.api.routes import refusals
from wfops.api.service import ApiService, Service

router = APIRouter()


# StackStorm's wording.
TASKS_NOT_ORQUESTA = "Task option is only supported for Orquesta workflows."
RESET_NOT_SUBSET = "List of tasks to reset does not match the tasks to rerun."
PARAMETERS_WITH_TASKS = "Parameters override is not supported when re-running task(s) for a workflow."
RESET_AND_NO_RESET = (
    'Give either "reset" (the tasks whose items are all re-run) or "no_reset" (the tasks whose '
    "succeeded items are kept), not both."
)
FORMAT_WITHOUT_DRY_RUN = '"format" chooses how a dry run shows its plan: add "dry_run": true.'
DOT_FROM_BEGINNING = (
    '"format": "dot" draws the run graph of a re-run from tasks; a re-run from the beginning '
    "has none. Name the tasks, or leave \"format\" out."
)
DELAY_NOT_A_WORKFLOW = (
    '"delay" (%s ms) delays the first tasks of a workflow; "%s" is not a workflow (runner type "%s"), '
    "so nothing was created. Submit the request without a delay (or with 0)."
)

# re_run extras that the planner request carries under another name.
_EXTRAS = {"items": "items", "context": "context", "skip": "skips", "result": "results", "publish": "publish"}


def _delay_seconds(svc: ApiService, ref: str, delay: int | None) -> float:
    """A request's ``delay`` (ms) in seconds; refused for an action that is not a workflow."""
    if not delay:
        return 0.0
    try:
        action = svc.registry.get(ref)
    except errors.ActionNotFound:
        return 0.0  # refused as unknown by the launch itself
    if action.runner_type != "orquesta":
        raise ApiError(400, DELAY_NOT_A_WORKFLOW % (delay, ref, action.runner_type))
    return delay / 1000.0


@router.post("/executions", status_code=201, summary="Run an action.",
             responses={201: {"model": Execution, "description": "The new execution"}, **refusals(400, 413)})
def create_execution(svc: Service, request: Request, body: ExecutionRequest):
    ref = body.action
    if ref not in svc.registry:
        raise ApiError(400, 'Action "%s" cannot be found.' % ref)  # st2: 400 here
    delay = _delay_seconds(svc, ref, body.delay)
    user = svc.user(request, body.user)
    context = dict(body.context or {})
    context.pop("re-run", None)
    context["user"] = user
    parameters = body.parameters

    def launch() -> dict:
        # The record as created (requested): the engine starts it after this answer.
        return svc.store.get_execution(
            svc.session.engine.launch(ref, parameters, context=context, user=user, delay=delay))

    return JSONResponse(svc.doc(svc.on_engine(launch)), status_code=201)


@router.put("/executions/{id}", summary="Pause (status pausing) or resume (status resuming) an execution.",
            responses={200: {"model": Execution, "description": "The execution after the request"},
                       **refusals(400, 404, 413)})
def update_execution(svc: Service, request: Request, id: str, body: ExecutionUpdate):
    record = svc.execution(id)
    operation = {"pausing": "pause", "paused": "pause", "resuming": "resume",
                 "canceling": "cancel", "canceled": "cancel"}[body.status]
    svc.operate(operation, record, {"comment": body.comment, "user": svc.user(request, body.user)})
    return svc.doc(record["id"])


@router.delete("/executions/{id}", summary="Cancel an execution.",
               responses={200: {"model": Execution, "description": "The execution after the request"},
                          **refusals(400, 404)})
def cancel_execution(svc: Service, request: Request, id: str,
                     comment: Annotated[str | None, Query(description="wfops: recorded in the audit entry.")] = None,
                     user: Annotated[str | None, Query(description="wfops: who acts, for the audit entry (a key "
                                                                   "bound to a user acts as that user).")] = None):
    record = svc.execution(id)
    svc.operate("cancel", record, {"comment": comment, "user": svc.user(request, user)})
    return svc.doc(record["id"])


@router.post("/executions/{id}/re_run", status_code=201,
             summary="Re-run an execution: from the beginning, or (workflows) from tasks.",
             responses={201: {"model": Execution, "description": "The new execution"},
                        200: {"model": Plan, "description": 'dry_run: the plan (and, with "format": "dot", '
                                                            'its run graph as "dot"); nothing changed'},
                        **refusals(400, 404, 409, 413, 501)})
def rerun_execution(svc: Service, request: Request, id: str, body: Annotated[RerunRequest | None, Body()] = None,
                    no_merge: Annotated[bool, Query(description="Use only the given parameters.")] = False):
    body = body or RerunRequest()
    given = body.model_fields_set
    tasks = _dedupe(body.tasks)
    reset = _dedupe(body.reset)
    # wfops: the tasks to keep, as `--no-reset` names them (checked by the planner, which
    # knows routes and --failed); st2 sends the tasks to reset instead.
    no_reset = _dedupe(body.no_reset) if body.no_reset is not None else None
    parameters = body.parameters
    extras = {k: getattr(body, k) for k in _EXTRAS if getattr(body, k) not in (None, [], {})}
    if "result" in given and "result" not in extras and body.skip:
        extras["result"] = body.result  # a null or empty result is a result
    from_tasks = bool(tasks or body.failed or extras or no_reset)
    if no_reset is not None and "reset" in given:
        raise ApiError(400, RESET_AND_NO_RESET)
    if body.format and not body.dry_run:
        raise ApiError(400, FORMAT_WITHOUT_DRY_RUN)
    if body.format == "dot" and not from_tasks:
        raise ApiError(400, DOT_FROM_BEGINNING)
    # StackStorm's checks, in its order, before the execution is looked up.
    if (from_tasks or reset) and parameters:
        raise ApiError(400, PARAMETERS_WITH_TASKS)
    if set(reset) - set(tasks):
        raise ApiError(400, RESET_NOT_SUBSET)
    original = svc.execution(id)
    if from_tasks and original["runner_type"] != "orquesta":
        raise ApiError(400, TASKS_NOT_ORQUESTA)
    delay = _delay_seconds(svc, original["action_ref"], body.delay)
    user = svc.user(request, body.user)
    if not from_tasks:
        return _rerun_from_beginning(svc, original, parameters, no_merge, user, body, delay)
    if no_reset is None:
        no_reset = [t for t in tasks if t not in reset]  # st2: no_reset = tasks - reset
    return _rerun_from_tasks(svc, original, tasks, no_reset, extras, user, body, delay)


def _rerun_from_beginning(svc: ApiService, original: dict, overrides: dict, no_merge: bool, user: str,
                          body: RerunRequest, delay: float):
    try:
        action = svc.registry.get(original["action_ref"])
    except errors.ActionNotFound as e:
        raise ApiError(400, e.message) from None
    # Immutable parameters hold their defaults in the stored execution; they cannot be
    # given again.
    base = {} if no_merge else {
        k: v for k, v in original["parameters"].items()
        if not (action.parameters.get(k) or {}).get("immutable")
    }
    params = {**base, **overrides}
    if body.dry_run:
        from wfops import masking

        svc.on_engine(lambda: svc.session.engine.check_launch(action.ref, params))
        return JSONResponse({"id": original["id"], "dry_run": True,
                             "plan": {"mode": "from_beginning", "parameters": masking.mask_secrets(action, params)}})

    def launch() -> dict:
        from wfops.engine.audit import audit

        engine = svc.session.engine
        request = {"id": original["id"], "parameters": overrides, "no_merge": no_merge}
        if delay:
            request["delay"] = body.delay
        with engine.transaction():  # the launch and its audit entry, or neither
            new_id = engine.launch(action.ref, params, context={"re-run": {"ref": original["id"]}}, user=user,
                                   delay=delay)
            audit(svc.store, original["id"], user, "re-run", request,
                  plan={"mode": "from_beginning", "parameters": params},
                  outcome={"execution": new_id}, comment=body.comment)
        return svc.store.get_execution(new_id)

    return JSONResponse(svc.doc(svc.on_engine(launch)), status_code=201)


def _rerun_from_tasks(svc: ApiService, original: dict, tasks: list[str], no_reset: list[str], extras: dict,
                      user: str, body: RerunRequest, delay: float):
    from wfops.engine import reruns

    payload: dict[str, Any] = {
        "tasks": tasks,
        "no_reset": no_reset,
        "failed": body.failed,
        "force": body.force,
        "comment": body.comment,
        "user": user,
    }
    payload.update(_extras_payload(extras))
    if body.fingerprint:
        payload["fingerprint"] = body.fingerprint
        if not body.dry_run:
            # The plan a dry run showed: its owner checks, before anything else, that the
            # state is still the one it was computed from (reruns.plan_for), and applies it.
            return _apply_rerun(svc, original, payload, body, delay)
    # Planned first, from the stored state: every problem is reported before anything
    # is sent or changed (as `wfops execution re-run --tasks`).
    plan = reruns.plan_for(svc.store, original, payload)
    unsupported = [k for k, field_name in _EXTRAS.items()
                   if k in extras and not plan.request.get(field_name)]
    if not unsupported and plan.mode != "from_tasks":
        # Extras without tasks that the planner takes for a re-run from the beginning:
        # it cannot carry them out, and the request must not run as if they were absent.
        unsupported = sorted(extras)
    if unsupported:
        raise ApiError(501, 'The re-run option(s) %s are not supported by this wfops engine yet; '
                            "nothing was changed." % ", ".join('"%s"' % k for k in unsupported))
    if body.dry_run:
        answer = {"id": original["id"], "dry_run": True, "plan": plan.to_dict()}
        if body.format == "dot":
            from wfops import planner

            answer["dot"] = planner.render_dot(plan, reruns.state_for(svc.store, original))
        return JSONResponse(answer)
    payload["fingerprint"] = plan.fingerprint  # the owner refuses it if the state changed since
    return _apply_rerun(svc, original, payload, body, delay)


def _apply_rerun(svc: ApiService, original: dict, payload: dict, body: RerunRequest, delay: float):
    if delay:
        payload["delay"] = body.delay
    answer = svc.operate("rerun", original, payload)
    doc = svc.doc(answer["id"])
    doc["plan"] = answer.get("plan")
    # A skip on a paused workflow acts on that execution and creates none.
    return JSONResponse(doc, status_code=200 if answer["id"] == original["id"] else 201)


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _extras_payload(extras: dict) -> dict:
    """The resume extras as the engine takes them (as ``wfops execution re-run`` sends
    them): ``items`` {task: [index]}, ``context`` {task: {k: v}}, ``skip`` [task],
    ``result`` {task: result}, ``publish`` {task: {k: v}}. With one skipped task, the API
    also takes ``result`` as that task's result and ``publish`` as its {k: v}."""
    out = dict(extras)
    skips = list(extras.get("skip") or [])
    for name in ("result", "publish"):
        if name not in extras:
            continue
        if not skips:
            raise ApiError(400, '"%s" applies to skipped tasks: name them in "skip".' % name)
        value = extras[name]
        keyed = isinstance(value, dict) and bool(value) and set(value) <= set(skips) and (
            name == "result" or all(isinstance(v, dict) for v in value.values()))
        if len(skips) == 1 and not (keyed and set(value) == set(skips)):
            if name == "publish" and not isinstance(value, dict):
                raise ApiError(400, '"publish" must be an object of {key: value}.')
            value = {skips[0]: value}
        elif not keyed:
            raise ApiError(400, 'With several skipped tasks, "%s" must be an object keyed by the '
                                "skipped task names (%s)." % (name, ", ".join(skips)))
        out[name] = value
    return out
