"""Action parameters as StackStorm handles them: casting ``key=value`` strings from the
command line, applying (and rendering) defaults, and validating against the action's
effective parameter schema.

Every problem is reported at once, in one :class:`~wfops.errors.ParameterError`; each
message names the parameter and the action and otherwise keeps StackStorm's wording
(``'cmd' is a required property``, ``Additional properties are not allowed ('foo' was
unexpected)``, ``'x' is not of type 'integer'``).
"""

from __future__ import annotations

import ast
import copy
import json
import os
from typing import Any, Callable

import jinja2
import jinja2.meta
import jinja2.sandbox
from jsonschema import Draft3Validator, Draft4Validator, validators

from wfops import errors, nesting
from wfops.expressions.data import NONE_MAGIC_VALUE
from wfops.masking import MASKED_ATTRIBUTE_VALUE
from wfops.packs.action_spec import ActionSpec
from wfops.packs.config import load_pack_config

__all__ = ["cast_cli_values", "validate_parameters"]

# Keys of wfops/StackStorm parameter metadata that are not JSON schema for the value.
_METADATA_ONLY_KEYS = ("required", "immutable", "secret", "position")

# Any type, for parameters declared with no attributes at all (as StackStorm).
_ANY_TYPE = {
    "anyOf": [
        {"type": t} for t in ("array", "boolean", "integer", "number", "object", "string")
    ]
}


def _required_list_only(validator, required, instance, schema):
    # Draft 3 style ``required: true`` inside properties is handled by "properties" below;
    # only Draft 4 lists of names are checked here.
    if isinstance(required, list):
        yield from Draft4Validator.VALIDATORS["required"](validator, required, instance, schema)


# StackStorm's custom validator: Draft 4, with Draft 3's per-property ``required: true``.
_ParameterValidator = validators.extend(
    Draft4Validator,
    {"properties": Draft3Validator.VALIDATORS["properties"], "required": _required_list_only},
)
StackStormValidator = _ParameterValidator  # also checks inquiry responses (wfops.inquiries)


def _problem(action: ActionSpec, name: str, text: str) -> str:
    return 'Parameter "%s" of action "%s": %s' % (name, action.ref, text)


# --------------------------------------------------------------------------------------
# Casting of command line strings (st2client's rules)


def _cast_boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError(value)


def _cast_object(value: str) -> Any:
    if value.startswith("{"):
        return nesting.loads(value)
    # Other JSON (a list, a number) stays what it is, for validation to refuse: st2client
    # would make it {} without a word.
    try:
        return nesting.loads(value)
    except ValueError:
        pass
    # Also "key1=val1,key2=val2"; pairs without "=" are dropped, as st2client does, but a
    # text without any pair is left a string (validation refuses it) rather than made {}.
    result = {}
    for pair in value.split(","):
        key, sep, item = pair.partition("=")
        if sep:
            result[key] = item
    if value.strip() and not result:
        raise ValueError(value)
    return result


def _cast_array(value: str) -> Any:
    # A lone integer is a one-element array (st2client), not the JSON number it parses as.
    try:
        return [int(value)]
    except ValueError:
        pass
    try:
        return nesting.loads(value)
    except ValueError:
        return [item.strip() for item in value.split(",")]


_CLI_CASTS: dict[str, Callable[[str], Any]] = {
    "array": _cast_array,
    "boolean": _cast_boolean,
    "integer": int,
    "number": float,
    "object": _cast_object,
    "string": str,
}


