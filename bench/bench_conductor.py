"""Conductor benchmark: Orquesta 1.2.0 in process, with wfops's speed patches and without.

Run by hand:  .venv/bin/python bench/bench_conductor.py [--quick] [--cases chain:1000,items:10000]

Cases (issue 12, items 1 and 5):

- chain:  N ``core.noop`` tasks, task i -> task i+1 on ``<% succeeded() %>``   (N = 100, 1000, 10000)
- items:  one with-items task of N ``core.noop`` items, no concurrency          (N = 1000, 10000, 100000)

Modes, each (case, N, mode) in its own subprocess (clean peak RSS, a time limit):

- patched: ``import wfops`` (compatibility layer and ``wfops.orquesta_speed``);
- plain:   the same with ``WFOPS_ORQUESTA_SPEED=0`` (compatibility layer only: Orquesta
           1.2.0's own code). Run only where it can finish within ``--plain-limit``
           (120 s): a case whose smaller N did not is shown as "skipped".

Timed ("s", wall; "cpu", process CPU time): ``WorkflowSpec(definition)``,
``WorkflowConductor(spec, context, inputs)`` and the driver loop, which does what a
workflow engine must (as ``bench_host.py``'s plain driver): ``request_workflow_status
("running")``, ``get_next_tasks()``, a "running" event for each action, then, in the
order they started, a "succeeded" event for each, followed by ``get_next_tasks()`` --
except after an item event that leaves its task running once every item has started
(nothing can become ready then). Item events carry the accumulated results list. The
YAML text is parsed before, and timed apart ("parse s", ``yaml.CSafeLoader`` when
available).

"x10": the time of the case divided by the time of the case 10 times smaller (the
target: at most 11x). "MB": peak RSS of the case's process; with ``--tracemalloc``, also
the traced heap peak of the timed part (in parentheses; times are then slower).

``--profile DIR`` writes a cProfile of each timed part to DIR/<mode>-<case>-<N>.prof.
Internal: ``--run-case MODE KIND N`` runs one case in this process and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from bench_cases import drive_plain  # (this directory is the script's: on sys.path)
from bench_host import _mb

FULL_CASES = [("chain", 100), ("chain", 1000), ("chain", 10000),
              ("items", 1000), ("items", 10000), ("items", 100000)]
QUICK_CASES = [("chain", 100), ("chain", 1000), ("items", 1000), ("items", 10000)]
PARENT_CONTEXT = {"st2": {"action_execution_id": "0" * 24, "workflow_execution_id": "1" * 24,
                          "user": "bench", "pack": "bench", "action": "bench.wf"}}


def definition(kind: str, n: int) -> str:
    """The workflow YAML of a case."""
    if kind == "items":
        return ("version: 1.0\ntasks:\n  noop_items:\n    with:\n      items: i in <%% range(%d) %%>\n"
                "    action: core.noop\n" % n)
    width = len(str(n - 1))
    lines = ["version: 1.0", "tasks:"]
    for i in range(n):
        lines += ["  task%s:" % str(i).zfill(width), "    action: core.noop"]
        if i < n - 1:
            lines += ["    next:", "      - when: <% succeeded() %>", "        do: task%s" % str(i + 1).zfill(width)]
    return "\n".join(lines) + "\n"


def drive(data: dict) -> dict:
    """Run the workflow ``data`` (a parsed definition) to its end on a fresh conductor,
    with ``bench_host.py``'s plain driver."""
    from orquesta import conducting
    from orquesta.specs import native as native_specs

    spec = native_specs.WorkflowSpec(data)
    conductor = conducting.WorkflowConductor(spec, context=PARENT_CONTEXT, inputs={})
    actions = drive_plain(lambda method, *args: getattr(conductor, method)(*args),
                          conductor.get_workflow_status, spec)
    return {"status": conductor.get_workflow_status(), "actions": actions}


