"""The host, in-process: one example's session, work dir and failure markers, its
workflow file, and running a workflow until it has settled."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass

from wfops import statuses as s
from wfops.engine import loop, reruns
from wfops.session import Session

from .notes import note
from .shapes import PACK, REF, RUN_TIMEOUT, Shape

WORKFLOW_FILE_SIZE = 1 << 16
WORKFLOW_FILE_MTIME_NS = 1_600_000_000 * 10**9


def write_workflow(pack_root, text: str) -> None:
    """Write the example's workflow in place, padded to a fixed size and with a fixed
    modification time. The action registry is cached and revalidated by the size, mtime
    and inode of the files it read, the entry point included: unchanged marks keep the
    cache (reloading every pack took a third of an example's time). The engine reads the
    definition itself at launch, so it always runs this example's workflow."""
    data = text.encode("utf-8")
    assert len(data) < WORKFLOW_FILE_SIZE
    path = pack_root / "packs" / PACK / "actions" / "workflows" / "wf.yaml"
    with open(path, "r+b" if path.exists() else "wb") as handle:
        handle.write(data + b"\n" + b"#" * (WORKFLOW_FILE_SIZE - len(data) - 1))
        handle.truncate()
    os.utime(path, ns=(WORKFLOW_FILE_MTIME_NS, WORKFLOW_FILE_MTIME_NS))


@contextlib.contextmanager
def _environ(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class Host:
    """One example's host: a fresh WFOPS_HOME, a work dir (log, markers), a session."""

    session: Session
    work: str
    shape: Shape

    @property
    def store(self):
        return self.session.store

    @property
    def engine(self):
        return self.session.engine

    def set_markers(self, markers) -> None:
        for name in os.listdir(self.work):
            if name.startswith("fail."):
                os.unlink(os.path.join(self.work, name))
        for marker in markers:
            open(os.path.join(self.work, "fail." + marker), "w").close()

    def log(self) -> list[str]:
        path = os.path.join(self.work, "log")
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return handle.read().split()


@contextlib.contextmanager
def host_for(pack_root, shape: Shape):
    base = tempfile.mkdtemp(dir=str(pack_root), prefix="ex-")
    work = str(pack_root / "work")  # one per test process, so that a shape's YAML is the same
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    write_workflow(pack_root, shape.yaml(work))
    with _environ(WFOPS_PACKS_PATH=str(pack_root / "packs"), WFOPS_WORKERS="1"):
        session = Session(home=os.path.join(base, "home"), user="conformance")
        session.engine  # noqa: B018  (created while WFOPS_WORKERS=1)
    try:
        yield Host(session, work, shape)
    finally:
        session.close()
        shutil.rmtree(base, ignore_errors=True)


def settle(host: Host, execution_id: str, timeout: float = RUN_TIMEOUT) -> dict:
    """Run until the execution has settled and no action of it is still running: a
    workflow shows "failed" as soon as Orquesta fails it, while tasks already started
    are still running and will be recorded."""
    record = loop.run_until_settled(host.engine, execution_id, timeout=timeout)
    assert record["status"] not in s.WAITING, (
        "execution %s is still %s after %s s" % (execution_id, record["status"], timeout))
    assert loop.run_until_idle(host.engine, timeout=timeout), "the host did not become idle"
    return host.store.get_execution(execution_id)


def run_first(host: Host) -> tuple[dict, dict]:
    """Launch the workflow with the first-run markers; return its record and run state."""
    host.set_markers(host.shape.fail)
    execution_id = host.session.engine.launch(REF, {"dir": host.work})
    settle(host, execution_id)
    record = host.store.get_execution(execution_id)
    assert record["status"] in s.COMPLETED, "the first run did not settle: %s" % record["status"]
    note("First run: %s; log: %s" % (record["status"], " ".join(host.log())))
    return record, reruns.state_for(host.store, record)


def store_snapshot(store, wf_id: str) -> dict:
    executions, _ = store.list_executions(limit=None, newest_first=False)
    wf = store.get_workflow_execution(wf_id)
    return {
        "executions": [(e["id"], e["status"], e["parent"], e["result"] is None) for e in executions],
        "task_executions": [(t["id"], t["task_id"], t["route"], t["status"]) for t in store.task_executions(wf_id)],
        "workflow": (wf["status"], wf["action_execution"], wf["journal_seq"]),
    }
