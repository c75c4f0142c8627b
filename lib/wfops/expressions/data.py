"""Data functions: JSON and YAML strings, JSONPath queries, ``json_escape``, ``use_none``.

Results follow StackStorm 3.9: ``to_json_string`` writes ``", "``-less item separators
(``separators=(",", ": ")``) and no indentation unless asked; ``to_yaml_string`` writes
block style with sorted keys; ``jsonpath_query`` answers the list of matches, or None when
nothing matches.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from wfops.expressions.plain import plain

# The string StackStorm's ``use_none`` stands for None with; a typed action parameter
# given exactly this string receives None (wfops.parameters).
NONE_MAGIC_VALUE = "%*****__%NONE%__*****%"


def from_json_string(value: Any) -> Any:
    """Parse a JSON text (``json_parse``). O(len(value))."""
    return json.loads(str(value))


def from_yaml_string(value: Any) -> Any:
    """Parse a YAML text with the safe loader (``yaml_parse``). O(len(value))."""
    return yaml.safe_load(str(value))


def to_json_string(value: Any, indent: int | None = None, sort_keys: bool = False,
                   separators: Any = (",", ": ")) -> str:
    """Serialize ``value`` to JSON (``json_dump``). O(size of value)."""
    options: dict[str, Any] = {"sort_keys": bool(sort_keys)}
    if indent is not None:
        options["indent"] = indent
    if separators is not None:
        options["separators"] = tuple(separators)
    return json.dumps(plain(value), **options)


def to_yaml_string(value: Any, indent: int | None = None, allow_unicode: bool = True) -> str:
    """Serialize ``value`` to block-style YAML with sorted keys (``yaml_dump``).
    O(size of value)."""
    options: dict[str, Any] = {"default_flow_style": False}
    if indent is not None:
        options["indent"] = indent
    if allow_unicode is not None:
        options["allow_unicode"] = allow_unicode
    return yaml.safe_dump(plain(value), **options)


def json_escape(value: Any) -> str:
    """A string's JSON escapes without the enclosing quotes (``say "hi"`` ->
    ``say \\"hi\\"``); any other value's JSON text. StackStorm strips every leading and
    trailing ``"`` instead, and so loses the last one of a string that ends in a quote
    (``say \\"hi\\``)."""
    text = json.dumps(plain(value))
    return text[1:-1] if isinstance(value, str) else text


def jsonpath_query(value: Any, query: str) -> list | None:
    """The values matching the JSONPath ``query`` in ``value`` (jsonpath-rw syntax), or
    None when there is none. O(size of value) per query step."""
    from jsonpath_ng import parse  # on first use: every process with Orquesta loads this module

    matches = [match.value for match in parse(query).find(plain(value))]
    return matches or None


def use_none(value: Any) -> Any:
    """``value``, or StackStorm's None marker string when ``value`` is None."""
    return NONE_MAGIC_VALUE if value is None else value
