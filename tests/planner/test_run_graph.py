"""RunGraph on real and built run states."""

from __future__ import annotations

import networkx as nx
from orquesta.requests import TaskRerunRequest

from wfops.planner import RerunRequest, RunGraph, plan_rerun

from .orquesta_runs import rerun_and_finish, run_workflow
from .workflows import PARALLEL_JOIN, SPLIT


def chain_state(n: int) -> dict:
    """init -> step x (n-2) -> last (failed), built directly."""
    sequence = [{"id": "init", "route": 0, "prev": {}, "next": {"step__t0": True}, "status": "succeeded"}]
    for i in range(1, n - 1):
        parent = "init" if i == 1 else "step"
        sequence.append({"id": "step", "route": 0, "prev": {"%s__t0" % parent: i - 1},
                         "next": {"step__t0": i < n - 2, "last__t0": i == n - 2}, "status": "succeeded"})
    sequence.append({"id": "last", "route": 0, "prev": {"step__t0": n - 2}, "next": {},
                     "status": "failed", "term": True})
    return {"status": "failed", "sequence": sequence, "staged": [], "routes": [[]],
            "tasks": {"init__r0": 0, "step__r0": n - 2, "last__r0": n - 1}}


def test_latest_executions_and_routes():
    run = run_workflow(SPLIT, fail={"task5"})
    graph = RunGraph(run.state)
    assert graph.latest_executions("task5") == {("task5", 1): 5, ("task5", 2): 6}
    assert graph.routes("task4") == {1: 3, 2: 4}
    assert graph.routes("nope") == {} and not graph.has_run("nope")
    assert len(graph.latest_executions()) == len(run.state["tasks"])
    assert (graph.task(5), graph.route(5), graph.status(5), graph.ref(5)) == ("task5", 1, "failed", "task5[1]")


def test_graph_is_the_networkx_digraph_of_prev_links():
    run = run_workflow(PARALLEL_JOIN, fail={"task2"})
    graph = RunGraph(run.state)
    assert isinstance(graph.graph, nx.DiGraph)
    assert sorted(graph.graph.edges) == [(0, 1), (0, 2)]
    assert graph.graph.nodes[1] == {"task": "task2", "route": 0, "status": "failed"}
    assert list(graph.children(0)) == [1, 2]


def test_descendants_however_deep():
    graph = RunGraph(chain_state(20000))
    assert graph.descendants([0]) == set(range(1, 20000))
    assert graph.descendants([19998]) == {19999}
    assert graph.covering([19999, 0, 5000]) == {19999: 0, 5000: 0}
    assert graph.covering([19999]) == {}


def test_plan_on_a_deep_chain_drops_the_last_task():
    definition = {
        "version": 1.0,
        "vars": [{"count": 0}],
        "tasks": {
            "init": {"action": "core.noop", "next": [{"do": "step"}]},
            "step": {"action": "core.noop", "next": [{"when": "<% true %>", "do": "step"},
                                                     {"when": "<% true %>", "do": "last"}]},
            "last": {"action": "core.noop"},
        },
    }
    plan = plan_rerun(definition, chain_state(20000), RerunRequest(["last", "init"]), "e")
    assert [(r.task, r.sequence_index) for r in plan.rerun] == [("init", 0)]
    assert [(d.task, d.sequence_index, d.covered_by) for d in plan.dropped] == [("last", 19999, "init[0]")]


def test_pending_transitions_are_true_transitions_that_triggered_nothing():
    run = run_workflow(PARALLEL_JOIN, fail={"task2"})
    graph = RunGraph(run.state)
    assert graph.pending_transitions(2) == ["task4"]  # task3 -> join that never ran
    assert graph.pending_transitions(0) == []  # task1 triggered task2 and task3
    assert graph.pending_transitions(1) == []  # task2 failed: its transition is false
    assert graph.transitions_to(2, "task4") is True
    assert graph.transitions_to(1, "task4") is False
    assert graph.transitions_to(1, "task9") is None
    assert graph.terminals() == [1, 2]


def test_attempts_and_superseded_after_a_rerun_through_a_split():
    run = run_workflow(SPLIT, fail={"task5"})
    before = RunGraph(run.state)
    assert before.attempts(5) == [5] and before.superseded_by(5) is None
    rerun_and_finish(run, [TaskRerunRequest("task1", 0)], fail={"task5"})
    graph = RunGraph(run.state)
    # The re-run of task1 (#7) is a new attempt at #0; task5 ran again on new routes.
    assert graph.attempts(7) == [0, 7]
    assert graph.superseded_by(0) == 7 and graph.superseded_by(7) is None
    assert graph.superseded_by(5) == 12 and graph.superseded_by(6) == 13
    # Coverage starts from every attempt: #1 (task2 of the first run) is below #0.
    assert graph.covering([7, 1]) == {1: 7}


def test_a_loop_makes_new_positions_not_attempts():
    state = chain_state(6)
    state["reruns"] = [[0]]  # positions are only computed once a re-run happened
    graph = RunGraph(state)
    assert [graph.attempts(i) for i in range(6)] == [[i] for i in range(6)]


def test_state_without_tasks_map_uses_the_last_entry_per_route():
    state = chain_state(6)
    del state["tasks"]
    graph = RunGraph(state)
    assert graph.latest_executions() == {("init", 0): 0, ("step", 0): 4, ("last", 0): 5}
