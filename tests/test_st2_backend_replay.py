"""The pack's StackStorm backend (wfops.pack_client.backends.StackStormBackend and
st2_state) against responses recorded from a real StackStorm 3.9.0.

A real HTTP server on 127.0.0.1 replays the captures in tests/fixtures/st2_api/ (what
StackStorm answered to the seed scenarios: sequential task failure, R4 on a chain,
parallel join, with-items, sub-workflows). The backend is driven through the same calls
as during the capture; what it computes (plans, refusals, the re_run bodies it submits)
must be what it computed against the real StackStorm, and the run state it rebuilds from
the API must agree with the conductor state StackStorm stored in its database.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from st2_replay import ReplayStackStorm, load_capture  # noqa: E402

pytest.importorskip("st2client")

from wfops.pack_client import BackendError, StackStormBackend, Unsupported, connect  # noqa: E402
from wfops.pack_client.options import RerunOptions  # noqa: E402
from wfops.pack_client.st2_state import rebuild_run_state  # noqa: E402


@pytest.fixture
def preserved_environ():
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def st2(request, preserved_environ):
    """(capture, replay server, backend) for the capture named by the test's parameter."""
    capture = load_capture(request.param)
    with ReplayStackStorm(capture) as replay:
        backend = connect({"api_url": replay.url})
        yield capture, replay, backend


def step(capture: dict, kind: str) -> dict:
    found = [s for s in capture["steps"] if s["kind"] == kind]
    assert found, kind
    return found[0]


def launched(capture: dict) -> str:
    return step(capture, "launch")["id"]


def same_plan(result: dict, recorded: dict) -> None:
    """The backend's answer is the one it gave against the real StackStorm."""
    as_json = json.loads(json.dumps(result))
    for key in ("plan", "submitted", "warnings", "notes", "request"):
        assert as_json.get(key) == recorded["result"].get(key), key


def test_connect_finds_stackstorm(preserved_environ):
    # StackStorm serves no /openapi.json (404): the backend is StackStorm's.
    with ReplayStackStorm(load_capture("sequential_task2")) as replay:
        backend = connect({"api_url": replay.url})
        assert isinstance(backend, StackStormBackend)
        assert replay.calls("GET", "/openapi.json")


@pytest.mark.parametrize("st2", ["sequential_task2"], indirect=True)
def test_sequential_status_plan_and_rerun(st2):
    capture, replay, backend = st2
    execution_id = launched(capture)
    assert backend.status(execution_id) == step(capture, "status")["result"]
    assert backend.status(execution_id)["failed_tasks"][0]["task"] == "task2"

    plan = backend.rerun(RerunOptions.build(execution_id, tasks=["task2"], dry_run=True))
    same_plan(plan, step(capture, "plan_task2"))
    assert [(r["task"], r["route"]) for r in plan["plan"]["rerun"]] == [("task2", 0)]
    assert [d["task"] for d in plan["plan"]["downstream"]] == ["task3"]
    assert not replay.calls("POST")

    result = backend.rerun(RerunOptions.build(execution_id, tasks=["task2"]))
    same_plan(result, step(capture, "rerun_task2"))
    posts = replay.calls("POST", "/re_run")
    assert [p[3] for p in posts] == [{"parameters": {}, "tasks": ["task2"], "reset": ["task2"], "delay": 0}]
    new_id = step(capture, "rerun_done")["id"]
    assert result["execution"]["id"] == new_id and result["execution"]["rerun_of"] == execution_id
    assert step(capture, "rerun_done")["log"] == ["task1", "task2", "task2", "task3"]
    assert backend.status(new_id) == step(capture, "status_rerun")["result"]


@pytest.mark.parametrize("st2", ["sequential_task2"], indirect=True)
def test_plan_on_a_rerun_follows_the_chain(st2):
    # The re-run execution's plan reads the original too (context["re-run"].ref): task1
    # re-runs, task2 and task3 ran before.
    capture, replay, backend = st2
    new_id = step(capture, "rerun_done")["id"]
    plan = backend.rerun(RerunOptions.build(new_id, tasks=["task1"], dry_run=True))
    same_plan(plan, step(capture, "plan_on_rerun"))
    assert [(d["task"], d["ran_before"]) for d in plan["plan"]["downstream"]] == [("task2", True), ("task3", True)]
    assert replay.calls("GET", "/executions/%s" % launched(capture))


