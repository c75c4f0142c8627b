"""A deterministic run of one workflow on Orquesta's conductor, recorded call by call.

A *scenario* is plain JSON data: a workflow definition, its inputs, which attempts of which
tasks (or items) fail, a seed, and operations to apply when the workflow stops (re-runs
with item selection, changed context and skips, pause, resume, cancel). :func:`trace`
drives a fresh conductor through wfops's journal entries (``JournaledConductor.apply``,
the code the host runs) and records, for every call: the entry, what it returned (or the
exception it raised) and the conductor's whole serialized state after it. Every choice the
driver makes (which started action finishes next, which task to re-run) is drawn from the
scenario's seed and what the conductor answered, so two conductors that behave the same
give equal traces.

Run as a script (``python tests/orquesta_trace.py < scenarios.json``) it prints the traces
of a JSON list of scenarios as one JSON list: used to trace on a conductor in another
process (e.g. with ``WFOPS_ORQUESTA_SPEED=0``).
"""

from __future__ import annotations

import copy
import json
import random
import sys
from typing import Any

import ujson

MAX_CALLS = 250
PARENT_CONTEXT = {"st2": {"action_execution_id": "a" * 24, "workflow_execution_id": "b" * 24,
                          "user": "trace", "pack": "trace", "action": "trace.wf"}}


def jsonable(value: Any) -> Any:
    """A copy of ``value`` as JSON data (what a trace holds)."""
    return ujson.loads(ujson.dumps(value))


def _next_task(task: dict) -> dict:
    """A next task as the caller sees it, minus ``ctx["__state"]`` (Orquesta's is a copy
    of the state made before ``get_next_tasks`` set up the task's items; the state itself
    is recorded after every call)."""
    shown = {k: v for k, v in task.items() if k not in ("ctx", "spec")}
    shown["ctx"] = {k: v for k, v in task["ctx"].items() if k != "__state"}
    shown["spec"] = task["spec"].serialize()
    return shown


def _snapshot(conductor) -> dict:
    return {
        "state": conductor.workflow_state.serialize(),
        "errors": conductor.errors,
        "log": conductor.log,
        "output": conductor.get_workflow_output(),
    }