def run_case(mode: str, kind: str, n: int, profile_dir: str | None, trace: bool) -> dict:
    import orquesta.conducting  # noqa: F401  (imported, and patched, outside the timed part)
    import yaml

    import wfops  # noqa: F401  (compatibility layer; speed patches unless WFOPS_ORQUESTA_SPEED=0)
    from wfops import orquesta_speed

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    started = time.perf_counter()
    data = yaml.load(definition(kind, n), Loader=loader)
    parse = time.perf_counter() - started
    profiler = None
    if profile_dir:
        import cProfile

        os.makedirs(profile_dir, exist_ok=True)
        profiler = cProfile.Profile()
    if trace:
        import tracemalloc

        tracemalloc.start()
    base_mb = _rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    outcome = drive(data)
    if profiler:
        profiler.disable()
        profiler.dump_stats(os.path.join(profile_dir, "%s-%s-%d.prof" % (mode, kind, n)))
    outcome.update(seconds=time.perf_counter() - started, cpu=time.process_time() - cpu_started, parse=parse,
                   base_mb=base_mb, peak_mb=_rss_mb(), patched=orquesta_speed.is_applied())
    if trace:
        import tracemalloc

        outcome["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1048576.0
        tracemalloc.stop()
    return outcome


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def spawn(mode: str, kind: str, n: int, limit: float, profile_dir: str | None, trace: bool) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--run-case", mode, kind, str(n)]
    if profile_dir:
        command += ["--profile", profile_dir]
    if trace:
        command.append("--tracemalloc")
    env = dict(os.environ, WFOPS_ORQUESTA_SPEED="1" if mode == "patched" else "0")
    env.pop("WFOPS_ORQUESTA_SPEED_VERIFY", None)
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": limit}
    if done.returncode != 0 or not done.stdout.strip():
        return {"error": ((done.stderr or done.stdout).strip().splitlines() or ["no output"])[-1]}
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    outcome["process"] = time.perf_counter() - started
    return outcome


def best_of(runs: list[dict]) -> dict:
    ok = [r for r in runs if "seconds" in r]
    return min(ok, key=lambda r: r["seconds"]) if ok else runs[-1]


def _fmt(outcome: dict | None, key: str) -> str:
    if outcome is None:
        return "skipped"
    if "timeout" in outcome:
        return "> %.0f" % outcome["timeout"]
    if "error" in outcome:
        return "error"
    return "%.3f" % outcome[key]


def _ratio(a: dict | None, b: dict | None, key: str = "cpu") -> str:
    """a[key] / b[key]; when ``a`` ran out of time, the bound its wall-time limit gives."""
    if a and b and key in a and key in b and b[key] > 0:
        return "%.1fx" % (a[key] / b[key])
    if a and b and "timeout" in a and b.get("seconds"):
        return "> %.0fx (wall)" % (a["timeout"] / b["seconds"])
    return "-"


def _check(*outcomes: dict | None, n: int) -> str:
    ok = [o["status"] == "succeeded" and o["actions"] == n for o in outcomes if o and "seconds" in o]
    return ("ok" if all(ok) else "FAIL") if ok else "-"


COLUMNS = [("case", 5), ("N", 6), ("parse s", 7), ("patched s", 9), ("cpu", 7), ("x10", 5),
           ("plain s", 8), ("cpu", 7), ("x10", 13), ("plain/patched", 14), ("MB", 9), ("plain MB", 9),
           ("check", 5)]


def _line(values: list[str]) -> str:
    return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, (_, w)) in enumerate(zip(values, COLUMNS)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="chain N=100,1000 and items N=1000,10000")
    parser.add_argument("--cases", help="comma-separated kind:N, e.g. chain:100,items:1000")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each patched case (fastest shown)")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds allowed per patched case")
    parser.add_argument("--plain-limit", type=float, default=120.0, help="seconds allowed per plain case")
    parser.add_argument("--no-plain", action="store_true", help="patched conductor only")
    parser.add_argument("--profile", metavar="DIR", help="write a cProfile of each timed part to DIR")
    parser.add_argument("--tracemalloc", action="store_true", help="also report the traced heap peak")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement to PATH")
    parser.add_argument("--run-case", nargs=3, metavar=("MODE", "KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.run_case:
        mode, kind, n = args.run_case
        print(json.dumps(run_case(mode, kind, int(n), args.profile, args.tracemalloc)), flush=True)
        return 0

    cases = ([(c.split(":")[0], int(c.split(":")[1])) for c in args.cases.split(",")] if args.cases
             else QUICK_CASES if args.quick else FULL_CASES)
    print("Orquesta conductor in process: wfops speed patches vs plain Orquesta 1.2.0 (Python %s, %d CPU)"
          % (sys.version.split()[0], os.cpu_count() or 0))
    print()
    header = _line([c for c, _ in COLUMNS])
    print(header)
    print("-" * len(header), flush=True)
    rows, previous, plain_gave_up = [], {}, set()
    for kind, n in cases:
        patched = best_of([spawn("patched", kind, n, args.limit, args.profile, args.tracemalloc)
                           for _ in range(max(1, args.repeat))])
        plain = None
        if not args.no_plain and kind not in plain_gave_up:
            plain = spawn("plain", kind, n, args.plain_limit, args.profile, args.tracemalloc)
            if "seconds" not in plain:
                plain_gave_up.add(kind)
        before = previous.get(kind)
        row = {"kind": kind, "n": n, "patched": patched, "plain": plain}
        values = [kind, str(n), _fmt(patched, "parse"), _fmt(patched, "seconds"), _fmt(patched, "cpu"),
                  _ratio(patched, before and before["patched"]) if before and before["n"] * 10 == n else "-",
                  _fmt(plain, "seconds"), _fmt(plain, "cpu"),
                  _ratio(plain, before and before["plain"]) if before and before["n"] * 10 == n else "-",
                  _ratio(plain, patched), _mb(patched), _mb(plain), _check(patched, plain, n=n)]
        print(_line(values), flush=True)
        for mode in ("patched", "plain"):
            if row[mode] and "error" in row[mode]:
                print("    %s error: %s" % (mode, row[mode]["error"]), flush=True)
        previous[kind] = row
        rows.append(row)
    print()
    print("s: wall seconds of WorkflowSpec + WorkflowConductor + the driver loop (fastest of %d runs for"
          " patched); cpu: its process CPU seconds;" % max(1, args.repeat))
    print("x10: cpu / cpu of the case 10 times smaller (target <= 11x); plain/patched: cpu ratio (a plain"
          " run over its limit: wall limit / wall); MB: peak RSS; parse s: YAML, apart.")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
