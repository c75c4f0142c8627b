"""The spec graph of a workflow definition: tasks, transitions, joins and with-items."""

from __future__ import annotations

import sys
from collections import deque
from typing import Any, Iterable, Mapping, Union

import networkx as nx

from wfops import yaml_loading

# Orquesta's engine commands: transition targets that are not tasks of the definition.
# "retry" is not a node: Orquesta's composer folds it into the task's retry attribute.
ENGINE_COMMANDS = frozenset(["continue", "fail", "noop"])

# An Orquesta ``WorkflowSpec`` is accepted too; Orquesta is not imported for it (the pack
# plans on StackStorm's own Orquesta, or on none at all).
SpecLike = Union["SpecGraph", Mapping[str, Any], str, Any]


def _workflow_spec_definition(spec: Any) -> Mapping[str, Any] | None:
    """The definition of an Orquesta ``WorkflowSpec``, None for anything else."""
    models = sys.modules.get("orquesta.specs.native.v1.models")
    if models is not None and isinstance(spec, models.WorkflowSpec):
        return spec.spec
    return None


class SpecGraph:
    """A workflow definition as a networkx ``MultiDiGraph``, one edge per transition.

    The graph has the nodes, edges and ``barrier`` attributes of Orquesta's
    ``WorkflowComposer.compose(spec)`` (``"*"`` for ``join: all``, the count for
    ``join: <n>``), plus ``items`` (true for a with-items task) and ``command`` (true for
    an engine command node such as ``fail``). It is read straight from the definition in
    O(T + R) for T tasks and R transitions. Orquesta's composer finds start tasks and
    cycles with repeated scans, and building a ``WorkflowSpec`` deep-copies schemas for
    every task: both take seconds on definitions of a few thousand tasks.
    """

    def __init__(self, graph: nx.MultiDiGraph, task_names: Iterable[str]):
        self.graph = graph
        self.task_names = frozenset(task_names)
        # Plain lookups for the per-task questions the planner asks thousands of times.
        nodes = graph.nodes
        self._items = frozenset(n for n, on in nodes(data="items") if on)
        self._commands = frozenset(n for n, on in nodes(data="command") if on)
        self._barriers = {n: b for n, b in nodes(data="barrier") if b is not None}
        self._inbound: dict[str, list[str]] = {}

    @classmethod
    def build(cls, spec: SpecLike) -> SpecGraph:
        """A SpecGraph from a SpecGraph (returned as is), an Orquesta ``WorkflowSpec``, a
        workflow definition dict or its YAML text."""
        if isinstance(spec, SpecGraph):
            return spec
        definition = _workflow_spec_definition(spec)
        if definition is not None:
            return cls.from_definition(definition)
        if isinstance(spec, str):
            spec = yaml_loading.safe_load(spec)
        if not isinstance(spec, Mapping):
            raise TypeError("A workflow definition is a mapping, its YAML text or a WorkflowSpec.")
        return cls.from_definition(spec)

    @classmethod
    def from_definition(cls, definition: Mapping[str, Any]) -> SpecGraph:
        """Read an Orquesta native workflow definition (its ``tasks``)."""
        tasks: Mapping[str, Any] = definition.get("tasks") or {}
        nodes: dict[str, dict[str, Any]] = {}
        edges: list[tuple[str, str, dict[str, Any]]] = []
        for name, task in tasks.items():
            task = task or {}
            attrs: dict[str, Any] = {"items": task.get("with") is not None, "command": False}
            join = task.get("join")
            if join is not None:
                attrs["barrier"] = "*" if join == "all" else join
            nodes[name] = attrs
        for name, task in tasks.items():
            for ref, transition in enumerate((task or {}).get("next") or []):
                # A transition without "do" continues (Orquesta's default).
                targets = transition.get("do") or "continue"
                if isinstance(targets, str):
                    targets = [t.strip() for t in targets.split(",")]
                condition = transition.get("when")
                for target in targets:
                    if target == "retry":
                        continue
                    if target not in nodes:
                        nodes[target] = {"items": False, "command": target in ENGINE_COMMANDS}
                    edges.append((name, target, {"criteria": [condition] if condition else [], "ref": ref}))
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(nodes.items())
        graph.add_edges_from(edges)
        return cls(graph, tasks.keys())

    def has_task(self, name: str) -> bool:
        """True for a task of the definition (engine commands are not tasks)."""
        return name in self.task_names

    def has_items(self, name: str) -> bool:
        return name in self._items

    def is_command(self, name: str) -> bool:
        return name in self._commands

    def barrier(self, name: str) -> str | int | None:
        """``"*"``, a count, or ``None`` for a task that is not a join."""
        return self._barriers.get(name)

    def inbound(self, name: str) -> list[str]:
        """Distinct tasks with a transition into ``name``, sorted. O(in-degree) the first
        time, then remembered (a SpecGraph does not change)."""
        inbound = self._inbound.get(name)
        if inbound is None:
            inbound = self._inbound[name] = sorted(set(self.graph.predecessors(name)))
        return inbound

    def required_branches(self, name: str) -> int:
        """How many inbound tasks a join waits for."""
        barrier = self.barrier(name)
        inbound = len(self.inbound(name))
        return inbound if barrier in (None, "*") else min(int(barrier), inbound)

    def targets_on_success(self, name: str) -> list[str]:
        """Targets of the transitions of ``name`` that its success can take, in definition
        order: all but those whose condition tests for a failure only (``failed()`` without
        ``succeeded()`` or ``completed()``). A superset when conditions read more than the
        status. O(out-degree)."""
        targets: dict[str, None] = {}
        for _, target, criteria in self.graph.out_edges(name, data="criteria"):
            text = " ".join(criteria or ())
            if "failed()" in text and "succeeded()" not in text and "completed()" not in text:
                continue
            targets[target] = None
        return list(targets)

    def reachable(self, sources: Iterable[str]) -> list[str]:
        """Tasks reachable from ``sources`` through one transition or more, in
        breadth-first order (sources by name, successors in definition order). O(T + R)."""
        succ = self.graph.adj
        seen: set[str] = set()
        order: list[str] = []
        queue = deque(sorted(set(s for s in sources if s in succ)))
        while queue:
            for child in succ[queue.popleft()]:
                if child not in seen:
                    seen.add(child)
                    order.append(child)
                    queue.append(child)
        return order
