"""Expression evaluation without per-evaluation whole-context work (patches of ``orquesta.expressions``).

1. ``YAQLEvaluator.contextualize`` converts the whole context (``convert_input_data``:
   every dict to a ``FrozenDict``, every list to a tuple, recursively) for every
   evaluation, though an expression such as ``<% succeeded() %>`` reads none of it; the
   context carried the whole workflow state, and carries every published value. The
   patch gives YAQL a :class:`LazyFrozenDict` of the context: a ``FrozenDict`` whose
   values are converted (by YAQL's own ``convert_input_data``) when first read, and
   kept. Every read, iteration, comparison and hash gives what the converted dict gives;
   the context is not changed while an expression is evaluated. A ``__state`` view
   (:mod:`.state_view`) is given as it is: it is read-only already.

2. ``YAQLEvaluator`` parses each expression text for every evaluation, and
   ``JinjaEvaluator`` compiles it (``compile_expression``, ``from_string``) for every
   evaluation. Parsed YAQL statements and compiled Jinja expressions and templates do not
   depend on the data they are evaluated with; the patch keeps them per text (bounded;
   errors are not kept, they are raised again).

3. ``JinjaEvaluator.contextualize`` asks ``func_has_ctx_arg`` (``inspect.getfullargspec``)
   of every expression function for every evaluation; the answer is per function: kept.

4. ``YAQLEvaluator.evaluate`` of a transition's usual condition, ``<% succeeded() %>``
   (or ``failed()``, ``completed()``, the whole text one call with no arguments), builds a
   YAQL context and runs YAQL's overload resolution to call one Orquesta function: about
   50 us, where the call itself takes under 1 us; a chain evaluates one per task. The
   patch calls that function directly with the two context entries it reads
   (``__current_task``, ``__state``), only while YAQL's root context has Orquesta's own
   function registered under that name. The answer is the one YAQL gives: the function
   is the same and reads the same values (YAQL would read frozen copies of them); any
   exception (no current task, an unknown route ...) sends the text down YAQL's own path,
   which raises what Orquesta raises.
"""

from __future__ import annotations

import re
from typing import Any

from wfops.orquesta_speed import Patch, uses, verifying

CACHE_SIZE = 4096


class _Bounded(dict):
    """A dict that forgets everything once it holds ``CACHE_SIZE`` entries."""

    def remember(self, key, value):
        if len(self) >= CACHE_SIZE:
            self.clear()
        self[key] = value
        return value


def _lazy_frozen_dict_class():
    from yaql.language import utils as yaql_utils

    from wfops.orquesta_speed.state_view import StateView

    class LazyFrozenDict(yaql_utils.FrozenDict):
        """``convert_input_data(source)`` of a dict, each value converted on first read."""

        def __init__(self, source: dict):  # no super().__init__: nothing is converted yet
            self._source = source
            self._converted: dict = {}
            self._hash = None

        def _value(self, key):
            try:
                return self._converted[key]
            except KeyError:
                pass
            value = self._source[key]
            if not isinstance(value, StateView):
                value = yaql_utils.convert_input_data(value)
            self._converted[key] = value
            return value

        def __getitem__(self, key):
            return self._value(key)

        def get(self, key, default=None):
            return self._value(key) if key in self._source else default

        def __contains__(self, key) -> bool:
            return key in self._source

        def __iter__(self):
            return iter(self._source)

        def __len__(self) -> int:
            return len(self._source)

        @property
        def _d(self) -> dict:
            return {key: self._value(key) for key in self._source}

    return LazyFrozenDict


def _patched_yaql(yql) -> dict[str, Any]:
    from yaql.language import utils as yaql_utils

    lazy = _lazy_frozen_dict_class()
    engine = yql.YAQLEvaluator.__dict__["_engine"]
    parsed = _Bounded()

    def contextualize(cls, data):
        if type(data) is not dict or any(not isinstance(k, str) for k in data):
            return plain_contextualize(cls, data)
        ctx = cls._root_ctx.create_child_context()
        ctx["__vars"] = converted = lazy(data)
        ctx["__state"] = converted.get("__state")
        ctx["__current_task"] = converted.get("__current_task")
        ctx["__current_item"] = converted.get("__current_item")
        return ctx

    plain_contextualize = yql.YAQLEvaluator.__dict__["contextualize"].__func__

    class CachingEngine:
        """The evaluator's YAQL engine, parsing each expression text once."""

        def __call__(self, expression, options=None):
            if options:
                return engine(expression, options)
            found = parsed.get(expression)
            if found is None:
                found = parsed.remember(expression, engine(expression))
            return found

        def __getattr__(self, name):
            return getattr(engine, name)

    return {"contextualize": contextualize, "_engine": CachingEngine(), "convert": yaql_utils.convert_input_data}


