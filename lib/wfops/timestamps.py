"""Timestamps as StackStorm prints them: ISO 8601, UTC, microseconds, a trailing Z."""

from __future__ import annotations

import time

# (whole second, its date and time formatted): the host stamps several records per
# action, and ``strftime`` cost more than the rest of a stamp. One tuple, replaced whole,
# so a thread never pairs one second with another's text.
_last_second = (-1, "")


def now_iso() -> str:
    """The current UTC time as ``2026-12-01T10:20:30.123456Z`` (microseconds truncated).
    O(1); the date and time part is formatted once per second."""
    global _last_second
    seconds, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
    second, text = _last_second
    if second != seconds:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _last_second = (seconds, text)
    return "%s.%06dZ" % (text, nanoseconds // 1000)
