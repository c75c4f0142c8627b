"""Indexed task lookups for Orquesta 1.2.0 workflow specs.

Orquesta's ``TaskMappingSpec`` answers "which tasks come before X" by rescanning every
task's transitions (``get_prev_tasks`` is O(N) spec-attribute lookups, and
``get_start_tasks`` calls it for every task: O(N^2)). Inspection calls
``get_start_tasks`` four times and graph composition once more, so a 1000-task chain
spends minutes there. A spec does not change once built, so the host answers the same
questions from an index built once per spec: the results are identical, in O(1)
(``get_prev_tasks``, ``in_cycle``) or O(N) once.

``index_tasks(spec)`` switches one spec's task mapping to ``IndexedTaskMappingSpec``; the
plain Orquesta classes are left as they are for every other user in the process.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from orquesta.specs.native.v1 import models

Edge = tuple  # (task name, condition or None, transition index or None)


class IndexedTaskMappingSpec(models.TaskMappingSpec):
    """A ``TaskMappingSpec`` whose transition queries are answered from an index.

    The index is built on first use from Orquesta's own ``get_next_tasks`` of every
    task, so it agrees with the unindexed class by construction.
    """

    def _task_index(self) -> dict[str, Any]:
        index = self.__dict__.get("_wfops_index")
        if index is None:
            index = _build_index(self)
            self.__dict__["_wfops_index"] = index
        return index

    def get_next_tasks(self, task_name, *args, **kwargs):
        nexts = self._task_index()["next"].get(task_name)
        if nexts is None:
            return super().get_next_tasks(task_name, *args, **kwargs)
        return list(nexts)

    def get_prev_tasks(self, task_name, *args, **kwargs):
        return list(self._task_index()["prev"].get(task_name, ()))

    def get_start_tasks(self):
        return list(self._task_index()["start"])

    def in_cycle(self, task_name):
        index = self._task_index()
        if task_name not in index["next"]:
            return super().in_cycle(task_name)
        return task_name in index["cyclic"]


def _build_index(tasks: models.TaskMappingSpec) -> dict[str, Any]:
    """Transitions of ``tasks`` both ways, its start tasks and the tasks on a cycle.

    Parameters
    ----------
    tasks : TaskMappingSpec
        The ``tasks`` section of a workflow spec (read through the unindexed methods).

    Returns
    -------
    dict
        ``next``: task -> sorted (next task, condition, transition index) tuples;
        ``prev``: task -> sorted (previous task, condition, transition index) tuples;
        ``start``: sorted (task, None, None) for tasks no transition leads to;
        ``cyclic``: the set of tasks from which a path of transitions returns to them.

    Notes
    -----
    O(N + E) spec lookups for N tasks and E transition targets, plus sorting.
    """
    plain = models.TaskMappingSpec
    nexts = {name: tuple(plain.get_next_tasks(tasks, name)) for name in tasks.keys()}
    prevs: dict[str, list[Edge]] = {}
    graph = nx.DiGraph()
    graph.add_nodes_from(nexts)
    for name, edges in nexts.items():
        for target, condition, position in edges:
            prevs.setdefault(target, []).append((name, condition, position))
            graph.add_edge(name, target)
    cyclic: set[str] = set()
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cyclic |= component
    cyclic |= {name for name in nexts if graph.has_edge(name, name)}
    return {
        "next": nexts,
        "prev": {name: tuple(sorted(edges, key=lambda e: e[0])) for name, edges in prevs.items()},
        "start": tuple(sorted(((name, None, None) for name in nexts if name not in prevs),
                              key=lambda e: e[0])),
        "cyclic": cyclic,
    }


def index_tasks(spec) -> Any:
    """Switch ``spec``'s task mapping to the indexed class, in place, and return ``spec``.

    Only an exact ``TaskMappingSpec`` is switched (a subclass from elsewhere is left
    alone). O(1); the index is built on the first query.
    """
    tasks = getattr(spec, "tasks", None)
    if type(tasks) is models.TaskMappingSpec:
        tasks.__class__ = IndexedTaskMappingSpec
    return spec
