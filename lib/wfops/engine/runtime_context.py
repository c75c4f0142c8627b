"""The runtime context StackStorm gives workflows (``ctx(st2)``) and actions (the
``ST2_ACTION_*`` environment), as its orquesta runner and its action runners build them.

The API URL is the one ``wfops serve`` listens on (it sets ``ST2_ACTION_API_URL`` in its
environment when it starts, which is also how actions reach it); a process that serves
no API has none (``None``, and no ``ST2_ACTION_API_URL``).
"""

from __future__ import annotations

import os

API_URL_VARIABLE = "ST2_ACTION_API_URL"

# Keys of an execution's context that StackStorm copies into ctx(st2) when present.
_OPTIONAL_KEYS = ("api_user", "source_channel")


def api_url() -> str | None:
    """The public API URL of this process, or None. O(1)."""
    return os.environ.get(API_URL_VARIABLE) or None


def st2_context(execution_id: str, wf_id: str, action, context: dict) -> dict:
    """``ctx(st2)`` of the workflow execution ``wf_id`` run by action execution
    ``execution_id`` of ``action``, whose execution context is ``context``. O(1)."""
    st2 = {
        "action_execution_id": execution_id,
        "api_url": api_url(),
        "user": context.get("user"),
        "pack": context.get("pack") or action.pack,
        "action": action.ref,
        "runner": action.runner_type,
        "workflow_execution_id": wf_id,
    }
    for key in _OPTIONAL_KEYS:
        if context.get(key):
            st2[key] = context[key]
    return st2


def action_env(execution_id: str, action, home: str | None = None) -> dict[str, str]:
    """The ``ST2_ACTION_*`` variables of an action execution; with ``home`` (the
    engine's WFOPS_HOME), ``ST2_ACTION_AUTH_TOKEN``: the execution's token, which the API
    of that home accepts while the execution runs (``wfops.action_tokens``). O(1)."""
    env = {
        "ST2_ACTION_PACK_NAME": action.pack,
        "ST2_ACTION_EXECUTION_ID": execution_id,
        "ST2_ACTION_DEBUG": "False",
    }
    if home is not None:
        from wfops import action_tokens

        env["ST2_ACTION_AUTH_TOKEN"] = action_tokens.mint(home, execution_id)
    url = api_url()
    if url:
        env[API_URL_VARIABLE] = url
    return env
