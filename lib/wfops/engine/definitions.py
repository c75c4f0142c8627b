"""Loading and checking Orquesta workflow definitions.

Every problem of a definition is reported at once, each naming the task and the line of
the YAML file it comes from, before anything runs.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

import yaml
from orquesta.specs import native as native_specs

from wfops import errors, yaml_loading

_PATH_SEGMENT = re.compile(r"[^.\[\]]+")


def _yaml_node_line(text: str, path: str) -> int | None:
    """Line (1-based) of the YAML node at a dotted spec path such as ``tasks.task1.action``."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for segment in _PATH_SEGMENT.findall(path or ""):
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if getattr(k, "value", None) == segment]
            if not match:
                break
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and segment.isdigit():
            index = int(segment)
            if index >= len(node.value):
                break
            node = node.value[index]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _task_of(path: str) -> str | None:
    match = re.match(r"tasks\.([^.\[]+)", path or "")
    return match.group(1) if match else None


def parse_definition(text: str, source: str = "workflow definition") -> dict:
    """Parse YAML text into a dict, or raise WorkflowDefinitionError naming the line."""
    try:
        data = yaml_loading.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = " at line %d, column %d" % (mark.line + 1, mark.column + 1) if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise errors.WorkflowDefinitionError(
            "%s is not valid YAML%s: %s" % (source, where, problem)
        ) from None
    if not isinstance(data, dict):
        raise errors.WorkflowDefinitionError("%s must be a YAML mapping with a version and tasks." % source)
    return data


# The names StackStorm's context gives every workflow (``ctx(st2)``, ``ctx(parent)``):
# inspection knows them, as st2 inspects with its runtime context.
INSPECTION_CONTEXT = {"st2": {}, "parent": {}}

# Orquesta's inspection categories -> the ``type`` of StackStorm's error entries.
_ENTRY_TYPES = {"syntax": "syntax", "semantics": "semantic", "expressions": "expression",
                "context": "context"}


@functools.lru_cache(maxsize=256)
def _inspected(text: str, source: str, cache_dir: str | None = None) -> tuple:
    """(spec or None, problems): the definition parsed and inspected by Orquesta (with
    StackStorm's context names) and checked for undefined functions. Problems are
    StackStorm's error entries (``type``, ``message``, ``spec_path``, ``schema_path``;
    ``language`` and ``expression`` for expressions); one without a spec has only a
    ``message``. With ``cache_dir``, Orquesta's inspection is read from
    (``inspection_cache``) or kept in it. O(size of the definition)."""
    from wfops.engine import inspection_cache

    try:
        data = parse_definition(text, source)
    except errors.WorkflowDefinitionError as e:
        return None, ({"message": e.message},)
    try:
        spec = native_specs.WorkflowSpec(data)
    except Exception as e:  # Orquesta raises plain exceptions for schema-level problems
        return None, ({"message": "%s is invalid: %s" % (source, e)},)
    found = inspection_cache.read(cache_dir, text)
    if found is None:
        found = spec.inspect(app_ctx=INSPECTION_CONTEXT, raise_exception=False)
        inspection_cache.write(cache_dir, text, found)
    problems = []
    for category, entry_type in _ENTRY_TYPES.items():
        for entry in found.get(category, []) if isinstance(found, dict) else []:
            entry = dict(entry)
            if "type" in entry:  # the expression language, as st2 renames it
                entry["language"] = entry.pop("type")
            problems.append(dict(entry, type=entry_type))
    problems += _undefined_function_problems(data)
    return spec, tuple(problems)


def load_spec(text: str, source: str = "workflow definition"):
    """Return an Orquesta native ``WorkflowSpec`` for ``text`` after inspecting it; raise
    WorkflowDefinitionError listing every problem, each naming its task and line."""
    spec, problems = _inspected(text, source)
    lines = [_located(text, source, p) for p in problems]
    errors.collect(
        lines,
        errors.WorkflowDefinitionError,
        header="%s has %d problem(s):" % (source, len(lines)) if len(lines) > 1 else "",
    )
    return spec


def workflow_problems(text: str, source: str, registry, cache_dir: str | None = None) -> tuple[Any, list[dict]]:
    """(spec or None, problems) of a workflow definition as StackStorm inspects it when a
    workflow is requested: Orquesta's inspection, undefined functions, and each task's
    action and input against the actions of ``registry``; sorted by type and schema path
    (st2's order). An empty list: the workflow can start. ``cache_dir``: where Orquesta's
    inspection is cached (``inspection_cache``). O(size of the definition)."""
    spec, problems = _inspected(text, source, cache_dir)
    found = [dict(p) for p in problems]
    if spec is not None:
        found += _task_content_problems(spec, registry)
    found.sort(key=lambda p: (p.get("type", ""), p.get("schema_path", "")))
    return spec, found