@pytest.mark.parametrize("st2", ["sequential_task2"], indirect=True)
def test_refusals_without_the_extension(st2):
    capture, replay, backend = st2
    execution_id = launched(capture)
    with pytest.raises(Unsupported) as refused:
        backend.rerun(RerunOptions.build(execution_id, tasks=["task2"], items={"task2": [0]}))
    # recorded before the refusal named the extension
    recorded = step(capture, "plan_items_refused")["error"]
    assert refused.value.message.startswith(recorded.split(" Run the operation")[0])
    assert "items (re-running chosen items" in refused.value.message
    assert "install the wfops-st2 runner extension" in refused.value.message
    assert replay.calls("GET", "/runnertypes/wfops-operation")
    with pytest.raises(Unsupported) as refused:
        backend.task_context(execution_id, "task2")
    assert "st2 issue 4532" in refused.value.message
    with pytest.raises(Unsupported):
        backend.audit(execution_id)
    with pytest.raises(Unsupported):
        backend.rerun(RerunOptions.build(execution_id, skip=["task2"]))
    with pytest.raises(BackendError) as refused:
        backend.rerun(RerunOptions.build(execution_id, tasks=["task9", "task3"], dry_run=True))
    assert refused.value.message == step(capture, "plan_unknown_task")["error"]
    assert 'Task "task9" is not defined' in refused.value.message and 'Task "task3" never ran' in refused.value.message
    assert not replay.calls("POST")


@pytest.mark.parametrize("st2", ["sequential_task2"], indirect=True)
def test_stackstorm_refusals_keep_its_words(st2):
    capture, replay, backend = st2
    new_id = step(capture, "rerun_done")["id"]
    with pytest.raises(BackendError) as refused:
        backend.pause(new_id)
    assert (refused.value.status, refused.value.message) == (400, "Execution is already in completed state.")
    with pytest.raises(BackendError) as refused:
        backend.resume(new_id)
    assert refused.value.message == "Execution is already in completed state."
    # StackStorm answers DELETE on a completed execution with 200 and a faultstring.
    assert step(capture, "cancel_completed")["status"] == 200
    with pytest.raises(BackendError) as refused:
        backend.cancel(new_id)
    assert refused.value.message == "Action cannot be canceled. State = succeeded."
    with pytest.raises(BackendError) as refused:
        backend.status("000000000000000000000000")
    assert (refused.value.status, refused.value.message) == (
        404, 'Unable to identify resource with id "000000000000000000000000".')


@pytest.mark.parametrize("st2", ["sequential_r4"], indirect=True)
def test_r4_collapse_on_a_chain(st2):
    # task1 -> task2 -> task3, task3 failed; [task1, task2] re-runs task1 only. StackStorm's
    # own re_run of both (recorded) ran task2 twice.
    capture, replay, backend = st2
    plan = backend.rerun(RerunOptions.build(launched(capture), tasks=["task1", "task2"], dry_run=True))
    same_plan(plan, step(capture, "plan_task1_task2"))
    assert plan["submitted"] == {"tasks": ["task1"], "reset": ["task1"]}
    assert [(d["task"], d["reason"], d["covered_by"]) for d in plan["plan"]["dropped"]] == [
        ("task2", "downstream", "task1[0]")]
    assert step(capture, "st2_rerun_done")["log"] == ["task1", "task2", "task3", "task1", "task2", "task2", "task3"]
    # StackStorm's records: three task executions of task2, of which its conductor state
    # keeps two (the re-run from task2 and the one from task1 share one sequence entry).
    records = [t["task_id"] for t in capture["db"]["task_executions"]]
    assert records.count("task2") == 3
    stored = capture["db"]["workflow_executions"][0]["state"]
    assert [e["id"] for e in stored["sequence"]].count("task2") == 2


@pytest.mark.parametrize("st2", ["parallel_join"], indirect=True)
def test_parallel_join(st2):
    capture, replay, backend = st2
    execution_id = launched(capture)
    with pytest.raises(BackendError) as refused:
        backend.rerun(RerunOptions.build(execution_id, tasks=["task2"], dry_run=True))
    assert refused.value.message == step(capture, "plan_task2_only")["error"]
    assert refused.value.message.startswith('Join "task4" waits for task3, which failed')
    result = backend.rerun(RerunOptions.build(execution_id, tasks=["task2", "task3"]))
    same_plan(result, step(capture, "rerun_task2_task3"))
    assert [p[3]["tasks"] for p in replay.calls("POST", "/re_run")] == [["task2", "task3"]]
    assert step(capture, "rerun_done")["log"] == ["task1", "task2", "task3", "task2", "task3", "task4"]


@pytest.mark.parametrize("st2", ["with_items"], indirect=True)
def test_with_items_no_reset(st2):
    capture, replay, backend = st2
    execution_id = launched(capture)
    assert backend.status(execution_id)["failed_tasks"][0]["items"] == [1, 4]
    plan = backend.rerun(RerunOptions.build(execution_id, tasks=["task1"], no_reset=["task1"], dry_run=True))
    same_plan(plan, step(capture, "plan_no_reset"))
    assert plan["plan"]["rerun"][0]["item_indices"] == [1, 4]
    reset = backend.rerun(RerunOptions.build(execution_id, tasks=["task1"], dry_run=True))
    assert reset["plan"]["rerun"][0]["items"] == "all" and reset["submitted"]["reset"] == ["task1"]
    result = backend.rerun(RerunOptions.build(execution_id, tasks=["task1"], no_reset=["task1"]))
    assert [p[3] for p in replay.calls("POST", "/re_run")] == [
        {"parameters": {}, "tasks": ["task1"], "reset": [], "delay": 0}]
    assert result["execution"]["rerun_of"] == execution_id


