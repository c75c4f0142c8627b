"""Secret files under ``WFOPS_HOME`` created once, atomically: of processes creating one
at the same time, one file wins and every process reads it. Directory 0700, file 0600."""

from __future__ import annotations

import os
import tempfile
from typing import Callable


def read_or_create(path: str, make: Callable[[], str]) -> str:
    """The text of the file at ``path``, written first with ``make()`` if it does not
    exist. O(size of the file)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        pass
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp makes it 0600
            handle.write(make())
        try:
            os.link(temporary, path)  # fails if another process created it first
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    with open(path, encoding="utf-8") as handle:
        return handle.read()
