"""Routes: the loaded packs' content in StackStorm's shapes (actions, runner types, packs,
action aliases, sensor types, rules), for ``st2 action|pack|action-alias|sensor|rule``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from wfops.api import content_docs, resources
from wfops.api.faults import NOT_FOUND_NAME, NOT_FOUND_REF, ApiError
from wfops.api.models import Action, ActionAlias, Pack, PackReport, Rule, RunnerType, SensorType
from wfops.api.routes import Exclude, Include, Limit, Offset, ok, refusals
from wfops.api.service import ApiService, Service, limit_offset, page, projection

router = APIRouter()

PackFilter = Annotated[str | None, Query(description="Only the content of this pack.")]
NameFilter = Annotated[str | None, Query(description="Only the entry of this name.")]


def _listing(docs: list[dict], limit: int | None, offset: int | None, include: list[str] | None,
             exclude: list[str] | None) -> JSONResponse:
    limit, offset = limit_offset(limit, offset, default_limit=-1)
    project = projection(include, exclude, None)
    headers = {"X-Total-Count": str(len(docs))}
    if limit is not None:
        headers["X-Limit"] = str(limit)
    return JSONResponse([project(d) for d in page(docs, limit, offset)], headers=headers)


def _one(docs: list[dict], ref_or_id: str, include: list[str] | None, exclude: list[str] | None) -> dict:
    found = content_docs.find(docs, ref_or_id)
    if found is None:
        raise ApiError(404, NOT_FOUND_REF % ref_or_id)
    return projection(include, exclude, None)(found)


# -- actions and runner types -------------------------------------------------------------


@router.get("/actions", summary="List actions.", responses={**ok(list[Action], "Actions"), **refusals(400)})
def list_actions(svc: Service, pack: PackFilter = None, name: NameFilter = None, limit: Limit = None,
                 offset: Offset = None, include_attributes: Include = None, exclude_attributes: Exclude = None):
    actions = [a for a in svc.registry.list(pack=pack or None) if not name or a.name == name]
    return _listing([resources.action_doc(a) for a in actions], limit, offset, include_attributes,
                    exclude_attributes)


@router.get("/actions/{ref_or_id}", summary="One action.",
            responses={**ok(Action, "The action"), **refusals(400, 404)})
def get_action(svc: Service, ref_or_id: str, include_attributes: Include = None, exclude_attributes: Exclude = None):
    action = resources.find_action(svc.registry, ref_or_id)
    if action is None:
        raise ApiError(404, NOT_FOUND_REF % ref_or_id)
    return projection(include_attributes, exclude_attributes, None)(resources.action_doc(action))


@router.get("/runnertypes", summary="List runner types.",
            responses={**ok(list[RunnerType], "Runner types"), **refusals(400)})
def list_runner_types(name: NameFilter = None, include_attributes: Include = None, exclude_attributes: Exclude = None):
    from wfops.packs.runner_types import RUNNER_TYPES

    names = [n for n in sorted(RUNNER_TYPES) if not name or n == name]
    return _listing([resources.runner_type_doc(n) for n in names], None, None, include_attributes,
                    exclude_attributes)


@router.get("/runnertypes/{name_or_id}", summary="One runner type.",
            responses={**ok(RunnerType, "The runner type"), **refusals(404)})
def get_runner_type(name_or_id: str):
    found = resources.find_runner_type(name_or_id)
    if found is None:
        raise ApiError(404, NOT_FOUND_NAME % name_or_id)
    return resources.runner_type_doc(found)


# -- packs, aliases, sensors, rules ---------------------------------------------------------


def _content(svc: ApiService):
    from wfops.packs.content import load_content

    return load_content(svc.registry)


@router.get("/pack_report", summary="wfops: the packs loaded and every metadata file left out, with why.",
            responses={**ok(PackReport, "The packs and the problems"), **refusals()})
def pack_report(svc: Service):
    registry = svc.registry
    return {"packs": [{"ref": p.ref, "path": p.path, "bundled": p.bundled} for p in registry.loaded_packs()],
            "problems": [p.to_dict() for p in registry.problems()]}


@router.get("/packs", summary="List the loaded packs.", responses={**ok(list[Pack], "Packs"), **refusals(400)})
def list_packs(svc: Service, name: NameFilter = None, limit: Limit = None, offset: Offset = None,
               include_attributes: Include = None, exclude_attributes: Exclude = None):
    docs = content_docs.matching([content_docs.pack_doc(p) for p in _content(svc).packs], name=name)
    return _listing(docs, limit, offset, include_attributes, exclude_attributes)


@router.get("/packs/{ref_or_id}", summary="One loaded pack.",
            responses={**ok(Pack, "The pack"), **refusals(400, 404)})
def get_pack(svc: Service, ref_or_id: str, include_attributes: Include = None, exclude_attributes: Exclude = None):
    docs = [content_docs.pack_doc(p) for p in _content(svc).packs]
    return _one(docs, ref_or_id, include_attributes, exclude_attributes)


@router.get("/actionalias", summary="List the action aliases (ChatOps) of the loaded packs.",
            responses={**ok(list[ActionAlias], "Action aliases"), **refusals(400)})
def list_aliases(svc: Service, pack: PackFilter = None, name: NameFilter = None, limit: Limit = None,
                 offset: Offset = None, include_attributes: Include = None, exclude_attributes: Exclude = None):
    docs = [content_docs.alias_doc(a) for a in _content(svc).aliases]
    return _listing(content_docs.matching(docs, pack=pack or None, name=name or None), limit, offset,
                    include_attributes, exclude_attributes)


@router.get("/actionalias/{ref_or_id}", summary="One action alias.",
            responses={**ok(ActionAlias, "The action alias"), **refusals(400, 404)})
def get_alias(svc: Service, ref_or_id: str, include_attributes: Include = None, exclude_attributes: Exclude = None):
    docs = [content_docs.alias_doc(a) for a in _content(svc).aliases]
    return _one(docs, ref_or_id, include_attributes, exclude_attributes)


@router.get("/sensortypes", summary="List the sensors of the loaded packs.",
            responses={**ok(list[SensorType], "Sensor types"), **refusals(400)})
def list_sensors(svc: Service, pack: PackFilter = None, name: NameFilter = None,
                 enabled: Annotated[str | None, Query(description="true or false.")] = None,
                 trigger: Annotated[str | None, Query(description="Only sensors of this trigger type.")] = None,
                 limit: Limit = None, offset: Offset = None, include_attributes: Include = None,
                 exclude_attributes: Exclude = None):
    docs = [content_docs.sensor_doc(s) for s in _content(svc).sensors]
    docs = content_docs.matching(docs, pack=pack or None, name=name or None,
                                 enabled=content_docs.truthy(enabled))
    if trigger:
        docs = [d for d in docs if trigger in d["trigger_types"]]
    return _listing(docs, limit, offset, include_attributes, exclude_attributes)


@router.get("/sensortypes/{ref_or_id}", summary="One sensor type.",
            responses={**ok(SensorType, "The sensor type"), **refusals(400, 404)})
def get_sensor(svc: Service, ref_or_id: str, include_attributes: Include = None, exclude_attributes: Exclude = None):
    docs = [content_docs.sensor_doc(s) for s in _content(svc).sensors]
    return _one(docs, ref_or_id, include_attributes, exclude_attributes)


@router.get("/rules", summary="List the rules of the loaded packs.",
            responses={**ok(list[Rule], "Rules"), **refusals(400)})
def list_rules(svc: Service, pack: PackFilter = None, name: NameFilter = None,
               action: Annotated[str | None, Query(description="Only rules running this action.")] = None,
               trigger: Annotated[str | None, Query(description="Only rules of this trigger type.")] = None,
               enabled: Annotated[str | None, Query(description="true or false.")] = None,
               limit: Limit = None, offset: Offset = None, include_attributes: Include = None,
               exclude_attributes: Exclude = None):
    docs = [content_docs.rule_doc(r) for r in _content(svc).rules]
    docs = content_docs.matching(docs, pack=pack or None, name=name or None, action__ref=action or None,
                                 trigger__type=trigger or None, enabled=content_docs.truthy(enabled))
    return _listing(docs, limit, offset, include_attributes, exclude_attributes)


@router.get("/rules/{ref_or_id}", summary="One rule.", responses={**ok(Rule, "The rule"), **refusals(400, 404)})
def get_rule(svc: Service, ref_or_id: str, include_attributes: Include = None, exclude_attributes: Exclude = None):
    docs = [content_docs.rule_doc(r) for r in _content(svc).rules]
    return _one(docs, ref_or_id, include_attributes, exclude_attributes)
