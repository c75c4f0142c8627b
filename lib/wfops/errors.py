"""Every refusal a user can see. Each carries a message that says what was wrong and,
where there is one, what to do instead. ``http_status`` is what the REST API answers."""

from __future__ import annotations


class WfopsError(Exception):
    """Base of every error wfops reports to a user."""

    http_status = 400

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        return self.message


class NotFound(WfopsError):
    http_status = 404


class ActionNotFound(NotFound):
    pass


class ExecutionNotFound(NotFound):
    pass


class RunnerNotFound(WfopsError):
    pass


class ParameterError(WfopsError):
    """One or more parameters are missing, unknown, of the wrong type or immutable."""


class PackError(WfopsError):
    """A pack or action metadata file is malformed."""


class WorkflowDefinitionError(WfopsError):
    """A workflow definition is malformed YAML or fails Orquesta's inspection."""


class InvalidOperation(WfopsError):
    """An operation requested in a state that does not allow it."""


class Conflict(WfopsError):
    """The state changed since a plan was computed, or another operation won the race."""

    http_status = 409


def collect(problems: list[str], error_type: type[WfopsError] = WfopsError, header: str = "") -> None:
    """Raise one ``error_type`` listing every problem (each once), if there are any."""
    if not problems:
        return
    problems = list(dict.fromkeys(problems))  # several checks may find the same problem
    if len(problems) == 1 and not header:
        raise error_type(problems[0], problems=problems)
    lines = [header or "The request has %d problems:" % len(problems)]
    lines += ["  - %s" % p for p in problems]
    raise error_type("\n".join(lines), problems=problems)
