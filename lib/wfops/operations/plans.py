"""What a dry run of a re-run from the beginning shows, and what a re-run answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FROM_BEGINNING = "from_beginning"


@dataclass
class BeginningPlan:
    """The plan of a re-run from the beginning (a dry run's answer): a new execution of
    ``action`` with ``parameters`` (secrets masked)."""

    execution_id: str
    action: str
    runner_type: str
    parameters: dict[str, Any] = field(default_factory=dict)
    mode: str = FROM_BEGINNING

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "execution_id": self.execution_id, "action": self.action,
                "runner_type": self.runner_type, "parameters": self.parameters}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BeginningPlan:
        return cls(execution_id=str(data.get("execution_id") or ""), action=str(data.get("action") or ""),
                   runner_type=str(data.get("runner_type") or ""), parameters=dict(data.get("parameters") or {}))


@dataclass
class RerunOutcome:
    """What a re-run did: the execution that carries it out (a new one, or for skips on a
    paused workflow the paused execution itself: ``created`` false), its plan, and (from
    the beginning) its record as created, before the engine started it."""

    execution_id: str
    plan: dict[str, Any] | None = None
    created: bool = True
    record: dict[str, Any] | None = None
