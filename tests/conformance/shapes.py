"""Random workflow shapes (chains, splits, ``join: all`` joins, with-items tasks, failure
branches, failure markers), the names of the generated pack, and the hypothesis settings
of the property tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import HealthCheck
from hypothesis import strategies as st

from wfops import statuses as s

PACK = "conformance"
REF = PACK + ".wf"
ITEMS = 3  # every with-items task runs over range(ITEMS)
OK, KO = s.SUCCEEDED, s.FAILED
RUN_TIMEOUT = 15  # seconds; a run of these shapes takes well under one

SETTINGS = dict(
    deadline=None,
    derandomize=True,  # reproducible in CI: the same examples on every run
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    print_blob=True,
)

EXAMPLES = int(os.environ.get("WFOPS_CONFORMANCE_EXAMPLES", "80"))


@dataclass
class Shape:
    """A workflow: tasks t0..t<n-1>, each transition from a lower to a higher task, taken
    on success or on failure of its task. ``fail`` are the failure markers of the first
    run, ``refail`` those present during the re-run ("t3" fails task t3, "t3.1" item 1 of
    with-items task t3). ``refail`` only names tasks that have a failure transition, so
    that a failure in the re-run is handled and what runs next does not depend on timing.
    """

    n: int
    inbound: dict[str, list[tuple[str, str]]]  # task -> [(parent, OK | KO)]
    joins: frozenset[str]
    items: frozenset[str]
    fail: frozenset[str]
    refail: frozenset[str]

    @property
    def tasks(self) -> list[str]:
        return ["t%d" % i for i in range(self.n)]

    def children(self, task: str, outcome: str) -> list[str]:
        return [c for c in self.tasks if (task, outcome) in self.inbound.get(c, [])]

    def parents(self, task: str) -> list[str]:
        return [p for p, _ in self.inbound.get(task, [])]

    def publishes(self, task: str) -> bool:
        return task not in self.items and bool(self.children(task, OK))

    def definition(self, work: str = "<work dir>") -> dict[str, Any]:
        """The workflow, its commands writing to and testing in ``work``. The paths are
        literal and items use one YAQL expression: rendering expressions (over a context
        that holds the whole workflow state) was most of an example's run time."""
        tasks: dict[str, Any] = {}
        for t in self.tasks:
            if t in self.items:
                cmd = 'i=<%% item(i) %%>; echo %s:$i >> "%s/log"; test ! -e "%s/fail.%s.$i"' % (t, work, work, t)
            else:
                cmd = 'echo %s >> "%s/log"; test ! -e "%s/fail.%s"' % (t, work, work, t)
            task: dict[str, Any] = {}
            if t in self.joins:
                task["join"] = "all"
            if t in self.items:
                task["with"] = {"items": "i in <% range(" + str(ITEMS) + ") %>"}
            task["action"] = "core.local"
            task["input"] = {"cmd": cmd}
            nexts = []
            on_ok, on_ko = self.children(t, OK), self.children(t, KO)
            if on_ok:
                transition: dict[str, Any] = {"when": "<% succeeded() %>"}
                if self.publishes(t):
                    transition["publish"] = [{"p_" + t: "<% result().stdout %>"}]
                transition["do"] = on_ok
                nexts.append(transition)
            if on_ko:
                nexts.append({"when": "<% failed() %>", "do": on_ko})
            if nexts:
                task["next"] = nexts
            tasks[t] = task
        return {"version": 1.0, "input": ["dir"], "tasks": tasks}

    def yaml(self, work: str = "<work dir>") -> str:
        return yaml.safe_dump(self.definition(work), sort_keys=False, width=200)

    def describe(self) -> str:
        """One line per task: its kind and its transitions; then the markers."""
        lines = []
        for t in self.tasks:
            kind = []
            if t in self.joins:
                kind.append("join: all")
            elif len(self.parents(t)) > 1:
                kind.append("split")
            if t in self.items:
                kind.append("with-items(%d)" % ITEMS)
            arrows = []
            if self.children(t, OK):
                arrows.append("on success -> " + ", ".join(self.children(t, OK)))
            if self.children(t, KO):
                arrows.append("on failure -> " + ", ".join(self.children(t, KO)))
            lines.append("  %s%s %s" % (t, " [%s]" % ", ".join(kind) if kind else "", "; ".join(arrows)))
        lines.append("  markers, first run: %s" % (sorted(self.fail) or "none"))
        lines.append("  markers, re-run:    %s" % (sorted(self.refail) or "none"))
        return "\n".join(lines)


@st.composite
def shapes(draw, max_tasks: int = 7, fail_odds: int = 3) -> Shape:
    """A random DAG of 2..max_tasks tasks from t0. A task with several inbound tasks is a
    join (``join: all``) or a split (runs once per arriving branch). Some transitions are
    taken on failure (failure branches); some tasks have items.

    As in tests/planner/test_properties.py, a join is never fed from a split or below one:
    Orquesta evaluates a join per route, so branches that arrive on different routes never
    meet and the join never runs."""
    n = draw(st.integers(min_value=2, max_value=max_tasks))
    inbound: dict[str, list[tuple[str, str]]] = {}
    joins, items, routed = set(), set(), set()
    for i in range(1, n):
        parents = sorted(draw(st.sets(st.integers(0, i - 1), min_size=1, max_size=min(i, 3))))
        inbound["t%d" % i] = [
            ("t%d" % p, KO if draw(st.integers(0, 4)) == 0 else OK) for p in parents
        ]
        below_split = any("t%d" % p in routed for p in parents)
        if len(parents) > 1 and not below_split and draw(st.booleans()):
            joins.add("t%d" % i)
        elif len(parents) > 1 or below_split:
            routed.add("t%d" % i)
    fail, refail = set(), set()
    for i in range(n):
        t = "t%d" % i
        has_ko = any((t, KO) in inbound.get(c, []) for c in inbound)
        if draw(st.integers(0, 3)) == 0:
            items.add(t)
            failing = draw(st.sets(st.integers(0, ITEMS - 1), max_size=2)) if draw(st.integers(0, 2)) == 0 else set()
            fail.update("%s.%d" % (t, k) for k in failing)
            if has_ko and draw(st.integers(0, 2)) == 0:
                refail.update("%s.%d" % (t, k) for k in draw(st.sets(st.integers(0, ITEMS - 1), min_size=1, max_size=2)))
        else:
            if draw(st.integers(0, fail_odds if i else 8)) == 0:
                fail.add(t)
            if has_ko and draw(st.integers(0, 2)) == 0:
                refail.add(t)
    return Shape(n, inbound, frozenset(joins), frozenset(items), frozenset(fail), frozenset(refail))
