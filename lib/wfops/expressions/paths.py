"""Path functions: the last component of a POSIX path and everything before it."""

from __future__ import annotations

import posixpath


def basename(path: str) -> str:
    """``"/path/to/some/file.txt"`` -> ``"file.txt"``."""
    return posixpath.basename(path)


def dirname(path: str) -> str:
    """``"/path/to/some/file.txt"`` -> ``"/path/to/some"``."""
    return posixpath.dirname(path)
