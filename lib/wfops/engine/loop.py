"""The engine loop: the one loop that runs an engine, in every process that has one.

- ``wfops engine [--until-idle]``: :func:`run` with adoption, until idle or forever;
- ``wfops serve``: the engine thread runs :func:`run` with its jobs between steps;
- a waiting ``wfops run`` (and ``re-run``): :func:`run_until_settled`, without adoption
  (a detached engine adopts orphans; this process only runs what it launched).

One :func:`step`: deliver waiting outcomes (a batch per transaction), start delayed tasks
whose time came, serve the commands other processes sent for the trees this engine owns,
time out its inquiries whose ttl passed (every second), and beat the heart.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from wfops import statuses as s
from wfops.engine import collector, commands, inquiry

ADOPT_EVERY_SECONDS = 0.25   # how often orphaned trees are looked for
IDLE_AFTER_SECONDS = 1.0     # --until-idle: how long nothing must be left to do
STEP_TIMEOUT_SECONDS = 0.05  # how long a step waits for an outcome
COMMAND_POLL_SECONDS = 0.02  # how often the commands table is read (not per outcome)
SETTLED_CHECK_SECONDS = 0.005  # a waiting run: how often its status is read while busy


def step(engine, timeout: float = STEP_TIMEOUT_SECONDS) -> None:
    """Process what is due: outcomes, timers, commands, heartbeat."""
    wait = timeout
    due = engine.next_timer()
    if due is not None:
        wait = max(0.0, min(wait, due - time.monotonic()))
    engine.deliver_waiting(wait)
    engine.run_due_timers()
    now = time.monotonic()
    if now - engine.commands_polled >= COMMAND_POLL_SECONDS:
        # Busy with outcomes, a step takes well under a millisecond: reading the
        # commands every time would be two queries per action for an answer that may
        # wait a few milliseconds.
        engine.commands_polled = now
        commands.serve_pending(engine)
    if now - engine.inquiries_checked >= inquiry.CHECK_EVERY_SECONDS:
        engine.inquiries_checked = now
        inquiry.time_out_expired(engine)
    engine.heartbeat()


def run(engine, *, until: Callable[[], bool] | None = None, until_idle: bool = False,
        adopt: bool = True, stop: threading.Event | None = None,
        between: Callable[[], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        step_timeout: float = STEP_TIMEOUT_SECONDS, timeout: float | None = None) -> bool:
    """Run ``engine`` until ``until()`` holds, it is idle (``until_idle``: nothing to do
    for IDLE_AFTER_SECONDS, no command pending anywhere), ``stop`` is set, or ``timeout``
    seconds passed (then False). ``adopt``: take over orphaned trees every
    ADOPT_EVERY_SECONDS. ``between``: called before each step (the server's jobs).
    ``on_error``: called with an exception of a step instead of raising it."""
    collector.tune()
    deadline = None if timeout is None else time.monotonic() + timeout
    last_scan = 0.0
    idle_since: float | None = None
    while True:
        if until is not None and until():
            return True
        if stop is not None and stop.is_set():
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False
        try:
            if between is not None:
                between()
            if adopt and time.monotonic() - last_scan > ADOPT_EVERY_SECONDS:
                last_scan = time.monotonic()
                engine.adopt_orphans()
            step(engine, step_timeout)
        except Exception as e:
            if on_error is None:
                raise
            on_error(e)
        if until_idle:
            if engine.has_work() or engine.owns_active() or engine.store.roots_with_pending_commands():
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_AFTER_SECONDS:
                return True


def run_until_settled(engine, execution_id: str, timeout: float | None = None) -> dict:
    """Run until ``execution_id`` is out of the statuses ``wfops run`` waits through;
    returns its record."""
    store = engine.store
    checked = [0.0]

    def settled() -> bool:
        # While outcomes keep coming, a step takes well under a millisecond: the status
        # is read every few milliseconds, not once per action.
        now = time.monotonic()
        if engine.has_work() and now - checked[0] < SETTLED_CHECK_SECONDS:
            return False
        checked[0] = now
        return store.get_execution_status(execution_id) not in s.WAITING

    run(engine, until=settled, adopt=False, timeout=timeout)
    return store.get_execution(execution_id)


def run_until_idle(engine, timeout: float | None = None) -> bool:
    """Run until this engine has nothing left to do (no action, timer or outcome, no
    active tree it owns). False on timeout."""
    return run(engine, until=lambda: not engine.has_work() and not engine.owns_active(),
               adopt=False, timeout=timeout)
