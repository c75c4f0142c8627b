"""Host benchmark: the embedded host against the plain Orquesta 1.2.0 conductor in memory.

Run by hand:  .venv/bin/python bench/bench_host.py [--quick] [--limit 900]

Cases (issue "Embedded host", item 9):

- chain:  N ``core.noop`` tasks, task i -> task i+1 on success      (N = 100, 1000)
- items:  one with-items task of N ``core.noop`` items, no concurrency (N = 1000, 10000)

``--quick`` runs chain N=100 and items N=1000 only.

The definitions are generated into a temporary pack (pack.yaml, actions/*.yaml,
actions/workflows/*.yaml) found through ``WFOPS_PACKS_PATH``; the host and the plain
conductor load the very same YAML file (the plain run finds it through wfops's pack
registry, as the host does).

Each (case, N, mode) runs in its own subprocess (clean peak RSS; a time limit per case,
"> limit" when exceeded):

- host:   a fresh temporary WFOPS_HOME; ``Session(home)`` (timed apart, "setup"), then
          ``session.launch(ref, {})`` and ``loop.run_until_settled(session.engine, id)`` (timed:
          "host s"; the launch part is also shown apart). Actions run on the host's
          thread pool; every conductor call is journaled in SQLite.
- plain:  the same spec, ``WorkflowConductor(spec, context, inputs)``, and a driver loop
          doing what a workflow engine must, minus persistence:
          ``request_workflow_status("running")``, ``get_next_tasks()``, for each action a
          "running" event, then (in the order the actions were started) a "succeeded"
          event each followed by ``get_next_tasks()`` -- except after an item event that
          leaves its task running once every item has started, which cannot make anything
          ready (the host follows the same rule) -- until the workflow completes.
          Items get ``TaskItemActionExecutionEvent(item_id, status, result=...,
          accumulated_result=...)`` with the accumulated results list, as the host does.
          Timed from parsing the YAML text (``yaml.safe_load``, as the host does in launch)
          and ``WorkflowSpec(data)`` to completion.
- st2:    (items only, N <= --st2-max) the plain driver calling ``get_next_tasks()`` after
          every event, as StackStorm's workflow engine does (``request_next_tasks`` after
          each action execution completes): O(N^3) for N items in Orquesta 1.2.0.
- ser:    the st2 driver with a ``WorkflowConductor.deserialize()`` before and a
          ``serialize()`` after every conductor call, as StackStorm's engine does around
          each event (minus the database). Only for N <= --serialize-max (default 100).

The host runs with wfops's speed patches (``wfops.orquesta_speed``) and indexes each
spec's task transitions once (``wfops.engine.spec_index``); the plain, st2 and ser drivers
run Orquesta's classes unchanged (``WFOPS_ORQUESTA_SPEED=0`` in their processes).

"insp s" is ``WorkflowSpec(...).inspect()`` alone, timed in the plain process apart from
(and not included in) "plain s": the host pays it in ``launch`` (StackStorm does too, at
request time). "cpu h/p" is the host/plain ratio in process CPU time, which other load on
the machine disturbs less than wall time.

Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the case's process (it
includes the interpreter and imports; ``--json`` also records "base_mb", the RSS before the
timed part).
``--tracemalloc`` also reports the traced Python heap peak of the timed part (and slows it:
times are then not comparable with a run without it).

``--profile DIR`` writes a cProfile of each timed part to DIR/<mode>-<case>-<N>.prof.

Internal: ``--run-case MODE KIND N PACKS_ROOT`` runs one case and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from typing import Any

PACK_REF = "bench_host"
DEFAULT_LIMIT = 900.0
FULL_CASES = [("chain", 100), ("chain", 1000), ("items", 1000), ("items", 10000)]
QUICK_CASES = [("chain", 100), ("items", 1000)]
TARGET_RATIO = 1.5
NOOP_RESULT = {"failed": False, "succeeded": True, "return_code": 0}


# ======================================================================================
# The temporary pack
# ======================================================================================


def workflow_name(kind: str, n: int) -> str:
    return "%s_%d" % (kind, n)


def chain_definition(n: int) -> str:
    lines = ["version: 1.0", "", "description: A chain of %d core.noop tasks." % n, "", "tasks:"]
    width = len(str(n - 1))
    for i in range(n):
        lines.append("  task%s:" % str(i).zfill(width))
        lines.append("    action: core.noop")
        if i < n - 1:
            lines.append("    next:")
            lines.append("      - when: <% succeeded() %>")
            lines.append("        do: task%s" % str(i + 1).zfill(width))
    return "\n".join(lines) + "\n"


def items_definition(n: int) -> str:
    return (
        "version: 1.0\n"
        "\n"
        "description: One with-items task of %d core.noop items.\n"
        "\n"
        "tasks:\n"
        "  noop_items:\n"
        "    with:\n"
        "      items: i in <%% range(%d) %%>\n"
        "    action: core.noop\n" % (n, n)
    )


def write_pack(packs_root: str, cases: list[tuple[str, int]]) -> str:
    """Write the benchmark pack under ``packs_root`` (a WFOPS_PACKS_PATH entry)."""
    pack = os.path.join(packs_root, PACK_REF)
    os.makedirs(os.path.join(pack, "actions", "workflows"), exist_ok=True)
    with open(os.path.join(pack, "pack.yaml"), "w", encoding="utf-8") as handle:
        handle.write(
            "---\nref: %s\nname: %s\ndescription: Generated by bench/bench_host.py.\n"
            "version: 0.0.1\nauthor: wfops bench\nemail: bench@example.invalid\n" % (PACK_REF, PACK_REF)
        )
    for kind, n in cases:
        name = workflow_name(kind, n)
        definition = chain_definition(n) if kind == "chain" else items_definition(n)
        with open(os.path.join(pack, "actions", "workflows", name + ".yaml"), "w", encoding="utf-8") as handle:
            handle.write(definition)
        with open(os.path.join(pack, "actions", name + ".yaml"), "w", encoding="utf-8") as handle:
            handle.write(
                "---\nname: %s\npack: %s\ndescription: Benchmark workflow (%s, N=%d).\n"
                "runner_type: orquesta\nentry_point: workflows/%s.yaml\nenabled: true\n"
                "parameters: {}\n" % (name, PACK_REF, kind, n, name)
            )
    return pack


# ======================================================================================
# One case, in its own process
# ======================================================================================


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


class _Measure:
    """Times (and optionally profiles / traces) the part of a case that is compared."""

    def __init__(self, profile_path: str | None, trace: bool):
        self.profile_path = profile_path
        self.trace = trace
        self.profiler = None
        self.seconds = 0.0
        self.cpu = 0.0
        self.traced_peak_mb = None

    def __enter__(self):
        if self.trace:
            import tracemalloc

            tracemalloc.start()
        if self.profile_path:
            import cProfile

            self.profiler = cProfile.Profile()
            self.profiler.enable()
        self._started = time.perf_counter()
        self._cpu_started = time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._started
        self.cpu = time.process_time() - self._cpu_started
        if self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(self.profile_path)
        if self.trace:
            import tracemalloc

            self.traced_peak_mb = tracemalloc.get_traced_memory()[1] / 1024.0 / 1024.0
            tracemalloc.stop()
        return False


def run_host_case(kind: str, n: int, packs_root: str, profile_path: str | None, trace: bool) -> dict:
    home = tempfile.mkdtemp(prefix="wfops-bench-home-")
    os.environ["WFOPS_HOME"] = home
    os.environ["WFOPS_PACKS_PATH"] = packs_root
    try:
        import wfops  # noqa: F401  (Orquesta compatibility layer)
        # isort: split
        import orquesta.conducting  # noqa: F401  (imported outside the timed part, as plain does)

        from wfops.engine import loop
        from wfops.session import Session

        base_mb = _rss_mb()
        ref = "%s.%s" % (PACK_REF, workflow_name(kind, n))
        started = time.perf_counter()
        session = Session(home)
        engine = session.engine
        setup = time.perf_counter() - started
        with _Measure(profile_path, trace) as measure:
            t0 = time.perf_counter()
            execution_id = session.launch(ref, {})
            launch = time.perf_counter() - t0
            record = loop.run_until_settled(engine, execution_id)
        children = session.store.child_ids(execution_id)
        wf = session.store.get_workflow_execution(record["context"]["workflow_execution"])
        journal_seq = wf["journal_seq"]
        db_bytes = sum(
            os.path.getsize(os.path.join(home, f)) for f in os.listdir(home) if f.startswith("wfops.db")
        )
        session.close()
        return {
            "seconds": measure.seconds,
        "cpu": measure.cpu,
            "launch": launch,
            "setup": setup,
            "status": record["status"],
            "actions": len(children),
            "journal_entries": journal_seq,
            "db_mb": db_bytes / 1024.0 / 1024.0,
            "base_mb": base_mb,
            "peak_mb": _rss_mb(),
            "traced_peak_mb": measure.traced_peak_mb,
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def drive_plain(call, workflow_status, spec, next_after_every_event: bool = False) -> int:
    """Drive a conductor to the end as any engine must; returns the actions completed.

    ``call(method, *args)`` makes one conductor call; ``workflow_status()`` reads the
    workflow status (not counted as a call). Each started action gets a "running" event;
    then, in the order they started, a "succeeded" event, each followed by
    ``get_next_tasks()`` -- except (unless ``next_after_every_event``) after an item event
    that leaves its task running once every item has started.
    """
    from orquesta import events
    from orquesta import statuses as ost

    accumulated: dict[tuple[str, int], list] = {}
    pending: deque = deque()  # started actions, completed in the order they started

    def start(next_tasks: list[dict]) -> None:
        for task in next_tasks:
            task_id, route = task["id"], task["route"]
            if "items_count" in task:
                count = task["items_count"]
                results = accumulated.setdefault((task_id, route), [None] * count)
                for action_spec in task["actions"]:
                    item_id = action_spec["item_id"]
                    event = events.TaskItemActionExecutionEvent(
                        item_id, ost.RUNNING, result=None, accumulated_result=results
                    )
                    call("update_task_state", task_id, route, event)
                    pending.append((task_id, route, item_id))
            else:
                for _action_spec in task["actions"]:
                    call("update_task_state", task_id, route, events.ActionExecutionEvent(ost.RUNNING))
                    pending.append((task_id, route, None))

    def no_concurrency(task_id: str) -> bool:
        # Without a concurrency limit, get_next_tasks() started every item at once.
        items_spec = getattr(spec.tasks.get_task(task_id), "with", None)
        return items_spec is not None and getattr(items_spec, "concurrency", None) is None

    call("request_workflow_status", ost.RUNNING)
    start(call("get_next_tasks"))
    actions = 0
    while pending:
        task_id, route, item_id = pending.popleft()
        result = dict(NOOP_RESULT)
        if item_id is None:
            event = events.ActionExecutionEvent(ost.SUCCEEDED, result=result)
        else:
            results = accumulated[(task_id, route)]
            results[item_id] = result
            event = events.TaskItemActionExecutionEvent(
                item_id, ost.SUCCEEDED, result=result, accumulated_result=results
            )
        task_state = call("update_task_state", task_id, route, event)
        actions += 1
        if (
            not next_after_every_event
            and item_id is not None
            and task_state.get("status") not in ost.COMPLETED_STATUSES
            and workflow_status() == ost.RUNNING
            and no_concurrency(task_id)
        ):
            # The rule the host follows: an item that leaves its task running, when
            # every item has started, cannot make another task or item ready.
            continue
        start(call("get_next_tasks"))
    return actions


def run_plain_case(kind: str, n: int, packs_root: str, serialize: bool, profile_path: str | None,
                   trace: bool, next_after_every_event: bool = False) -> dict:
    import wfops  # noqa: F401  (Orquesta compatibility layer)

    # isort: split
    import yaml
    from orquesta import conducting
    from orquesta.specs import native as native_specs

    from wfops.packs.registry import load_registry

    # The same YAML file the host runs, found the way the host finds it.
    action = load_registry([packs_root]).get("%s.%s" % (PACK_REF, workflow_name(kind, n)))
    with open(action.entry_point, encoding="utf-8") as handle:
        text = handle.read()
    # The parent context the host gives a top-level workflow (same shape, fixed ids).
    parent_context = {
        "st2": {
            "action_execution_id": "0" * 24,
            "workflow_execution_id": "1" * 24,
            "user": "bench",
            "pack": PACK_REF,
            "action": action.ref,
        }
    }
    inspect_seconds = None
    if not serialize and not next_after_every_event:
        # What the host (and StackStorm, at request time) adds before running: inspection.
        # Timed apart, in the same process, before (and not in) the compared part.
        started = time.perf_counter()
        native_specs.WorkflowSpec(yaml.safe_load(text)).inspect(app_ctx={}, raise_exception=False)
        inspect_seconds = time.perf_counter() - started
    base_mb = _rss_mb()
    calls = 0
    with _Measure(profile_path, trace) as measure:
        # Parsing is timed, as the host parses the file in launch (yaml.safe_load both).
        spec = native_specs.WorkflowSpec(yaml.safe_load(text))
        conductor = conducting.WorkflowConductor(spec, context=parent_context, inputs={})
        state = conductor.serialize() if serialize else None

        def call(method: str, *args):
            """One conductor call; with ``serialize``, around a deserialize/serialize."""
            nonlocal conductor, state, calls
            calls += 1
            if serialize:
                conductor = conducting.WorkflowConductor.deserialize(state)
            value = getattr(conductor, method)(*args)
            if serialize:
                state = conductor.serialize()
            return value

        actions = drive_plain(call, lambda: conductor.get_workflow_status(), spec, next_after_every_event)
        status = conductor.get_workflow_status()
    return {
        "seconds": measure.seconds,
        "cpu": measure.cpu,
        "status": status,
        "actions": actions,
        "conductor_calls": calls,
        "inspect": inspect_seconds,
        "base_mb": base_mb,
        "peak_mb": _rss_mb(),
        "traced_peak_mb": measure.traced_peak_mb,
    }


def run_case(mode: str, kind: str, n: int, packs_root: str, profile_dir: str | None, trace: bool) -> dict:
    profile_path = None
    if profile_dir:
        os.makedirs(profile_dir, exist_ok=True)
        profile_path = os.path.join(profile_dir, "%s-%s-%d.prof" % (mode, kind, n))
    if mode == "host":
        return run_host_case(kind, n, packs_root, profile_path, trace)
    return run_plain_case(kind, n, packs_root, mode == "ser", profile_path, trace, mode in ("st2", "ser"))


# ======================================================================================
# The driver: one subprocess per case and mode, and the table
# ======================================================================================


def spawn_case(mode: str, kind: str, n: int, packs_root: str, limit: float, profile_dir: str | None,
               trace: bool) -> dict:
    """Run one case in a subprocess; {"timeout": True} past ``limit`` seconds."""
    command = [sys.executable, os.path.abspath(__file__), "--run-case", mode, kind, str(n), packs_root]
    if profile_dir:
        command += ["--profile", profile_dir]
    if trace:
        command.append("--tracemalloc")
    # The case's temporary files (its WFOPS_HOME) go under the run's scratch directory, so
    # that a case killed at the limit leaves nothing behind.
    env = dict(os.environ, TMPDIR=os.path.join(os.path.dirname(packs_root), "tmp"))
    # The host runs with wfops's Orquesta speed patches; the other modes are plain Orquesta.
    env["WFOPS_ORQUESTA_SPEED"] = "1" if mode == "host" else "0"
    os.makedirs(env["TMPDIR"], exist_ok=True)
    started = time.perf_counter()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": True, "wall": time.perf_counter() - started}
    if completed.returncode != 0 or not completed.stdout.strip():
        return {"error": (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["no output"]}
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    outcome["wall"] = time.perf_counter() - started
    return outcome


def interleaved_best(modes: list[str], repeat: int, repeat_under: float, run) -> dict:
    """Run each of ``modes`` in turn (host, plain, host, plain, ...) up to ``repeat``
    rounds, and keep each mode's fastest run; every run's seconds are kept under "runs".
    A mode whose run failed, timed out or took ``repeat_under`` seconds or more is not
    run again.

    A shared machine slows runs by up to 2x for seconds at a time; alternating the modes
    exposes both to the same spells, and the fastest run is the least disturbed one (as
    with ``timeit``).
    """
    outcomes: dict[str, list[dict]] = {mode: [] for mode in modes}
    for _ in range(max(1, repeat)):
        for mode in modes:
            done = outcomes[mode]
            if done and not (_ok(done[-1]) and done[-1]["seconds"] < repeat_under):
                continue
            done.append(run(mode))
    best: dict[str, dict] = {}
    for mode, done in outcomes.items():
        ok = [o for o in done if _ok(o)]
        if not ok:
            best[mode] = done[-1]
            continue
        best[mode] = dict(min(ok, key=lambda o: o["seconds"]))
        best[mode]["runs"] = [round(o["seconds"], 3) for o in ok]
    return best


def _ok(outcome: dict | None) -> bool:
    return bool(outcome) and "seconds" in outcome


def _seconds(outcome: dict | None, limit: float) -> str:
    if not outcome:
        return "-"
    if outcome.get("timeout"):
        return "> %.0f" % limit
    if "error" in outcome:
        return "error"
    return "%.3f" % outcome["seconds"]


def _ratio(a: dict | None, b: dict | None, limit: float, key: str = "seconds", digits: int = 2) -> str:
    if _ok(a) and _ok(b):
        return "%.*fx" % (digits, a[key] / b[key])
    if a and a.get("timeout") and _ok(b):
        return "> %.*fx" % (digits, limit / b["seconds"])
    if _ok(a) and b and b.get("timeout"):
        return "< %.*fx" % (digits, a["seconds"] / limit)
    return "-"


def _mb(outcome: dict | None) -> str:
    if not outcome or "peak_mb" not in outcome:
        return "-"
    text = "%.0f" % outcome["peak_mb"]
    if outcome.get("traced_peak_mb") is not None:
        text += " (%.0f)" % outcome["traced_peak_mb"]
    return text


def _field(outcome: dict | None, key: str) -> str:
    value = outcome.get(key) if _ok(outcome) else None
    return "-" if value is None else "%.3f" % value


def columns(show_ser: bool, show_st2: bool) -> list[tuple[str, int, Any]]:
    """(header, width, value of a row) for each column of the table."""
    cols: list[tuple[str, int, Any]] = [
        ("case", 5, lambda r: r["kind"]),
        ("N", 6, lambda r: str(r["n"])),
        ("host s", 8, lambda r: _seconds(r["host"], r["limit"])),
        ("launch s", 8, lambda r: _field(r["host"], "launch")),
        ("plain s", 8, lambda r: _seconds(r["plain"], r["limit"])),
        ("host/plain", 10, lambda r: _ratio(r["host"], r["plain"], r["limit"])),
        ("cpu h/p", 7, lambda r: _ratio(r["host"], r["plain"], r["limit"], key="cpu")),
        ("insp s", 7, lambda r: _field(r["plain"], "inspect")),
    ]
    if show_ser:
        cols += [
            ("ser s", 8, lambda r: _seconds(r["ser"], r["limit"])),
            ("ser/plain", 9, lambda r: _ratio(r["ser"], r["plain"], r["limit"], digits=1)),
        ]
    if show_st2:
        cols += [
            ("st2 s", 8, lambda r: _seconds(r["st2"], r["limit"])),
            ("st2/plain", 9, lambda r: _ratio(r["st2"], r["plain"], r["limit"], digits=1)),
        ]
    cols += [
        ("host MB", 7, lambda r: _mb(r["host"])),
        ("plain MB", 8, lambda r: _mb(r["plain"])),
        ("setup s", 7, lambda r: _field(r["host"], "setup")),
        ("check", 5, _check),
    ]
    return cols


def _check(row: dict) -> str:
    checks = [
        o["status"] == "succeeded" and o["actions"] == row["n"]
        for o in (row["host"], row["plain"], row["ser"], row["st2"])
        if _ok(o)
    ]
    return ("ok" if all(checks) else "FAIL") if checks else "-"


def _line(cols, values: list[str]) -> str:
    return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, (_, w, _f)) in enumerate(zip(values, cols)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="chain N=100 and items N=1000 only")
    parser.add_argument("--limit", type=float, default=DEFAULT_LIMIT,
                        help="seconds allowed per case and mode (default %(default)s)")
    parser.add_argument("--cases", help="comma-separated kind:N, e.g. chain:100,items:1000")
    parser.add_argument("--modes", default="host,plain,ser",
                        help="subset of host,plain,st2,ser (default %(default)s); st2: the plain "
                             "driver calling get_next_tasks() after every event, as StackStorm's "
                             "engine does")
    parser.add_argument("--serialize-max", type=int, default=100,
                        help="run the serialize/deserialize variant for N up to this (default 100)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="rounds of runs per case, the modes alternating; each mode's fastest "
                             "run is shown (default %(default)s)")
    parser.add_argument("--repeat-under", type=float, default=120.0,
                        help="only repeat runs shorter than this many seconds (default %(default)s)")
    parser.add_argument("--st2-max", type=int, default=300,
                        help="run the st2 driver variant (items) for N up to this (default 300)")
    parser.add_argument("--profile", metavar="DIR", help="write a cProfile of each timed part to DIR")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also report the traced heap peak (slows the timed parts)")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement to PATH")
    parser.add_argument("--run-case", nargs=4, metavar=("MODE", "KIND", "N", "PACKS_ROOT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.run_case:
        mode, kind, n, packs_root = args.run_case
        outcome = run_case(mode, kind, int(n), packs_root, args.profile, args.tracemalloc)
        print(json.dumps(outcome), flush=True)
        return 0

    if args.cases:
        cases = [(c.split(":")[0], int(c.split(":")[1])) for c in args.cases.split(",")]
    else:
        cases = QUICK_CASES if args.quick else FULL_CASES
    modes = set(args.modes.split(","))
    unknown = modes - {"host", "plain", "ser", "st2"}
    if unknown or any(kind not in ("chain", "items") for kind, _ in cases):
        parser.error("unknown mode or case kind")
    show_ser = "ser" in modes and any(n <= args.serialize_max for _, n in cases)
    show_st2 = "st2" in modes and any(n <= args.st2_max for _, n in cases)
    cols = columns(show_ser, show_st2)
    scratch = tempfile.mkdtemp(prefix="wfops-bench-")
    packs_root = os.path.join(scratch, "packs")
    write_pack(packs_root, cases)

    print("wfops host vs plain Orquesta conductor (Python %s, %d CPU, WFOPS_WORKERS=%s, limit %.0f s/case)"
          % (sys.version.split()[0], os.cpu_count() or 0, os.environ.get("WFOPS_WORKERS", "16"), args.limit))
    if args.tracemalloc:
        print("(tracemalloc on: MB columns show 'peak RSS (traced heap peak)'; times include tracing)")
    print()
    header = _line(cols, [c[0] for c in cols])
    print(header)
    print("-" * len(header), flush=True)
    measurements = []
    worst = None
    try:
        for kind, n in cases:
            row: dict[str, Any] = {"kind": kind, "n": n, "limit": args.limit}
            wanted = []
            for mode in ("host", "plain", "ser", "st2"):
                row[mode] = None
                if mode not in modes or (mode == "ser" and n > args.serialize_max):
                    continue
                if mode == "st2" and (kind != "items" or n > args.st2_max):
                    continue  # a chain's events each complete a task: same as plain
                wanted.append(mode)
            row.update(interleaved_best(wanted, args.repeat, args.repeat_under, lambda mode, kind=kind, n=n: spawn_case(
                mode, kind, n, packs_root, args.limit, args.profile, args.tracemalloc)))
            print(_line(cols, [f(row) for _, _, f in cols]), flush=True)
            for mode in ("host", "plain", "ser", "st2"):
                if row[mode] and "error" in row[mode]:
                    print("    %s error: %s" % (mode, row[mode]["error"]), flush=True)
            host, plain = row["host"], row["plain"]
            if host and plain and (host.get("timeout") or _ok(host)) and (plain.get("timeout") or _ok(plain)):
                if _ok(host) and _ok(plain):
                    ratio = host["seconds"] / plain["seconds"]
                elif _ok(plain):
                    ratio = args.limit / plain["seconds"]    # at least this
                else:
                    ratio = None                            # both over the limit: unknown
                if ratio is not None:
                    worst = ratio if worst is None else max(worst, ratio)
            measurements.append(row)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print()
    print("host s: launch + run_until_settled (launch s: its launch part, which includes Orquesta's")
    print("  spec.inspect()); plain s: YAML parse + WorkflowSpec + WorkflowConductor + driver loop;")
    print("  cpu h/p: host/plain in process CPU time (all threads; less sensitive to other load);")
    print("  insp s: WorkflowSpec(...).inspect() alone, timed apart in the plain process (not in plain s).")
    if show_ser:
        print("ser s: the plain driver with deserialize()/serialize() around every conductor call.")
    if show_st2:
        print("st2 s: the plain driver calling get_next_tasks() after every event, as StackStorm's")
        print("  engine does (O(N^3) for N items in Orquesta 1.2.0).")
    print("Each figure is the fastest of up to --repeat runs, the modes alternating (%d; runs over"
          " %.0f s are not repeated)."
          % (args.repeat, args.repeat_under))
    print("MB: peak RSS of the case's process (interpreter and imports included); setup s: Session(home).")
    if worst is not None:
        print("target host/plain <= %.1fx: worst %.2fx -> %s"
              % (TARGET_RATIO, worst, "met" if worst <= TARGET_RATIO else "NOT met"))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(measurements, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