class Tracer:
    def __init__(self, scenario: dict):
        from orquesta import conducting
        from orquesta.specs import native as native_specs

        from wfops.engine.journal import JournaledConductor

        self.scenario = scenario
        self.rng = random.Random(scenario.get("seed", 0))
        random.seed(scenario.get("seed", 0))  # YAQL's random() in a definition
        self.steps: list = []
        self.pending: list = []     # started actions: [task, route, item or None, count]
        self.attempts: dict = {}
        self.items: dict = {}       # "task|route" -> latest status of each item
        self.ops = list(scenario.get("ops") or [])
        self.calls = 0
        try:
            spec = native_specs.WorkflowSpec(copy.deepcopy(scenario["definition"]))
            conductor = conducting.WorkflowConductor(
                spec, context=copy.deepcopy(PARENT_CONTEXT), inputs=copy.deepcopy(scenario.get("inputs") or {}))
        except Exception as e:
            self.steps.append([{"op": "new"}, {"error": type(e).__name__, "message": str(e)}, None])
            self.jc = None
            return
        self.jc = JournaledConductor(conductor)

    @property
    def status(self) -> str:
        return self.jc.conductor.get_workflow_status()

    def call(self, entry: dict) -> Any:
        self.calls += 1
        try:
            value = self.jc.apply(entry)
            if entry["op"] == "next":
                shown = [_next_task(t) for t in value]
            elif isinstance(value, dict):
                shown = value
            else:
                shown = None
        except Exception as e:
            value, shown = None, {"error": type(e).__name__, "message": str(e)}
        self.steps.append(jsonable([entry, shown, _snapshot(self.jc.conductor)]))
        return value

    # -- actions ------------------------------------------------------------------------

    def schedule(self) -> None:
        for task in self.call({"op": "next"}) or []:
            task_id, route = task["id"], task["route"]
            if self.jc.stale_join(task_id, route):
                self.call({"op": "drop", "task": task_id, "route": route})
                continue
            firsts = ["delayed", "running"] if task.get("delay") else ["running"]
            if "items_count" in task:
                count = task["items_count"]
                statuses = self.items.setdefault("%s|%s" % (task_id, route), [])
                statuses += ["succeeded"] * (count - len(statuses))
                if count == 0:
                    self.call({"op": "task", "task": task_id, "route": route, "status": "running"})
                    self.call({"op": "task", "task": task_id, "route": route, "status": "succeeded",
                               "result": []})
                for action in task["actions"]:
                    item = action["item_id"]
                    for status in firsts:
                        self.call({"op": "item", "task": task_id, "route": route, "item": item, "count": count,
                                   "status": status})
                    self.pending.append([task_id, route, item, count])
            else:
                for _action in task["actions"]:
                    for status in firsts:
                        self.call({"op": "task", "task": task_id, "route": route, "status": status})
                    self.pending.append([task_id, route, None, None])

    def finish_one(self) -> None:
        task_id, route, item, count = self.pending.pop(self.rng.randrange(len(self.pending)))
        key = task_id if item is None else "%s[%d]" % (task_id, item)
        self.attempts[key] = attempt = self.attempts.get(key, 0) + 1
        failing = attempt <= int((self.scenario.get("fail") or {}).get(key, 0))
        status = "failed" if failing else "succeeded"
        result = {"task": task_id, "item": item, "attempt": attempt, "ok": not failing}
        if item is None:
            self.call({"op": "task", "task": task_id, "route": route, "status": status, "result": result})
        else:
            statuses = self.items.setdefault("%s|%s" % (task_id, route), [])
            if item < len(statuses):
                statuses[item] = status
            self.call({"op": "item", "task": task_id, "route": route, "item": item, "count": count,
                       "status": status, "result": result})

    # -- operations ----------------------------------------------------------------------

    def executions(self, statuses=None) -> list[tuple[str, int]]:
        state = self.jc.conductor.workflow_state
        found = []
        for _key, index in sorted(state.tasks.items()):
            entry = state.sequence[index]
            if entry["id"] in ("fail", "noop", "continue"):
                continue  # engine commands
            if statuses is None or entry.get("status") in statuses:
                found.append((entry["id"], entry["route"]))
        return found

    def pick(self, candidates: list, picks: list) -> list:
        if not candidates:
            return []
        return sorted({candidates[p % len(candidates)] for p in picks})

    def rerun(self, op: dict) -> None:
        abended = self.executions({"failed", "timeout", "abandoned", "canceled"})
        chosen = self.pick(abended or self.executions(), op.get("pick") or [0])
        reset = bool(op.get("reset"))
        self.call({"op": "rerun", "requests": [[t, r, reset] for t, r in chosen],
                   "unstage": [], "hold": [], "stale_branches": []})
        self.extras(chosen, op)

    def extras(self, chosen: list, op: dict) -> None:
        for task_id, route in chosen[:1]:
            statuses = self.items.get("%s|%s" % (task_id, route))
            if op.get("restage") and statuses:
                indices = sorted({i % len(statuses) for i in op.get("pick") or [0]})
                self.call({"op": "restage", "task": task_id, "route": route, "indices": indices,
                           "statuses": list(statuses)})
            if op.get("context"):
                self.call({"op": "context", "task": task_id, "route": route, "values": {"v": 7, "w": "x"}})
            if op.get("skip"):
                self.call({"op": "skip", "task": task_id, "route": route, "result": {"skipped": True},
                           "publish": {"v": 9} if op.get("publish") else {}})

    def applies(self, op: dict) -> bool:
        """Whether ``op`` (one with no ``at``) is for a workflow in the current status."""
        if op.get("kind") == "resume":
            return self.status == "paused"
        return self.status in ("succeeded", "failed", "canceled")

    def stopped(self, op: dict) -> None:
        """Apply ``op`` to a workflow with nothing running."""
        kind = op.get("kind")
        if kind == "rerun":
            self.rerun(op)
        elif kind == "resume":
            if op.get("skip") and self.status == "paused":
                chosen = self.pick(self.executions({"failed"}), op.get("pick") or [0])
                self.call({"op": "stage", "tasks": [list(c) for c in chosen], "unstage": [], "hold": [],
                           "stale_branches": []})
                self.call({"op": "status", "status": "resuming"})
                self.extras(chosen, {"skip": True, "publish": op.get("publish")})
            else:
                self.call({"op": "status", "status": op.get("status") or "resuming"})
        elif kind in ("pause", "cancel"):
            self.call({"op": "status", "status": "pausing" if kind == "pause" else "canceling"})

    def run(self) -> list:
        if self.jc is None:
            return self.steps
        self.call({"op": "status", "status": "running"})
        interrupts = sorted((op for op in self.ops if op.get("at") is not None), key=lambda op: op["at"])
        later = [op for op in self.ops if op.get("at") is None]
        while self.calls < MAX_CALLS:
            if interrupts and interrupts[0]["at"] <= self.calls and self.status in ("running", "resuming"):
                self.stopped(interrupts.pop(0))
            self.schedule()
            if self.pending:
                self.finish_one()
                continue
            op = next((op for op in later if self.applies(op)), None)
            if op is None:
                break
            later.remove(op)
            self.stopped(op)
        if self.jc.conductor.get_workflow_status() in ("succeeded", "failed", "canceled"):
            self.call({"op": "output"})
        self.steps.append(jsonable({"final": self.jc.conductor.serialize(), "items": self.jc.items}))
        return self.steps


def trace(scenario: dict) -> list:
    """The trace of ``scenario`` on the Orquesta this process has (patched or not)."""
    return Tracer(scenario).run()


def main() -> int:
    import wfops  # noqa: F401  (compatibility layer; speed patches unless WFOPS_ORQUESTA_SPEED=0)
    from wfops import orquesta_speed

    scenarios = json.load(sys.stdin)
    json.dump({"patched": orquesta_speed.is_applied(), "traces": [trace(s) for s in scenarios]}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
