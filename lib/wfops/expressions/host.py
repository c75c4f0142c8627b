"""What an expression function knows of the embedded host running its workflow.

The host puts StackStorm's runtime context under ``st2`` in every workflow's context
(``action_execution_id``, ``workflow_execution_id``, ``user``, ...). From the workflow
execution id, :func:`store_of` finds the store holding it among those open in the process
(normally one: the engine's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orquesta import exceptions as exc


def context_value(context: Any, name: str) -> Any:
    """``context[name]`` for a YAQL context or a Jinja context dict; None when absent."""
    try:
        return context[name]
    except (KeyError, TypeError):
        return None


def st2_context(context: Any, function: str) -> Mapping:
    """The ``st2`` runtime context of the workflow evaluating ``function``."""
    variables = context_value(context, "__vars")
    st2 = variables.get("st2") if isinstance(variables, Mapping) else None
    if not isinstance(st2, Mapping) or not st2.get("workflow_execution_id"):
        raise exc.ExpressionEvaluationException(
            "%s() reads the embedded host, but this expression has no ctx(st2) with a "
            "workflow_execution_id: it runs only inside a workflow the host executes." % function
        )
    return st2


def store_of(workflow_execution_id: str, function: str):
    """The open store (a :class:`wfops.store.database.Store`) that holds
    ``workflow_execution_id``. O(number of open stores)."""
    from wfops.store.database import open_stores
    for store in open_stores():
        try:
            if store.get_workflow_status(workflow_execution_id) is not None:
                return store
        except Exception:  # noqa: BLE001 - a store closed meanwhile holds nothing
            continue
    raise exc.ExpressionEvaluationException(
        '%s() found no store in this process holding workflow execution "%s".'
        % (function, workflow_execution_id)
    )
