"""Planning benchmark: wfops's re-run planner against Orquesta's own request_workflow_rerun.

Run by hand:  .venv/bin/python bench/bench_planner.py [--sizes 1000,10000,100000]

Run states are built directly (no workflow is run), in Orquesta's serialized format:

- chain:   init -> step (a loop, N-2 times) -> last (failed); request [init, last]:
           `last` is N-1 levels below `init`, so R4 must drop it.
- fan-out: start -> b0..b(N-2) (with-items, 3 items each) -> join (join: all);
           one branch failed on one item.
             items: request [b<failed>] with --no-reset (re-run the failed item);
             root:  request [start, b<failed>] (re-run from the start; R4 drops the branch).

The planner gets a spec graph built once per definition (a host caches it); its build time
is shown apart. Orquesta runs in a subprocess per case, given 60 s (wall clock) and timed
once. Times are CPU seconds of the process (time.process_time), so that other work on the
machine does not inflate them; the planner's is the best of 3.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

import wfops  # noqa: F401  (Orquesta compatibility layer)
from wfops.planner import RerunRequest, SpecGraph, plan_rerun

ITEMS = 3
ORQUESTA_LIMIT = 60.0
EXECUTION_ID = "5f00000000000000000000be"


def chain(n: int) -> tuple[dict, dict, RerunRequest]:
    definition = {
        "version": 1.0,
        "vars": [{"count": 0}],
        "tasks": {
            "init": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": "step"}]},
            "step": {
                "action": "core.noop",
                "next": [
                    {"when": f"<% ctx(count) < {n - 3} %>", "publish": "count=<% ctx(count) + 1 %>", "do": "step"},
                    {"when": f"<% ctx(count) >= {n - 3} %>", "do": "last"},
                ],
            },
            "last": {"action": "core.noop"},
        },
    }
    sequence = [_entry("init", {}, {"step__t0": True}, "succeeded")]
    for i in range(1, n - 1):
        prev_task = "init" if i == 1 else "step"
        more = i < n - 2
        sequence.append(
            _entry("step", {"%s__t0" % prev_task: i - 1}, {"step__t0": more, "last__t0": not more}, "succeeded")
        )
    sequence.append(_entry("last", {"step__t0": n - 2}, {}, "failed", term=True))
    state = _state(sequence, {"init__r0": 0, "step__r0": n - 2, "last__r0": n - 1}, staged=[], items={})
    return definition, state, RerunRequest(["init", "last"])


def fan_out(n: int, request: str) -> tuple[dict, dict, RerunRequest]:
    width = n - 1
    failed = width // 2
    tasks: dict[str, Any] = {
        "start": {"action": "core.noop", "next": [{"when": "<% succeeded() %>", "do": ["b%d" % i for i in range(width)]}]},
        "join": {"join": "all", "action": "core.noop"},
    }
    for i in range(width):
        tasks["b%d" % i] = {
            "with": {"items": f"x in <% range({ITEMS}) %>"},
            "action": "core.noop",
            "next": [{"when": "<% succeeded() %>", "do": "join"}],
        }
    definition = {"version": 1.0, "tasks": tasks}

    sequence = [_entry("start", {}, {"b%d__t0" % i: True for i in range(width)}, "succeeded")]
    index = {"start__r0": 0}
    items: dict[str, list[str]] = {}
    for i in range(width):
        ok = i != failed
        sequence.append(
            _entry("b%d" % i, {"start__t0": 0}, {"join__t0": ok}, "succeeded" if ok else "failed", term=not ok)
        )
        index["b%d__r0" % i] = i + 1
        items[str(i + 1)] = ["succeeded"] * ITEMS if ok else ["succeeded", "failed"] + ["succeeded"] * (ITEMS - 2)
    staged = [
        {
            "id": "b%d" % failed, "route": 0, "ctxs": {"in": [0]}, "prev": {"start__t0": 0}, "ready": True,
            "completed": True, "items": [{"status": s} for s in items[str(failed + 1)]],
        },
        {
            "id": "join", "route": 0, "ctxs": {"in": [0]}, "ready": False,
            "prev": {"b%d__t0" % i: i + 1 for i in range(width) if i != failed},
        },
    ]
    state = _state(sequence, index, staged=staged, items=items)
    name = "b%d" % failed
    if request == "items":
        return definition, state, RerunRequest([name], no_reset=[name])
    return definition, state, RerunRequest(["start", name])


def _entry(task: str, prev: dict, next_: dict, status: str, term: bool = False) -> dict:
    entry = {"id": task, "route": 0, "ctxs": {"in": [0]}, "prev": prev, "next": next_, "status": status}
    if term:
        entry["term"] = True
    return entry


def _state(sequence: list, tasks: dict, staged: list, items: dict) -> dict:
    return {
        "contexts": [{}], "routes": [[]], "sequence": sequence, "staged": staged,
        "status": "failed", "tasks": tasks, "items": items,
    }


CASES = {
    "chain": lambda n: chain(n),
    "fan-out/items": lambda n: fan_out(n, "items"),
    "fan-out/root": lambda n: fan_out(n, "root"),
}


def time_planner(case: str, n: int) -> dict[str, Any]:
    definition, state, request = CASES[case](n)
    started = time.process_time()
    spec_graph = SpecGraph.build(definition)
    spec_seconds = time.process_time() - started
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        plan = plan_rerun(spec_graph, state, request, EXECUTION_ID)
        best = min(best, time.process_time() - started)
    return {
        "spec": spec_seconds,
        "plan": best,
        "requests": plan.requests,
        "dropped": len(plan.dropped),
    }


def orquesta_child(case: str, n: int) -> None:
    """In a subprocess: restore a conductor on the state, say "ready", time the re-run."""
    import networkx as nx
    from orquesta import conducting, graphing
    from orquesta.composers.native import WorkflowComposer
    from orquesta.requests import TaskRerunRequest
    from orquesta.specs.native.v1.models import WorkflowSpec

    definition, state, request = CASES[case](n)
    if case != "chain":
        # Building a WorkflowSpec deep-copies schemas per task (minutes for 100,000 tasks).
        # request_workflow_rerun only looks up the requested tasks in the spec; everything
        # else it reads from the graph and the state, which stay full size.
        keep = set(request.tasks) | {"start", "join"}
        definition = {**definition, "tasks": {k: v for k, v in definition["tasks"].items() if k in keep}}
    spec = WorkflowSpec(definition)
    if case == "chain":
        graph = WorkflowComposer.compose(spec)
    else:
        # Orquesta's composer is super-quadratic in the number of tasks; this is the graph
        # it composes for the fan-out (checked against it on a small fan-out in main()).
        g = nx.MultiDiGraph()
        width = n - 1
        g.add_node("start")
        for i in range(width):
            g.add_edge("start", "b%d" % i, criteria=["<% succeeded() %>"], ref=0)
        for i in range(width):
            g.add_edge("b%d" % i, "join", criteria=["<% succeeded() %>"], ref=0)
        g.nodes["join"]["barrier"] = "*"
        graph = graphing.WorkflowGraph(g)
    conductor = conducting.WorkflowConductor(spec)
    conductor.restore(graph, state=conducting.WorkflowState.deserialize(state))
    no_reset = set(request.no_reset)
    requests = [TaskRerunRequest(t, 0, t not in no_reset) for t in request.tasks]
    print("ready", flush=True)
    started = time.process_time()
    conductor.request_workflow_rerun(task_requests=requests)
    elapsed = time.process_time() - started
    reruns = conductor.workflow_state.reruns[-1]
    print(json.dumps({"seconds": elapsed, "rerun": reruns}), flush=True)


def time_orquesta(case: str, n: int) -> tuple[float | None, int | None]:
    """CPU seconds and the number of task executions Orquesta set up to re-run, or
    (None, None) when it did not finish within ORQUESTA_LIMIT."""
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--orquesta-child", case, str(n)],
        stdout=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        child.wait()
        raise RuntimeError("Orquesta child failed before the re-run (%s, %d)" % (case, n))
    timer = threading.Timer(ORQUESTA_LIMIT, child.kill)
    timer.start()
    try:
        rest = child.stdout.read()
        child.wait()
    finally:
        timer.cancel()
    lines = rest.splitlines()
    if child.returncode != 0 or not lines:
        return None, None
    result = json.loads(lines[-1])
    return result["seconds"], len(result["rerun"])


def _check_fan_out_graph() -> None:
    from orquesta.composers.native import WorkflowComposer
    from orquesta.specs.native.v1.models import WorkflowSpec

    definition, _, _ = fan_out(6, "items")
    composed = WorkflowComposer.compose(WorkflowSpec(definition))._graph
    ours = SpecGraph.build(definition).graph
    assert sorted(composed.edges()) == sorted(ours.edges())
    assert composed.nodes["join"].get("barrier") == ours.nodes["join"].get("barrier") == "*"


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "> %d s" % ORQUESTA_LIMIT
    return "%.4f s" % seconds if seconds < 1 else "%.2f s" % seconds


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return "x%.1f" % (a / b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--no-orquesta", action="store_true")
    parser.add_argument("--orquesta-child", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.orquesta_child:
        orquesta_child(args.orquesta_child[0], int(args.orquesta_child[1]))
        return
    _check_fan_out_graph()

    sizes = [int(s) for s in args.sizes.split(",")]
    header = "%-14s %8s %11s %11s %7s %11s %7s  %s" % (
        "case", "execs", "spec graph", "plan_rerun", "growth", "orquesta", "growth",
        "re-run: planner | orquesta")
    print("CPU seconds; growth = time / time at the size 10x smaller")
    print(header)
    print("-" * len(header))
    for case in args.cases.split(","):
        previous: dict[str, float | None] = {"plan": None, "orquesta": None}
        for n in sizes:
            planner = time_planner(case, n)
            orq, orq_reruns = (None, None) if args.no_orquesta else time_orquesta(case, n)
            print(
                "%-14s %8d %11s %11s %7s %11s %7s  %s | %s"
                % (
                    case, n, _fmt(planner["spec"]), _fmt(planner["plan"]),
                    _ratio(planner["plan"], previous["plan"]),
                    "-" if args.no_orquesta else _fmt(orq),
                    _ratio(orq, previous["orquesta"]),
                    ", ".join("%s[%d]" % (t, r) for t, r, _ in planner["requests"]),
                    "-" if orq_reruns is None else "%d task(s)" % orq_reruns,
                ),
                flush=True,
            )
            previous = {"plan": planner["plan"], "orquesta": orq}

if __name__ == "__main__":
    main()
