"""The host's indexed task lookups answer exactly as Orquesta's own TaskMappingSpec.

Checked on every workflow of the examples pack, on Orquesta's own native workflow
fixtures (when ../shared is present), and on generated transition graphs with cycles,
joins, reserved task names and comma-separated ``do`` lists.
"""

from __future__ import annotations

import copy
import glob
import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import wfops  # noqa: F401  (Orquesta compatibility layer)

# isort: split
from orquesta.specs import native as native_specs
from orquesta.specs.native.v1 import models

from wfops.engine.spec_index import IndexedTaskMappingSpec, index_tasks

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_FIXTURES = os.path.join(REPO, "..", "shared", "orquesta-fixtures", "workflows", "native")


def _answers(tasks) -> dict:
    names = sorted(tasks.keys())
    return {
        "start": tasks.get_start_tasks(),
        "next": {n: tasks.get_next_tasks(n) for n in names},
        "prev": {n: tasks.get_prev_tasks(n) for n in names + ["noop", "fail", "missing"]},
        "cycle": {n: tasks.in_cycle(n) for n in names},
        "split": {n: tasks.is_split_task(n) for n in names},
        "join": {n: tasks.is_join_task(n) for n in names},
    }


def assert_same_answers(definition: dict) -> None:
    plain = native_specs.WorkflowSpec(copy.deepcopy(definition))
    indexed = index_tasks(native_specs.WorkflowSpec(copy.deepcopy(definition)))
    assert type(indexed.tasks) is IndexedTaskMappingSpec
    assert type(plain.tasks) is models.TaskMappingSpec
    assert _answers(indexed.tasks) == _answers(plain.tasks)
    assert indexed.inspect(app_ctx={}, raise_exception=False) == plain.inspect(app_ctx={}, raise_exception=False)


def _definitions(pattern: str) -> list[str]:
    return sorted(glob.glob(pattern))


@pytest.mark.parametrize(
    "path", _definitions(os.path.join(REPO, "wfops_examples", "actions", "workflows", "*.yaml")),
    ids=os.path.basename,
)
def test_examples_pack_workflows(path):
    with open(path, encoding="utf-8") as handle:
        assert_same_answers(yaml.safe_load(handle))


@pytest.mark.skipif(not os.path.isdir(SHARED_FIXTURES), reason="../shared/orquesta-fixtures is absent")
def test_orquesta_native_fixtures():
    paths = _definitions(os.path.join(SHARED_FIXTURES, "*.yaml"))
    assert len(paths) > 20
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            definition = yaml.safe_load(handle)
        if not isinstance(definition, dict) or not isinstance(definition.get("tasks"), dict):
            continue
        assert_same_answers(definition)


@st.composite
def transition_graphs(draw) -> dict:
    count = draw(st.integers(min_value=1, max_value=8))
    names = ["t%d" % i for i in range(count)]
    targets = st.sampled_from(names + ["noop", "fail"])
    tasks = {}
    for name in names:
        task: dict = {"action": "core.noop"}
        if draw(st.booleans()):
            task["join"] = draw(st.sampled_from(["all", 1]))
        transitions = []
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            does = draw(st.lists(targets, min_size=1, max_size=3, unique=True))
            when = draw(st.sampled_from([None, "<% succeeded() %>", "<% failed() %>"]))
            transition = {"do": ", ".join(does) if draw(st.booleans()) else does}
            if when:
                transition["when"] = when
            transitions.append(transition)
        if transitions:
            task["next"] = transitions
        tasks[name] = task
    return {"version": 1.0, "tasks": tasks}


@settings(max_examples=150, deadline=None, derandomize=True)
@given(transition_graphs())
def test_generated_transition_graphs(definition):
    assert_same_answers(definition)


def test_a_copied_mapping_keeps_the_index_class_and_its_answers():
    definition = {"version": 1.0, "tasks": {"a": {"action": "core.noop", "next": [{"do": "b"}]},
                                            "b": {"action": "core.noop", "next": [{"do": "a"}]}}}
    tasks = index_tasks(native_specs.WorkflowSpec(definition)).tasks
    copied = tasks.copy()
    assert type(copied) is IndexedTaskMappingSpec
    assert copied.in_cycle("a") and copied.get_prev_tasks("a") == [("b", None, 0)]
    assert copied.get_start_tasks() == []
