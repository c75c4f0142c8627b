"""A reference runner for the bundled `wfops_examples` pack: Orquesta's real
``WorkflowConductor`` with ``core.local`` through ``/bin/sh``, ``core.echo``,
``core.noop``, the examples' Python actions, and sub-workflows recursively, so the log
lines and failure markers the other tests rely on are checked against real shell runs.
It is not the wfops engine: no persistence, no parallelism, no delays."""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import os
import subprocess
import sys
import types

import pytest
from examples_pack import ACTIONS, ACTIONS_DIR, workflow_spec

import wfops  # noqa: F401  (applies the Orquesta compatibility layer)

# isort: split
from orquesta import conducting, events, statuses


def _st2_action_base():
    """st2's Action base class, or a stand-in with the same constructor."""
    try:
        from st2common.runners.base_action import Action  # type: ignore

        return Action
    except ImportError:

        class Action:
            def __init__(self, config=None, action_service=None):
                self.config = config or {}
                self.action_service = action_service
                self.logger = logging.getLogger(type(self).__name__)

        return Action


def load_python_action(entry_point, monkeypatch):
    base = _st2_action_base()
    if base.__module__ != "st2common.runners.base_action":
        for name in ("st2common", "st2common.runners"):
            monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
        module = types.ModuleType("st2common.runners.base_action")
        module.Action = base
        monkeypatch.setitem(sys.modules, "st2common.runners.base_action", module)
    path = os.path.join(ACTIONS_DIR, entry_point)
    mod_spec = importlib.util.spec_from_file_location("examples_action_%d" % id(path), path)
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    classes = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, base) and obj is not base
    ]
    assert len(classes) == 1, "%s must define exactly one Action subclass" % entry_point
    return classes[0]


class Runner:
    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.executions = []  # (ref, parameters, status) in order

    def run(self, ref, parameters):
        if ref in ACTIONS:
            meta = ACTIONS[ref]
            params = {
                name: p["default"]
                for name, p in (meta.get("parameters") or {}).items()
                if "default" in p
            }
            params.update(parameters)
            missing = [
                n for n, p in (meta.get("parameters") or {}).items() if p.get("required") and n not in params
            ]
            assert not missing, "%s misses %s" % (ref, missing)
            if meta["runner_type"] == "orquesta":
                status, result = self.run_workflow(ref, params)
            else:
                status, result = self.run_python(meta, params)
        elif ref == "core.local":
            status, result = self.run_shell(parameters["cmd"])
        elif ref == "core.echo":
            status, result = self.run_shell('echo "%s"' % parameters["message"])
        elif ref == "core.noop":
            status, result = statuses.SUCCEEDED, {}
        else:
            raise AssertionError("unknown action %s" % ref)
        self.executions.append((ref, parameters, status))
        return status, result

    @staticmethod
    def _output(text):
        # st2's local runner: strip one trailing newline, then parse as JSON when it is JSON.
        text = text[:-1] if text.endswith("\n") else text
        text = text[:-1] if text.endswith("\r") else text
        try:
            return json.loads(text)
        except ValueError:
            return text

    def run_shell(self, cmd):
        proc = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True, text=True, timeout=60)
        result = {
            "failed": proc.returncode != 0,
            "succeeded": proc.returncode == 0,
            "return_code": proc.returncode,
            "stdout": self._output(proc.stdout),
            "stderr": self._output(proc.stderr),
        }
        return (statuses.SUCCEEDED if proc.returncode == 0 else statuses.FAILED), result

    def run_python(self, meta, params):
        cls = load_python_action(meta["entry_point"], self.monkeypatch)
        value = cls(config={}).run(**params)
        status = statuses.SUCCEEDED
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool):
            status = statuses.SUCCEEDED if value[0] else statuses.FAILED
            value = value[1]
        return status, {"exit_code": 0, "result": value, "stdout": "", "stderr": ""}

    def run_workflow(self, ref, params):
        conductor = conducting.WorkflowConductor(workflow_spec(ref), inputs=params)
        conductor.request_workflow_status(statuses.RUNNING)
        accumulated = {}
        for _ in range(1000):
            next_tasks = conductor.get_next_tasks()
            if not next_tasks:
                break
            for task in next_tasks:
                task_id, route = task["id"], task["route"]
                if "items_count" not in task:
                    (action,) = task["actions"]
                    conductor.update_task_state(
                        task_id, route, events.ActionExecutionEvent(statuses.RUNNING)
                    )
                    status, result = self.run(action["action"], action["input"] or {})
                    conductor.update_task_state(
                        task_id, route, events.ActionExecutionEvent(status, result=result)
                    )
                    continue
                acc = accumulated.setdefault((task_id, route), [None] * task["items_count"])
                started = [a["item_id"] for a in task["actions"]]
                for item_id in started:
                    conductor.update_task_state(
                        task_id,
                        route,
                        events.TaskItemActionExecutionEvent(item_id, statuses.RUNNING),
                    )
                for action in task["actions"]:
                    status, result = self.run(action["action"], action["input"] or {})
                    acc[action["item_id"]] = result
                    conductor.update_task_state(
                        task_id,
                        route,
                        events.TaskItemActionExecutionEvent(
                            action["item_id"], status, result=result, accumulated_result=list(acc)
                        ),
                    )
        else:  # pragma: no cover
            raise AssertionError("%s did not finish" % ref)
        conductor.render_workflow_output()
        status = conductor.get_workflow_status()
        result = {"output": conductor.get_workflow_output()}
        if conductor.errors:
            result["errors"] = conductor.errors
        return status, result


@pytest.fixture
def run(tmp_path, monkeypatch):
    """run(name, **params) -> (status, result, log lines); log and dir are set up."""
    runner = Runner(monkeypatch)
    log = tmp_path / "log"
    markers = tmp_path / "markers"
    markers.mkdir()

    def _run(workflow, /, **params):
        if log.exists():
            log.unlink()
        params = {"log": str(log), "dir": str(markers), **params}
        status, result = runner.run("wfops_examples.%s" % workflow, params)
        lines = log.read_text().splitlines() if log.exists() else []
        return status, result, lines

    _run.fail = lambda name: (markers / ("fail.%s" % name)).touch()
    _run.unfail = lambda name: (markers / ("fail.%s" % name)).unlink()
    _run.runner = runner
    return _run
