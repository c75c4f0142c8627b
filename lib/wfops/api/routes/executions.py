"""Routes: reading executions (st2's list, get, children, output) and wfops's audit and
task context."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse

from wfops import errors
from wfops.api import resources
from wfops.api.faults import ApiError
from wfops.api.models import Execution
from wfops.api.routes import Exclude, Include, Limit, Offset, ok, refusals
from wfops.api.service import (
    Service,
    check_int,
    limit_offset,
    parse_timestamp,
    projection,
    timestamp_query,
)

router = APIRouter()

Flag = Annotated[str | None, Query(description="Present (any value) to set.")]


@router.get("/executions", summary="List executions, newest first.",
            responses={200: {"model": list[Execution], "description": "Executions",
                             "headers": {"X-Total-Count": {"schema": {"type": "integer"}}}},
                       **refusals(400)})
def list_executions(
    svc: Service,
    status: Annotated[str | None, Query(description="Only executions in this status.")] = None,
    action: Annotated[str | None, Query(description="Only executions of this action ref.")] = None,
    parent: Annotated[str | None, Query(description='"null" for top-level executions only, or a '
                                                    "parent id.")] = None,
    user: Annotated[str | None, Query(description="Only executions started by this user.")] = None,
    timestamp_gt: Annotated[str | None, Query(description="Started after this time.")] = None,
    timestamp_lt: Annotated[str | None, Query(description="Started before this time.")] = None,
    limit: Limit = None, offset: Offset = None,
    sort_desc: Flag = None, sort_asc: Flag = None,
    include_attributes: Include = None, exclude_attributes: Exclude = None,
):
    limit, offset = limit_offset(limit, offset, default_limit=100)
    project = projection(include_attributes, exclude_attributes, resources.EXECUTION_EXCLUDABLE)
    ascending = sort_asc is not None and sort_desc is None
    after = timestamp_query(timestamp_gt, "timestamp_gt")
    before = timestamp_query(timestamp_lt, "timestamp_lt")
    filtered = bool(user or after or before)
    records, total = svc.store.list_executions(
        status=status or None, action=action or None, top_level_only=parent == "null",
        parent=parent if parent and parent != "null" else None,
        limit=None if filtered else limit, offset=0 if filtered else offset, newest_first=not ascending,
    )
    if filtered:
        # Filters the store does not index: applied here, then the page is cut.
        records = [r for r in records
                   if (not user or (r["context"] or {}).get("user") == user)
                   and (not after or parse_timestamp(r["start_timestamp"]) > after)
                   and (not before or parse_timestamp(r["start_timestamp"]) < before)]
        total = len(records)
        records = records[offset:] if limit is None else records[offset:offset + limit]
    headers = {"X-Total-Count": str(total)}
    if limit is not None:
        headers["X-Limit"] = str(limit)
    return JSONResponse([project(svc.doc(r)) for r in records], headers=headers)


@router.get("/executions/{id}", summary="One execution.",
            responses={**ok(Execution, "The execution"), **refusals(400, 404)})
def get_execution(svc: Service, id: str, include_attributes: Include = None, exclude_attributes: Exclude = None):
    project = projection(include_attributes, exclude_attributes, resources.EXECUTION_EXCLUDABLE)
    if id == "last" and svc.store.get_execution(id) is None:  # as st2
        records, _ = svc.store.list_executions(limit=1)
        if not records:
            raise ApiError(400, "No executions found in the database")
        return project(svc.doc(records[0]))
    return project(svc.doc(id))


@router.get("/executions/{id}/children", summary="Descendants of an execution, depth first.",
            responses={**ok(list[Execution], "Descendants"), **refusals(400, 404)})
def get_children(svc: Service, id: str,
                 depth: Annotated[int | None, Query(description="Levels; -1 for all.")] = None):
    svc.execution(id)
    depth = check_int("depth", -1 if depth is None else depth)
    if depth < -1:
        raise ApiError(400, 'Parameter "depth" must be -1 (all levels) or a positive number.')
    return resources.task_children_docs(svc.store, svc.registry, id, depth or -1)


@router.get("/executions/{id}/output", summary="stdout/stderr of an execution and its descendants.",
            response_class=PlainTextResponse,
            responses={200: {"description": "Output", "content": {"text/plain": {"schema": {"type": "string"}}}},
                       **refusals(400, 404)})
def get_output(svc: Service, id: str,
               output_type: Annotated[Literal["all", "stdout", "stderr"], Query(description="all, stdout or "
                                                                                            "stderr")] = "all"):
    from wfops.api.events import output_text

    record = svc.execution(id)
    return PlainTextResponse(output_text(svc.store, [record] + svc.descendants(record["id"]), output_type))


@router.get("/executions/{id}/audit", summary="wfops: the operations recorded on an execution.",
            responses={200: {"description": "Audit entries, oldest first"}, **refusals(404)})
def get_audit(svc: Service, id: str):
    record = svc.execution(id)
    return resources.audit_doc(svc.registry, record, svc.store.operations(record["id"]))


@router.get("/executions/{id}/tasks/{task}/context",
            summary="wfops: what a task saw and did (E8): status, inbound context, rendered input, "
                    "result (per item), published values, the task executions that led to it.",
            responses={200: {"description": "The task's context (secrets masked)"}, **refusals(400, 404)})
def get_task_context(svc: Service, id: str, task: str,
                     route: Annotated[int | None, Query(description="The route (branch index) of the task.")] = None,
                     item: Annotated[int | None, Query(description="One item of a with-items task.")] = None,
                     ):
    from wfops import masking
    from wfops.planner import TaskRef
    from wfops.task_context import task_context

    record = svc.execution(id)
    try:
        ref = TaskRef.parse(task)
    except ValueError as e:
        raise ApiError(400, str(e)) from None
    route = check_int("route", ref.route if route is None else route)
    item = check_int("item", item)
    if record["runner_type"] != "orquesta" or not record["context"].get("workflow_execution"):
        raise ApiError(400, 'Execution "%s" is not a workflow execution; only workflow tasks have '
                            "a context." % record["id"])
    view = task_context(svc.store, record, ref.name, route=route, item=item)
    # Secrets: the workflow's secret inputs in the context, each action's in its input.
    try:
        view["context"] = masking.mask_secrets(svc.registry.get(record["action_ref"]), view["context"])
    except errors.ActionNotFound:
        pass
    holders = [(view, view.get("action_execution"))] + [(i, i.get("execution")) for i in view.get("items", [])]
    for holder, execution_id in holders:
        action_execution = svc.store.get_execution(execution_id) if execution_id else None
        if action_execution is None or not isinstance(holder.get("input"), dict):
            continue
        try:
            spec = svc.registry.get(action_execution["action_ref"])
        except errors.ActionNotFound:
            holder["input"] = {k: masking.MASKED_ATTRIBUTE_VALUE for k in holder["input"]}
            continue
        holder["input"] = masking.mask_secrets(spec, holder["input"])
    return view
