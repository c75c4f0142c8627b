"""D1, D2: an engine killed at any named point of its dispatch and commit path loses
nothing and runs nothing twice.

The test hook (``wfops.engine.crash_points``: ``WFOPS_TEST_MODE=1`` and
``WFOPS_TEST_CRASH_AT=<point>:<n>``) makes the engine process SIGKILL itself the n-th
time it reaches a point. The workflow, ``hosttest.durability``, has parallel branches, a
with-items task (concurrency 2) and a sub-workflow; each shell task appends its key to a
log. After the kill (and a `wfops engine --until-idle`, killed itself in some cases, then
one that is not), for each case:

- every execution and workflow execution has a final status;
- the actions that are ``abandoned`` are exactly those recorded running at a kill;
- every record that had finished at a kill keeps its status and result;
- side effects are explained by records: per task (and item), no more side effects than
  records that reached running, at least one per record that finished, none for an
  action whose start was still waiting for its commit, one for each started; a task has
  a second record only after an abandoned one (`side` is retried; nothing else is
  dispatched twice).
"""

from __future__ import annotations

import collections
import json
import os
import pathlib
import re
import signal
import sqlite3
import subprocess
import time

import pytest
from conftest import log_lines, wait_for

ACTIVE = {"requested", "scheduled", "delayed", "running", "pending", "pausing", "paused", "resuming",
          "canceling"}
FINISHED = {"succeeded", "failed", "timeout", "canceled"}
FINAL = FINISHED | {"abandoned"}


class Kill:
    """What the store held when an engine was killed, and what the hook said."""

    def __init__(self, records: dict, stderr: str):
        self.records = records
        match = re.search(r"wfops test hook: killed at ([a-z_]+:\d+)(?:; (not started|started): (.*))?", stderr)
        assert match, "the engine was not killed by the hook:\n%s" % stderr[-3000:]
        self.point = match.group(1)
        ids = (match.group(3) or "").split()
        self.not_started = set(ids) if match.group(2) == "not started" else set()
        self.started = set(ids) if match.group(2) == "started" else set()

    @property
    def running_actions(self) -> set[str]:
        return {i for i, r in self.records.items()
                if r["runner_type"] not in ("orquesta", "workflow_execution") and r["status"] in ACTIVE}


def read_store(home: pathlib.Path) -> dict[str, dict]:
    path = home / "wfops.db"
    if not path.exists():
        return {}
    db = sqlite3.connect(str(path))
    db.row_factory = sqlite3.Row
    try:
        rows = db.execute("SELECT id, runner_type, status, result, context, item_id FROM executions").fetchall()
        workflows = db.execute("SELECT id, status FROM workflow_executions").fetchall()
    finally:
        db.close()
    records = {}
    for row in rows:
        context = json.loads(row["context"])
        task = (context.get("orquesta") or {}).get("task_name")
        key = task if row["item_id"] is None else "%s:%s" % (task, row["item_id"])
        records[row["id"]] = {"runner_type": row["runner_type"], "status": row["status"],
                              "result": row["result"], "key": key}
    for row in workflows:
        records["wf:" + row["id"]] = {"runner_type": "workflow_execution", "status": row["status"],
                                      "result": None, "key": None}
    return records


def wait_for_orphans(home: pathlib.Path, timeout: float = 60) -> None:
    """Wait until no process of this test's home is left (the killed engine's actions go
    on in their own sessions until they end)."""
    marker = ("WFOPS_HOME=%s" % home).encode()

    def none_left() -> bool:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/environ" % pid, "rb") as handle:
                    if marker in handle.read().split(b"\0"):
                        return False
            except OSError:
                continue
        return True

    wait_for(none_left, timeout=timeout, interval=0.1)


def killed(wfops, args: list[str], crash_at: str, timeout: float = 120) -> str:
    env = dict(wfops.env, WFOPS_TEST_MODE="1", WFOPS_TEST_CRASH_AT=crash_at)
    done = subprocess.run(wfops.command(*args), env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, start_new_session=True)
    assert done.returncode == -signal.SIGKILL, "not killed at %s (exit %s):\n%s" % (
        crash_at, done.returncode, done.stderr[-3000:])
    return done.stderr