def action_problems(action, registry, cache_dir: str | None = None) -> tuple[Any, list[dict]]:
    """``workflow_problems`` of an ``orquesta`` action's definition (its entry point)."""
    try:
        with open(action.entry_point, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as e:
        return None, [{"message": 'The workflow definition of "%s" cannot be read: %s' % (action.ref, e)}]
    return workflow_problems(text, os.path.relpath(action.entry_point), registry, cache_dir)


def _located(text: str, source: str, problem: dict) -> str:
    path = problem.get("spec_path") or problem.get("schema_path") or ""
    if not path:
        return problem["message"]
    where = []
    task = _task_of(path)
    if task:
        where.append('task "%s"' % task)
    line = _yaml_node_line(text, path)
    if line:
        where.append("line %d" % line)
    prefix = "%s (%s)" % (source, ", ".join(where)) if where else source
    return "%s: %s" % (prefix, problem["message"])


_TASK_SCHEMA = "properties.tasks.patternProperties.^\\w+$"


def _task_content_problems(spec, registry) -> list[dict]:
    """StackStorm's checks of each task's action (a well-formed reference to an action
    that exists) and input (every required parameter given, none unexpected)."""
    problems = []
    for name, task_spec in spec.tasks.items():
        ref = getattr(task_spec, "action", None)
        if not ref or not isinstance(ref, str) or _EXPRESSIONS.search(ref):
            continue
        action_path = "tasks.%s.action" % name
        input_path = "tasks.%s.input" % name
        pack, dot, action_name = ref.partition(".")
        if not (pack and dot and action_name):
            problems.append(_content('The action reference "%s" is not formatted correctly.' % ref,
                                     action_path, _TASK_SCHEMA + ".properties.action"))
            continue
        try:
            action = registry.get(ref)
        except errors.ActionNotFound:
            problems.append(_content('The action "%s" is not registered in the database.' % ref,
                                     action_path, _TASK_SCHEMA + ".properties.action"))
            continue
        given = getattr(task_spec, "input", None) or {}
        if not isinstance(given, dict):
            continue
        declared = action.parameters
        required = {k for k, v in declared.items() if v.get("required") and "default" not in v}
        for parameter in sorted(required - set(given)):
            problems.append(_content('Action "%s" is missing required input "%s".' % (ref, parameter),
                                     input_path, _TASK_SCHEMA + ".properties.input"))
        for parameter in sorted(set(given) - set(declared)):
            problems.append(_content('Action "%s" has unexpected input "%s".' % (ref, parameter),
                                     "%s.%s" % (input_path, parameter),
                                     _TASK_SCHEMA + ".properties.input.patternProperties.^\\w+$"))
    return problems


def _content(message: str, spec_path: str, schema_path: str) -> dict:
    return {"type": "content", "message": message, "spec_path": spec_path, "schema_path": schema_path}


def _schema_path(spec_path: str) -> str:
    """The schema path of a spec path, in Orquesta's form: ``tasks.t1.next[0].when`` ->
    ``properties.tasks.patternProperties.^\\w+$.properties.next.items.properties.when``."""
    parts = []
    segments = re.findall(r"\[\d+\]|[^.\[\]]+", spec_path)
    for index, segment in enumerate(segments):
        if segment.startswith("["):
            parts.append("items")
        elif index == 1 and segments[0] == "tasks":
            parts.append("patternProperties.^\\w+$")
        else:
            parts.append("properties." + segment)
    return ".".join(parts)


_EXPRESSIONS = re.compile(r"<%(.*?)%>|\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
_CALL = re.compile(r"(?<![\w.$])([A-Za-z_]\w*)\s*\(")
_KEYWORDS = frozenset(
    "if elif else for in not and or is set with macro call filter block true false none null".split()
)


@functools.lru_cache(maxsize=1)
def known_functions() -> frozenset[str]:
    """Names callable in Orquesta's YAQL and Jinja expressions."""
    from orquesta.expressions import jinja, yql

    names = set(_KEYWORDS)
    context = yql.YAQLEvaluator._root_ctx
    while context is not None:
        names.update(n for n in context._functions.keys() if not n.startswith("#"))
        context = context.parent
    names.update(yql.YAQLEvaluator._custom_functions.keys())
    names.update(jinja.JinjaEvaluator._custom_functions.keys())
    names.update(jinja.JinjaEvaluator._jinja_env.globals.keys())
    return frozenset(names)


def _strings_with_paths(value, path=""):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_with_paths(item, "%s.%s" % (path, key) if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings_with_paths(item, "%s[%d]" % (path, index))


def _undefined_function_problems(data: dict) -> list[dict]:
    known = known_functions()
    problems = []
    for path, string in _strings_with_paths(data):
        for match in _EXPRESSIONS.finditer(string):
            body = next(g for g in match.groups() if g is not None)
            for name in _CALL.findall(body):
                if name in known:
                    continue
                problems.append({
                    "type": "expression",
                    "language": "yaql" if match.group(0).startswith("<%") else "jinja",
                    "expression": match.group(0).strip(),
                    "message": 'The expression "%s" calls "%s", which is not a defined function.'
                               % (match.group(0).strip(), name),
                    "spec_path": path,
                    "schema_path": _schema_path(path),
                })
    return problems


def action_references(spec) -> dict[str, str]:
    """Map task name -> action reference, for tasks whose action is a literal reference."""
    refs = {}
    for name, task_spec in spec.tasks.items():
        action = getattr(task_spec, "action", None)
        if isinstance(action, str) and "<%" not in action and "{{" not in action:
            refs[name] = action
    return refs