# The whole text one status call: what ``_regex_parser`` finds as one expression and
# ``strip_delimiter`` leaves as ``name()`` (no newline, which ``<%.*?%>`` would not span).
_STATUS_CALL = re.compile(r"<%[ \t]*(succeeded|failed|completed)\(\)[ \t]*%>")


class _StatusContext:
    """What a status function reads of a YAQL context, read from the data directly:
    ``context[key]`` is the data's entry, ``None`` when absent (as a YAQL context gives)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict):
        self._data = data

    def __getitem__(self, key):
        return self._data.get(key)


def _patched_yaql_evaluate(yql):
    """``YAQLEvaluator.evaluate`` calling a status function directly (4. above)."""
    from orquesta.expressions.functions import workflow

    registered = yql.YAQLEvaluator.__dict__.get("_custom_functions") or {}
    own = {"succeeded": workflow.succeeded_, "failed": workflow.failed_, "completed": workflow.completed_}
    direct = {name: function for name, function in own.items() if registered.get(name) is function}
    plain_evaluate = yql.YAQLEvaluator.__dict__["evaluate"].__func__
    calls = _Bounded()  # text -> the function it calls, or None

    def evaluate(cls, text, data=None):
        if type(text) is str and type(data) is dict:
            function = calls.get(text, False)
            if function is False:
                found = _STATUS_CALL.fullmatch(text)
                function = calls.remember(text, direct.get(found.group(1)) if found else None)
            if function is not None:
                try:
                    answer = function(_StatusContext(data))
                except Exception:  # YAQL's path raises Orquesta's own error for it
                    return plain_evaluate(cls, text, data)
                if verifying():
                    expected = plain_evaluate(cls, text, data)
                    assert answer == expected, "%s: %r, Orquesta says %r" % (text, answer, expected)
                return answer
        return plain_evaluate(cls, text, data)

    return evaluate


def _patched_jinja_env(jinja, env) -> list[Patch]:
    """Instance attributes on the evaluator's one Jinja environment (its class is left alone)."""
    compiled, templates = _Bounded(), _Bounded()
    plain_compile, plain_from_string = env.compile_expression, env.from_string

    def compile_expression(source, undefined_to_none=True):
        key = (source, undefined_to_none)
        found = compiled.get(key)
        if found is None:
            found = compiled.remember(key, plain_compile(source, undefined_to_none=undefined_to_none))
        return found

    def from_string(source, globals=None, template_class=None):  # noqa: A002 (Jinja's signature)
        if globals is not None or template_class is not None or not isinstance(source, str):
            return plain_from_string(source, globals=globals, template_class=template_class)
        found = templates.get(source)
        if found is None:
            found = templates.remember(source, plain_from_string(source))
        return found

    needed = uses("_jinja_env")
    evaluate = jinja.JinjaEvaluator.__dict__["_evaluate_and_expand"].__func__
    if not needed(evaluate):
        return []
    return [Patch(env, "compile_expression", compile_expression), Patch(env, "from_string", from_string)]


def patches() -> list[Patch]:
    from orquesta.expressions import base as expr_base
    from orquesta.expressions import jinja, yql

    yaql_methods = _patched_yaql(yql)
    has_ctx_arg = expr_base.func_has_ctx_arg
    answers: dict = {}

    def func_has_ctx_arg(func):
        try:
            return answers[func]
        except KeyError:
            answer = answers[func] = has_ctx_arg(func)
            return answer
        except TypeError:  # an unhashable callable
            return has_ctx_arg(func)

    return [
        Patch(yql.YAQLEvaluator, "contextualize", yaql_methods["contextualize"], uses("convert_input_data")),
        Patch(yql.YAQLEvaluator, "_engine", yaql_methods["_engine"]),
        Patch(yql.YAQLEvaluator, "evaluate", _patched_yaql_evaluate(yql), uses("_regex_parser", "strip_delimiter")),
        Patch(expr_base, "func_has_ctx_arg", func_has_ctx_arg, uses("getargspec")),
        *_patched_jinja_env(jinja, jinja.JinjaEvaluator._jinja_env),
    ]
