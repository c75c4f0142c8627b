"""What a user asks a re-run (or a skip) to do: :class:`RerunRequest`, the one request
type of every front end and layer, and :class:`TaskRef` for the ``name`` /
``name[route]`` strings it names tasks with.

Pure and light (the command line imports it without the planner or the engine), and it
runs on StackStorm's Python 3.8, where the pack's actions parse their parameters into it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wfops import errors
from wfops.request_terms import term

_TASK_REF = re.compile(r"^\s*(\w+)\s*(?:\[\s*(\d+)\s*\])?\s*$")


@dataclass(frozen=True)
class TaskRef:
    """A task named by the user: ``name`` (every route it ran on) or ``name[route]``."""

    name: str
    route: int | None = None

    @classmethod
    def parse(cls, text: str) -> TaskRef:
        """Parse ``"task2"`` or ``"task2[1]"``. Raises ``ValueError`` on anything else."""
        match = _TASK_REF.match(text) if isinstance(text, str) else None
        if not match:
            raise ValueError('"%s" is not a task name or name[route].' % (text,))
        name, route = match.groups()
        return cls(name, None if route is None else int(route))

    def covers(self, other: TaskRef) -> bool:
        """True when every task execution ``other`` names is also named by this ref."""
        return self.name == other.name and (self.route is None or self.route == other.route)

    def __str__(self) -> str:
        return self.name if self.route is None else "%s[%d]" % (self.name, self.route)


# The planning part of a request (what the planner reads), then what the operation
# carries besides (where, who, why, how). Field names are the request's terms
# (:mod:`wfops.request_terms`) and the API body's names.
PLANNING_FIELDS = ("tasks", "no_reset", "failed", "force", "parameters", "items", "context", "skip", "result",
                   "publish")
OPERATION_FIELDS = ("execution_id", "no_merge", "fingerprint", "dry_run", "comment", "user", "delay")


@dataclass
class RerunRequest:
    """A re-run request, the one type every front end parses its input into (the
    ``wfops`` command line, the REST API's ``re_run`` body, the pack's action
    parameters) and every layer behind it reads: the operations, the owning engine (the
    command table carries :meth:`to_payload`), the planner and the audit trail.

    ``tasks`` and ``no_reset`` hold ``name`` / ``name[route]`` strings; ``failed`` adds
    every task whose latest execution abended; ``force`` turns blocked joins into
    warnings. The resume extras (E2-E4): ``items`` ``{task: [item index, ...]}``,
    ``context`` ``{task: {key: value}}``, ``skip`` ``[task, ...]``, ``result``
    ``{task: result}`` (a task keyed to None is given a null result), ``publish``
    ``{task: {key: value}}``. A request with none of these is a re-run from the
    beginning (:attr:`from_beginning`), which takes ``parameters`` (merged over the
    original's unless ``no_merge``).

    ``fingerprint`` names the state a previewed plan was computed from (R13): the request
    is refused if the workflow has changed since. ``delay`` is in milliseconds, as st2's.
    """

    tasks: list[str] = field(default_factory=list)
    no_reset: list[str] = field(default_factory=list)
    failed: bool = False
    force: bool = False
    parameters: dict[str, Any] | None = None
    items: dict[str, list[int]] | None = None
    context: dict[str, dict[str, Any]] | None = None
    skip: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    publish: dict[str, dict[str, Any]] | None = None
    execution_id: str = ""
    no_merge: bool = False
    fingerprint: str | None = None
    dry_run: bool = False
    comment: str | None = None
    user: str | None = None
    delay: int = 0

    @property
    def from_tasks(self) -> bool:
        """Whether this is a re-run from tasks (anything but a re-run from the beginning):
        the one definition every front end and layer uses."""
        return bool(self.tasks or self.failed or self.no_reset or self.items or self.context
                    or self.skip or self.result or self.publish)

    @property
    def from_beginning(self) -> bool:
        return not self.from_tasks

    @property
    def extras(self) -> list[str]:
        """The resume extras this request uses (what StackStorm's own API cannot carry)."""
        return [name for name in ("items", "context", "skip", "result", "publish") if getattr(self, name)]

    @property
    def skips_only(self) -> bool:
        """Only skips (with their results and published values): the request ``skip``
        makes, which may act in place on a paused workflow."""
        return bool(self.skip) and not (self.tasks or self.failed or self.no_reset or self.items or self.context)

    def problems(self) -> list[str]:
        """What is wrong with the request whatever the run (the planner says the rest),
        in request terms. O(size of the request)."""
        problems = []
        if self.from_tasks and self.parameters:
            problems.append(PARAMETERS_WITH_TASKS)
        if self.fingerprint and self.from_beginning:
            problems.append(FINGERPRINT_FROM_BEGINNING)
        skipped = set(self.skip)
        problems += ["%s applies only to a skipped task: add %s." % (term(part, task), term("skip", task))
                     for part, names in (("result", self.result or {}), ("publish", self.publish or {}))
                     for task in names if task not in skipped]
        if self.delay < 0:
            problems.append("`delay` must not be negative (milliseconds).")
        return problems

    def to_dict(self) -> dict[str, Any]:
        """The planning part, every field (a plan's ``request``)."""
        return {name: getattr(self, name) for name in PLANNING_FIELDS}

    def to_payload(self) -> dict[str, Any]:
        """The request as JSON in its own terms, empty parts left out: what the command
        table carries to the owning engine, the REST API's ``re_run`` body, and the
        audit trail's record of what was asked. :meth:`from_payload` reads it back."""
        out: dict[str, Any] = {}
        for name in PLANNING_FIELDS + OPERATION_FIELDS:
            value = getattr(self, name)
            if value not in (None, [], {}, False, 0, ""):
                out[name] = value
        return out

    def parameters_from(self, original: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
        """The parameters of this re-run from the beginning of an execution that ran with
        ``original``, for an action whose parameter ``schema`` is given: the request's
        over the original's (only the request's with ``no_merge``). Immutable parameters
        are left out: the stored execution holds their defaults, which are not the user's
        to give again. O(P)."""
        overrides = dict(self.parameters or {})
        if self.no_merge:
            return overrides
        schema = schema or {}
        given = {k: v for k, v in (original or {}).items() if not (schema.get(k) or {}).get("immutable")}
        return {**given, **overrides}

    def to_api_body(self) -> dict[str, Any]:
        """The REST API's ``re_run`` body of this request (its execution is the path's,
        ``no_merge`` the query's). ``no_reset`` is always sent: without it the API reads
        the body as StackStorm's, whose tasks not in ``reset`` keep their items."""
        body = self.to_payload()
        body.pop("execution_id", None)
        body.pop("no_merge", None)
        body["no_reset"] = list(self.no_reset)
        return body

    def audit_record(self) -> dict[str, Any]:
        """What was asked, as the audit trail records it (who and why are kept beside it)."""
        payload = self.to_payload()
        return {k: v for k, v in payload.items() if k not in ("execution_id", "user", "comment", "dry_run")}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> RerunRequest:
        """The request :meth:`to_payload` wrote (unknown keys are ignored)."""
        known = set(PLANNING_FIELDS + OPERATION_FIELDS)
        values = {k: v for k, v in data.items() if k in known}
        for name in ("tasks", "no_reset", "skip"):
            values[name] = list(values.get(name) or [])
        return cls(**values)

    from_dict = from_payload


# StackStorm's wording.
RESET_NOT_SUBSET = "List of tasks to reset does not match the tasks to rerun."
PARAMETERS_WITH_TASKS = "Parameters override is not supported when re-running task(s) for a workflow."
FINGERPRINT_FROM_BEGINNING = (
    "`fingerprint` applies to a re-run from tasks (a plan of the workflow's state); a re-run "
    "from the beginning does not depend on that state."
)


def per_skip(part: str, value: Any, skips: list[str]) -> dict[str, Any]:
    """``result`` or ``publish`` (``part``) as the request keeps it, keyed by skipped task,
    from what a front end was given: already keyed, or, with one skipped task, that task's
    value alone (``result: {...}``, ``publish: {key: value}``). Raises ParameterError. O(len(value))."""
    if not skips and isinstance(value, dict) and value:
        return value  # keyed: the request's problems name each task that is not skipped
    if not skips:
        raise errors.ParameterError("%s applies only to a skipped task: name the task in %s."
                                    % (term(part), term("skip")))
    if part == "result" and value is None:
        return {task: None for task in skips}  # a null result for each
    keyed = isinstance(value, dict) and bool(value) and set(value) <= set(skips) and (
        part == "result" or all(isinstance(v, dict) for v in value.values()))
    if len(skips) == 1 and not (keyed and set(value) == set(skips)):
        if part == "publish" and not isinstance(value, dict):
            raise errors.ParameterError("%s must be an object of {key: value}." % term("publish"))
        return {skips[0]: value}
    if not keyed:
        raise errors.ParameterError("With several skipped tasks, %s must be an object keyed by the skipped "
                                    "task names (%s)." % (term(part), ", ".join(skips)))
    return value
