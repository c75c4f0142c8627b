"""The parameters of the pack's actions, made into one checked request.

Action parameters arrive from three places: workflows and rules (typed values), the
``st2 run`` command line (st2 casts ``key=value`` strings by the parameter type) and
ChatOps aliases (st2 casts an array by splitting on commas, and an object from JSON).
So every list also accepts ``"a,b c"`` strings, and ``items``/``context``/``publish``
accept the short forms ``{"task1": "0,3,5"}`` and ``{"task2": "target=good"}`` besides
the API's ``{"task1": [0, 3, 5]}`` and ``{"task2": {"target": "good"}}``.

Every problem of a request is reported at once (:class:`OptionError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wfops.rerun_request import RESET_NOT_SUBSET as NO_RESET_NOT_SUBSET  # st2client's and st2api's words

_NAME = re.compile(r"^\w+(?:\[\d+\])?$")
_UNSET = object()


class OptionError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        if len(problems) == 1:
            message = problems[0]
        else:
            message = "The request has %d problems:\n%s" % (
                len(problems), "\n".join("  - %s" % p for p in problems))
        super().__init__(message)


def split_list(value: Any) -> list[str]:
    """``["a", "b"]``, ``"a,b"``, ``"a b"`` or ``["a,b", "c"]`` -> ``["a", "b", ...]``,
    without empties and duplicates, in the given order."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    out: list[str] = []
    for entry in value:
        if entry is None:
            continue
        for part in re.split(r"[,\s]+", str(entry).strip()):
            if part and part not in out:
                out.append(part)
    return out


def parse_value(text: Any) -> Any:
    """A value given as text: JSON when it is valid JSON, else the text itself (E2). JSON
    nested too deeply to be read is refused (:class:`OptionError`)."""
    from wfops import nesting

    if not isinstance(text, str):
        return text
    try:
        return nesting.loads(text)
    except nesting.TooDeep as e:
        raise OptionError([e.message]) from None
    except ValueError:
        return text


def parse_assignments(text: str, what: str, problems: list[str]) -> dict[str, Any]:
    """``"k=v, k2=[1,2]"`` -> ``{"k": "v", "k2": [1, 2]}``. Values that contain commas
    must be JSON (brackets and quotes are respected)."""
    values: dict[str, Any] = {}
    for part in _split_top_level(text):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not re.match(r"^[A-Za-z_]\w*$", key):
            problems.append('%s: "%s" is not of the form key=value.' % (what, part))
            continue
        values[key] = parse_value(value.strip())
    return values


def _split_top_level(text: str) -> list[str]:
    parts, depth, quote, current = [], 0, None, []
    for char in text:
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char in ",;" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _mapping(value: Any, what: str, problems: list[str]) -> dict | None:
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, str):
        parsed = parse_value(value)
        if not isinstance(parsed, dict):
            problems.append('%s must be an object such as {"task1": ...}, not %r.' % (what, value))
            return None
        value = parsed
    if not isinstance(value, dict):
        problems.append("%s must be an object keyed by task name, not %s." % (what, type(value).__name__))
        return None
    return value


def normalize_items(value: Any, problems: list[str]) -> dict[str, list[int]] | None:
    """``{task: [index, ...]}`` (E3); an index list may also be given as ``"0,3,5"`` (or
    ``"0 3 5"``), an index as ``"3"``. Each list is then checked as every front end's is
    (:func:`wfops.item_selection.item_selection_problems`: not empty, distinct item
    indices); whether an index is in range is the planner's to say, from the run."""
    from wfops.item_selection import item_selection_problems

    items = _mapping(value, "items", problems)
    if items is None:
        return None
    out: dict[str, list[int]] = {}
    for task, indices in items.items():
        if isinstance(indices, (int, str)) and not isinstance(indices, bool):
            indices = _split_indices(str(indices))
        if isinstance(indices, list):
            indices = [_index(i) for i in indices]
        found = item_selection_problems(str(task), indices)
        problems += found
        if not found:
            out[str(task)] = indices
    return out or None


def _split_indices(text: str) -> list[str]:
    """``"0,3,5"`` / ``"0 3 5"`` -> ``["0", "3", "5"]``, duplicates kept (they are refused)."""
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def _index(value: Any) -> Any:
    """``"3"`` -> ``3``; anything else as it is."""
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        return int(value)
    return value


def normalize_context(value: Any, problems: list[str]) -> dict[str, dict[str, Any]] | None:
    """``{task: {key: value}}`` (E2); ``{task: "k=v,k2=v2"}`` is accepted too."""
    context = _mapping(value, "context", problems)
    if context is None:
        return None
    out: dict[str, dict[str, Any]] = {}
    for task, values in context.items():
        if isinstance(values, str):
            values = parse_assignments(values, 'context of "%s"' % task, problems)
        if not isinstance(values, dict) or not values:
            problems.append('context of "%s" must be an object of variables, e.g. {"target": "good"}.' % task)
            continue
        out[str(task)] = values
    return out or None


def normalize_publish(value: Any, problems: list[str]) -> Any:
    """What a skipped task publishes (E4): ``{key: value}`` for a single skip, or ``{task:
    {key: value}}``; the text ``"k=v,k2=v2"`` is accepted for a single skip. Which of the
    two it is, :func:`wfops.rerun_request.per_skip` says."""
    if isinstance(value, str) and value.strip() and not value.strip().startswith("{"):
        value = parse_assignments(value, "publish", problems)
    return _mapping(value, "publish", problems)