def check_recovered(home: pathlib.Path, log: pathlib.Path, kills: list[Kill]) -> dict:
    final = read_store(home)
    stuck = {i: r["status"] for i, r in final.items() if r["status"] not in FINAL}
    assert not stuck, "not final after recovery: %s" % stuck

    abandoned = {i for i, r in final.items() if r["status"] == "abandoned"}
    running_at_kills = set().union(*(k.running_actions for k in kills))
    assert abandoned == running_at_kills, (
        "abandoned %s, but running at the kills: %s" % (sorted(abandoned), sorted(running_at_kills)))

    for kill in kills:
        for i, before in kill.records.items():
            if before["status"] in FINISHED:
                assert (final[i]["status"], final[i]["result"]) == (before["status"], before["result"]), (
                    "a record that had finished changed: %s" % i)

    effects = collections.Counter(log_lines(log))
    actions = [(i, r) for i, r in final.items() if r["runner_type"] not in ("orquesta", "workflow_execution")
               and r["key"] and r["runner_type"] != "noop"]
    per_key = collections.defaultdict(list)
    for i, r in actions:
        per_key[r["key"]].append(i)
    not_started = set().union(*(k.not_started for k in kills))
    started = set().union(*(k.started for k in kills))
    for key in set(effects) | set(per_key):
        ids = per_key.get(key, [])
        lost = [i for i in ids if final[i]["status"] == "abandoned"]
        assert len(ids) <= 1 + len(lost), (
            "task %s has %d records, %d of them abandoned: it was dispatched twice" % (key, len(ids), len(lost)))
        finished = [i for i in ids if final[i]["status"] in FINISHED]
        maybe = [i for i in ids if final[i]["status"] == "abandoned" and i not in not_started]
        surely = [i for i in maybe if i in started]
        assert len(finished) + len(surely) <= effects[key] <= len(finished) + len(maybe), (
            "task %s: %d side effects for %d finished and %d abandoned records (%d never started)"
            % (key, effects[key], len(finished), len(maybe), len([i for i in ids if i in not_started])))
    return final


def run_killed(wfops, tmp_path, crash_at: str) -> tuple[pathlib.Path, Kill]:
    log = tmp_path / "log.txt"
    stderr = killed(wfops, ["run", "hosttest.durability", "log=%s" % log, "pause=0.2"], crash_at)
    wait_for_orphans(wfops.home)
    return log, Kill(read_store(wfops.home), stderr)


