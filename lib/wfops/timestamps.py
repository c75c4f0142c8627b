"""Timestamps as StackStorm prints them: ISO 8601, UTC, microseconds, a trailing Z."""

from __future__ import annotations

import datetime


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
