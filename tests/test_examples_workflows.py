"""The bundled `wfops_examples` pack: every workflow is a valid Orquesta 1.2.0 definition whose
metadata matches its input, and every workflow does what its description says.

The last part drives each workflow with Orquesta's real ``WorkflowConductor`` and a tiny
reference runner defined here (``core.local`` through ``/bin/sh``, ``core.echo``,
``core.noop``, the examples' Python actions, and sub-workflows recursively), so the log
lines and failure markers the other tests rely on are checked against real shell runs.
It is not the wfops engine: no persistence, no parallelism, no delays.
"""

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
import yaml

import wfops  # noqa: F401  (applies the Orquesta compatibility layer)

# isort: split
from orquesta import conducting, events, statuses
from orquesta.composers import native as native_composer
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


def _load_yaml(path):
    with open(path) as fd:
        return yaml.safe_load(fd)


def _action_metadata():
    metas = {}
    for name in sorted(os.listdir(ACTIONS_DIR)):
        if name.endswith((".yaml", ".yml")):
            meta = _load_yaml(os.path.join(ACTIONS_DIR, name))
            metas["wfops_examples.%s" % meta["name"]] = meta
    return metas


ACTIONS = _action_metadata()
WORKFLOWS = sorted(ref for ref, meta in ACTIONS.items() if meta.get("runner_type") == "orquesta")


def _definition(ref):
    return _load_yaml(os.path.join(ACTIONS_DIR, ACTIONS[ref]["entry_point"]))


def _spec(ref):
    return native_specs.WorkflowSpec(_definition(ref))


def _input_decls(definition):
    """Orquesta's input list as {name: (has_default, default)}."""
    decls = {}
    for entry in definition.get("input") or []:
        if isinstance(entry, dict):
            ((name, default),) = entry.items()
            decls[name] = (True, default)
        else:
            decls[entry] = (False, None)
    return decls


def _task_action_refs(definition):
    for task_name, task in (definition.get("tasks") or {}).items():
        action = task.get("action")
        if action:
            yield task_name, action.split()[0], task.get("input") or {}


# --------------------------------------------------------------------------------------
# Static checks
# --------------------------------------------------------------------------------------


def test_examples_pack_has_the_expected_workflows():
    assert {ref.split(".", 1)[1] for ref in WORKFLOWS} == EXPECTED_WORKFLOWS


def test_every_metadata_file_is_named_after_its_action():
    for name in os.listdir(ACTIONS_DIR):
        if name.endswith((".yaml", ".yml")):
            meta = _load_yaml(os.path.join(ACTIONS_DIR, name))
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
    assert _definition(ref)["version"] == 1.0


@pytest.mark.parametrize("ref", WORKFLOWS)
def test_definition_inspects_without_errors(ref):
    spec = _spec(ref)
    errors = spec.inspect(app_ctx={}, raise_exception=False)
    assert errors == {}, errors
    graph = native_composer.WorkflowComposer.compose(spec)
    task_names = set(_definition(ref)["tasks"])
    assert task_names <= set(graph._graph.nodes)
    assert graph.roots, "%s has no start task" % ref


@pytest.mark.parametrize("ref", WORKFLOWS)
def test_parameters_match_input(ref):
    decls = _input_decls(_definition(ref))
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
    for task_name, action_ref, task_input in _task_action_refs(_definition(ref)):
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


# --------------------------------------------------------------------------------------
# A reference runner: Orquesta's conductor plus real shell commands
# --------------------------------------------------------------------------------------


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


def _load_python_action(entry_point, monkeypatch):
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
        cls = _load_python_action(meta["entry_point"], self.monkeypatch)
        value = cls(config={}).run(**params)
        status = statuses.SUCCEEDED
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool):
            status = statuses.SUCCEEDED if value[0] else statuses.FAILED
            value = value[1]
        return status, {"exit_code": 0, "result": value, "stdout": "", "stderr": ""}

    def run_workflow(self, ref, params):
        conductor = conducting.WorkflowConductor(_spec(ref), inputs=params)
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


