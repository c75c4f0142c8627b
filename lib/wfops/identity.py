"""Who is acting: the login name, as the host records it on executions and operations."""

from __future__ import annotations

import os


def current_user() -> str:
    """The login name of this process's user (the first of ``LOGNAME``, ``USER``,
    ``LNAME``, ``USERNAME`` set, else the password database's name for the user id, as
    ``getpass.getuser``, whose import costs more than this), or ``"unknown"`` when it
    cannot be told."""
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        name = os.environ.get(variable)
        if name:
            return name
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except Exception:
        return "unknown"
