"""Every refusal a user can see. Each carries a message that says what was wrong and,
where there is one, what to do instead. ``http_status`` is what the REST API answers.

An error crosses process boundaries as itself: :meth:`WfopsError.to_response` is what the
owning engine answers a command with (``commands`` table), :func:`from_response` makes the
same error class again in the requesting process, which the REST API then answers with the
class's ``http_status``.
"""

from __future__ import annotations

from typing import Any

_CLASSES: dict[str, type[WfopsError]] = {}


class WfopsError(Exception):
    """Base of every error wfops reports to a user."""

    http_status = 400

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _CLASSES[cls.__name__] = cls

    def __str__(self) -> str:
        return self.message

    def to_response(self) -> dict[str, Any]:
        """The error as JSON: ``type`` (the class), ``message``, ``problems``, ``http_status``."""
        return {"type": type(self).__name__, "message": self.message, "problems": self.problems,
                "http_status": self.http_status}


_CLASSES[WfopsError.__name__] = WfopsError


def from_response(response: dict[str, Any]) -> WfopsError:
    """The error :meth:`WfopsError.to_response` described, as its own class (a class this
    process does not know is a WfopsError answering the same HTTP status)."""
    cls = _CLASSES.get(str(response.get("type"))) or WfopsError
    error = cls.__new__(cls)  # as it was raised: the message is the one it built there
    WfopsError.__init__(error, str(response.get("message") or "The operation failed."),
                        problems=response.get("problems"))
    if cls is WfopsError and isinstance(response.get("http_status"), int):
        error.http_status = response["http_status"]
    return error


class NotFound(WfopsError):
    http_status = 404


class ActionNotFound(NotFound):
    pass


class ExecutionNotFound(NotFound):
    """No execution has the id (or unique id prefix) given."""

    def __init__(self, execution_id: str):
        super().__init__('Execution "%s" cannot be found.' % execution_id)
        self.execution_id = execution_id


class RunnerNotFound(WfopsError):
    pass


class ParameterError(WfopsError):
    """One or more parameters are missing, unknown, of the wrong type or immutable."""


class PackError(WfopsError):
    """A pack or action metadata file is malformed."""


class WorkflowDefinitionError(WfopsError):
    """A workflow definition is malformed YAML or fails Orquesta's inspection."""


class PlanError(WfopsError):
    """The re-run request cannot be planned; ``problems`` lists every reason."""


class InvalidOperation(WfopsError):
    """An operation requested in a state that does not allow it."""


class NotAWorkflow(InvalidOperation):
    """A re-run from tasks asked of an execution that is not an Orquesta workflow's (an
    action chain's neither: StackStorm re-runs only Orquesta workflows from tasks)."""

    def __init__(self, execution_id: str, runner_type: str):
        if runner_type == "action-chain":
            super().__init__(
                'Execution "%s" is an action chain (runner type "action-chain"); an action chain cannot '
                "be re-run from tasks (as in StackStorm, only Orquesta workflows can). Re-run it from the "
                "beginning (without `tasks`) to run it again." % execution_id)
            return
        super().__init__(
            'Execution "%s" is not a workflow execution (runner type "%s"); only workflows can be '
            "re-run from tasks. Re-run it from the beginning (without `tasks`) to run it again."
            % (execution_id, runner_type))


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
