"""The run graph of one workflow execution: task executions and the ``prev`` links between
them."""

from __future__ import annotations

from array import array
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

    Edges always point from a lower to a higher index, so the graph is a DAG whose index
    order is a topological order. :attr:`graph` is the networkx ``DiGraph``; searches run
    on a child list per node built once with the RunGraph (networkx's dict-of-dicts is
    several times slower to build for the 100,000-execution runs the planner must handle).

    A RunGraph also knows the *position* of every execution: two executions have the same
    position when they are the same task reached through the same chain of transitions
    from the start, whatever the routes. A re-run makes a new execution at an old position
    (an *attempt*); a loop makes an execution at a new position. Positions tell the
    current branches of a run from those a re-run replaced. They are only computed when
    the state records re-runs (``reruns``); before the first re-run every execution is the
    only one at its position.

    Building is O(V + E) time and memory for V executions and E prev links.
    """

    def __init__(self, run_state: Mapping[str, Any]):
        self._sequence: list[dict] = run_state.get("sequence") or []
        self._child_start, self._child_list = self._index_children(self._sequence)
        self._terminals = [i for i, entry in enumerate(self._sequence) if entry.get("term")]
        self._latest = self._index_latest(run_state, self._sequence)
        self._has_reruns = bool(run_state.get("reruns"))
        self._positions: tuple[list[int], dict[int, list[int]]] | None = None
        self._graph: nx.DiGraph | None = None

    @staticmethod
    def _index_children(sequence: list[dict]) -> tuple[array, array]:
        """Children of every execution in two flat arrays: those of ``i`` are
        ``child_list[child_start[i]:child_start[i + 1]]``, in index order. Flat arrays
        hold no Python objects, so the cyclic garbage collector never walks them (a list
        per execution would make it walk 100,000 more containers)."""
        n = len(sequence)
        start = array("q", bytes(8 * (n + 1)))
        for entry in sequence:
            for parent in (entry.get("prev") or {}).values():
                start[parent + 1] += 1
        for i in range(n):
            start[i + 1] += start[i]
        children = array("q", bytes(8 * start[n]))
        fill = start[:n]
        for i, entry in enumerate(sequence):
            for parent in (entry.get("prev") or {}).values():
                children[fill[parent]] = i
                fill[parent] += 1
        return start, children

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

    @property
    def graph(self) -> nx.DiGraph:
        """The run graph as a networkx ``DiGraph`` (built on first use, O(V + E)), nodes
        carrying ``task``, ``route`` and ``status``."""
        if self._graph is None:
            graph = nx.DiGraph()
            graph.add_nodes_from(
                (i, {"task": e["id"], "route": e.get("route", 0), "status": self.status(i)})
                for i, e in enumerate(self._sequence)
            )
            graph.add_edges_from((p, c) for p in range(len(self)) for c in self.children(p))
            self._graph = graph
        return self._graph

    def __len__(self) -> int:
        return len(self._sequence)

    def task(self, index: int) -> str:
        return self._sequence[index]["id"]

    def route(self, index: int) -> int:
        return self._sequence[index].get("route", 0)

    def status(self, index: int) -> str | None:
        """The execution's status; ``None`` when unset (Orquesta writes ``"null"``)."""
        status = self._sequence[index].get("status")
        return None if status in (None, "null") else status

    def terminal(self, index: int) -> bool:
        return bool(self._sequence[index].get("term", False))

    def terminals(self) -> list[int]:
        """Executions Orquesta marked terminal (running when the workflow completed, or
        without transitions), in index order. O(1)."""
        return self._terminals

    def is_latest(self, index: int) -> bool:
        """True when ``index`` is the latest execution of its task on its route. O(1)."""
        entry = self._sequence[index]
        return self._latest.get(entry["id"], {}).get(entry.get("route", 0)) == index

    def ref(self, index: int) -> str:
        """``"task[route]"``."""
        entry = self._sequence[index]
        return "%s[%d]" % (entry["id"], entry.get("route", 0))

    def children(self, index: int) -> array:
        """Executions that ``index`` triggered, in index order. O(children)."""
        return self._child_list[self._child_start[index] : self._child_start[index + 1]]

    def tasks(self) -> Iterator[str]:
        """Names of the tasks that ran."""
        return iter(self._latest)

    def has_run(self, task: str) -> bool:
        return task in self._latest

    def latest_executions(self, task: str | None = None) -> dict[tuple[str, int], int]:
        """``{(task, route): index}`` of the latest execution of each task on each route
        (Orquesta's ``tasks`` map), for one task or all. O(routes of the task) or O(V)."""
        if task is not None:
            return {(task, r): i for r, i in self._latest.get(task, {}).items()}
        return {(t, r): i for t, routes in self._latest.items() for r, i in routes.items()}

    def routes(self, task: str) -> dict[int, int]:
        """``{route: latest index}`` for one task; empty when it never ran. O(1)."""
        return self._latest.get(task, {})

    def _index_positions(self) -> tuple[list[int], dict[int, list[int]]]:
        """Intern each execution's position: (task, sorted (prev key, parent position))."""
        if self._positions is None:
            interned: dict[tuple, int] = {}
            position: list[int] = []
            attempts: dict[int, list[int]] = {}
            for i, entry in enumerate(self._sequence):
                parents = []
                for key, parent in (entry.get("prev") or {}).items():
                    # A malformed forward link gets a position of its own: never merged.
                    parents.append((key, position[parent] if parent < i else -1 - i))
                pos = interned.setdefault((entry["id"], tuple(sorted(parents))), len(interned))
                position.append(pos)
                attempts.setdefault(pos, []).append(i)
            self._positions = (position, attempts)
        return self._positions

    def attempts(self, index: int) -> list[int]:
        """Every execution at the same position as ``index`` (re-runs of it), oldest first.
        O(1) once positions are indexed."""
        if not self._has_reruns:
            return [index]
        position, attempts = self._index_positions()
        return attempts[position[index]]

    def superseded_by(self, index: int) -> int | None:
        """The newest attempt at ``index``'s position when that is not ``index`` itself:
        ``index`` ran on a branch that a later re-run replaced. O(1)."""
        if not self._has_reruns:
            return None
        newest = self.attempts(index)[-1]
        return newest if newest != index else None

    def transitions_to(self, index: int, target: str) -> bool | None:
        """Whether execution ``index`` evaluated a transition to task ``target`` as true
        (``None`` when it has no transition to it). O(out-transitions)."""
        found = None
        for key, value in (self._sequence[index].get("next") or {}).items():
            if key.rpartition(_TRANSITION_SEP)[0] == target:
                if value:
                    return True
                found = False
        return found

    def true_transitions(self, index: int) -> list[str]:
        """Targets of the transitions of ``index`` that evaluated true."""
        return [
            key.rpartition(_TRANSITION_SEP)[0]
            for key, value in (self._sequence[index].get("next") or {}).items()
            if value
        ]

    def pending_transitions(self, index: int) -> list[str]:
        """Targets of the true transitions of ``index`` that triggered no execution, sorted.
        O(out-transitions + children)."""
        next_ = self._sequence[index].get("next") or {}
        if not any(next_.values()):
            return []
        task = self._sequence[index]["id"]
        taken = set()
        for child in self.children(index):
            entry = self._sequence[child]
            for key, parent in entry["prev"].items():
                if parent == index and key.rpartition(_TRANSITION_SEP)[0] == task:
                    taken.add((entry["id"], key.rpartition(_TRANSITION_SEP)[2]))
        pending = set()
        for key, value in next_.items():
            target, _, edge = key.rpartition(_TRANSITION_SEP)
            if value and (target, edge) not in taken:
                pending.add(target)
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
        covered = set(sources).intersection(self._search(sources, attempts=True))
        if not covered:
            return {}
        kept = [s for s in sources if s not in covered]
        reached = self._search(kept, attempts=True)
        return {node: reached[node] for node in covered}

    def _search(self, sources: Iterable[int], *, attempts: bool) -> dict[int, int]:
        """Breadth-first search from the children of ``sources``: ``{reached: origin}``."""
        start, children = self._child_start, self._child_list
        origin: dict[int, int] = {}
        queue: deque[int] = deque()
        for source in sorted(set(sources)):
            for first in self.attempts(source) if attempts else (source,):
                for k in range(start[first], start[first + 1]):
                    child = children[k]
                    if child not in origin:
                        origin[child] = source
                        queue.append(child)
        while queue:
            node = queue.popleft()
            here = origin[node]
            for k in range(start[node], start[node + 1]):
                child = children[k]
                if child not in origin:
                    origin[child] = here
                    queue.append(child)
        return origin
