"""The one thread that drives the engine of ``wfops serve``.

Orquesta conductors and the ``Engine`` are not thread-safe, so every engine call (launch,
pause/resume/cancel/re-run, and the engine loop, ``wfops.engine.loop.run``, the same as
``wfops engine``'s) happens on this thread. HTTP
handler threads hand it work with :meth:`EngineThread.call` and wait for the answer; they
read the store directly (``Store`` serialises its connection with a lock).
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import time
from typing import Any, Callable

from wfops.engine import loop

LOG = logging.getLogger("wfops.api")

STEP_TIMEOUT_SECONDS = 0.02  # how long step() may wait for outcomes; bounds job latency


class EngineUnavailable(Exception):
    """The engine thread is not running (stopped, or failed to start)."""


class EngineThread(threading.Thread):
    """Runs ``session.engine``'s loop and the jobs handed to it, one at a time."""

    def __init__(self, session):
        super().__init__(name="wfops-engine", daemon=True)
        self.session = session
        self.jobs: "queue.Queue[tuple[Callable[..., Any], tuple, concurrent.futures.Future]]" = queue.Queue()
        self._stopping = threading.Event()
        self.started_ok = threading.Event()
        self.start_error: BaseException | None = None
        self.engine_id: str | None = None
        self.left_running = 0

    # -- called from other threads ------------------------------------------------------

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """Run ``fn(*args)`` on the engine thread and return its result (or raise its
        exception). A job still queued when ``timeout`` expires is withdrawn unrun."""
        if not self.is_alive() or self._stopping.is_set():
            raise EngineUnavailable("The engine is not running.")
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.jobs.put((fn, args, future))
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            if future.cancel():
                raise EngineUnavailable(
                    "The engine did not take the request within %s s; nothing was changed." % timeout
                ) from None
            return future.result()  # it started: wait for it to finish

    def stop(self) -> None:
        self._stopping.set()

    # -- the thread ---------------------------------------------------------------------

    def run(self) -> None:
        try:
            engine = self.session.engine
            self.engine_id = engine.id
        except BaseException as e:  # noqa: BLE001 - reported to the starter
            self.start_error = e
            self.started_ok.set()
            return
        self.started_ok.set()
        try:
            loop.run(engine, stop=self._stopping, between=self._run_jobs, on_error=self._report,
                     step_timeout=STEP_TIMEOUT_SECONDS)
        finally:
            self._fail_pending()
            self.left_running = len(engine.actions)
            try:
                # Running actions are not waited for: the next engine adopts their trees
                # (and records those actions as abandoned).
                self.session.close(wait=False)
            except Exception:  # noqa: BLE001
                LOG.exception("closing the engine failed")

    def _run_jobs(self) -> None:
        while True:
            try:
                fn, args, future = self.jobs.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as e:  # noqa: BLE001 - handed to the waiting handler
                future.set_exception(e)

    def _fail_pending(self) -> None:
        while True:
            try:
                _, _, future = self.jobs.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                future.set_exception(EngineUnavailable("The server is shutting down; nothing was changed."))

    @staticmethod
    def _report(error: BaseException) -> None:
        """A step failed: the loop goes on serving (the failed transaction left nothing
        half-done)."""
        LOG.error("engine loop: a step failed", exc_info=error)
        time.sleep(0.1)
