"""SpecGraph reads a definition into the graph Orquesta's composer would build."""

from __future__ import annotations

import glob
import os

import pytest
import yaml

import wfops  # noqa: F401  (Orquesta compatibility layer, before any orquesta import)

# isort: split
from orquesta.composers.native import WorkflowComposer
from orquesta.specs.native.v1.models import WorkflowSpec

from wfops.planner import SpecGraph

from . import workflows

FIXTURES = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "orquesta-fixtures", "workflows", "native"
)
SEEDS = [getattr(workflows, n) for n in dir(workflows) if n.isupper()]


def assert_same_as_composer(definition) -> None:
    spec = WorkflowSpec(definition)
    composed = WorkflowComposer.compose(spec)._graph
    ours = SpecGraph.build(spec).graph
    # The composer leaves out tasks it cannot reach; Orquesta's inspection refuses those.
    assert set(composed.nodes) <= set(ours.nodes)
    assert sorted(composed.edges()) == sorted(ours.edges())
    for node in composed.nodes:
        assert composed.nodes[node].get("barrier") == ours.nodes[node].get("barrier"), node


@pytest.mark.parametrize("definition", SEEDS)
def test_seed_workflows_match_the_composer(definition):
    assert_same_as_composer(definition)


def test_orquesta_fixtures_match_the_composer():
    paths = sorted(glob.glob(os.path.join(FIXTURES, "*.yaml")))
    if not paths:
        pytest.skip("../shared/orquesta-fixtures is not beside this checkout")
    for path in paths:
        with open(path) as f:
            assert_same_as_composer(f.read())


def test_spec_graph_attributes():
    graph = SpecGraph.build(workflows.PARALLEL_JOIN_ITEMS)
    assert graph.task_names == {"task1", "task2", "task3", "task4"}
    assert graph.has_items("task2") and not graph.has_items("task1")
    assert graph.barrier("task4") == "*" and graph.barrier("task2") is None
    assert graph.inbound("task4") == ["task2", "task3"]
    assert graph.required_branches("task4") == 2
    assert graph.reachable(["task2"]) == ["task4"]
    assert graph.reachable(["task1"]) == ["task2", "task3", "task4"]
    count = SpecGraph.build(workflows.JOIN_COUNT)
    assert (count.barrier("task5"), count.required_branches("task5")) == (2, 2)


def test_engine_commands_are_nodes_but_not_tasks():
    definition = {
        "version": 1.0,
        "tasks": {
            "task1": {"action": "core.noop", "next": [
                {"when": "<% failed() %>", "do": "cleanup, fail"},
                {"when": "<% failed() %>", "do": "retry"}]},
            "cleanup": {"action": "core.noop"},
        },
    }
    graph = SpecGraph.build(definition)
    assert graph.has_task("task1") and not graph.has_task("fail")
    assert graph.is_command("fail") and "retry" not in graph.graph
    assert graph.reachable(["task1"]) == ["cleanup", "fail"]


def test_build_accepts_yaml_dict_spec_and_spec_graph():
    as_dict = yaml.safe_load(workflows.SEQUENTIAL)
    graphs = [
        SpecGraph.build(workflows.SEQUENTIAL),
        SpecGraph.build(as_dict),
        SpecGraph.build(WorkflowSpec(workflows.SEQUENTIAL)),
    ]
    assert all(sorted(g.graph.edges()) == [("task1", "task2"), ("task2", "task3")] for g in graphs)
    assert SpecGraph.build(graphs[0]) is graphs[0]
    with pytest.raises(TypeError):
        SpecGraph.build(42)
