"""Spec and graph lookups computed once (patches of ``orquesta.specs`` and ``orquesta.graphing``).

1. ``TaskMappingSpec.get_prev_tasks`` (and ``get_start_tasks``, ``is_split_task``, which
   call it). Orquesta rescans every task's transitions for each query: O(N) spec
   attribute lookups per call, and ``get_start_tasks`` calls it for each task (O(N^2));
   graph composition, inspection and ``_evaluate_route`` (once per transition taken) call
   them. The patch builds, on the first query, each task's previous tasks from the
   memoised ``get_next_tasks`` of every task, in Orquesta's iteration order and with its
   stable sort, so every answer is the list Orquesta returns (a fresh list each call).
   ``get_next_tasks`` and ``in_cycle`` are memoised per task the same way (answers that
   raise are not memoised: they raise again). A spec is not changed once built (wfops and
   Orquesta only replace a transition's ``publish``, which these queries do not read).

2. ``WorkflowGraph.in_cycle`` enumerates every simple cycle of the graph
   (``networkx.simple_cycles``) for each call; ``_evaluate_route`` calls it for every
   transition taken. The patch finds once per graph which tasks lie on a cycle (strongly
   connected components, O(N + E)); a task on none gets ``[]`` at once, and the cycles
   through the others are enumerated once, in networkx's order, and kept. The cache is
   dropped when a task or transition is added.

3. ``WorkflowGraph.has_transition`` / ``get_transition`` filter *every* edge of the graph
   for one (source, destination) pair; graph composition calls them once per transition,
   O(E^2) for the whole graph. The patch reads the pair's edges from the adjacency, in
   the same key order, and applies the same attribute filters and errors.

4. ``Spec.get_schema`` / ``Spec.get_meta_schema`` merge (with deep copies) the schemas of
   a spec class and all its bases on every call, and every spec object calls both when it
   is built (``get_task`` builds a copy of the task's spec for every task it returns).
   The schemas are class constants: the patch merges once per class and arguments and
   returns that result (callers only read it).
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from wfops.orquesta_speed import Patch, uses, verifying

_SPEC_KEY = "_wfops_speed_spec_index"
_GRAPH_KEY = "_wfops_speed_cycles"


# --------------------------------------------------------------------------------------
# 1. TaskMappingSpec
# --------------------------------------------------------------------------------------


def _spec_index(tasks) -> dict:
    index = tasks.__dict__.get(_SPEC_KEY)
    if index is None:
        index = tasks.__dict__[_SPEC_KEY] = {"next": {}, "prev": None, "start": None, "cycle": {}}
    return index


def _patched_spec_methods(models) -> dict[str, Any]:
    plain = {name: models.TaskMappingSpec.__dict__[name]
             for name in ("get_next_tasks", "get_prev_tasks", "get_start_tasks", "in_cycle")}

    def get_next_tasks(self, task_name, *args, **kwargs):
        nexts = _spec_index(self)["next"]
        found = nexts.get(task_name)
        if found is None:
            found = nexts[task_name] = tuple(plain["get_next_tasks"](self, task_name, *args, **kwargs))
        return list(found)

    def _prev_index(self) -> dict:
        index = _spec_index(self)
        if index["prev"] is None:
            prevs: dict = {}
            # Orquesta's order: the tasks as the mapping iterates them, each task's
            # transitions in its (sorted) next-task order; then a stable sort by name.
            for name, _task_spec in self.iteritems():
                for next_name, condition, position in self.get_next_tasks(name):
                    prevs.setdefault(next_name, []).append((name, condition, position))
            index["prev"] = {k: tuple(sorted(v, key=lambda x: x[0])) for k, v in prevs.items()}
        return index["prev"]

    def get_prev_tasks(self, task_name, *args, **kwargs):
        found = list(_prev_index(self).get(task_name, ()))
        if verifying():
            assert found == plain["get_prev_tasks"](self, task_name), ("get_prev_tasks", task_name)
        return found

    def get_start_tasks(self):
        index = _spec_index(self)
        if index["start"] is None:
            prevs = _prev_index(self)
            index["start"] = tuple(sorted(((name, None, None) for name in self.keys() if not prevs.get(name)),
                                          key=lambda x: x[0]))
        found = list(index["start"])
        if verifying():
            assert found == plain["get_start_tasks"](self), "get_start_tasks"
        return found

    def in_cycle(self, task_name):
        cycles = _spec_index(self)["cycle"]
        if task_name not in cycles:
            # Orquesta's own search (it raises for an undefined task on the way), on the
            # memoised transitions.
            cycles[task_name] = plain["in_cycle"](self, task_name)
        return cycles[task_name]

    return {"get_next_tasks": get_next_tasks, "get_prev_tasks": get_prev_tasks,
            "get_start_tasks": get_start_tasks, "in_cycle": in_cycle}


# --------------------------------------------------------------------------------------
# 2, 3. WorkflowGraph
# --------------------------------------------------------------------------------------


def cycle_members(graph) -> set:
    """The nodes of ``graph`` (a networkx directed graph) that lie on a cycle.

    O(N + E): the nodes of strongly connected components of more than one node, and the
    nodes with an edge to themselves.
    """
    members: set = set()
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            members |= component
    members |= {u for u, v in nx.selfloop_edges(graph)}
    return members


def _patched_graph_methods(graphing) -> dict[str, Any]:
    plain = {name: graphing.WorkflowGraph.__dict__[name]
             for name in ("in_cycle", "has_transition", "get_transition", "add_task", "add_transition")}

    def in_cycle(self, task_id):
        cache = self.__dict__.get(_GRAPH_KEY)
        if cache is None or cache["graph"] is not self._graph:
            cache = self.__dict__[_GRAPH_KEY] = {"graph": self._graph, "members": cycle_members(self._graph),
                                                 "all": None, "by_task": {}}
        if task_id not in cache["members"]:
            found: list = []
        else:
            if cache["all"] is None:
                cache["all"] = list(nx.simple_cycles(self._graph))
            if task_id not in cache["by_task"]:
                cache["by_task"][task_id] = [c for c in cache["all"] if task_id in c]
            found = [list(c) for c in cache["by_task"][task_id]]
        if verifying():
            assert found == plain["in_cycle"](self, task_id), ("in_cycle", task_id)
        return found

    def _forget_cycles(self):
        self.__dict__.pop(_GRAPH_KEY, None)

    def add_task(self, task_id, **kwargs):
        _forget_cycles(self)
        return plain["add_task"](self, task_id, **kwargs)

    def add_transition(self, source, destination, **kwargs):
        _forget_cycles(self)
        return plain["add_transition"](self, source, destination, **kwargs)

    def _edges_between(self, source, destination) -> list | None:
        """(source, destination, key, data) of each edge source -> destination, in the order
        ``edges(data=True, keys=True)`` yields them; None when that cannot be read directly."""
        graph = self._graph
        if not graph.is_multigraph() or not graph.is_directed():
            return None
        try:
            keyed = graph._adj.get(source, {}).get(destination, {})
        except TypeError:  # an unhashable node name: let Orquesta's scan decide
            return None
        return [(source, destination, key, data) for key, data in keyed.items()]

    def has_transition(self, source, destination, **kwargs):
        edges = _edges_between(self, source, destination)
        if edges is None:
            return plain["has_transition"](self, source, destination, **kwargs)
        for attr, value in kwargs.items():
            edges = [e for e in edges if e[3].get(attr, None) == value]
        if verifying():
            assert edges == plain["has_transition"](self, source, destination, **kwargs), "has_transition"
        return edges

    def get_transition(self, source, destination, key=None, **kwargs):
        edges = _edges_between(self, source, destination)
        if edges is None:
            return plain["get_transition"](self, source, destination, key=key, **kwargs)
        if key is not None:
            edges = [e for e in edges if e[2] == key]   # Orquesta ignores the attributes then
        else:
            for attr, value in kwargs.items():
                edges = [e for e in edges if e[3].get(attr, None) == value]
        from orquesta import exceptions

        if len(edges) <= 0:
            raise exceptions.InvalidTaskTransition(source, destination)
        if len(edges) > 1:
            raise exceptions.AmbiguousTaskTransition(source, destination)
        return edges[0]

    return {"in_cycle": in_cycle, "add_task": add_task, "add_transition": add_transition,
            "has_transition": has_transition, "get_transition": get_transition}


# --------------------------------------------------------------------------------------
# 4. Spec schemas
# --------------------------------------------------------------------------------------

_schemas: dict = {}


def _patched_schema_methods(spec_base) -> dict[str, Any]:
    plain_schema = spec_base.Spec.__dict__["get_schema"].__func__
    plain_meta = spec_base.Spec.__dict__["get_meta_schema"].__func__

    def get_meta_schema(cls):
        key = ("meta", cls)
        if key not in _schemas:
            _schemas[key] = plain_meta(cls)
        return _schemas[key]

    def get_schema(cls, includes=["meta"], resolve_specs=True):  # noqa: B006 (Orquesta's signature)
        key = ("schema", cls, tuple(includes) if includes else None, bool(resolve_specs))
        if key not in _schemas:
            _schemas[key] = plain_schema(cls, includes=includes, resolve_specs=resolve_specs)
        return _schemas[key]

    return {"get_meta_schema": get_meta_schema, "get_schema": get_schema}


def patches() -> list[Patch]:
    from orquesta import graphing
    from orquesta.specs import base as spec_base
    from orquesta.specs.native.v1 import models

    _schemas.clear()
    spec = _patched_spec_methods(models)
    graph = _patched_graph_methods(graphing)
    schema = _patched_schema_methods(spec_base)
    return [
        Patch(models.TaskMappingSpec, "get_next_tasks", spec["get_next_tasks"], uses("get_task", "next")),
        Patch(models.TaskMappingSpec, "get_prev_tasks", spec["get_prev_tasks"], uses("iteritems", "get_next_tasks")),
        Patch(models.TaskMappingSpec, "get_start_tasks", spec["get_start_tasks"], uses("get_prev_tasks")),
        Patch(models.TaskMappingSpec, "in_cycle", spec["in_cycle"], uses("get_next_tasks", "traversed")),
        Patch(graphing.WorkflowGraph, "in_cycle", graph["in_cycle"], uses("simple_cycles")),
        Patch(graphing.WorkflowGraph, "add_task", graph["add_task"]),
        Patch(graphing.WorkflowGraph, "add_transition", graph["add_transition"]),
        Patch(graphing.WorkflowGraph, "has_transition", graph["has_transition"], uses("edges", "filter")),
        Patch(graphing.WorkflowGraph, "get_transition", graph["get_transition"], uses("edges", "filter")),
        Patch(spec_base.Spec, "get_meta_schema", schema["get_meta_schema"], uses("merge_schema")),
        Patch(spec_base.Spec, "get_schema", schema["get_schema"], uses("merge_schema")),
    ]
