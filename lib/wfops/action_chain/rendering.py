"""Jinja rendering of an action chain's values, with StackStorm's rules: strict about
undefined names, StackStorm's filters, each value of a mapping rendered on its own (a list
or mapping through its JSON text, then read back), a value an expression did not change
kept as it was (with its type)."""

from __future__ import annotations

import functools
import json


class RenderError(Exception):
    """A value that could not be rendered: ``key``, the template and Jinja's reason."""

    def __init__(self, key: str, template: str, reason: str):
        super().__init__(reason)
        self.key, self.template, self.reason = key, template, reason


@functools.lru_cache(maxsize=1)
def environment():
    """The sandboxed Jinja environment (built once): undefined names are errors, and
    StackStorm's filters are those of ``wfops.expressions`` that need no workflow."""
    import jinja2
    import jinja2.sandbox

    from wfops.expressions import data, durations, paths, regex, versions

    env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined, trim_blocks=True,
                                              lstrip_blocks=True)
    filters = {
        "from_json_string": data.from_json_string, "json_parse": data.from_json_string,
        "from_yaml_string": data.from_yaml_string, "yaml_parse": data.from_yaml_string,
        "to_json_string": data.to_json_string, "json_dump": data.to_json_string,
        "to_yaml_string": data.to_yaml_string, "yaml_dump": data.to_yaml_string,
        "json_escape": data.json_escape, "jsonpath_query": data.jsonpath_query, "use_none": data.use_none,
        "to_human_time_from_seconds": durations.to_human_time_from_seconds,
        "basename": paths.basename, "dirname": paths.dirname,
    }
    for module in (regex, versions):
        filters.update({name: getattr(module, name) for name in dir(module)
                        if name.startswith(("regex_", "version_"))})
    env.filters.update(filters)
    env.tests["in"] = lambda item, container: item in container
    return env


def render_values(mapping: dict, context: dict) -> dict:
    """``mapping`` with each value rendered against ``context`` (whose names are also
    reachable as ``__context``). Raises RenderError for the first value that fails.
    O(size of the values)."""
    if not mapping:
        return mapping
    names = dict(context, __context=context)
    env = environment()
    rendered = {}
    for key, value in mapping.items():
        structured = isinstance(value, (dict, list))
        template = json.dumps(value) if structured else value if isinstance(value, str) else str(value)
        try:
            text = env.from_string(template).render(names)
        except Exception as e:  # Jinja's errors: undefined names, syntax, a failing filter
            raise RenderError(key, template, str(e)) from None
        if text == template:
            rendered[key] = value
        elif structured:
            try:
                rendered[key] = json.loads(text)
            except ValueError as e:
                raise RenderError(key, template, "the rendered value is not JSON: %s" % e) from None
        else:
            rendered[key] = text
    return rendered
