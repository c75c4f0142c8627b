"""Whether an engine is alive decides whether another process may adopt its executions
(and re-run what it left running). On one machine the registered process itself
decides: alive while that process lives, however late its heartbeat; a pid taken over by
a later process, or an ended one, is not the engine."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from wfops.engine.ownership import DEAD_AFTER_SECONDS, engine_alive
from wfops.store.database import Store


def _register(store, engine_id, pid, started, heartbeat, hostname=None):
    with store.transaction():
        store.register_engine(engine_id, pid, hostname or socket.gethostname(), started)
        store.heartbeat(engine_id, heartbeat)


def test_a_live_engine_with_a_late_heartbeat_is_alive(tmp_path):
    store = Store(str(tmp_path / "wfops.db"))
    late = time.time() - 10 * DEAD_AFTER_SECONDS
    _register(store, "e1", os.getpid(), time.time(), late)
    assert engine_alive(store, "e1"), "a starved but living engine keeps its executions"


def test_a_pid_reused_by_a_later_process_is_not_the_engine(tmp_path):
    store = Store(str(tmp_path / "wfops.db"))
    # Registered long before this process started: the pid now belongs to another process.
    _register(store, "e1", os.getpid(), 1000.0, time.time())
    assert not engine_alive(store, "e1")


def test_an_ended_process_is_not_alive(tmp_path):
    store = Store(str(tmp_path / "wfops.db"))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    _register(store, "e1", child.pid, time.time(), time.time())
    assert not engine_alive(store, "e1")


def test_a_zombie_is_not_alive(tmp_path):
    store = Store(str(tmp_path / "wfops.db"))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = time.time()
    while open("/proc/%d/stat" % child.pid).read().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.01)
    try:
        _register(store, "e1", child.pid, started, time.time())
        assert not engine_alive(store, "e1"), "ended, though not yet reaped"
    finally:
        child.wait()


def test_another_machine_is_judged_by_its_heartbeat(tmp_path):
    store = Store(str(tmp_path / "wfops.db"))
    now = time.time()
    _register(store, "fresh", 1, now, now, hostname="elsewhere")
    _register(store, "stale", 1, now, now - 2 * DEAD_AFTER_SECONDS, hostname="elsewhere")
    assert engine_alive(store, "fresh") and not engine_alive(store, "stale")
