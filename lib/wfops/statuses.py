"""Status names and groups. They are Orquesta's (and StackStorm's action statuses); kept
here as plain data so that reading them does not import Orquesta."""

REQUESTED = "requested"
SCHEDULED = "scheduled"
DELAYED = "delayed"
RUNNING = "running"
PENDING = "pending"
PAUSING = "pausing"
PAUSED = "paused"
RESUMING = "resuming"
RETRYING = "retrying"
SUCCEEDED = "succeeded"
FAILED = "failed"
TIMEOUT = "timeout"
ABANDONED = "abandoned"
CANCELING = "canceling"
CANCELED = "canceled"
UNSET = "null"

ACTIVE = frozenset([REQUESTED, SCHEDULED, DELAYED, RUNNING, RESUMING, PAUSING, CANCELING])
ABENDED = frozenset([FAILED, TIMEOUT, ABANDONED])
COMPLETED = frozenset([SUCCEEDED, FAILED, TIMEOUT, ABANDONED, CANCELED])
# Orquesta's "running" group: a workflow in one of these schedules its next tasks.
RUNNING_GROUP = frozenset([REQUESTED, SCHEDULED, DELAYED, RUNNING, RESUMING, RETRYING])
# What `wfops run` and `st2 run` wait through before printing the execution (not pending:
# an inquiry waits for a response; st2 run stops at it too).
WAITING = frozenset([REQUESTED, SCHEDULED, DELAYED, RUNNING, RESUMING, PAUSING, CANCELING])
