"""``to_human_time_from_seconds``: a duration in seconds as ``1y2d3h4m5s``.

Parts before the first non-zero one are left out (``12345`` -> ``3h25m45s``, ``60`` ->
``1m0s``); fractions of a second are rounded, and a duration under one second is shown as
StackStorm shows it, the number followed by ``μs`` (``0.5`` -> ``0.5μs``). A year is 365
days. StackStorm 3.9 counts days within a calendar month and so drops whole months from
durations of 28 days or more (``3456000``, 40 days, gives ``10d0h0m0s`` there); wfops
gives ``40d0h0m0s``.
"""

from __future__ import annotations

_UNITS = (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def to_human_time_from_seconds(seconds: int | float) -> str:
    """Render ``seconds`` (a number >= 0) as years, days, hours, minutes and seconds. O(1)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError("to_human_time_from_seconds needs a number of seconds, not %r." % (seconds,))
    if seconds < 0:
        raise ValueError("to_human_time_from_seconds needs a duration of 0 seconds or more, not %r." % seconds)
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return "%s\u03bcs" % seconds
    remaining = int(round(seconds))
    parts = []
    for suffix, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count or parts:
            parts.append("%d%s" % (count, suffix))
    return "".join(parts) or "0s"
