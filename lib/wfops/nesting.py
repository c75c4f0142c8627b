"""How deeply the values a user gives may be nested: at most :data:`MAX_DEPTH` levels of
lists and objects within each other (MongoDB, where StackStorm keeps executions, stores no
document nested deeper than 100 levels).

Deeper values are refused before anything that recurses over them (copying, schema
validation, rendering, storing) sees them: :func:`too_deep` where a value is checked (the
parameter validation, the re-run planner), :func:`loads` where text is parsed as JSON (a
text nested too deeply for Python's parser to read at all is refused with
:data:`TOO_DEEP`, the same sentence from every front end).

Runs on Python 3.8 (the StackStorm pack imports it).
"""

from __future__ import annotations

import json
from typing import Any

from wfops import errors

MAX_DEPTH = 100

TOO_DEEP_TEXT = (
    "nested more than %d levels deep (lists and objects within each other); give a flatter value"
    % MAX_DEPTH
)
TOO_DEEP = "A value is %s." % TOO_DEEP_TEXT


class TooDeep(errors.WfopsError):
    """A JSON text nested too deeply to be read."""

    def __init__(self, message: str = TOO_DEEP):
        super().__init__(message)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` has more than ``limit`` levels of lists (or tuples) and dicts
    within each other (a scalar has 0 levels, ``[]`` one, ``[{}]`` two).

    Iterative, so any depth is measured without recursion. O(size of ``value``) at most;
    it stops at the first container found below ``limit`` levels."""
    stack = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, (list, tuple)):
            children = current
        else:
            continue
        depth += 1
        if depth > limit:
            return True
        stack.extend((child, depth) for child in children if isinstance(child, (dict, list, tuple)))
    return False


def loads(text: str | bytes, **options: Any) -> Any:
    """``json.loads(text, **options)``; raises :class:`TooDeep` (a ``WfopsError``, not a
    ``ValueError``, so that "JSON or else text" fallbacks do not swallow it) instead of
    Python's ``RecursionError`` for a text nested too deeply to parse, and
    ``ValueError`` for text that is not JSON. O(len(text))."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise TooDeep() from None
