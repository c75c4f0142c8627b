"""Running one child process with a timeout, capturing its output, safe from many threads.

The child starts a new session, so that on timeout or cancellation every process it
started (its process group, and anything else left in its session) can be killed, as
StackStorm kills the session of a timed-out action.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Callable

# After the child exits, how long to keep reading output that background processes it left
# behind may still hold open; after a kill, how long to wait for the pipes to drain.
EXIT_DRAIN_SECONDS = 0.5
KILL_DRAIN_SECONDS = 2.0
_POLL_SECONDS = 0.05
_READ_SIZE = 65536
_MAX_LINE = 65536  # a longer run of output without a newline is reported in pieces


@dataclass
class ProcessResult:
    """What a finished (or killed) child process left: its exit code and output."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool


def run_process(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: str | None = None,
    timeout: float | None = None,
    on_output: Callable[[str, str], None] | None = None,
    stop: threading.Event | None = None,
) -> ProcessResult:
    """Run ``argv`` (stdin from /dev/null) until it exits, ``timeout`` seconds pass or
    ``stop`` is set (the execution was canceled).

    A ``timeout`` of None or 0 means no limit. On timeout or stop the child's whole
    session is killed with SIGKILL and ``exit_code`` is -9 (``timed_out`` only for the
    timeout).
    Output is decoded as UTF-8 (undecodable bytes replaced). OSError from starting the
    process (missing ``cwd``, say) propagates. ``on_output`` is called with ("stdout" |
    "stderr", line) for each line as it is read (a last line without a newline at the end);
    an exception it raises is not the child's concern and is ignored.
    """
    started = time.monotonic()
    deadline = started + timeout if timeout and timeout > 0 else None
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    try:
        return _supervise(proc, deadline, stop, _LineSplitter(proc, on_output) if on_output else None)
    except BaseException:
        # Never leave a child behind when the caller is interrupted.
        if proc.poll() is None:
            kill_session(proc.pid)
            proc.wait()
        raise


class _LineSplitter:
    """Hands each complete line read from the child's pipes to a callback."""

    def __init__(self, proc: subprocess.Popen, callback: Callable[[str, str], None]):
        self.names = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
        self.partial = {fd: b"" for fd in self.names}
        self.callback = callback

    def feed(self, fd: int, data: bytes) -> None:
        buffered = self.partial[fd] + data
        *lines, rest = buffered.split(b"\n")
        for line in lines:
            self._emit(fd, line + b"\n")
        while len(rest) > _MAX_LINE:
            self._emit(fd, rest[:_MAX_LINE])
            rest = rest[_MAX_LINE:]
        self.partial[fd] = rest

    def flush(self) -> None:
        for fd, rest in self.partial.items():
            if rest:
                self._emit(fd, rest)
            self.partial[fd] = b""

    def _emit(self, fd: int, line: bytes) -> None:
        try:
            self.callback(self.names[fd], line.decode("utf-8", errors="replace"))
        except Exception:  # noqa: BLE001 - recording output must not disturb the action
            pass


def _supervise(proc: subprocess.Popen, deadline: float | None, stop: threading.Event | None,
               lines: _LineSplitter | None = None) -> ProcessResult:
    """Read the child's output until it ends (or is killed at ``deadline`` or on
    ``stop``), then reap it."""
    chunks: dict[int, list[bytes]] = {proc.stdout.fileno(): [], proc.stderr.fileno(): []}
    timed_out = killed = False
    stop_reading_at: float | None = None

    def must_end(now: float) -> bool:
        return (deadline is not None and now >= deadline) or (stop is not None and stop.is_set())

    with selectors.DefaultSelector() as selector:
        for stream in (proc.stdout, proc.stderr):
            selector.register(stream, selectors.EVENT_READ)
        while selector.get_map():
            now = time.monotonic()
            if not killed and must_end(now) and proc.poll() is None:
                kill_session(proc.pid)
                killed = True
                timed_out = deadline is not None and now >= deadline
                stop_reading_at = now + KILL_DRAIN_SECONDS
            if stop_reading_at is None and proc.poll() is not None:
                stop_reading_at = now + EXIT_DRAIN_SECONDS
            if stop_reading_at is not None and now >= stop_reading_at:
                break
            limits = [stop_reading_at, None if killed else deadline]
            limits = [t for t in limits if t is not None]
            wait = min([_POLL_SECONDS] + [max(0.0, t - now) for t in limits])
            for key, _ in selector.select(timeout=wait):
                data = os.read(key.fd, _READ_SIZE)
                if data:
                    chunks[key.fd].append(data)
                    if lines is not None:
                        lines.feed(key.fd, data)
                else:
                    selector.unregister(key.fileobj)
    if lines is not None:
        lines.flush()
    out = b"".join(chunks[proc.stdout.fileno()])
    err = b"".join(chunks[proc.stderr.fileno()])
    proc.stdout.close()
    proc.stderr.close()

    # The pipes are closed but the child may still run (it closed its output early).
    while proc.poll() is None:
        now = time.monotonic()
        if not killed and must_end(now):
            kill_session(proc.pid)
            killed = True
            timed_out = deadline is not None and now >= deadline
        try:
            proc.wait(timeout=_POLL_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    return ProcessResult(
        exit_code=-signal.SIGKILL if killed else proc.returncode,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
        timed_out=timed_out,
    )


def kill_session(session_id: int) -> None:
    """SIGKILL the process group ``session_id`` and every other process in that session."""
    try:
        os.killpg(session_id, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    # Processes that moved to another process group of the same session (job control,
    # `setpgid`) are found by their session id, as `pkill -s` does.
    for pid in _session_members(session_id):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _session_members(session_id: int) -> list[int]:
    members = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return members
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as stream:
                stat = stream.read()
        except OSError:
            continue
        # Fields after the parenthesised command name: state ppid pgrp session ...
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 3 and int(fields[3]) == session_id:
            members.append(int(entry))
    return members
