"""The speed patches change no result of Orquesta's (``wfops.orquesta_speed``, issue 12 item 2).

Each scenario (a workflow, which attempts of which tasks or items fail, re-runs with item
selection, changed context and skips, pauses, resumes, cancels: ``tests/orquesta_trace.py``)
runs on the patched conductor and on plain Orquesta 1.2.0, and the traces must be equal:
every call's entry, what it returned and the whole serialized conductor state after it,
hence the same task executions in the same order.

- plain in process: the patches reverted (``orquesta_speed.disabled()``) for that run; the
  patched run checks its indexes against Orquesta's answers as it goes
  (``set_verifying``);
- plain in another process: ``WFOPS_ORQUESTA_SPEED=0``, the patches never applied there
  (Orquesta's fixture workflows, all scenarios in one subprocess).

Workflows: Orquesta 1.2.0's own native fixtures (from ``../shared``; skipped when absent)
and generated ones (hypothesis: chains, splits, joins on all or on a count, loops guarded
by a counter, with-items tasks with and without concurrency, retries, delays, engine
commands, YAQL and Jinja expressions, task_status() and result() in publish and output).
"""

from __future__ import annotations

import copy
import glob
import json
import os
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from orquesta_trace import trace

import wfops  # noqa: F401
from wfops import orquesta_speed

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("WFOPS_SHARED") or os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared")
FIXTURES = os.path.join(SHARED, "orquesta-fixtures", "workflows", "native")
EXAMPLES = int(os.environ.get("WFOPS_DIFFERENTIAL_EXAMPLES", "150"))
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FIXTURE_INPUTS = {
    "decision": [{"which": "a"}, {"which": "b"}, {"which": "c"}],
    "sequential": [{"name": "Stanley"}],
    "with-items": [{"members": ["a", "b", "c", "d"]}],
    "with-items-concurrency": [{"members": ["a", "b", "c", "d", "e"]}],
    "with-multi-items": [{"members": ["a", "b", "c"], "messages": ["x", "y", "z"]}],
    "with-multi-items-concurrency": [{"members": ["a", "b", "c"], "messages": ["x", "y", "z"]}],
}


@pytest.fixture(autouse=True)
def _patches_applied():
    import orquesta.conducting  # noqa: F401  (triggers the patches)

    assert orquesta_speed.is_applied(), "the speed patches are not applied in this process"


def both_ways(scenario: dict) -> tuple[list, list]:
    """(patched trace with its indexes checked as it goes, plain Orquesta's trace)."""
    with orquesta_speed.disabled():
        assert not orquesta_speed.is_applied()
        plain = trace(scenario)
    former = orquesta_speed.set_verifying(True)
    try:
        patched = trace(scenario)
    finally:
        orquesta_speed.set_verifying(former)
    return patched, plain


def assert_same(patched: list, plain: list) -> None:
    assert len(patched) == len(plain), "the runs took %d and %d calls" % (len(patched), len(plain))
    for number, (ours, theirs) in enumerate(zip(patched, plain)):
        assert ours == theirs, "call %d differs: %s" % (number, json.dumps(theirs)[:400])


# --------------------------------------------------------------------------------------
# Orquesta's fixture workflows
# --------------------------------------------------------------------------------------


def fixture_scenarios() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.yaml"))):
        name = os.path.basename(path)[: -len(".yaml")]
        with open(path, encoding="utf-8") as handle:
            definition = yaml.safe_load(handle)
        tasks = sorted(definition.get("tasks") or {})
        for number, inputs in enumerate(FIXTURE_INPUTS.get(name, [{}])):
            base = {"definition": definition, "inputs": inputs, "seed": number}
            found.append(("%s-%d-ok" % (name, number), dict(base)))
            # Every other task fails once (its items: the first item), then re-runs of
            # the failed ones, with the extras, and a pause along the way.
            fail = {}
            for i, task in enumerate(tasks):
                if i % 2 == 1:
                    fail[task] = 1
                    fail[task + "[0]"] = 1
            ops = [{"kind": "pause", "at": 6}, {"kind": "resume"},
                   {"kind": "rerun", "pick": [0, 1], "reset": False, "restage": True, "context": True},
                   {"kind": "rerun", "pick": [0], "reset": True, "skip": True, "publish": True}]
            found.append(("%s-%d-fail" % (name, number), dict(base, fail=fail, ops=ops, seed=number + 7)))
    return found


def _require_fixtures():
    if not os.path.isdir(FIXTURES):
        pytest.skip("Orquesta's fixture workflows are not here (%s): set WFOPS_SHARED or put the shared "
                    "folder at <repo>/../shared (CI has it; a plain checkout does not)" % FIXTURES)


