"""The OpenAPI 3 document of the wfops REST API (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

import copy

import wfops
from wfops.api import schemas

_ERROR_RESPONSE = {
    "description": "Refused: the faultstring says why.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _json(schema_ref: str, description: str, array: bool = False) -> dict:
    schema = {"$ref": "#/components/schemas/%s" % schema_ref}
    if array:
        schema = {"type": "array", "items": schema}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path(name: str, description: str, example: str | None = None) -> dict:
    parameter = {"name": name, "in": "path", "required": True, "description": description,
                 "schema": {"type": "string"}}
    if example is not None:
        parameter["example"] = example
    return parameter


def _body(schema_ref: str, required: bool = True) -> dict:
    return {"required": required,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/%s" % schema_ref}}}}


def _errors(*codes: int) -> dict:
    out = {str(c): _ERROR_RESPONSE for c in codes}
    out.setdefault("401", _ERROR_RESPONSE)
    return out


_ID = _path("id", "Execution id (24 hexadecimal digits).")
_INCLUDE = _query("include_attributes", "Comma-separated attributes (dotted paths) to return.")
_EXCLUDE = _query("exclude_attributes", "Comma-separated attributes to leave out (result, status).")
_LIMIT = _query("limit", "Page size; -1 for all.", {"type": "integer"})
_OFFSET = _query("offset", "Entries to skip.", {"type": "integer", "minimum": 0})

EXECUTION_SCHEMA = {
    "type": "object",
    "description": "StackStorm's execution document (secret parameters masked).",
    "properties": {
        "id": {"type": "string"},
        "action": {"type": "object"},
        "runner": {"type": "object"},
        "liveaction": {"type": "object"},
        "status": {"type": "string"},
        "parameters": {"type": "object"},
        "result": {},
        "context": {"type": "object"},
        "parent": {"type": "string"},
        "children": {"type": "array", "items": {"type": "string"}},
        "start_timestamp": {"type": "string"},
        "end_timestamp": {"type": ["string", "null"]},
        "elapsed_seconds": {"type": "number"},
        "log": {"type": "array"},
        "plan": {"type": "object", "description": "wfops: the plan a re-run from tasks applied."},
    },
}


def document() -> dict:
    paths = {
        "/api/v1/": {"get": {
            "summary": "Version of the server.", "operationId": "root", "security": [],
            "responses": {"200": {"description": "Version", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
        "/api/v1/openapi.json": {"get": {
            "summary": "This document.", "operationId": "openapi", "security": [],
            "responses": {"200": {"description": "OpenAPI 3 document",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
        "/api/v1/actions": {"get": {
            "summary": "List actions.", "operationId": "actions_list",
            "parameters": [_query("pack", "Only the actions of this pack."),
                           _query("name", "Only the action of this name."),
                           _LIMIT, _OFFSET, _INCLUDE, _EXCLUDE],
            "responses": {"200": _json("Action", "Actions", array=True), **_errors(400)},
        }},
        "/api/v1/actions/{ref_or_id}": {"get": {
            "summary": "One action.", "operationId": "actions_get",
            "parameters": [_path("ref_or_id", "pack.name, or the action's id.", "core.noop"), _INCLUDE, _EXCLUDE],
            "responses": {"200": _json("Action", "The action"), **_errors(400, 404)},
        }},
        "/api/v1/runnertypes": {"get": {
            "summary": "List runner types.", "operationId": "runnertypes_list",
            "parameters": [_query("name", "Only the runner type of this name."), _INCLUDE, _EXCLUDE],
            "responses": {"200": _json("RunnerType", "Runner types", array=True), **_errors(400)},
        }},
        "/api/v1/runnertypes/{name_or_id}": {"get": {
            "summary": "One runner type.", "operationId": "runnertypes_get",
            "parameters": [_path("name_or_id", "Runner type name or id.", "orquesta")],
            "responses": {"200": _json("RunnerType", "The runner type"), **_errors(404)},
        }},
        "/api/v1/executions": {
            "get": {
                "summary": "List executions, newest first.", "operationId": "executions_list",
                "parameters": [
                    _query("status", "Only executions in this status."),
                    _query("action", "Only executions of this action ref."),
                    _query("parent", '"null" for top-level executions only, or a parent id.'),
                    _LIMIT, _OFFSET,
                    _query("sort_desc", "Newest first (the default)."),
                    _query("sort_asc", "Oldest first."),
                    _INCLUDE, _EXCLUDE,
                ],
                "responses": {
                    "200": {**_json("Execution", "Executions", array=True),
                            "headers": {"X-Total-Count": {"schema": {"type": "integer"}}}},
                    **_errors(400),
                },
            },
            "post": {
                "summary": "Run an action.", "operationId": "executions_create",
                "requestBody": _body("ExecutionRequest"),
                "responses": {"201": _json("Execution", "The new execution"), **_errors(400, 413)},
            },
        },
        "/api/v1/executions/{id}": {
            "get": {
                "summary": "One execution.", "operationId": "executions_get",
                "parameters": [_ID, _INCLUDE, _EXCLUDE],
                "responses": {"200": _json("Execution", "The execution"), **_errors(400, 404)},
            },
            "put": {
                "summary": "Pause (status pausing) or resume (status resuming) an execution.",
                "operationId": "executions_update",
                "parameters": [_ID],
                "requestBody": _body("ExecutionUpdate"),
                "responses": {"200": _json("Execution", "The execution after the request"),
                              **_errors(400, 404, 413)},
            },
            "delete": {
                "summary": "Cancel an execution.", "operationId": "executions_cancel",
                "parameters": [_ID, _query("comment", "wfops: recorded in the audit entry."),
                               _query("user", "wfops: who acts, for the audit entry (a key bound to "
                                              "a user acts as that user).")],
                "responses": {"200": _json("Execution", "The execution after the request"),
                              **_errors(400, 404)},
            },
        },
        "/api/v1/executions/{id}/children": {"get": {
            "summary": "Descendants of an execution, depth first.", "operationId": "executions_children",
            "parameters": [_ID, _query("depth", "Levels; -1 for all.", {"type": "integer"})],
            "responses": {"200": _json("Execution", "Descendants", array=True), **_errors(400, 404)},
        }},
        "/api/v1/executions/{id}/output": {"get": {
            "summary": "stdout/stderr of an execution and its descendants.", "operationId": "executions_output",
            "parameters": [_ID, _query("output_type", "all, stdout or stderr",
                                       {"type": "string", "enum": ["all", "stdout", "stderr"]})],
            "responses": {"200": {"description": "Output", "content": {"text/plain": {"schema": {"type": "string"}}}},
                          **_errors(400, 404)},
        }},
        "/api/v1/executions/{id}/re_run": {"post": {
            "summary": "Re-run an execution: from the beginning, or (workflows) from tasks.",
            "operationId": "executions_rerun",
            "parameters": [_ID, _query("no_merge", "Use only the given parameters.", {"type": "boolean"})],
            "requestBody": _body("RerunRequest", required=False),
            "responses": {
                "201": _json("Execution", "The new execution"),
                "200": {"description": 'dry_run: the plan (and, with "format": "dot", its run graph '
                                       'as "dot"); nothing changed',
                        "content": {"application/json": {"schema": {"type": "object"}}}},
                **_errors(400, 404, 409, 413, 501),
            },
        }},
        "/api/v1/executions/{id}/audit": {"get": {
            "summary": "wfops: the operations recorded on an execution.", "operationId": "executions_audit",
            "parameters": [_ID],
            "responses": {"200": {"description": "Audit entries, oldest first",
                                  "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
                          **_errors(404)},
        }},
        "/api/v1/executions/{id}/tasks/{task}/context": {"get": {
            "summary": "wfops: what a task saw and did (E8): status, inbound context, rendered "
                       "input, result (per item), published values, the task executions that led to it.",
            "operationId": "executions_task_context",
            "parameters": [_ID, _path("task", "Task name, or name[route].", "task1"),
                           _query("route", "The route (branch index) of the task.", {"type": "integer"}),
                           _query("item", "One item of a with-items task.", {"type": "integer"})],
            "responses": {"200": {"description": "The task's context (secrets masked)",
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          **_errors(400, 404)},
        }},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "wfops API",
            "version": wfops.__version__,
            "description": (
                "StackStorm-compatible REST API of the embedded wfops host (the subset the st2 "
                "CLI uses for actions and executions), with wfops's re-run extras, audit and "
                "task context. Errors are {\"faultstring\": ...} with StackStorm's status codes. "
                "With API keys configured, send St2-Api-Key."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"St2ApiKey": []}, {"St2ApiKeyQuery": []}, {}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "St2ApiKey": {"type": "apiKey", "in": "header", "name": "St2-Api-Key"},
                "St2ApiKeyQuery": {"type": "apiKey", "in": "query", "name": "st2-api-key"},
            },
            "schemas": {
                "Error": schemas.ERROR,
                "Execution": _openapi_schema(EXECUTION_SCHEMA),
                "ExecutionRequest": {**_openapi_schema(schemas.EXECUTION_REQUEST),
                                     "example": {"action": "core.noop", "parameters": {}}},
                "ExecutionUpdate": {**_openapi_schema(schemas.EXECUTION_UPDATE),
                                    "example": {"status": "pausing", "comment": "maintenance window"}},
                "RerunRequest": {**_openapi_schema(schemas.RERUN_REQUEST),
                                 "example": {"tasks": ["task2", "task3"], "reset": ["task2"]}},
                "Action": {"type": "object", "properties": {
                    "id": {"type": "string"}, "ref": {"type": "string"}, "pack": {"type": "string"},
                    "name": {"type": "string"}, "runner_type": {"type": "string"},
                    "parameters": {"type": "object"}, "description": {"type": "string"},
                    "enabled": {"type": "boolean"}, "entry_point": {"type": "string"}}},
                "RunnerType": {"type": "object", "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"},
                    "runner_parameters": {"type": "object"}, "enabled": {"type": "boolean"}}},
            },
        },
    }


def _openapi_schema(schema: dict) -> dict:
    """JSON schema (draft 4) to OpenAPI 3.0: ``type: [T, "null"]`` becomes ``nullable``."""
    schema = copy.deepcopy(schema)

    def convert(node):
        if isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, list):
                others = [k for k in kind if k != "null"]
                if "null" in kind:
                    node["nullable"] = True
                node["type"] = others[0] if len(others) == 1 else others
                if len(others) > 1:
                    node.pop("type")
                    node["anyOf"] = [{"type": k} for k in others]
            for value in node.values():
                convert(value)
        elif isinstance(node, list):
            for value in node:
                convert(value)

    convert(schema)
    return schema
