"""The host through its command line (issue 12, item 5): `wfops run` as a whole process,
beside the host in process and plain Orquesta, and the CLI's start-up.

Run by hand:  .venv/bin/python bench/bench_cli.py [--quick] [--cases chain:1000,items:10000]

Runs (each its own process, a fresh WFOPS_HOME each):

- ``run``: ``wfops run -j bench_host.<case>`` -- the whole process: interpreter start,
  imports, pack metadata, launch (parsing and Orquesta's inspection), every action
  recorded durably in SQLite (WAL, the host's settings), the JSON printed. Timed from
  outside (wall; CPU and peak RSS of the process from ``os.wait4``);
- ``in-proc``: the host in a process of its own, timed inside around ``launch`` +
  ``run_until_settled`` (``bench_host.py --run-case host``);
- ``plain``: plain Orquesta 1.2.0 (``WFOPS_ORQUESTA_SPEED=0``), the conductor driven as
  an engine must, in memory (``bench_host.py --run-case plain``), within ``--plain-limit``
  (120 s); once a kind's plain run does not finish, its larger N are not run plain.

Cases: chain N = 100, 1000, 10000 (``core.noop`` tasks, each the next of the one before)
and items N = 1000, 10000, 100000 (one with-items task of ``core.noop``); ``--quick``:
chain 100, 1000 and items 1000, 10000. "x10": the case's CPU time over that of the case
10 times smaller (target: at most 11x).

Start-up (median of ``--repeat``, 10): ``wfops --help``; ``wfops execution list`` on a
store with 1000 executions; ``wfops run`` of a 3-task chain, end to end.

Targets (issue 12): chain 1000 <= 2 s and items 10000 <= 5 s through ``wfops run``; at most
11x per 10x; ``--help`` <= 0.15 s; ``execution list`` <= 0.3 s; a 3-task workflow <= 0.5 s.
The machine is shared: the load average is printed with the figures; CPU times are
disturbed less than wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench_cases import PACK_REF, workflow_name, write_pack  # this directory is on sys.path

HERE = os.path.dirname(os.path.abspath(__file__))
# The targets first; the largest cases last (each row is printed when measured).
FULL_CASES = [("chain", 100), ("chain", 1000), ("items", 1000), ("items", 10000),
              ("chain", 10000), ("items", 100000)]
QUICK_CASES = [("chain", 100), ("chain", 1000), ("items", 1000), ("items", 10000)]
TARGETS = {("chain", 1000): 2.0, ("items", 10000): 5.0}
STARTUP_TARGETS = {"--help": 0.15, "execution list": 0.3, "run (3 tasks)": 0.5}


def timed_process(command: list[str], env: dict, limit: float) -> dict:
    """Run ``command``; wall seconds, CPU seconds (user + system), peak RSS (MB), exit
    status and stdout. ``{"timeout": True}`` past ``limit`` seconds (the process killed)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL)
        deadline = started + limit
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                return {"timeout": True}
            time.sleep(0.002)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024.0,
            "returncode": process.returncode, "stdout": stdout}


def wfops_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "wfops.cli.main", *args]


def environment(home: str, packs_root: str, speed: bool = True) -> dict:
    env = dict(os.environ, WFOPS_HOME=home, WFOPS_PACKS_PATH=packs_root)
    env.pop("WFOPS_URL", None)
    env["WFOPS_ORQUESTA_SPEED"] = "1" if speed else "0"
    return env


def run_through_cli(kind: str, n: int, packs_root: str, scratch: str, limit: float) -> dict:
    home = tempfile.mkdtemp(prefix="home-", dir=scratch)
    try:
        ref = "%s.%s" % (PACK_REF, workflow_name(kind, n))
        outcome = timed_process(wfops_command("run", "-j", ref), environment(home, packs_root), limit)
        if outcome.get("timeout"):
            return outcome
        view = json.loads(outcome.pop("stdout") or "{}")
        outcome["ok"] = view.get("status") == "succeeded" and len(view.get("children") or []) == n
        return outcome
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_case_process(mode: str, kind: str, n: int, packs_root: str, scratch: str, limit: float) -> dict:
    """``bench_host.py --run-case`` (host in process, or plain Orquesta)."""
    command = [sys.executable, os.path.join(HERE, "bench_host.py"), "--run-case", mode, kind, str(n), packs_root]
    env = dict(os.environ, TMPDIR=scratch, WFOPS_ORQUESTA_SPEED="1" if mode == "host" else "0")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": True}
    try:
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    outcome["ok"] = outcome.get("status") == "succeeded" and outcome.get("actions") == n
    return outcome


def fill_store(home: str, packs_root: str, count: int) -> None:
    """``count`` finished top-level executions of ``core.noop`` in the store at ``home``."""
    script = (
        "import sys\n"
        "from wfops.session import Session\n"
        "from wfops.engine import loop\n"
        "session = Session(sys.argv[1])\n"
        "ids = [session.engine.launch('core.noop', {}) for _ in range(int(sys.argv[2]))]\n"
        "loop.run_until_idle(session.engine)\n"
        "session.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, home, str(count)], env=environment(home, packs_root),
                   check=True)


