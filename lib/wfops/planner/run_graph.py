"""The run graph of one workflow execution: task executions and the ``prev`` links between
them, as a networkx ``DiGraph``."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx

# Orquesta's keys: "task__r<route>" in ``tasks``, "task__t<edge key>" in ``prev`` and ``next``.
_ROUTE_SEP = "__r"
_TRANSITION_SEP = "__t"


def split_transition_key(key: str) -> tuple[str, str]:
    """``"task2__t0"`` -> ``("task2", "0")``."""
    task, _, edge = key.rpartition(_TRANSITION_SEP)
    return task, edge


class RunGraph:
    """Task executions of one workflow run (nodes: sequence indices) and which execution
    triggered which (edges: from each ``prev`` entry to the execution that names it).

    Node attributes: ``task``, ``route``, ``status`` (``None`` when unset), ``term`` (bool),
    ``prev`` and ``next`` (Orquesta's dicts, not copied). Edges always point from a lower
    to a higher index, so the graph is a DAG whose index order is a topological order.

    Besides the graph, a RunGraph knows the *position* of every execution: two executions
    have the same position when they are the same task reached through the same chain of
    transitions from the start, whatever the routes. A re-run makes a new execution at an
    old position (an *attempt*); a loop makes an execution at a new position. Positions
    let the planner tell the current branches of a run from those a re-run replaced.

    Building is O(V + E) time and memory for V executions and E prev links.
    """

    def __init__(self, run_state: Mapping[str, Any]):
        sequence = run_state.get("sequence") or []
        graph = nx.DiGraph()
        graph.add_nodes_from(
            (
                i,
                {
                    "task": entry["id"],
                    "route": entry.get("route", 0),
                    "status": _status(entry.get("status")),
                    "term": bool(entry.get("term", False)),
                    "prev": entry.get("prev") or {},
                    "next": entry.get("next") or {},
                },
            )
            for i, entry in enumerate(sequence)
        )
        graph.add_edges_from(
            (parent, i)
            for i, entry in enumerate(sequence)
            for parent in (entry.get("prev") or {}).values()
        )
        self.graph: nx.DiGraph = graph
        self._latest = self._index_latest(run_state, sequence)
        self._position, self._attempts = self._index_positions(sequence)

    @staticmethod
    def _index_latest(
        run_state: Mapping[str, Any], sequence: list[dict]
    ) -> dict[str, dict[int, int]]:
        latest: dict[str, dict[int, int]] = {}
        tasks = run_state.get("tasks")
        if tasks is None:
            # Not Orquesta's own serialization: the last entry per (task, route) is the latest.
            for i, entry in enumerate(sequence):
                latest.setdefault(entry["id"], {})[entry.get("route", 0)] = i
        else:
            for key, index in tasks.items():
                task, _, route = key.rpartition(_ROUTE_SEP)
                latest.setdefault(task, {})[int(route)] = index
        return latest

    @staticmethod
    def _index_positions(sequence: list[dict]) -> tuple[list[int], dict[int, list[int]]]:
        """Intern each execution's position: (task, sorted (prev key, parent position))."""
        interned: dict[tuple, int] = {}
        position: list[int] = []
        attempts: dict[int, list[int]] = {}
        for i, entry in enumerate(sequence):
            parents = []
            for key, parent in (entry.get("prev") or {}).items():
                # A malformed forward link gets a position of its own: never merged.
                parent_pos = position[parent] if parent < i else -1 - i
                parents.append((key, parent_pos))
            signature = (entry["id"], tuple(sorted(parents)))
            pos = interned.setdefault(signature, len(interned))
            position.append(pos)
            attempts.setdefault(pos, []).append(i)
        return position, attempts

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    def __contains__(self, index: object) -> bool:
        return index in self.graph

    def execution(self, index: int) -> dict[str, Any]:
        """The node attributes of execution ``index``. O(1)."""
        return self.graph.nodes[index]

    def tasks(self) -> Iterator[str]:
        """Names of the tasks that ran. O(1) per name."""
        return iter(self._latest)

    def has_run(self, task: str) -> bool:
        return task in self._latest

    def latest_executions(self, task: str | None = None) -> dict[tuple[str, int], int]:
        """``{(task, route): index}`` of the latest execution of each task on each route
        (Orquesta's ``tasks`` map), for one task or all. O(routes of the task) or O(V)."""
        names = [task] if task is not None else list(self._latest)
        return {
            (name, route): index
            for name in names
            for route, index in sorted(self._latest.get(name, {}).items())
        }

    def routes(self, task: str) -> dict[int, int]:
        """``{route: latest index}`` for one task; empty when it never ran. O(1)."""
        return self._latest.get(task, {})

    def attempts(self, index: int) -> list[int]:
        """Every execution at the same position as ``index`` (re-runs of it), oldest first.
        O(1)."""
        return self._attempts[self._position[index]]

    def superseded_by(self, index: int) -> int | None:
        """The newest attempt at ``index``'s position when that is not ``index`` itself:
        ``index`` ran on a branch that a later re-run replaced. O(1)."""
        newest = self.attempts(index)[-1]
        return newest if newest != index else None

    def transitions_to(self, index: int, target: str) -> bool | None:
        """Whether execution ``index`` evaluated a transition to task ``target`` as true
        (``None`` when it has no transition to it). O(out-transitions)."""
        found = None
        for key, value in self.execution(index)["next"].items():
            if split_transition_key(key)[0] == target:
                if value:
                    return True
                found = False
        return found

    def pending_transitions(self, index: int) -> list[str]:
        """Targets of the true transitions of ``index`` that triggered no execution.
        O(out-transitions + children)."""
        node = self.execution(index)
        taken = set()
        for child in self.graph._succ[index]:
            child_node = self.graph.nodes[child]
            for key, parent in child_node["prev"].items():
                if parent == index:
                    taken.add((child_node["task"], split_transition_key(key)[1]))
        pending = []
        for key, value in node["next"].items():
            target, edge = split_transition_key(key)
            if value and (target, edge) not in taken and target not in pending:
                pending.append(target)
        return sorted(pending)

    def descendants(self, sources: Iterable[int], *, attempts: bool = False) -> set[int]:
        """Executions reachable from any of ``sources`` through one edge or more.

        With ``attempts`` true, reachability starts from every attempt at each source's
        position: what a re-run of the source replaces includes what its earlier attempts
        triggered. One breadth-first search: O(V + E) whatever the number of sources.
        """
        return set(self._search(sources, attempts=attempts))

    def covering(self, sources: Iterable[int]) -> dict[int, int]:
        """Which of ``sources`` lie downstream of another of them, and a source that covers
        each: ``{covered: coverer}`` where the coverer is itself not covered.

        Downstream of a source means reachable from any attempt at its position (see
        :meth:`descendants`). Two breadth-first searches: O(V + E) in all.
        """
        sources = list(dict.fromkeys(sources))
        wanted = set(sources)
        covered = wanted.intersection(self._search(sources, attempts=True))
        kept = [s for s in sources if s not in covered]
        coverer = {}
        for node, origin in self._search(kept, attempts=True).items():
            if node in covered:
                coverer[node] = origin
        return coverer

    def _search(self, sources: Iterable[int], *, attempts: bool) -> dict[int, int]:
        """Breadth-first search from the children of ``sources``: ``{reached: origin}``."""
        succ = self.graph._succ
        origin: dict[int, int] = {}
        queue: deque[int] = deque()
        for source in sorted(set(sources)):
            starts = self.attempts(source) if attempts else [source]
            for start in starts:
                for child in succ[start]:
                    if child not in origin:
                        origin[child] = source
                        queue.append(child)
        while queue:
            node = queue.popleft()
            here = origin[node]
            for child in succ[node]:
                if child not in origin:
                    origin[child] = here
                    queue.append(child)
        return origin


def _status(value: Any) -> str | None:
    # Orquesta writes the string "null" for an unset status.
    return None if value in (None, "null") else value
