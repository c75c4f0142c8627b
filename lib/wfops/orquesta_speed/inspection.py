"""Workflow inspection in linear time (patches of ``orquesta.specs.native.v1.models``).

``TaskMappingSpec.detect_undefined_tasks`` and ``TaskMappingSpec.inspect_context`` walk the
task graph breadth-first and test every transition target against the list of tasks
walked so far (``next_task_name in traversed``, and ``RESERVED_TASK_NAMES + traversed``, a
new list each time): O(N) per transition, O(N^2) per inspection (a 10,000-task chain
spent most of its launch there). The patches walk the same way, in the same order, with
the walked tasks kept as a set too: every membership answer, hence every error and every
context, is the one Orquesta computes. Inspection runs once per workflow launch, not per
event; it is here because it is the same kind of cost, in Orquesta.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from wfops.orquesta_speed import Patch, uses


def _transition_targets(transition_spec) -> list:
    """A transition's ``do`` as the list of task names Orquesta reads from it."""
    names = transition_spec.do or []
    if isinstance(names, str):
        names = [x.strip() for x in names.split(",")]
    return names


def _patched_methods(models) -> dict[str, Any]:
    from orquesta.utils import jsonify

    reserved = models.RESERVED_TASK_NAMES

    def detect_undefined_tasks(self, parent=None):
        result = []
        walked: set = set()
        pending = deque(task[0] for task in self.get_start_tasks())
        while pending:
            task_name = pending.popleft()
            walked.add(task_name)
            transitions = self.get_task(task_name).next or []
            spec_path = parent.get("spec_path") + "." + task_name
            schema_path = parent.get("schema_path") + ".patternProperties.^\\w+$"
            for i in range(len(transitions)):
                for next_name in _transition_targets(transitions[i]):
                    if next_name in walked:
                        continue
                    if not self.has_task(next_name):
                        result.append({
                            "message": 'The task "%s" is not defined.' % next_name,
                            "spec_path": spec_path + ".next[" + str(i) + "].do",
                            "schema_path": schema_path + ".properties.next.items.properties.do",
                        })
                    elif next_name not in reserved:
                        pending.append(next_name)
        return result

    def inspect_context(self, parent=None):
        joins: dict = {}
        errors: list = []
        walked: set = set()
        rolling_ctx = list(set(parent.get("ctx", []) if parent else []))
        pending = deque((task[0], jsonify.deepcopy(rolling_ctx)) for task in self.get_start_tasks())
        while pending:
            task_name, task_ctx = pending.popleft()
            walked.add(task_name)
            if not task_ctx:
                task_ctx = joins.get(task_name, [])
            task_spec = self.get_task(task_name)
            spec_path = parent.get("spec_path") + "." + task_name
            schema_path = parent.get("schema_path") + ".patternProperties.^\\w+$"
            found, names = task_spec.inspect_context(
                parent={"ctx": task_ctx, "spec_path": spec_path, "schema_path": schema_path})
            errors.extend(found)
            task_ctx = list(set(task_ctx + names))
            rolling_ctx = list(set(rolling_ctx + task_ctx))
            transitions = []
            specs = task_spec.next or []
            for i in range(len(specs)):
                targets = _transition_targets(specs[i]) if specs[i].do else [None]
                transitions += [(target, specs[i], str(i)) for target in targets]
            for next_name, transition_spec, seq in transitions:
                found, names = transition_spec.inspect_context({
                    "ctx": task_ctx, "spec_path": spec_path + ".next[" + seq + "]",
                    "schema_path": schema_path + ".properties.next.items"})
                errors.extend(found)
                branch_ctx = list(set(task_ctx + names))
                if not next_name or next_name in walked or not self.has_task(next_name):
                    continue
                if not self.get_task(next_name).has_join():
                    pending.append((next_name, branch_ctx))
                else:
                    joins[next_name] = list(set(joins.get(next_name, []) + branch_ctx))
                    pending.append((next_name, None))
        return (errors, rolling_ctx)

    return {"detect_undefined_tasks": detect_undefined_tasks, "inspect_context": inspect_context}


def patches() -> list[Patch]:
    from orquesta.specs.native.v1 import models

    methods = _patched_methods(models)
    return [
        Patch(models.TaskMappingSpec, "detect_undefined_tasks", methods["detect_undefined_tasks"],
              uses("traversed", "RESERVED_TASK_NAMES")),
        Patch(models.TaskMappingSpec, "inspect_context", methods["inspect_context"], uses("traversed", "has_join")),
    ]
