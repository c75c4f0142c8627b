"""Semantic-version functions (semver 2.0.0, via the ``semver`` library).

``version_compare`` answers -1, 0 or 1 as the left version is lower, equal or higher;
``version_match`` checks a condition such as ``">=1.0.0"`` (operators ``<``, ``<=``,
``>``, ``>=``, ``==``, ``!=``). A string that is not a full ``MAJOR.MINOR.PATCH`` version
is refused with semver's message.
"""

from __future__ import annotations

from typing import Any


def _parse(value: str) -> Any:
    import semver  # on first use: every process with Orquesta loads this module

    return semver.Version.parse(str(value))


def version_compare(value: str, other: str) -> int:
    """-1, 0 or 1: ``value`` is lower than, equal to or higher than ``other``."""
    return _parse(value).compare(str(other))


def version_more_than(value: str, other: str) -> bool:
    return version_compare(value, other) == 1


def version_less_than(value: str, other: str) -> bool:
    return version_compare(value, other) == -1


def version_equal(value: str, other: str) -> bool:
    return version_compare(value, other) == 0


def version_match(value: str, condition: str) -> bool:
    """Whether ``value`` meets ``condition``, e.g. ``">0.10.0"``."""
    return _parse(value).match(str(condition))


def version_bump_major(value: str) -> str:
    return str(_parse(value).bump_major())


def version_bump_minor(value: str) -> str:
    return str(_parse(value).bump_minor())


def version_bump_patch(value: str) -> str:
    return str(_parse(value).bump_patch())


def version_strip_patch(value: str) -> str:
    """``"0.10.0"`` -> ``"0.10"``."""
    version = _parse(value)
    return "%d.%d" % (version.major, version.minor)
