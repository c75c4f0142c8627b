"""The REST API's request bodies and documented answers, as pydantic models.

FastAPI validates each request against the body model its route declares and publishes
the same model in ``/openapi.json``, so validation and document cannot disagree. Bodies
are taken as StackStorm's API takes JSON: strictly typed (``"5"`` is not an integer,
``1`` is not a string), unknown fields ignored. A refusal is worded by
:func:`wfops.api.faults.validation_faultstring`.

The answer models only document: handlers return st2's documents as they are built in
:mod:`wfops.api.resources` (they carry more fields than are listed here).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class ExecutionRequest(_Body):
    """Run an action (StackStorm's ExecutionRequest)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"action": "core.noop", "parameters": {}}]})

    action: str = Field(description="Action ref, pack.name.")
    parameters: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] | None = Field(None, description="Extra execution context (merged).")
    user: str | None = None
    delay: int | None = Field(None, ge=0, description="Milliseconds before the workflow's first tasks "
                                                      "start (workflows only).")
    notify: dict[str, Any] | None = None


class ExecutionUpdate(_Body):
    """Pause (pausing), resume (resuming) or cancel (canceling) an execution."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "pausing",
                                                               "comment": "maintenance window"}]})

    status: Literal["pausing", "paused", "resuming", "canceling", "canceled"]
    comment: str | None = Field(None, description="wfops: recorded in the audit entry.")
    user: str | None = Field(None, description="wfops: who acts, for the audit entry (a key bound to a "
                                               "user acts as that user).")


class RerunRequest(_Body):
    """StackStorm's re-run request (parameters, tasks, reset, delay, user) plus wfops's
    extras. Without tasks (and without failed/items/context/skip) it is a re-run from the
    beginning; with them, a re-run from tasks. Tasks not in reset keep their succeeded
    items (no_reset = tasks - reset)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"tasks": ["task2", "task3"], "reset": ["task2"]}]})

    parameters: dict[str, Any] = Field(default_factory=dict)
    tasks: list[str] = Field(default_factory=list)
    reset: list[str] = Field(default_factory=list)
    no_reset: list[str] | None = Field(None, description="wfops: the tasks whose succeeded items are "
                                                         "kept, as --no-reset names them; instead of reset.")
    delay: int | None = Field(None, ge=0, description="Milliseconds: the re-run's first tasks start this "
                                                      "long after the request (workflows only).")
    user: str | None = None
    failed: bool = Field(False, description="Add every task whose latest run abended.")
    # Each selection is checked by the planner (wfops.item_selection), as the command line's
    # and the pack's are, so every front end refuses a bad one with the same sentence.
    items: dict[str, list[Any]] | None = Field(
        None, description="{task: [item index, ...]}: re-run exactly these items (E3). Each list "
                          "names distinct item indices (integers from 0), at least one, each below "
                          "the task's item count.")
    context: dict[str, dict[str, Any]] | None = Field(
        None, description="{task: {key: value}}: merged into the task's inbound context (E2).")
    skip: list[str] | None = Field(None, description="Tasks to record as succeeded and skipped (E4).")
    result: Any = Field(None, description="The skipped task's result (one skip), or {task: result}.")
    publish: dict[str, Any] | None = Field(None, description="{key: value} for one skip, or "
                                                             "{task: {key: value}}.")
    force: bool = Field(False, description="Submit despite blocked joins (R9).")
    dry_run: bool = Field(False, description="Return the plan; change nothing (R13).")
    format: Literal["json", "dot"] | None = Field(
        None, description='With dry_run: dot adds the run graph (Graphviz) as "dot".')
    fingerprint: str | None = Field(None, description="Refuse if the state changed since this plan.")
    comment: str | None = None


class KeyValuePairRequest(_Body):
    """Create or replace a datastore key (StackStorm's KeyValuePairRequest). The key's name
    is the path's; ``scope`` and ``user`` here win over the query's, as on StackStorm."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "endpoint", "value": "https://api.example"},
                                                              {"name": "token", "value": "s3cret", "secret": True,
                                                               "ttl": 3600}]})

    name: str = Field(description="Key name.")
    value: str = Field(description="The value (JSON text for structured data).")
    secret: bool = Field(False, description="Encrypt the value before it is stored.")
    encrypted: bool = Field(False, description="The value is already encrypted with this datastore's key "
                                               "(as `st2 key list --json` exports secrets): stored as it is.")
    scope: str | None = Field(None, description="system (default) or user (also st2kv.system, st2kv.user).")
    ttl: int | None = Field(None, description="Seconds until the key expires (a whole number > 0).")
    user: str | None = Field(None, description="The user a user-scoped key belongs to (default: who acts).")
    description: str | None = None


# -- answers (documentation) ------------------------------------------------------------


class _Document(BaseModel):
    model_config = ConfigDict(extra="allow")


class Fault(BaseModel):
    """Every refusal: StackStorm's error body."""

    faultstring: str