def median_of(repeat: int, command: list[str], env: dict) -> dict:
    runs = [timed_process(command, env, 120.0) for _ in range(repeat)]
    ok = all(r.get("returncode") == 0 for r in runs)
    return {"wall": statistics.median(r["wall"] for r in runs), "cpu": statistics.median(r["cpu"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs), "ok": ok}


def startup(packs_root: str, scratch: str, repeat: int) -> list[tuple[str, dict]]:
    home = tempfile.mkdtemp(prefix="startup-", dir=scratch)
    fill_store(home, packs_root, 1000)
    env = environment(home, packs_root)
    timed_process(wfops_command("action", "list"), env, 120.0)  # the registry cache, as after any use
    rows = [("--help", median_of(repeat, wfops_command("--help"), env)),
            ("execution list", median_of(repeat, wfops_command("execution", "list"), env)),
            ("run (3 tasks)", median_of(repeat, wfops_command("run", "-j", "%s.chain_3" % PACK_REF), env))]
    shutil.rmtree(home, ignore_errors=True)
    return rows


def _figure(outcome: dict | None, key: str, digits: int = 3) -> str:
    if outcome is None:
        return "skipped"
    if outcome.get("timeout"):
        return "> limit"
    if "error" in outcome:
        return "error"
    value = outcome.get(key)
    return "-" if value is None else "%.*f" % (digits, value)


def _growth(rows: list[dict], row: dict) -> str:
    smaller = next((r for r in rows if r["kind"] == row["kind"] and r["n"] * 10 == row["n"]), None)
    try:
        return "%.1fx" % (row["run"]["cpu"] / smaller["run"]["cpu"])
    except (TypeError, KeyError, ZeroDivisionError):
        return "-"


_HEAD = ("case", "N", "run s", "run cpu", "x10", "run MB", "in-proc s", "cpu", "plain s", "cpu",
         "MB", "target", "check")
_WIDTHS = (6, 7, 9, 8, 6, 7, 10, 8, 9, 8, 6, 8, 6)


def print_head() -> None:
    print(" ".join(h.rjust(w) for h, w in zip(_HEAD, _WIDTHS)))
    print("-" * (sum(_WIDTHS) + len(_WIDTHS)), flush=True)


def print_row(rows: list[dict], row: dict) -> None:
    """One line of the table (``rows``: those measured so far, for the x10 column)."""
    run, host, plain = row["run"], row["host"], row["plain"]
    target = TARGETS.get((row["kind"], row["n"]))
    ok = all(o is None or o.get("ok") or o.get("timeout") for o in (run, host, plain))
    values = (row["kind"], str(row["n"]), _figure(run, "wall"), _figure(run, "cpu"), _growth(rows, row),
              _figure(run, "peak_mb", 0), _figure(host, "seconds"), _figure(host, "cpu"),
              _figure(plain, "seconds"), _figure(plain, "cpu"), _figure(plain, "peak_mb", 0),
              "<= %.0f s" % target if target else "", "ok" if ok else "FAIL")
    print(" ".join(v.rjust(w) for v, w in zip(values, _WIDTHS)), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", help="e.g. chain:1000,items:10000")
    parser.add_argument("--limit", type=float, default=900.0, help="seconds per run (default 900)")
    parser.add_argument("--plain-limit", type=float, default=120.0, help="seconds per plain run (default 120)")
    parser.add_argument("--no-plain", action="store_true")
    parser.add_argument("--no-runs", action="store_true", help="only the start-up figures")
    parser.add_argument("--repeat", type=int, default=10, help="start-up runs per figure (median)")
    args = parser.parse_args(argv)
    if args.cases:
        cases = [(c.split(":")[0], int(c.split(":")[1])) for c in args.cases.split(",")]
    else:
        cases = QUICK_CASES if args.quick else FULL_CASES
    # wfops's bytecode, as an installed package has it (with PYTHONDONTWRITEBYTECODE set,
    # each process would otherwise compile every wfops module it imports, ~0.1-0.2 s).
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(os.path.dirname(HERE), "lib")],
                   check=False, stdout=subprocess.DEVNULL)
    scratch = tempfile.mkdtemp(prefix="wfops-bench-cli-")
    try:
        packs_root = os.path.join(scratch, "packs")
        write_pack(packs_root, sorted(set(cases) | {("chain", 3)}))
        print("load average at start: %.2f %.2f %.2f (2 CPUs)" % os.getloadavg(), flush=True)
        print()
        print("start-up (median of %d)        wall s    cpu s    MB   target" % args.repeat)
        for name, figures in startup(packs_root, scratch, args.repeat):
            print("  %-26s %8.3f %8.3f %5.0f   <= %.2f s%s" % (
                name, figures["wall"], figures["cpu"], figures["peak_mb"], STARTUP_TARGETS[name],
                "" if figures["ok"] else "  FAIL"), flush=True)
        rows: list[dict] = []
        plain_gave_up: set[str] = set()
        if not args.no_runs:
            print()
            print_head()
            for kind, n in cases:
                row = {"kind": kind, "n": n,
                       "run": run_through_cli(kind, n, packs_root, scratch, args.limit),
                       "host": run_case_process("host", kind, n, packs_root, scratch, args.limit),
                       "plain": None}
                if not args.no_plain and kind not in plain_gave_up:
                    row["plain"] = run_case_process("plain", kind, n, packs_root, scratch, args.plain_limit)
                    if row["plain"].get("timeout"):
                        plain_gave_up.add(kind)
                rows.append(row)
                print_row(rows, row)
        print("load average at end: %.2f %.2f %.2f" % os.getloadavg())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
