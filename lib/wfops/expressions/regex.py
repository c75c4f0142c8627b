"""Regular-expression functions, with Python's ``re`` syntax. A value that is not a string
is matched as its ``str()``; ``ignorecase`` makes the match case-insensitive."""

from __future__ import annotations

import re
from typing import Any


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _flags(ignorecase: bool) -> int:
    return re.IGNORECASE if ignorecase else 0


def regex_match(value: Any, pattern: str, ignorecase: bool = False) -> bool:
    """Whether ``pattern`` matches at the start of ``value``."""
    return re.match(pattern, _text(value), _flags(ignorecase)) is not None


def regex_search(value: Any, pattern: str, ignorecase: bool = False) -> bool:
    """Whether ``pattern`` matches anywhere in ``value``."""
    return re.search(pattern, _text(value), _flags(ignorecase)) is not None


def regex_replace(value: Any, pattern: str, replacement: str, ignorecase: bool = False) -> str:
    """``value`` with every match of ``pattern`` replaced (backreferences ``\\1`` allowed)."""
    return re.sub(pattern, replacement, _text(value), flags=_flags(ignorecase))


def regex_substring(value: Any, pattern: str, result_index: int = 0, ignorecase: bool = False) -> Any:
    """Match number ``result_index`` of ``pattern`` in ``value``, as ``re.findall`` gives
    it: the whole match, the group of a one-group pattern, or the tuple of groups."""
    found = re.findall(pattern, _text(value), _flags(ignorecase))
    try:
        return found[result_index]
    except IndexError:
        raise ValueError(
            'regex_substring: the pattern "%s" has %d match(es) in "%s", so none at index %s.'
            % (pattern, len(found), _text(value), result_index)
        ) from None
