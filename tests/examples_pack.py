"""The bundled `wfops_examples` pack as data for its tests: the action metadata, which of
the actions are workflows, each workflow's definition and Orquesta spec, and the `core`
actions the examples use (tests/test_examples_definitions.py, tests/test_examples_runs.py)."""

from __future__ import annotations

import os

import yaml

import wfops  # noqa: F401  (applies the Orquesta compatibility layer)

# isort: split
from orquesta.specs import native as native_specs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "wfops_examples")
ACTIONS_DIR = os.path.join(EXAMPLES, "actions")

# The actions of the built-in `core` pack that the examples use, with st2's parameters.
CORE_ACTIONS = {
    "core.local": {"cmd": {"type": "string", "required": True}},
    "core.echo": {"message": {"type": "string", "required": True}},
    "core.noop": {},
}

# The workflows the rest of the project's tests rely on (see examples/README.md).
EXPECTED_WORKFLOWS = {
    "sequential",
    "parallel_join",
    "with_items",
    "parallel_join_items",
    "sequential_items",
    "join_count",
    "sub_branch",
    "subworkflows",
    "nested",
    "nested_child",
    "nested_grandchild",
    "context_demo",
    "handled_failure",
    "retry_delay",
    "expressions",
    "python_demo",
}


def load_yaml(path):
    with open(path) as fd:
        return yaml.safe_load(fd)


def _action_metadata():
    metas = {}
    for name in sorted(os.listdir(ACTIONS_DIR)):
        if name.endswith((".yaml", ".yml")):
            meta = load_yaml(os.path.join(ACTIONS_DIR, name))
            metas["wfops_examples.%s" % meta["name"]] = meta
    return metas


ACTIONS = _action_metadata()
WORKFLOWS = sorted(ref for ref, meta in ACTIONS.items() if meta.get("runner_type") == "orquesta")


def workflow_definition(ref):
    return load_yaml(os.path.join(ACTIONS_DIR, ACTIONS[ref]["entry_point"]))


def workflow_spec(ref):
    return native_specs.WorkflowSpec(workflow_definition(ref))


def input_decls(definition):
    """Orquesta's input list as {name: (has_default, default)}."""
    decls = {}
    for entry in definition.get("input") or []:
        if isinstance(entry, dict):
            ((name, default),) = entry.items()
            decls[name] = (True, default)
        else:
            decls[entry] = (False, None)
    return decls


def task_action_refs(definition):
    for task_name, task in (definition.get("tasks") or {}).items():
        action = task.get("action")
        if action:
            yield task_name, action.split()[0], task.get("input") or {}
