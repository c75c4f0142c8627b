"""Orquesta as the operations read it: the conductor of a stored workflow execution record.
Works with StackStorm's Orquesta 1.6 and with PyPI's 1.2.0 (on Python 3.10+ through
wfops's compatibility layer, which ``import wfops`` installs). The corrections of a re-run
or skip are wfops's own (``wfops.corrections``), shared with the embedded host."""

from __future__ import annotations

from typing import Any, Mapping

from orquesta import conducting

import wfops  # noqa: F401 - the planner's package; installs the Orquesta compatibility layer

RECORD_FIELDS = ("spec", "graph", "input", "context", "state", "output", "errors")


def conductor(record: Mapping[str, Any]):
    """The conductor of a ``WorkflowExecutionDB``-shaped record."""
    return conducting.WorkflowConductor.deserialize({k: record.get(k) for k in RECORD_FIELDS})