@pytest.mark.parametrize("st2", ["subworkflows"], indirect=True)
def test_subworkflow_branch(st2):
    capture, replay, backend = st2
    execution_id = launched(capture)
    plan = backend.rerun(RerunOptions.build(execution_id, tasks=["task2"], dry_run=True))
    same_plan(plan, step(capture, "plan_task2"))
    assert [(c["task"], c["pending"]) for c in plan["plan"]["continuing"]] == [("task3", ["task4"])]
    backend.rerun(RerunOptions.build(execution_id, tasks=["task2"]))
    assert step(capture, "rerun_done")["log"][-3:] == ["task2.step1", "task2.step2", "task4"]


# -- the rebuilt run state against the conductor state StackStorm stored ---------------

def _last_answer(capture: dict, path: str):
    found = [r for r in capture["responses"] if r["method"] == "GET" and r["path"] == path]
    return found[-1]["json"] if found else None


@pytest.mark.parametrize("name", ["sequential_task2", "parallel_join", "with_items", "subworkflows"])
def test_rebuilt_state_matches_the_stored_conductor(name):
    """Task executions, routes, statuses and the prev/next links the pack rebuilds from
    StackStorm's API are those of the Orquesta 1.6 state in StackStorm's database."""
    capture = load_capture(name)
    ids = [launched(capture), step(capture, "rerun_done")["id"]]
    chain = [_last_answer(capture, "/v1/executions/%s" % i) for i in ids]
    children = {i: _last_answer(capture, "/v1/executions/%s/children" % i) or [] for i in ids}
    entry_point = [r for r in capture["responses"] if r["path"].startswith("/v1/actions/views/entry_point/")]
    state, _ = rebuild_run_state(chain, children, yaml.safe_load(entry_point[-1]["text"]))
    stored = capture["db"]["workflow_executions"][0]["state"]
    if name == "sequential_task2":
        # StackStorm took a later re_run with an unknown "items" field as a plain re-run of
        # task2 (it ignores fields it does not know): two more entries, not in this chain.
        stored = dict(stored, sequence=stored["sequence"][:4])

    def shape(sequence):
        return [(e["id"], e["route"], e["status"], e["prev"], e["next"]) for e in sequence]

    assert shape(state["sequence"]) == shape(stored["sequence"])


# -- with the wfops-st2 runner extension installed --------------------------------------

@pytest.mark.parametrize("st2", ["st2_extension"], indirect=True)
def test_with_the_extension(st2):
    """Item selection, then a no-reset re-run with complete results, task context and
    audit, through ``wfops.operate`` executions (recorded on a StackStorm 3.9.0 with the
    extension: item 4 only, then item 1 only, and the workflow's output lists every item)."""
    capture, replay, backend = st2
    backend.extension.interval = 0  # the recorded polls are answered at once
    execution_id = launched(capture)
    plan = backend.rerun(RerunOptions.build(execution_id, items={"task1": [4]}, dry_run=True))
    same_plan(plan, step(capture, "plan_items"))
    assert plan["extension"] == "wfops-operation" and plan["plan"]["item_selections"][0]["indices"] == [4]
    first = backend.rerun(RerunOptions.build(execution_id, items={"task1": [4]}, comment="item 4"))
    assert first["execution"]["id"] == step(capture, "rerun_done")["id"]
    operate = [p[3] for p in replay.calls("POST", "/executions")]
    assert operate[-1] == {"action": "wfops.operate", "parameters": {
        "operation": "rerun", "id": execution_id, "request": {"items": {"task1": [4]}}, "comment": "item 4"}}
    assert step(capture, "rerun_done")["log"][6:] == ["task1:4"]
    second = backend.rerun(RerunOptions.build(first["execution"]["id"], tasks=["task1"], no_reset=["task1"]))
    last = step(capture, "rerun2_done")
    assert second["execution"]["id"] == last["id"]
    assert last["log"][7:] == ["task1:1"] and last["status"] == "succeeded"
    assert last["output"] == {"results": [0, 1, 2, 3, 4, 5]}
    view = backend.task_context(last["id"], "task1")
    assert [(i["item"], i["status"]) for i in view["items"]] == [(i, "succeeded") for i in range(6)]
    entries = backend.audit(execution_id)
    assert [(e["operation"], e["comment"], e["outcome"]) for e in entries] == [
        ("rerun", "item 4", {"execution": first["execution"]["id"]})]
    with pytest.raises(BackendError) as refused:
        backend.rerun(RerunOptions.build(last["id"], skip=["task1"], publish={"results": []}))
    assert refused.value.message == step(capture, "skip_refused")["error"]
    with pytest.raises(BackendError) as refused:
        backend.pause(last["id"])
    assert (refused.value.status, refused.value.message) == (
        409, 'Unable to pause execution "%s" because it is not in a running state.' % last["id"])
    assert not replay.calls("POST", "/re_run")
