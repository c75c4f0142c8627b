"""Who is acting: the login name, as the host records it on executions and operations."""

from __future__ import annotations

import getpass


def current_user() -> str:
    """The login name of this process's user, or ``"unknown"`` when it cannot be told."""
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