def test_sequential(run):
    status, result, lines = run("sequential")
    assert status == statuses.SUCCEEDED, result
    assert lines == ["task1", "task2", "task3"]
    assert result["output"] == {"msg1": "task1", "msg2": "task2", "msg3": "task3"}


def test_sequential_failure_marker_stops_the_chain(run):
    run.fail("task2")
    status, result, lines = run("sequential")
    assert status == statuses.FAILED
    assert lines == ["task1", "task2"]  # the attempt is logged before the check
    assert result["output"] == {"msg1": "task1", "msg2": None, "msg3": None}


def test_parallel_join(run):
    status, _, lines = run("parallel_join")
    assert status == statuses.SUCCEEDED
    assert lines[0] == "task1" and lines[-1] == "task4"
    assert sorted(lines[1:3]) == ["task2", "task3"] and len(lines) == 4


def test_parallel_join_waits_for_both_branches(run):
    run.fail("task3")
    status, _, lines = run("parallel_join")
    assert status == statuses.FAILED
    assert sorted(lines) == ["task1", "task2", "task3"]


def test_with_items(run):
    status, result, lines = run("with_items")
    assert status == statuses.SUCCEEDED
    assert lines == ["task1:%d" % i for i in range(6)]
    assert result["output"] == {"results": list(range(6))}  # stdout is parsed as JSON, as st2 does


def test_with_items_item_marker_is_the_index(run):
    run.fail("task1.1")
    status, _, lines = run("with_items", items=["a", "b", "c"], concurrency=2)
    assert status == statuses.FAILED
    assert lines[:2] == ["task1:a", "task1:b"]
    item_runs = [e for e in run.runner.executions if e[0] == "core.local"]
    assert [e[2] for e in item_runs[:2]] == [statuses.SUCCEEDED, statuses.FAILED]


def test_with_items_concurrency_limits_each_batch(run, monkeypatch):
    batches = []
    original = conducting.WorkflowConductor.get_next_tasks

    def spy(self):
        tasks = original(self)
        batches.extend(len(t["actions"]) for t in tasks if "items_count" in t)
        return tasks

    monkeypatch.setattr(conducting.WorkflowConductor, "get_next_tasks", spy)
    status, _, lines = run("with_items", concurrency=2)
    assert status == statuses.SUCCEEDED and len(lines) == 6
    assert max(batches) == 2


def test_join_count_third_branch_stages_the_join_again_in_orquesta_1_2():
    """Upstream behaviour worth knowing (Orquesta 1.2.0): once `join: 2` is satisfied and
    task5 has started, the third branch succeeding stages task5 once more, so a host that
    dispatches every next task runs task5 twice. Which happens depends on timing. The wfops
    host drops that staging (tests/test_host_run.py::test_count_join_*)."""
    conductor = conducting.WorkflowConductor(
        _spec("wfops_examples.join_count"), inputs={"log": "l", "dir": "d"}
    )
    conductor.request_workflow_status(statuses.RUNNING)

    def event(task_id, status):
        conductor.update_task_state(task_id, 0, events.ActionExecutionEvent(status, result={}))

    conductor.get_next_tasks()
    event("task1", statuses.RUNNING)
    event("task1", statuses.SUCCEEDED)
    conductor.get_next_tasks()
    for task_id in ("task2", "task3", "task4"):
        event(task_id, statuses.RUNNING)
    event("task2", statuses.SUCCEEDED)
    event("task3", statuses.SUCCEEDED)
    assert [t["id"] for t in conductor.get_next_tasks()] == ["task5"]
    event("task5", statuses.RUNNING)
    event("task4", statuses.SUCCEEDED)
    assert [t["id"] for t in conductor.get_next_tasks()] == ["task5"]


def test_parallel_join_items(run):
    run.fail("task3.2")
    status, _, lines = run("parallel_join_items")
    assert status == statuses.FAILED
    assert lines[0] == "task1"
    assert sorted(lines[1:]) == sorted(["task2:%d" % i for i in range(3)] + ["task3:%d" % i for i in range(3)])


