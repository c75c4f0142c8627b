"""Who runs a tree, and taking over the trees of an engine that died (D1, D2).

The root action execution's ``owner`` column names the engine that runs the tree. An
engine whose process is gone (its pid, on this host) or whose heartbeat is stale is dead;
any engine may then adopt its trees: restore their conductors from the store (snapshot +
journal), record the actions that were running as ``abandoned`` (st2's status for a lost
runner), and carry the workflows on by their definitions. A tree whose root already
completed while some of its records were still active (a task that was running when its
workflow failed on another branch) is adopted too: those records become ``abandoned``.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import TYPE_CHECKING

from wfops import statuses as s
from wfops.engine import chains, crash_points, driver, launching
from wfops.engine.records import ChainStep, LiveWorkflow, Outcome, TaskAction, TaskRecord

if TYPE_CHECKING:
    from wfops.engine.journal import JournaledConductor

LOG = logging.getLogger("wfops.engine")

DEAD_AFTER_SECONDS = 15.0

ABANDONED_ERROR = ("The process running this action ended before it finished (engine %s); "
                   "the action was abandoned.")


def engine_alive(store, engine_id: str | None) -> bool:
    """Whether the engine ``engine_id`` is still running (same machine: by pid)."""
    if not engine_id:
        return False
    engine = store.get_engine(engine_id)
    if engine is None:
        return False
    if engine["hostname"] == socket.gethostname():
        try:
            os.kill(engine["pid"], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        started = process_started_at(engine["pid"])
        if started is not None:
            # The process that registered is alive however late its heartbeat (a loaded
            # machine can starve it for longer than DEAD_AFTER_SECONDS, and adopting from a
            # live engine would run its actions twice); a pid reused by a later process is
            # not that engine. btime has a resolution of one second.
            return started <= engine["started"] + 1.0
    return time.time() - engine["heartbeat"] < DEAD_AFTER_SECONDS


def process_started_at(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), from Linux's /proc: None
    where that cannot be read, infinity for a zombie (it has ended, so it is no engine
    that registered). O(1)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open("/proc/stat", encoding="ascii") as handle:
            boot = next(float(line.split()[1]) for line in handle if line.startswith("btime "))
        if fields[0] in ("Z", "X"):
            return float("inf")
        return boot + float(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
    except (OSError, StopIteration, ValueError, IndexError):
        return None


def restore_conductor(store, wf: dict) -> "JournaledConductor":
    """The conductor of workflow execution ``wf`` as the store has it: its last snapshot
    and the journal entries after it, replayed. O(entries since the snapshot)."""
    from wfops.engine import definitions  # Orquesta: imported when needed
    from wfops.engine.journal import JournaledConductor

    spec = definitions.load_spec(wf["definition"], wf["action_ref"])
    entries = store.journal_after(wf["id"], wf["snapshot_seq"])
    return JournaledConductor.restore(spec, wf["input"], wf["parent_context"], wf["snapshot"], entries)


def stored_workflow(store, wf_id: str, execution_id: str, root: str, parent: TaskAction | None) -> LiveWorkflow:
    """``wf_id`` restored from the store, attached to ``execution_id``."""
    wf = store.get_workflow_execution(wf_id)
    records = {t["seq_index"]: TaskRecord(t["id"], t["status"]) for t in store.task_executions(wf_id)}
    return LiveWorkflow(wf_id, execution_id, root, restore_conductor(store, wf), wf["journal_seq"],
                        wf["snapshot_seq"], records, parent)


def load_workflow(engine, wf_id: str, execution_id: str | None = None) -> LiveWorkflow:
    """Restore the conductor of ``wf_id`` into ``engine`` (snapshot + journal), attached to
    ``execution_id`` (default: the action execution the store attaches it to)."""
    live = engine.memory.live.get(wf_id)
    if live is not None:
        return live
    store = engine.store
    execution_id = execution_id or store.get_workflow_execution(wf_id)["action_execution"]
    record = store.get_execution(execution_id)
    parent = task_action_of(engine, record) if record["parent"] is not None else None
    live = stored_workflow(store, wf_id, execution_id, record["root"], parent)
    engine.memory.add_workflow(live)
    return live


def task_action_of(engine, record: dict) -> TaskAction | ChainStep | None:
    """The task (or chain node) an action execution record runs (None for a top-level
    execution)."""
    chain = record["context"].get("chain")
    if chain and record["parent"] is not None:
        return ChainStep(record["parent"], chain.get("name"))
    orquesta = record["context"].get("orquesta")
    if not orquesta:
        return None
    wf_id = orquesta.get("workflow_execution_id")
    if record["parent"] is not None and record["runner_type"] == "orquesta":
        parent = engine.store.get_execution(record["parent"])
        wf_id = parent["context"].get("workflow_execution") or wf_id
    count = None
    live = engine.memory.live.get(wf_id)
    if record["item_id"] is not None and live is not None:
        staged = live.jc.conductor.workflow_state.get_staged_task(orquesta["task_name"], orquesta["task_route"])
        if staged and staged.get("items"):
            count = len(staged["items"])
    return TaskAction(wf_id, orquesta["task_name"], orquesta["task_route"], record["item_id"], count)


def adopt(engine, root_id: str, expected_owner: str | None) -> bool:
    """Take over a tree whose engine is gone, in one transaction: restore its workflows,
    record the actions that were running as abandoned, and carry on (what that starts
    starts once the adoption committed). False when another engine got it first."""
    store = engine.store
    with store.transaction():
        if not store.claim_root(root_id, engine.id, expected_owner):
            return False
        tree = store.tree_executions(root_id)
        # Records come in creation order: parents are loaded before their children.
        for record in tree:
            wf_id = record["context"].get("workflow_execution")
            if record["runner_type"] != "orquesta" or not wf_id:
                continue
            wf = store.get_workflow_execution(wf_id)
            if wf["action_execution"] != record["id"]:
                continue  # an earlier attempt; the workflow execution went on in a re-run
            if record["status"] in s.COMPLETED and wf["status"] in s.COMPLETED:
                continue
            load_workflow(engine, wf_id, record["id"])
        for record in tree:
            if record["runner_type"] == "orquesta" and record["id"] in engine.memory.by_execution:
                if record["parent"] is not None:
                    engine.memory.track(record["id"], task_action_of(engine, record))
                continue
            if record["runner_type"] == chains.ACTION_CHAIN and record["status"] in (s.ACTIVE - {s.REQUESTED}) | {s.PAUSED}:
                engine.memory.add_chain(record["id"])  # it goes on from its records, below
                if record["parent"] is not None:
                    engine.memory.track(record["id"], task_action_of(engine, record))
                continue
            if record["status"] == s.DELAYED:
                _restart_delayed(engine, record)
            elif record["status"] == s.REQUESTED and record["parent"] is None:
                # Created, never started (the start comes after the creation commits).
                engine.memory.add_timer(0, lambda rid=record["id"]: launching.start_requested(engine, rid))
            elif record["status"] in s.ACTIVE:
                _abandon(engine, record, expected_owner)
        crash_points.reach("recovery")
        for live in [w for w in engine.memory.live.values() if w.root == root_id]:
            if live.wf_id in engine.memory.live:
                driver.settle(engine, live)
        for record in tree:
            if record["id"] in engine.memory.chains:
                chains.advance(engine, record["id"])
        tracked = {r["id"] for r in tree} & engine.memory.actions.keys()
        if (not tracked and store.get_execution_status(root_id) in s.COMPLETED
                and not store.pending_commands([root_id])):
            # Only records to close were left. A tree adopted for a command (a re-run of a
            # completed workflow sent by another process) is kept until it is served.
            store.release_root(root_id, engine.id)
    return True


def _abandon(engine, record: dict, owner: str | None) -> None:
    task = task_action_of(engine, record)
    engine.memory.track(record["id"], task)
    if isinstance(task, TaskAction) and task.wf_id not in engine.memory.live:
        LOG.warning(
            "execution %s (task %s of workflow execution %s, which had already completed) was "
            "%s when engine %s ended; recorded abandoned",
            record["id"], task.task, task.wf_id, record["status"], owner or "unknown")
    driver.deliver(engine, Outcome(record["id"], s.ABANDONED, {"error": ABANDONED_ERROR % (owner or "unknown")}))


def _restart_delayed(engine, record: dict) -> None:
    task = task_action_of(engine, record)
    engine.memory.track(record["id"], task)
    action = engine.registry.get(record["action_ref"])
    engine.memory.add_timer(0, lambda: driver.start_delayed(engine, record["id"], action, record["parameters"], task))


def adopt_orphans(engine) -> list[str]:
    """Adopt every tree with an active execution (or a pending command) whose owner is
    gone. Returns the roots adopted."""
    store = engine.store
    adopted = []
    candidates = store.roots_of_active_executions(tuple(sorted(s.ACTIVE | {s.PENDING})))
    candidates += store.roots_with_pending_commands()
    seen = set()
    for root in candidates:
        if root["id"] in seen:
            continue
        seen.add(root["id"])
        owner = root["owner"]
        if owner == engine.id or engine_alive(store, owner):
            continue
        if adopt(engine, root["id"], owner):
            adopted.append(root["id"])
    return adopted
