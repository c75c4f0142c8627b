"""Status names and groups. They are Orquesta's (and StackStorm's action statuses)."""

from orquesta import statuses as _orquesta

REQUESTED = _orquesta.REQUESTED
SCHEDULED = _orquesta.SCHEDULED
DELAYED = _orquesta.DELAYED
RUNNING = _orquesta.RUNNING
PENDING = _orquesta.PENDING
PAUSING = _orquesta.PAUSING
PAUSED = _orquesta.PAUSED
RESUMING = _orquesta.RESUMING
SUCCEEDED = _orquesta.SUCCEEDED
FAILED = _orquesta.FAILED
TIMEOUT = _orquesta.EXPIRED
ABANDONED = _orquesta.ABANDONED
CANCELING = _orquesta.CANCELING
CANCELED = _orquesta.CANCELED

ACTIVE = frozenset([REQUESTED, SCHEDULED, DELAYED, RUNNING, RESUMING, PAUSING, CANCELING])
ABENDED = frozenset([FAILED, TIMEOUT, ABANDONED])
COMPLETED = frozenset([SUCCEEDED, FAILED, TIMEOUT, ABANDONED, CANCELED])
# What `wfops run` and `st2 run` wait through before printing the execution.
WAITING = frozenset([REQUESTED, SCHEDULED, DELAYED, RUNNING, RESUMING, PAUSING, CANCELING, PENDING])