def test_sequential_items(run):
    status, _, lines = run("sequential_items", items=[7, 8])
    assert status == statuses.SUCCEEDED
    assert lines == ["task1", "task2:7", "task2:8", "task3:7", "task3:8"]


def test_join_count(run):
    status, _, lines = run("join_count")
    assert status == statuses.SUCCEEDED
    assert lines[0] == "task1" and lines.count("task5") == 1
    assert sorted(lines) == ["task1", "task2", "task3", "task4", "task5"]


def test_join_count_starts_after_two_of_three_branches():
    conductor = conducting.WorkflowConductor(
        _spec("wfops_examples.join_count"), inputs={"log": "l", "dir": "d"}
    )
    conductor.request_workflow_status(statuses.RUNNING)

    def finish(task_id, status=statuses.SUCCEEDED):
        conductor.update_task_state(task_id, 0, events.ActionExecutionEvent(statuses.RUNNING))
        conductor.update_task_state(task_id, 0, events.ActionExecutionEvent(status, result={}))

    assert [t["id"] for t in conductor.get_next_tasks()] == ["task1"]
    finish("task1")
    assert [t["id"] for t in conductor.get_next_tasks()] == ["task2", "task3", "task4"]
    for task_id in ("task2", "task3", "task4"):
        conductor.update_task_state(task_id, 0, events.ActionExecutionEvent(statuses.RUNNING))
    conductor.update_task_state("task2", 0, events.ActionExecutionEvent(statuses.SUCCEEDED, result={}))
    assert conductor.get_next_tasks() == []
    conductor.update_task_state("task3", 0, events.ActionExecutionEvent(statuses.SUCCEEDED, result={}))
    assert [t["id"] for t in conductor.get_next_tasks()] == ["task5"]  # task4 still running


def test_subworkflows(run):
    status, _, lines = run("subworkflows")
    assert status == statuses.SUCCEEDED
    assert lines[0] == "task1" and lines[-1] == "task4"
    assert sorted(lines[1:-1]) == ["task2.step1", "task2.step2", "task3.step1", "task3.step2"]
    assert lines.index("task2.step1") < lines.index("task2.step2")


def test_subworkflows_branch_failure(run):
    run.fail("task3.step2")
    status, _, lines = run("subworkflows")
    assert status == statuses.FAILED
    assert "task4" not in lines and "task3.step2" in lines


def test_nested(run):
    status, _, lines = run("nested")
    assert status == statuses.SUCCEEDED
    assert lines == [
        "task1",
        "child.task1",
        "grandchild.task1",
        "grandchild.task2",
        "child.task3",
        "task3",
    ]


def test_nested_grandchild_failure_propagates(run):
    run.fail("grandchild.task2")
    status, _, lines = run("nested")
    assert status == statuses.FAILED
    assert lines[-1] == "grandchild.task2"


def test_context_demo_fails_unless_target_is_good(run):
    status, result, lines = run("context_demo")
    assert status == statuses.FAILED
    assert lines == ["task1", "task2:bad"]
    assert result["output"] == {"target": "bad", "token": None}

    status, result, lines = run("context_demo", target="good")
    assert status == statuses.SUCCEEDED
    assert lines == ["task1", "task2:good", "task3:token-good"]
    assert result["output"] == {"target": "good", "token": "token-good"}


def test_context_demo_task3_uses_what_task2_published():
    task2 = _definition("wfops_examples.context_demo")["tasks"]["task2"]
    (transition,) = task2["next"]
    assert [list(p)[0] for p in transition["publish"]] == ["token"]
    assert "ctx().token" in _definition("wfops_examples.context_demo")["tasks"]["task3"]["input"]["cmd"]


def test_handled_failure_runs_notify_instead_of_task3(run):
    run.fail("task2")
    status, result, lines = run("handled_failure")
    assert status == statuses.SUCCEEDED, "the failure is handled"
    assert lines == ["task1", "task2", "notify"]
    assert result["output"]["token"] is None
    assert "fail.task2" in result["output"]["error"]