def recover(wfops) -> subprocess.CompletedProcess:
    done = wfops.run("engine", "--until-idle", timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    wait_for_orphans(wfops.home)
    return done


# Each point at an early and a later arrival: the launch, the first fork, the items and
# the sub-workflow in flight, the sub-workflow's end (its snapshot), the join. Outcomes
# that arrive together commit together, so how many commits start actions depends on
# timing; every run has at least four (the launch; start's outcome, which starts each:0,
# each:1, side and sub_step1; the next items and sub_step2; finish), and no point here
# counts past the fourth commit.
POINTS = ["before_commit:2", "before_commit:4", "after_commit:1", "after_commit:4",
          "after_dispatch:2", "after_dispatch:4", "outcome:2", "outcome:6", "snapshot:1"]


@pytest.mark.parametrize("crash_at", POINTS)
def test_engine_killed_at_a_point_of_the_dispatch_path(wfops, tmp_path, crash_at):
    log, kill = run_killed(wfops, tmp_path, crash_at)
    assert kill.point == crash_at
    assert kill.records, "the kill came before anything was recorded"
    recover(wfops)
    final = check_recovered(wfops.home, log, [kill])
    if not kill.running_actions:
        # Nothing was lost: the workflow went on by its definition to the end.
        root = [r for r in final.values() if r["runner_type"] == "orquesta" and r["key"] is None]
        assert [r["status"] for r in root] == ["succeeded"]
        assert sorted(log_lines(log)) == sorted(
            ["start", "side", "sub_step1", "sub_step2", "finish"] + ["each:%d" % i for i in range(4)])


@pytest.mark.parametrize("recovery_crash", ["recovery:1", "after_commit:1"])
def test_recovery_engine_killed_too(wfops, tmp_path, recovery_crash):
    """The engine that adopts the tree is killed while it adopts (nothing of the adoption
    commits) or right after its adoption committed (the retry of `side` it started is
    recorded running, never started); a third engine finishes."""
    # The second commit is start's outcome: side starts in it, so side is running at
    # this kill however the later outcomes batch.
    log, first = run_killed(wfops, tmp_path, "after_dispatch:2")
    stderr = killed(wfops, ["engine", "--until-idle"], recovery_crash)
    wait_for_orphans(wfops.home)
    second = Kill(read_store(wfops.home), stderr)
    if recovery_crash == "recovery:1":
        assert second.records == first.records, "an adoption killed before its commit changed the store"
    recover(wfops)
    check_recovered(wfops.home, log, [first, second])


def test_records_left_running_under_a_completed_workflow_are_abandoned(wfops, tmp_path):
    """D2: the workflow failed on one branch while the other still ran; its engine was
    killed; the next engine adopts the completed tree and records that task abandoned,
    with a log line."""
    log, gate = tmp_path / "log.txt", tmp_path / "gate"
    gate.touch()
    runner = wfops.popen("run", "hosttest.fail_fast", "log=%s" % log, "gate=%s" % gate)
    wait_for(lambda: {"boom", "slow"} <= set(log_lines(log)), timeout=60)
    listed = []

    def failed() -> bool:
        nonlocal listed
        listed, _ = wfops.json("execution", "list")
        return bool(listed) and listed[0]["status"] == "failed"

    wait_for(failed, timeout=60, interval=0.2)
    execution_id = listed[0]["id"]
    slow = [c for c in wfops.get(execution_id)["children"] if c["context"]["orquesta"]["task_name"] == "slow"]
    assert [c["status"] for c in slow] == ["running"]
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    gate.unlink()
    wait_for_orphans(wfops.home)

    done = recover(wfops)
    view = wfops.get(execution_id)
    assert view["status"] == "failed"
    statuses = {c["context"]["orquesta"]["task_name"]: c["status"] for c in view["children"]}
    assert statuses == {"start": "succeeded", "boom": "failed", "slow": "abandoned"}
    assert "had already completed" in done.stderr and slow[0]["id"] in done.stderr
    assert all(r["status"] in FINAL for r in read_store(wfops.home).values())


def test_the_hook_is_inert_outside_test_mode(wfops, tmp_path):
    """Without WFOPS_TEST_MODE=1 the crash variable does nothing."""
    log = tmp_path / "log.txt"
    env = dict(wfops.env, WFOPS_TEST_CRASH_AT="after_commit:1")
    env.pop("WFOPS_TEST_MODE", None)
    done = subprocess.run(wfops.command("run", "hosttest.durability", "log=%s" % log, "pause=0", "--json"),
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"


def test_with_items_item_killed_right_after_it_started_runs_once(wfops, workdir):
    """The issue's reproduction: kill `wfops run` of wfops_examples.with_items (each item
    sleeps 1 s, concurrency 2) as soon as item 2's side effect appears, then
    `wfops engine --until-idle`: item 2 is recorded running before it ran, so it is
    abandoned, not run again. Every other item runs once, or (item 3, started beside item
    2, when the kill comes before its process starts) is abandoned and never runs."""
    d, log = workdir
    runner = wfops.popen("run", "wfops_examples.with_items", "log=%s" % log, "dir=%s" % d, "sleep=1",
                         "concurrency=2")
    wait_for(lambda: "task1:2" in log_lines(log), timeout=60, interval=0.005)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    at_kill = read_store(wfops.home)
    assert {r["key"]: r["status"] for r in at_kill.values() if r["key"]}.get("task1:2") == "running", (
        "item 2's side effect appeared before its record said running")
    wait_for_orphans(wfops.home)
    recover(wfops)
    time.sleep(0.1)
    ran = collections.Counter(log_lines(log))
    assert ran["task1:2"] == 1
    final = read_store(wfops.home)
    running_at_kill = {r["key"] for r in at_kill.values() if r["key"] and r["status"] == "running"}
    for key in ["task1:%d" % i for i in range(6)]:
        assert ran[key] <= 1, "%s ran %d times" % (key, ran[key])
        if not ran[key]:
            # Killed after its record said running, before its process started (item 3
            # starts beside item 2): abandoned, never run, as D1 requires.
            assert key in running_at_kill, "%s never ran, though it was not running at the kill" % key
            assert [r["status"] for r in final.values() if r["key"] == key] == ["abandoned"]


def test_a_replayed_event_reads_the_datastore_values_it_read_first(wfops, tmp_path):
    """The recovering engine rebuilds the conductor by replaying the journal. The
    workflow's vars read st2kv('system.shade') while it was light; `first`'s outcome
    published st2kv('system.color') while it was red, and compared the decrypted secret
    `token` with its value then. The keys change before the recovery: the replay still
    renders light, publishes red and the comparison's answer (the values are journaled
    with the entries, the secret as its ciphertext, not in plain text). `second`, recorded running at
    the kill, is abandoned and retried; nothing runs twice."""
    log = tmp_path / "log.txt"
    assert wfops.run("key", "set", "color", "red").returncode == 0
    assert wfops.run("key", "set", "shade", "light").returncode == 0
    assert wfops.run("key", "set", "token", "s3cret", "--encrypt").returncode == 0
    # commit 1 starts `first`; commit 2 records its outcome (the publish) and starts `second`
    stderr = killed(wfops, ["run", "hosttest.kv_replay", "log=%s" % log], "after_commit:2")
    wait_for_orphans(wfops.home)
    kill = Kill(read_store(wfops.home), stderr)
    db = sqlite3.connect(str(wfops.home / "wfops.db"))
    try:
        journal = " ".join(row[0] for row in db.execute("SELECT entry FROM journal"))
    finally:
        db.close()
    assert "red" in journal and "s3cret" not in journal
    assert wfops.run("key", "set", "color", "blue").returncode == 0
    assert wfops.run("key", "set", "shade", "dark").returncode == 0
    assert wfops.run("key", "set", "token", "other", "--encrypt").returncode == 0
    recover(wfops)
    final = check_recovered(wfops.home, log, [kill])
    root = [i for i, r in final.items() if r["runner_type"] == "orquesta"]
    view = wfops.get(root[0])
    tasks = [(c["context"]["orquesta"]["task_name"], c["status"]) for c in view["children"]]
    assert view["status"] == "succeeded", tasks
    assert tasks == [("first", "succeeded"), ("second", "abandoned"), ("second", "succeeded")]
    assert view["result"]["output"] == {"color": "red", "token_ok": True, "shade": "light"}
    assert log_lines(log) == ["first", "second"]