@pytest.mark.timeout(900)
def test_fixture_workflows_patched_and_reverted_in_process():
    _require_fixtures()
    scenarios = fixture_scenarios()
    assert len(scenarios) >= 70
    for name, scenario in scenarios:
        patched, plain = both_ways(scenario)
        try:
            assert_same(patched, plain)
        except AssertionError as e:
            raise AssertionError("%s: %s" % (name, e)) from None


@pytest.mark.timeout(900)
def test_fixture_workflows_against_a_process_that_never_patched(tmp_path):
    """The plain traces come from a process with ``WFOPS_ORQUESTA_SPEED=0``."""
    _require_fixtures()
    scenarios = fixture_scenarios()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["WFOPS_ORQUESTA_SPEED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.dirname(HERE), env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, os.path.join(HERE, "orquesta_trace.py")],
                          input=json.dumps([s for _, s in scenarios]), capture_output=True, text=True,
                          timeout=600, env=env, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout)
    assert answer["patched"] is False
    for (name, scenario), plain in zip(scenarios, answer["traces"]):
        try:
            assert_same(trace(scenario), plain)
        except AssertionError as e:
            raise AssertionError("%s: %s" % (name, e)) from None


# --------------------------------------------------------------------------------------
# Generated workflows
# --------------------------------------------------------------------------------------

CONDITIONS = [None, "<% succeeded() %>", "<% failed() %>", "<% completed() %>", "{{ succeeded() }}",
              "<% succeeded() and ctx().v < 3 %>", "{{ ctx().v >= 1 }}", "<% result().ok %>",
              "<% task_status(t0) = 'succeeded' %>"]
PUBLISHES = [{"v": "<% ctx().v + 1 %>"}, {"r": "<% result() %>"}, {"s": "<% task_status(t0) %>"},
             {"w": "{{ ctx().v * 2 }}"}, {"n": "<% len(ctx().xs) %>"}]


@st.composite
def workflows(draw) -> dict:
    """A random workflow of 1-7 tasks ``t0..``; t0 starts it (nothing leads back to t0)."""
    n = draw(st.integers(1, 7))
    tasks: dict = {}
    inbound: dict = {i: 0 for i in range(n)}
    for i in range(n):
        task: dict = {"action": "core.noop"}
        shape = draw(st.sampled_from(["plain", "plain", "items", "items", "retry", "delay", "input"]))
        if shape == "items":
            source = draw(st.sampled_from(["x in <%% range(%d) %%>" % draw(st.integers(0, 5)),
                                           "x in <% ctx().xs %>", "{{ ctx().xs }}"]))
            task["with"] = {"items": source}
            if draw(st.booleans()):
                task["with"]["concurrency"] = draw(st.integers(1, 3))
            task["input"] = {"value": "<% item() %>" if "<%" in source else "{{ item() }}"}
        elif shape == "retry":
            task["retry"] = {"count": draw(st.integers(1, 2))}
            if draw(st.booleans()):
                task["retry"]["when"] = "<% failed() %>"
        elif shape == "delay":
            task["delay"] = draw(st.integers(1, 2))
        elif shape == "input":
            task["input"] = {"v": "<% ctx().v %>", "status": "<% task_status(t0) %>"}
        transitions = []
        for _ in range(draw(st.integers(0, 3))):
            transition: dict = {}
            condition = draw(st.sampled_from(CONDITIONS))
            if condition:
                transition["when"] = condition
            if draw(st.booleans()):
                transition["publish"] = [draw(st.sampled_from(PUBLISHES))]
            targets = []
            forward = ["t%d" % j for j in range(i + 1, n)]
            if forward and draw(st.integers(0, 4)):
                targets += draw(st.lists(st.sampled_from(forward), min_size=1, max_size=2, unique=True))
            if i >= 1 and draw(st.integers(0, 5)) == 0:   # a loop back, guarded by the counter
                targets.append("t%d" % draw(st.integers(1, i)))
                transition["when"] = "<% ctx().v < 2 %>"
                transition["publish"] = [{"v": "<% ctx().v + 1 %>"}]
            if draw(st.integers(0, 6)) == 0:
                targets.append(draw(st.sampled_from(["fail", "noop", "continue"])))
            if targets:
                transition["do"] = targets
                for target in targets:
                    if target.startswith("t"):
                        inbound[int(target[1:])] += 1
            transitions.append(transition)
        if transitions:
            task["next"] = transitions
        tasks["t%d" % i] = task
    for i in range(1, n):
        if inbound[i] > 1 and draw(st.integers(0, 2)) == 0:
            tasks["t%d" % i]["join"] = draw(st.sampled_from(["all", 1, 2]))
    definition = {"version": 1.0, "vars": [{"v": 0}, {"xs": [1, 2, 3]}], "tasks": tasks}
    if draw(st.booleans()):
        definition["output"] = [{"v": "<% ctx().v %>"}, {"t0": "<% task_status(t0) %>"}]
    return definition