def test_handled_failure_success_path_publishes_the_token(run):
    status, result, lines = run("handled_failure")
    assert status == statuses.SUCCEEDED, result
    assert lines == ["task1", "task2", "task3:token-task2"]
    assert result["output"] == {"token": "token-task2", "error": None}


def test_retry_delay_retries_twice(run):
    run.fail("task1")
    status, _, lines = run("retry_delay", retry_delay=0)
    assert status == statuses.FAILED
    assert lines == ["task1", "task1", "task1"]


def test_retry_delay_succeeds(run):
    status, _, lines = run("retry_delay")
    assert status == statuses.SUCCEEDED
    assert lines == ["task1", "task2"]


def test_retry_delay_delays_are_declared():
    conductor = conducting.WorkflowConductor(
        _spec("wfops_examples.retry_delay"), inputs={"log": "l", "dir": "d", "retry_delay": 3, "delay": 5}
    )
    conductor.request_workflow_status(statuses.RUNNING)
    (task1,) = conductor.get_next_tasks()
    conductor.update_task_state("task1", 0, events.ActionExecutionEvent(statuses.RUNNING))
    conductor.update_task_state("task1", 0, events.ActionExecutionEvent(statuses.FAILED))
    (retry,) = conductor.get_next_tasks()
    assert retry["id"] == "task1" and retry["delay"] == 3
    conductor.update_task_state("task1", 0, events.ActionExecutionEvent(statuses.RUNNING))
    conductor.update_task_state("task1", 0, events.ActionExecutionEvent(statuses.SUCCEEDED))
    (task2,) = conductor.get_next_tasks()
    assert task2["id"] == "task2" and task2["delay"] == 5


def test_expressions_success_path(run):
    status, result, lines = run("expressions")
    assert status == statuses.SUCCEEDED, result
    assert lines == ["check"]
    out = result["output"]
    assert out["greeting"] == "Hello, world!"
    assert out["total"] == 6
    assert out["squares"] == ["1 squared is 1", "2 squared is 4", "3 squared is 9"]
    assert out["check_status"] == statuses.SUCCEEDED
    assert out["error"] is None
    assert out["summary"] == "Hello, world! 3 squares, total 6"
    refs = [e[0] for e in run.runner.executions]
    assert "core.noop" in refs and refs.count("core.local") == 1


def test_expressions_remediation_path(run):
    run.fail("check")
    status, result, lines = run("expressions", name="ops", numbers=[2, 5])
    assert status == statuses.FAILED
    assert lines == ["check"]
    out = result["output"]
    assert out["greeting"] == "Hello, ops!" and out["total"] == 7
    assert out["check_status"] == statuses.FAILED
    assert "fail.check" in out["error"]
    assert out["summary"] is None
    cleanup = [e for e in run.runner.executions if e[0] == "core.echo" and "cleaning up" in e[1]["message"]]
    assert len(cleanup) == 1


def test_python_demo(run):
    status, result, lines = run("python_demo", name="ops")
    assert status == statuses.SUCCEEDED, result
    assert lines == ["task2", "task3:Hello, ops!"]
    assert result["output"] == {"greeting": "Hello, ops!"}


def test_python_demo_flaky_fails_with_a_result(run):
    run.fail("task2")
    status, _, lines = run("python_demo")
    assert status == statuses.FAILED
    assert lines == ["task2"]
    flaky = [e for e in run.runner.executions if e[0] == "wfops_examples.flaky"]
    assert flaky[0][2] == statuses.FAILED


def test_python_actions_return_st2_shapes(run, monkeypatch, tmp_path):
    greet = _load_python_action("greet.py", monkeypatch)
    assert greet(config={}).run(name="x") == {"greeting": "Hello, x!"}
    flaky = _load_python_action("flaky.py", monkeypatch)
    log = tmp_path / "flaky.log"
    assert flaky(config={}).run(log=str(log), dir=str(tmp_path), task="t") == (True, {"task": "t"})
    (tmp_path / "fail.t").touch()
    ok, value = flaky(config={}).run(log=str(log), dir=str(tmp_path), task="t")
    assert ok is False and "fail.t" in value["error"]
    assert log.read_text().splitlines() == ["t", "t"]