def cast_cli_values(action: ActionSpec, values: dict[str, str]) -> dict:
    """Cast ``key=value`` strings from the command line by each parameter's declared type.

    As ``st2 run``: integer and number by ``int``/``float``; boolean ``true``/``false``
    (any case); array as JSON, else a comma-separated list (a lone integer becomes a
    one-element array); object as JSON, else ``k1=v1,k2=v2`` (unlike ``st2 run``, JSON
    that is not an object, such as a list, and text without any ``k=v`` pair are left as
    they are, for validation to refuse, instead of becoming ``{}``); string unchanged. A
    key written ``@name`` takes the content of the file named by the value. Values that
    are not strings are passed through.

    Unlike ``st2 run``, which stops at the first value it cannot cast, such a value is left
    a string, as are unknown keys: :func:`validate_parameters` then reports it ("'abc' is
    not of type 'integer'") together with every other problem. Only files that cannot be
    read are refused here (ParameterError listing each), and JSON nested too deeply to be
    read (:class:`wfops.nesting.TooDeep`).
    """
    result: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in values.items():
        if key.startswith("@"):
            key = key[1:]
            try:
                with open(os.path.abspath(value), encoding="utf-8") as stream:
                    result[key] = stream.read()
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
                text = 'cannot read file "%s": %s' % (value, reason)
                problems.append(_problem(action, key, text))
            continue
        declared = (action.parameters.get(key) or {}).get("type")
        cast = _CLI_CASTS.get(declared) if isinstance(declared, str) else None
        result[key] = value
        if cast is not None and isinstance(value, str):
            try:
                result[key] = cast(value)
            except ValueError:
                pass  # left a string: validation reports it with the other problems
    _raise_if_any(action, problems)
    return result


# --------------------------------------------------------------------------------------
# Defaults: applied, then rendered when they are Jinja templates (e.g. core.echo's cmd)

_JINJA = jinja2.sandbox.SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
)
_JINJA.filters["to_complex"] = json.dumps
_JINJA_MARKERS = ("{{", "{%")


def _is_template(value: Any) -> bool:
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return isinstance(value, str) and any(m in value for m in _JINJA_MARKERS)


def _render_one(template: Any, context: dict) -> Any:
    if isinstance(template, (dict, list)):
        text = json.dumps(template)
        return json.loads(_JINJA.from_string(text).render(context))
    return _JINJA.from_string(template).render(context)


def _cast_rendered(value: Any, declared: Any) -> Any:
    """Cast a rendered template (always a string) to the declared type, as StackStorm."""
    if not isinstance(value, str) or not isinstance(declared, str):
        return value
    if declared in ("array", "object"):
        try:
            return json.loads(value)
        except ValueError:
            return ast.literal_eval(value)
    if declared == "boolean":
        return ast.literal_eval(value.capitalize())
    if declared == "integer":
        return int(value)
    if declared == "number":
        return float(value)
    return value


def _render_defaults(
    action: ActionSpec, values: dict, templated: list[str], problems: list[str]
) -> None:
    """Render, in dependency order, the defaults that are templates; ``values`` is updated."""
    if not templated:
        return
    try:
        config = load_pack_config(action.pack_path)
    except errors.PackError as exc:
        problems.append(str(exc))
        return
    context = {name: values.get(name) for name in action.parameters}
    context["config_context"] = config

    pending = {}
    for name in templated:
        source = values[name]
        text = json.dumps(source) if isinstance(source, (dict, list)) else source
        try:
            pending[name] = jinja2.meta.find_undeclared_variables(_JINJA.parse(text))
        except jinja2.TemplateSyntaxError as exc:
            problems.append(_problem(action, name, "Failed to render parameter: %s" % exc))
    while pending:
        ready = [n for n, deps in pending.items() if not deps & set(pending)]
        if not ready:
            problems.append(
                'Action "%s": Cyclic dependency found in the following variables: %s. Likely '
                "the variable is referencing itself" % (action.ref, ", ".join(sorted(pending)))
            )
            return
        for name in ready:
            del pending[name]
            try:
                rendered = _render_one(values[name], context)
                rendered = _cast_rendered(rendered, (action.parameters.get(name) or {}).get("type"))
            except Exception as exc:  # noqa: BLE001 - any rendering failure is the user's to fix
                problems.append(_problem(action, name, "Failed to render parameter: %s" % exc))
                continue
            values[name] = context[name] = rendered


