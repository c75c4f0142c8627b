"""The bundled `wfops_examples` pack: every workflow is a valid Orquesta 1.2.0 definition whose
metadata matches its input. That every workflow does what its description says:
tests/test_examples_runs.py."""

from __future__ import annotations

import os

import pytest
from examples_pack import (
    ACTIONS,
    ACTIONS_DIR,
    CORE_ACTIONS,
    EXAMPLES,
    EXPECTED_WORKFLOWS,
    WORKFLOWS,
    input_decls,
    load_yaml,
    task_action_refs,
    workflow_definition,
    workflow_spec,
)

import wfops  # noqa: F401  (applies the Orquesta compatibility layer)

# isort: split
from orquesta.composers import native as native_composer


def test_examples_pack_has_the_expected_workflows():
    assert {ref.split(".", 1)[1] for ref in WORKFLOWS} == EXPECTED_WORKFLOWS


def test_every_metadata_file_is_named_after_its_action():
    for name in os.listdir(ACTIONS_DIR):
        if name.endswith((".yaml", ".yml")):
            meta = load_yaml(os.path.join(ACTIONS_DIR, name))
            assert os.path.splitext(name)[0] == meta["name"], name
            assert meta.get("pack", "wfops_examples") == "wfops_examples", name


def test_every_workflow_definition_has_metadata():
    wf_dir = os.path.join(ACTIONS_DIR, "workflows")
    referenced = {os.path.normpath(meta["entry_point"]) for meta in ACTIONS.values()}
    for name in os.listdir(wf_dir):
        assert os.path.normpath(os.path.join("workflows", name)) in referenced, (
            "wfops_examples/actions/workflows/%s has no action metadata" % name
        )


@pytest.mark.parametrize("ref", sorted(ACTIONS))
def test_entry_point_exists(ref):
    meta = ACTIONS[ref]
    entry_point = meta.get("entry_point")
    assert entry_point, "%s has no entry_point" % ref
    assert os.path.isfile(os.path.join(ACTIONS_DIR, entry_point)), entry_point


@pytest.mark.parametrize("ref", WORKFLOWS)
def test_workflow_metadata(ref):
    meta = ACTIONS[ref]
    assert meta["runner_type"] == "orquesta"
    assert meta["entry_point"] == "workflows/%s.yaml" % meta["name"]
    assert workflow_definition(ref)["version"] == 1.0


@pytest.mark.parametrize("ref", WORKFLOWS)
def test_definition_inspects_without_errors(ref):
    spec = workflow_spec(ref)
    errors = spec.inspect(app_ctx={}, raise_exception=False)
    assert errors == {}, errors
    graph = native_composer.WorkflowComposer.compose(spec)
    task_names = set(workflow_definition(ref)["tasks"])
    assert task_names <= set(graph._graph.nodes)
    assert graph.roots, "%s has no start task" % ref


@pytest.mark.parametrize("ref", WORKFLOWS)
def test_parameters_match_input(ref):
    decls = input_decls(workflow_definition(ref))
    params = ACTIONS[ref].get("parameters") or {}
    assert set(params) == set(decls), "parameters %s != input %s" % (sorted(params), sorted(decls))
    for name, (has_default, default) in decls.items():
        param = params[name]
        if not has_default:
            assert param.get("required") is True, "%s: input %s has no default" % (ref, name)
        else:
            assert not param.get("required"), "%s: %s has a default but is required" % (ref, name)
            if default is not None:
                assert param.get("default") == default, "%s: defaults of %s differ" % (ref, name)
            else:
                assert param.get("default") is None, "%s: defaults of %s differ" % (ref, name)


@pytest.mark.parametrize("ref", WORKFLOWS)
def test_every_workflow_takes_log_and_dir(ref):
    params = ACTIONS[ref]["parameters"]
    for name in ("log", "dir"):
        assert params[name]["type"] == "string" and params[name]["required"] is True
    if "sleep" in params:
        assert params["sleep"] == {**params["sleep"], "type": "integer", "default": 0}


@pytest.mark.parametrize("ref", WORKFLOWS)
def test_task_actions_resolve_and_get_their_required_parameters(ref):
    for task_name, action_ref, task_input in task_action_refs(workflow_definition(ref)):
        if action_ref in CORE_ACTIONS:
            params = CORE_ACTIONS[action_ref]
        else:
            assert action_ref in ACTIONS, "%s.%s runs unknown action %s" % (ref, task_name, action_ref)
            params = ACTIONS[action_ref].get("parameters") or {}
        given = set(task_input) if isinstance(task_input, dict) else set()
        assert given <= set(params), "%s.%s passes unknown parameters %s" % (
            ref,
            task_name,
            sorted(given - set(params)),
        )
        missing = {n for n, p in params.items() if p.get("required") and "default" not in p}
        assert missing <= given, "%s.%s misses %s" % (ref, task_name, sorted(missing - given))


def test_readme_lists_every_workflow():
    with open(os.path.join(EXAMPLES, "README.md")) as fd:
        text = fd.read()
    for ref in WORKFLOWS:
        assert "`%s`" % ref.split(".", 1)[1] in text, ref