@st.composite
def scenarios(draw) -> dict:
    definition = draw(workflows())
    names = sorted(definition["tasks"])
    fail = {}
    for name in names:
        count = draw(st.integers(0, 2))
        if count and draw(st.booleans()):
            fail[name] = count
        if "with" in definition["tasks"][name] and draw(st.booleans()):
            fail["%s[%d]" % (name, draw(st.integers(0, 3)))] = draw(st.integers(1, 2))
    ops = []
    if draw(st.integers(0, 3)) == 0:
        ops.append({"kind": draw(st.sampled_from(["pause", "cancel"])), "at": draw(st.integers(2, 30))})
        ops.append({"kind": "resume", "skip": draw(st.booleans()), "publish": draw(st.booleans()),
                    "pick": [draw(st.integers(0, 3))]})
    for _ in range(draw(st.integers(0, 2))):
        ops.append({"kind": "rerun", "pick": draw(st.lists(st.integers(0, 5), min_size=1, max_size=3)),
                    "reset": draw(st.booleans()), "restage": draw(st.booleans()),
                    "context": draw(st.booleans()), "skip": draw(st.integers(0, 3)) == 0,
                    "publish": draw(st.booleans())})
    return {"definition": definition, "fail": fail, "ops": ops, "seed": draw(st.integers(0, 1000))}


@pytest.mark.timeout(900)
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(scenario=scenarios())
def test_generated_workflows_run_the_same_patched_and_plain(scenario):
    patched, plain = both_ways(scenario)
    assert_same(patched, plain)


@pytest.mark.timeout(900)
@settings(max_examples=max(10, EXAMPLES // 5), **SETTINGS)
@given(n=st.integers(20, 60), concurrency=st.sampled_from([None, 1, 4]), failing=st.sets(st.integers(0, 59)),
       seed=st.integers(0, 100))
def test_larger_with_items_tasks_with_failures_and_item_reruns(n, concurrency, failing, seed):
    with_spec = {"items": "x in <%% range(%d) %%>" % n}
    if concurrency:
        with_spec["concurrency"] = concurrency
    definition = {"version": 1.0, "tasks": {
        "t0": {"with": with_spec, "action": "core.noop", "next": [{"when": "<% failed() %>", "do": "t1"}]},
        "t1": {"action": "core.noop"}}}
    fail = {"t0[%d]" % i: 1 for i in failing if i < n}
    ops = [{"kind": "rerun", "pick": [0], "reset": False, "restage": True},
           {"kind": "rerun", "pick": [0], "reset": True}]
    patched, plain = both_ways({"definition": definition, "fail": fail, "ops": ops, "seed": seed})
    assert_same(patched, plain)


# --------------------------------------------------------------------------------------
# Inspection
# --------------------------------------------------------------------------------------


def _inspection(definition: dict) -> object:
    from orquesta.specs import native as native_specs

    try:
        return native_specs.WorkflowSpec(copy.deepcopy(definition)).inspect(app_ctx={"st2": {}})
    except Exception as e:
        return {"raised": type(e).__name__, "message": str(e)}


def test_inspection_of_the_fixture_workflows_is_orquestas():
    _require_fixtures()
    for name, scenario in fixture_scenarios():
        with orquesta_speed.disabled():
            plain = _inspection(scenario["definition"])
        assert _inspection(scenario["definition"]) == plain, name


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(definition=workflows(), undefined=st.booleans(), reserved=st.booleans())
def test_inspection_of_generated_workflows_is_orquestas(definition, undefined, reserved):
    """Including undefined targets, reserved task names and expressions that reference
    undefined or private variables."""
    tasks = definition["tasks"]
    if undefined:
        tasks["t0"].setdefault("next", []).append({"do": "missing, t0", "publish": [{"u": "<% ctx().nope %>"}]})
    if reserved:
        tasks["noop"] = {"action": "core.noop", "input": {"x": "<% ctx(__state) %>"}}
    with orquesta_speed.disabled():
        plain = _inspection(definition)
    assert _inspection(definition) == plain
