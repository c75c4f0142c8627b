"""The spec graph of a workflow definition: tasks, transitions, joins and with-items."""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Union

import networkx as nx
from orquesta.specs.native.v1.models import WorkflowSpec

# Orquesta's engine commands: transition targets that are not tasks of the definition.
# "retry" is not a node: Orquesta's composer folds it into the task's retry attribute.
ENGINE_COMMANDS = frozenset(["continue", "fail", "noop"])

SpecLike = Union["SpecGraph", WorkflowSpec, Mapping[str, Any], str]


class SpecGraph:
    """A workflow definition as a networkx ``MultiDiGraph``, one edge per transition.

    The graph has the nodes, edges and ``barrier`` attributes of Orquesta's
    ``WorkflowComposer.compose(spec)`` (``"*"`` for ``join: all``, the count for
    ``join: <n>``), plus ``items`` (true for a with-items task) and ``command`` (true for
    an engine command node such as ``fail``). It is built directly from the task specs in
    O(T + R) for T tasks and R transitions: Orquesta's composer finds start tasks and
    cycles with repeated scans, which grows faster than quadratically on large definitions
    and computes route details the planner does not need.
    """

    def __init__(self, graph: nx.MultiDiGraph, task_names: Iterable[str]):
        self.graph = graph
        self.task_names = frozenset(task_names)

    @classmethod
    def build(cls, spec: SpecLike) -> SpecGraph:
        """A SpecGraph from a SpecGraph (returned as is), an Orquesta ``WorkflowSpec``, a
        workflow definition dict or its YAML text."""
        if isinstance(spec, SpecGraph):
            return spec
        if not isinstance(spec, WorkflowSpec):
            # WorkflowSpec rewrites "with" shorthands in the dict it is given.
            spec = WorkflowSpec(copy.deepcopy(spec) if isinstance(spec, Mapping) else spec)
        return cls.from_workflow_spec(spec)

    @classmethod
    def from_workflow_spec(cls, spec: WorkflowSpec) -> SpecGraph:
        graph = nx.MultiDiGraph()
        tasks = spec.tasks
        names = list(tasks.keys())
        for name in names:
            task_spec = tasks.get_task(name)
            attrs: dict[str, Any] = {"items": bool(task_spec.has_items()), "command": False}
            join = getattr(task_spec, "join", None)
            if join is not None:
                attrs["barrier"] = "*" if join == "all" else join
            graph.add_node(name, **attrs)
        for name in names:
            for target, condition, ref in tasks.get_next_tasks(name):
                if target == "retry":
                    continue
                if target not in graph:
                    graph.add_node(target, items=False, command=target in ENGINE_COMMANDS)
                graph.add_edge(name, target, criteria=[condition] if condition else [], ref=ref)
        return cls(graph, names)

    def has_task(self, name: str) -> bool:
        """True for a task of the definition (engine commands are not tasks)."""
        return name in self.task_names

    def has_items(self, name: str) -> bool:
        return bool(self.graph.nodes[name].get("items")) if name in self.graph else False

    def is_command(self, name: str) -> bool:
        return bool(self.graph.nodes[name].get("command")) if name in self.graph else False

    def barrier(self, name: str) -> str | int | None:
        """``"*"``, a count, or ``None`` for a task that is not a join."""
        return self.graph.nodes[name].get("barrier") if name in self.graph else None

    def inbound(self, name: str) -> list[str]:
        """Distinct tasks with a transition into ``name``, sorted. O(in-degree)."""
        return sorted(set(self.graph.predecessors(name)))

    def required_branches(self, name: str) -> int:
        """How many inbound tasks a join waits for."""
        barrier = self.barrier(name)
        inbound = len(self.inbound(name))
        return inbound if barrier in (None, "*") else min(int(barrier), inbound)

    def reachable(self, sources: Iterable[str]) -> list[str]:
        """Tasks reachable from ``sources`` through one transition or more, in
        breadth-first order (successors by name). O(T + R)."""
        succ = self.graph._succ
        seen: set[str] = set()
        order: list[str] = []
        queue = deque(sorted(set(s for s in sources if s in succ)))
        while queue:
            for child in sorted(succ[queue.popleft()]):
                if child not in seen:
                    seen.add(child)
                    order.append(child)
                    queue.append(child)
        return order
