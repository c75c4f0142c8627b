"""What a user asks a re-run to do: :class:`RerunRequest`, and :class:`TaskRef` for the
``name`` / ``name[route]`` strings it names tasks with."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

_TASK_REF = re.compile(r"^\s*(\w+)\s*(?:\[\s*(\d+)\s*\])?\s*$")


@dataclass(frozen=True)
class TaskRef:
    """A task named by the user: ``name`` (every route it ran on) or ``name[route]``."""

    name: str
    route: int | None = None

    @classmethod
    def parse(cls, text: str) -> TaskRef:
        """Parse ``"task2"`` or ``"task2[1]"``. Raises ``ValueError`` on anything else."""
        match = _TASK_REF.match(text) if isinstance(text, str) else None
        if not match:
            raise ValueError('"%s" is not a task name or name[route].' % (text,))
        name, route = match.groups()
        return cls(name, None if route is None else int(route))

    def covers(self, other: TaskRef) -> bool:
        """True when every task execution ``other`` names is also named by this ref."""
        return self.name == other.name and (self.route is None or self.route == other.route)

    def __str__(self) -> str:
        return self.name if self.route is None else "%s[%d]" % (self.name, self.route)


@dataclass
class RerunRequest:
    """A re-run request as the user gave it (CLI, API or pack action).

    ``tasks`` and ``no_reset`` hold ``name`` / ``name[route]`` strings. With no tasks and
    ``failed`` false the request is a re-run from the beginning. ``failed`` adds every task
    whose latest execution abended. ``force`` turns blocked joins into warnings.

    ``items``, ``context``, ``skips``, ``results`` and ``publish`` belong to the resume extras
    (E2-E4: ``{task: [item index, ...]}``, ``{task: {key: value}}``, ``[task, ...]``,
    ``{task: result}``, ``{task: {key: value}}``). They travel with the request so that one
    request can mix them with re-run tasks; :func:`wfops.planner.extras.plan_with_extras`
    checks and plans them. :func:`wfops.planner.plan_rerun` only reads which tasks are
    skipped or have items chosen (see its docstring).
    """

    tasks: list[str] = field(default_factory=list)
    no_reset: list[str] = field(default_factory=list)
    failed: bool = False
    force: bool = False
    parameters: dict[str, Any] | None = None
    items: dict[str, list[int]] | None = None
    context: dict[str, dict[str, Any]] | None = None
    skips: list[str] = field(default_factory=list)
    results: dict[str, Any] | None = None
    publish: dict[str, dict[str, Any]] | None = None

    @property
    def from_beginning(self) -> bool:
        return not self.tasks and not self.failed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RerunRequest:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