class Execution(_Document):
    """StackStorm's execution document (secret parameters masked)."""

    id: str
    action: dict[str, Any]
    runner: dict[str, Any] | None = None
    status: str
    parameters: dict[str, Any] = {}
    result: Any = None
    context: dict[str, Any] = {}
    parent: str | None = None
    children: list[str] | None = None
    start_timestamp: str | None = None
    end_timestamp: str | None = None
    log: list[dict[str, Any]] = []
    plan: dict[str, Any] | None = Field(None, description="wfops: the plan a re-run from tasks applied.")


class Action(_Document):
    id: str
    ref: str
    pack: str
    name: str
    runner_type: str
    parameters: dict[str, Any] = {}
    description: str = ""
    enabled: bool = True
    entry_point: str = ""


class RunnerType(_Document):
    id: str
    name: str
    runner_parameters: dict[str, Any] = {}
    enabled: bool = True


class LoadedPackEntry(_Document):
    """wfops: a pack that was loaded, and from where."""

    ref: str
    path: str
    bundled: bool = Field(description="One of the packs wfops always adds (not from WFOPS_PACKS_PATH).")


class PackProblemEntry(_Document):
    """wfops: a metadata file (or pack directory) left out, and why."""

    file: str
    pack: str | None = None
    reason: str


class PackReport(_Document):
    """wfops: the packs loaded and every file left out, as ``wfops pack list`` shows them."""

    packs: list[LoadedPackEntry]
    problems: list[PackProblemEntry]


class Pack(_Document):
    """StackStorm's PackAPI."""

    id: str
    ref: str
    name: str
    description: str = ""
    version: str = ""
    author: str = ""
    email: str | None = None
    keywords: list[str] = []
    path: str | None = None


class ActionAlias(_Document):
    """StackStorm's ActionAliasAPI."""

    id: str
    ref: str
    name: str
    pack: str
    action_ref: str
    formats: list[Any] = []
    description: str | None = None
    enabled: bool = True


class SensorType(_Document):
    """StackStorm's SensorTypeAPI."""

    id: str
    ref: str
    class_name: str
    pack: str
    entry_point: str = ""
    enabled: bool = True
    trigger_types: list[Any] = []


class Rule(_Document):
    """StackStorm's RuleAPI."""

    id: str
    ref: str
    name: str
    pack: str
    trigger: dict[str, Any]
    action: dict[str, Any]
    criteria: dict[str, Any] = {}
    enabled: bool = False


class Plan(_Document):
    """A dry run's answer: the plan, and with ``"format": "dot"`` its run graph."""

    id: str
    dry_run: bool
    plan: dict[str, Any]
    dot: str | None = None


class KeyValuePair(_Document):
    """StackStorm's KeyValuePairAPI: a secret's value is its ciphertext (``encrypted``
    true) unless ``decrypt`` was asked."""

    id: str
    uid: str
    name: str
    value: str
    secret: bool = False
    encrypted: bool = False
    scope: str
    user: str | None = Field(None, description="The owner of a user-scoped key.")
    description: str | None = None
    expire_timestamp: str | None = Field(None, description="When a key set with a TTL expires (UTC).")


class InquiryResponseRequest(_Body):
    """An answer to an inquiry (StackStorm's InquiryResponseResult): ``response`` is
    checked against the inquiry's schema."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "5f0c4a6e8d2b4c0a1e3f5a7b",
                                                              "response": {"continue": True}}]})

    id: str | None = Field(None, description="The inquiry's id (the path's is the one answered).")
    response: dict[str, Any] = Field(description="The response data, valid for the inquiry's schema.")


class Inquiry(_Document):
    """StackStorm's Inquiry: a pending inquirer execution's definition."""

    id: str
    route: str | None = None
    ttl: int | None = Field(None, description="Minutes before an unanswered inquiry times out.")
    users: list[str] | None = Field(None, description="Users who may respond (all when empty).")
    roles: list[str] | None = Field(None, description="Roles who may respond (kept, not checked: no RBAC).")
    # ``schema`` shadows a BaseModel attribute: declared under another name, served as ``schema``.
    schema_: dict[str, Any] | None = Field(None, alias="schema", description="JSON schema of the response.")


class InquiryResponseResult(_Document):
    """The answer to an accepted response."""

    id: str
    response: dict[str, Any]
