"""Named points of the dispatch and commit path where a test can kill the engine process.

A test sets ``WFOPS_TEST_MODE=1`` and ``WFOPS_TEST_CRASH_AT=<point>[:<nth>]``; the process
then sends itself SIGKILL the ``nth`` time (default 1) it reaches ``point``, after
printing ``wfops test hook: killed at <point>:<nth>[; <detail>]`` on stderr (for the
dispatch points the detail names the action executions of that commit). Both variables are read
once, when this module is imported, and removed from the environment, so that the
processes this one starts (actions, detached engines) never inherit them. Without both,
:func:`reach` is a no-op and nothing can trigger.

The points (where the engine calls :func:`reach`):

==============  ====================================================================
before_commit   a transaction that starts actions, just before its COMMIT
after_commit    that transaction committed, before its actions are handed to workers
after_dispatch  its actions handed to workers (a moment later, so that they started)
outcome         an action's outcome taken off the queue, before it is recorded
snapshot        a conductor snapshot written, inside its transaction
recovery        adopting a tree: its running actions marked abandoned, before commit
==============  ====================================================================
"""

from __future__ import annotations

import os
import signal
import sys
import time

POINTS = ("before_commit", "after_commit", "after_dispatch", "outcome", "snapshot", "recovery")

# How long after_dispatch waits before the kill, so that the actions it handed over have
# started their processes (their side effects then happened, as after a real crash).
DISPATCH_SETTLE_SECONDS = 0.3


def _arm() -> tuple[str, int] | None:
    mode = os.environ.pop("WFOPS_TEST_MODE", None)
    spec = os.environ.pop("WFOPS_TEST_CRASH_AT", None)
    if mode != "1" or not spec:
        return None
    point, _, nth = spec.partition(":")
    if point not in POINTS or (nth and not nth.isdigit()) or nth == "0":
        raise SystemExit("WFOPS_TEST_CRASH_AT=%s: expected <point>[:<n>], point one of %s"
                         % (spec, ", ".join(POINTS)))
    return point, int(nth or 1)


_ARMED = _arm()
_reached = 0


def armed() -> bool:
    return _ARMED is not None


def reach(point: str, detail: str = "") -> None:
    """Kill this process if the test hook is armed for this (``nth``) arrival at ``point``;
    ``detail`` goes on the hook's last line (for dispatch points: the executions)."""
    global _reached
    if _ARMED is None or point != _ARMED[0]:
        return
    _reached += 1
    if _reached != _ARMED[1]:
        return
    if point == "after_dispatch":
        time.sleep(DISPATCH_SETTLE_SECONDS)
    sys.stderr.write("wfops test hook: killed at %s:%d%s\n" % (*_ARMED, "; " + detail if detail else ""))
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