# --------------------------------------------------------------------------------------
# Validation


def _value_schema(meta: dict) -> dict:
    if not meta:
        return _ANY_TYPE
    return {k: v for k, v in meta.items() if k not in _METADATA_ONLY_KEYS}


def _type_problems(action: ActionSpec, name: str, value: Any) -> list[str]:
    meta = action.parameters.get(name) or {}
    # Optional parameters, and those whose default is None, accept None (StackStorm's
    # allow_default_none).
    nullable = not meta.get("required") or ("default" in meta and meta["default"] is None)
    if value is None and nullable:
        return []
    secret = bool(meta.get("secret"))
    found = []
    for error in sorted(_ParameterValidator(_value_schema(meta)).iter_errors(value), key=str):
        text = error.message
        if secret:
            text = text.replace(repr(error.instance), repr(MASKED_ATTRIBUTE_VALUE))
        if error.absolute_path:
            text += " (at %s)" % ".".join(str(p) for p in error.absolute_path)
        found.append(_problem(action, name, text))
    return found


def validate_parameters(action: ActionSpec, params: dict) -> dict:
    """Check ``params`` against the action's schema and return them with defaults applied.

    Defaults that are Jinja templates (``'echo "{{message}}"'``) are rendered with the other
    parameters and the pack config (``config_context``) as context, then cast to the
    declared type, as StackStorm renders them. Values given by the caller are not rendered.

    Raises ParameterError listing every problem: missing required parameters, unknown
    parameters, values of the wrong type or not in ``enum``, immutable parameters given,
    values nested too deeply (:mod:`wfops.nesting`).
    Like StackStorm, an action that declares no parameters at all accepts any.
    """
    schema = action.parameters
    params = dict(params or {})
    problems: list[str] = []

    if schema:
        for name in params:
            if name not in schema:
                text = "Additional properties are not allowed (%r was unexpected)" % name
                problems.append(_problem(action, name, text))
    immutable_given = [n for n in params if (schema.get(n) or {}).get("immutable")]
    for name in immutable_given:
        text = 'Override of immutable parameter "%s" is unsupported.' % name
        problems.append(_problem(action, name, text))

    # Checked before anything recurses over the values (the copy below, the schema).
    too_deep = [n for n in params if nesting.too_deep(params[n])]
    for name in too_deep:
        problems.append(_problem(action, name, "the value is %s." % nesting.TOO_DEEP_TEXT))

    values = copy.deepcopy({k: v for k, v in params.items() if k not in immutable_given + too_deep})
    for name, value in values.items():
        if value == NONE_MAGIC_VALUE and (schema.get(name) or {}).get("type"):
            values[name] = None  # StackStorm's cast of use_none()'s marker for a typed parameter
    given = [n for n in values if n in schema and values[n] is not None]
    defaulted, templated = [], []
    for name, meta in schema.items():
        meta = meta or {}
        if "default" in meta and values.get(name) is None:
            values[name] = copy.deepcopy(meta["default"])
            (templated if _is_template(values[name]) else defaulted).append(name)
    for name, meta in schema.items():
        if (meta or {}).get("required") and values.get(name) is None and name not in too_deep:
            problems.append(_problem(action, name, "%r is a required property" % name))
    for name in given:
        problems.extend(_type_problems(action, name, values[name]))

    # Templates are rendered only from valid values: a problem above would show up again,
    # less clearly, as a rendering failure.
    if not problems and templated:
        render_problems: list[str] = []
        _render_defaults(action, values, templated, render_problems)
        problems += render_problems
        if not render_problems:
            defaulted += templated
    for name in defaulted:
        problems.extend(_type_problems(action, name, values[name]))

    _raise_if_any(action, problems)
    return values


def _raise_if_any(action: ActionSpec, problems: list[str]) -> None:
    header = ""
    if len(problems) > 1:
        header = 'Parameters of action "%s" have %d problems:' % (action.ref, len(problems))
    errors.collect(problems, errors.ParameterError, header=header)
