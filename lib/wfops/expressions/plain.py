"""Plain Python values from what the evaluators hand to functions.

YAQL passes dicts and lists as its frozen structures (``FrozenDict``, tuples); JSON, YAML
and JSONPath need ``dict`` and ``list``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plain(value: Any) -> Any:
    """Return ``value`` with every mapping turned into a ``dict`` and every tuple, list or
    set into a ``list``, recursively. O(size of value)."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(item) for item in value]
    return value
