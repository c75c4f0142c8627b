"""Execution ids: 24 hex digits, time-ordered, the shape of StackStorm's ObjectIds."""

from __future__ import annotations

import itertools
import os
import threading
import time

_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_lock = threading.Lock()
_process_part = os.urandom(5).hex()


def new_id() -> str:
    """Return a new id: 4 bytes of seconds, 5 random bytes per process, a 3-byte counter."""
    with _lock:
        count = next(_counter) & 0xFFFFFF
    return "%08x%s%06x" % (int(time.time()) & 0xFFFFFFFF, _process_part, count)


def is_id(text: str) -> bool:
    return len(text) == 24 and all(c in "0123456789abcdef" for c in text)