def _per_skip(part: str, value: Any, skips: list[str], problems: list[str]) -> dict | None:
    from wfops import errors
    from wfops.rerun_request import per_skip

    try:
        return per_skip(part, value, skips)
    except errors.WfopsError as e:
        problems.append(e.message)
        return None


@dataclass
class RerunOptions:
    """A re-run request as the pack's actions are given it, each value read as st2 casts
    it; :meth:`rerun_request` is the request every layer reads. ``result`` and
    ``publish`` are keyed by skipped task once built."""

    id: str
    tasks: list[str] = field(default_factory=list)
    no_reset: list[str] = field(default_factory=list)
    failed: bool = False
    parameters: dict[str, Any] = field(default_factory=dict)
    items: dict[str, list[int]] | None = None
    context: dict[str, dict[str, Any]] | None = None
    skip: list[str] = field(default_factory=list)
    result: Any = _UNSET
    publish: dict | None = None
    force: bool = False
    dry_run: bool = False
    comment: str | None = None
    delay: int = 0

    @classmethod
    def build(cls, id: Any, tasks: Any = None, no_reset: Any = None, failed: Any = False,
              parameters: Any = None, items: Any = None, context: Any = None, skip: Any = None,
              result: Any = _UNSET, publish: Any = None, force: Any = False, dry_run: Any = False,
              comment: Any = None, delay: Any = None) -> RerunOptions:
        problems: list[str] = []
        ids = split_list(id)
        if len(ids) != 1:
            problems.append("Give exactly one execution id to re-run (got %s)." % (ids or "none"))
        tasks_list = split_list(tasks)
        no_reset_list = split_list(no_reset)
        skips = split_list(skip)
        for name in tasks_list + no_reset_list + skips:
            if not _NAME.match(name):
                problems.append('"%s" is not a task name or name[route].' % name)
        if parameters in (None, ""):
            parameters = {}
        if isinstance(parameters, str):
            parameters = parse_value(parameters)
        if not isinstance(parameters, dict):
            problems.append("parameters must be an object of action parameters.")
            parameters = {}
        options = cls(
            id=ids[0] if ids else "",
            tasks=tasks_list,
            no_reset=no_reset_list,
            failed=_bool(failed),
            parameters=parameters,
            items=normalize_items(items, problems),
            context=normalize_context(context, problems),
            skip=skips,
            result=_UNSET if result is _UNSET or (result is None and not skips) else parse_value(result),
            publish=normalize_publish(publish, problems),
            force=_bool(force),
            dry_run=_bool(dry_run),
            comment=str(comment) if comment not in (None, "") else None,
            delay=_delay(delay, problems),
        )
        if options.result_given:
            options.result = _per_skip("result", options.result, skips, problems)
        if options.publish:
            options.publish = _per_skip("publish", options.publish, skips, problems)
        # R5, checked here as st2client does: the API only sees reset = tasks - no_reset,
        # where a no-reset name outside tasks would silently vanish.
        requested = [_ref(t) for t in tasks_list]
        if not options.failed and any(
            not any(name == n and (route is None or route == r) for name, route in requested)
            for n, r in (_ref(t) for t in no_reset_list)
        ):
            problems.append(NO_RESET_NOT_SUBSET)
        if problems:
            raise OptionError(problems)
        return options

    @property
    def result_given(self) -> bool:
        return self.result is not _UNSET

    def rerun_request(self, user: str | None = None):
        """The :class:`wfops.rerun_request.RerunRequest` these options make."""
        from wfops.rerun_request import RerunRequest

        return RerunRequest(
            execution_id=self.id, tasks=list(self.tasks), no_reset=list(self.no_reset), failed=self.failed,
            force=self.force, parameters=self.parameters or None, items=self.items, context=self.context,
            skip=list(self.skip), result=self.result if self.result_given else None, publish=self.publish,
            dry_run=self.dry_run, comment=self.comment, user=user, delay=self.delay)

    def reset(self, tasks: list[str] | None = None) -> list[str]:
        """StackStorm's ``reset``: the tasks less those a no-reset name covers (``task2``
        covers ``task2[1]``)."""
        no_reset = [_ref(t) for t in self.no_reset]
        out = []
        for text in self.tasks if tasks is None else tasks:
            name, route = _ref(text)
            if not any(n == name and (r is None or r == route) for n, r in no_reset):
                out.append(text)
        return out

    def request(self) -> dict[str, Any]:
        """The request as given (what results and audit entries show)."""
        out: dict[str, Any] = {"id": self.id}
        for name in ("tasks", "no_reset", "failed", "parameters", "items", "context", "skip",
                     "publish", "force", "dry_run", "comment", "delay"):
            value = getattr(self, name)
            if value not in (None, [], {}, False, 0, ""):
                out[name] = value
        if self.result_given:
            out["result"] = self.result
        return out


def _ref(text: str) -> tuple[str, int | None]:
    """``"task2"`` -> ``("task2", None)``; ``"task2[1]"`` -> ``("task2", 1)``."""
    name, _, route = str(text).strip().partition("[")
    route = route.rstrip("]").strip()
    return name.strip(), int(route) if route.isdigit() else None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "y", "on")
    return bool(value)


def _delay(value: Any, problems: list[str]) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        problems.append('delay must be a number of milliseconds, not "%s".' % value)
        return 0
    if number < 0:
        problems.append("delay must not be negative.")
        return 0
    return number
