"""Loading and checking Orquesta workflow definitions.

Every problem of a definition is reported at once, each naming the task and the line of
the YAML file it comes from, before anything runs.
"""

from __future__ import annotations

import functools
import re

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


@functools.lru_cache(maxsize=256)
def _load_spec_cached(text: str, source: str):
    data = parse_definition(text, source)
    try:
        spec = native_specs.WorkflowSpec(data)
    except Exception as e:  # Orquesta raises plain exceptions for schema-level problems
        raise errors.WorkflowDefinitionError("%s is invalid: %s" % (source, e)) from None
    problems = []
    found = spec.inspect(app_ctx={}, raise_exception=False)
    for category in ("syntax", "semantics", "expressions", "context"):
        for entry in found.get(category, []) if isinstance(found, dict) else []:
            path = entry.get("spec_path") or entry.get("schema_path") or ""
            task = _task_of(path)
            line = _yaml_node_line(text, path)
            where = []
            if task:
                where.append('task "%s"' % task)
            if line:
                where.append("line %d" % line)
            prefix = "%s (%s)" % (source, ", ".join(where)) if where else source
            problems.append("%s: %s" % (prefix, entry.get("message")))
    problems += _undefined_function_problems(text, data, source)
    errors.collect(
        problems,
        errors.WorkflowDefinitionError,
        header="%s has %d problem(s):" % (source, len(problems)) if len(problems) > 1 else "",
    )
    return spec


def load_spec(text: str, source: str = "workflow definition"):
    """Return an Orquesta native ``WorkflowSpec`` for ``text`` after inspecting it."""
    return _load_spec_cached(text, source)


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


def _undefined_function_problems(text: str, data: dict, source: str) -> list[str]:
    known = known_functions()
    problems = []
    for path, string in _strings_with_paths(data):
        for match in _EXPRESSIONS.finditer(string):
            body = next(g for g in match.groups() if g is not None)
            for name in _CALL.findall(body):
                if name in known:
                    continue
                where = []
                task = _task_of(path)
                if task:
                    where.append('task "%s"' % task)
                line = _yaml_node_line(text, path)
                if line:
                    where.append("line %d" % line)
                prefix = "%s (%s)" % (source, ", ".join(where)) if where else source
                problems.append(
                    '%s: the expression "%s" calls "%s", which is not a defined function.'
                    % (prefix, match.group(0).strip(), name)
                )
    return problems


def action_references(spec) -> dict[str, str]:
    """Map task name -> action reference, for tasks whose action is a literal reference."""
    refs = {}
    for name, task_spec in spec.tasks.items():
        action = getattr(task_spec, "action", None)
        if isinstance(action, str) and "<%" not in action and "{{" not in action:
            refs[name] = action
    return refs
