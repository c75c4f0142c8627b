"""Random kill soak (issue 14, D1/D2): kill -9 an engine at uniform random times, recover,
and count what went wrong.

Each round, in a fresh WFOPS_HOME: `wfops run hosttest.durability` (parallel branches, a
with-items task with concurrency 2, a sub-workflow, a retried task; every shell task
appends its key to a log) is killed with SIGKILL (its process group) at a uniform random
time within ``--window`` seconds of its first side effect; in some rounds (``--kill-recovery``) the first
`wfops engine --until-idle` that recovers it is killed too, at a random time; then a last
`wfops engine --until-idle` runs to the end. Once no process of the round is left:

- unrecorded runs: side effects of a task (or item) that has no record that reached
  running;
- duplicated runs: side effects beyond the records of that task that reached running,
  plus second records not preceded by an abandoned one (dispatched twice);
- stuck executions: action or workflow executions not in a final status;
- forgotten: records that had finished at a kill and changed afterwards.

Usage (from the repository root, with the project's venv):

    .venv/bin/python bench/soak_kill.py --rounds 50
    .venv/bin/python bench/soak_kill.py --rounds 20 --lib /path/to/other/checkout/lib   # another engine

It prints one line per round and the totals. Not run in CI.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
PACKS = REPO / "tests" / "fixtures" / "packs"
FINISHED = {"succeeded", "failed", "timeout", "canceled"}
FINAL = FINISHED | {"abandoned"}


def _records(home: pathlib.Path) -> tuple[dict, list[str]]:
    if not (home / "wfops.db").exists():
        return {}, []
    db = sqlite3.connect(str(home / "wfops.db"))
    try:
        if not db.execute("SELECT name FROM sqlite_master WHERE name = 'workflow_executions'").fetchall():
            return {}, []  # killed while the store was being created
        rows = db.execute("SELECT id, runner_type, status, result, context, item_id, seq FROM executions "
                          "ORDER BY seq").fetchall()
        workflows = [r[0] for r in db.execute("SELECT status FROM workflow_executions").fetchall()]
    finally:
        db.close()
    records = {}
    for execution_id, runner, status, result, context, item, seq in rows:
        task = (json.loads(context).get("orquesta") or {}).get("task_name")
        key = task if item is None else "%s:%s" % (task, item)
        records[execution_id] = {"runner": runner, "status": status, "result": result, "key": key, "seq": seq}
    return records, workflows


def _wait_for_orphans(home: pathlib.Path, timeout: float = 120) -> None:
    marker = ("WFOPS_HOME=%s" % home).encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/environ" % pid, "rb") as handle:
                    left = marker in handle.read().split(b"\0")
            except OSError:
                continue
            if left:
                break
        if not left:
            return
        time.sleep(0.1)
    raise SystemExit("processes of %s still running after %s s" % (home, timeout))


def _kill_at(command: list[str], env: dict, delay: float, timeout: float,
             started: pathlib.Path | None = None) -> bool:
    """Run ``command`` and SIGKILL its process group ``delay`` s after ``started`` exists
    (or after it started); True when it was still running then."""
    proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    while started is not None and not started.exists() and proc.poll() is None:
        time.sleep(0.005)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
        return True


def one_round(rnd: random.Random, python: str, lib: str | None, window: float, kill_recovery: float) -> dict:
    base = pathlib.Path(tempfile.mkdtemp(prefix="wfops-soak-"))
    home, log = base / "home", base / "log.txt"
    env = dict(os.environ, WFOPS_HOME=str(home), WFOPS_PACKS_PATH=str(PACKS))
    for name in ("WFOPS_URL", "WFOPS_TEST_MODE", "WFOPS_TEST_CRASH_AT"):
        env.pop(name, None)
    if lib:
        env["PYTHONPATH"] = lib
    wfops = [python, "-m", "wfops.cli.main"]
    try:
        at = rnd.uniform(0, window)
        killed = _kill_at(wfops + ["run", "hosttest.durability", "log=%s" % log, "pause=0.2"], env, at, 60,
                          started=log)
        _wait_for_orphans(home)
        snapshots = [_records(home)[0]]
        recovery_killed = False
        if kill_recovery and rnd.random() < kill_recovery:
            recovery_killed = _kill_at(wfops + ["engine", "--until-idle"], env, rnd.uniform(0.5, 0.5 + window), 60)
            _wait_for_orphans(home)
            snapshots.append(_records(home)[0])
        subprocess.run(wfops + ["engine", "--until-idle"], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        _wait_for_orphans(home)
        records, workflows = _records(home)
        effects = collections.Counter(log.read_text().split() if log.exists() else [])
        by_key = collections.defaultdict(list)
        for record in records.values():
            if record["runner"] not in ("orquesta", "noop") and record["key"]:
                by_key[record["key"]].append(record)
        unrecorded = duplicated = 0
        for key in set(effects) | set(by_key):
            ran = [r for r in by_key.get(key, []) if r["status"] in FINAL]
            extra = max(0, effects[key] - len(ran))
            if ran:
                duplicated += extra
            else:
                unrecorded += extra
            ordered = sorted(by_key.get(key, []), key=lambda r: r["seq"])
            duplicated += sum(1 for before, _ in zip(ordered, ordered[1:]) if before["status"] != "abandoned")
        stuck = sum(1 for r in records.values() if r["status"] not in FINAL)
        stuck += sum(1 for status in workflows if status not in FINAL)
        forgotten = sum(1 for snapshot in snapshots for i, r in snapshot.items()
                        if r["status"] in FINISHED and (records[i]["status"], records[i]["result"])
                        != (r["status"], r["result"]))
        return {"at": at, "killed": killed, "recovery_killed": recovery_killed,
                "abandoned": sum(1 for r in records.values() if r["status"] == "abandoned"),
                "unrecorded": unrecorded, "duplicated": duplicated, "stuck": stuck, "forgotten": forgotten}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--window", type=float, default=1.5,
                        help="kill within this many seconds of the first side effect (the rest of a run "
                        "takes about 1.5 s); a recovery engine within this many seconds after its first 0.5 s")
    parser.add_argument("--kill-recovery", type=float, default=0.3,
                        help="share of rounds whose first recovery engine is killed too")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--lib", help="PYTHONPATH for the wfops under test (another checkout's lib/)")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    totals = collections.Counter()
    wrong = 0
    print("round  kill@s  killed  rec.killed  abandoned  unrecorded  duplicated  stuck  forgotten")
    for number in range(1, args.rounds + 1):
        result = one_round(rnd, args.python, args.lib, args.window, args.kill_recovery)
        bad = result["unrecorded"] + result["duplicated"] + result["stuck"] + result["forgotten"]
        wrong += bool(bad)
        for name in ("killed", "recovery_killed", "abandoned", "unrecorded", "duplicated", "stuck", "forgotten"):
            totals[name] += int(result[name])
        print("%5d  %6.2f  %6s  %10s  %9d  %10d  %10d  %5d  %9d%s" % (
            number, result["at"], result["killed"], result["recovery_killed"], result["abandoned"],
            result["unrecorded"], result["duplicated"], result["stuck"], result["forgotten"],
            "  <-- wrong" if bad else ""), flush=True)
    print("\nrounds %d (engine killed in %d, recovery engine killed in %d): %d went wrong; "
          "unrecorded runs %d, duplicated runs %d, stuck executions %d, forgotten results %d; "
          "abandoned records %d" % (args.rounds, totals["killed"], totals["recovery_killed"], wrong,
                                     totals["unrecorded"], totals["duplicated"], totals["stuck"],
                                     totals["forgotten"], totals["abandoned"]))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
