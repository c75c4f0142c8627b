"""The action-chain runner on the embedded host, through the real `wfops` command line
(real engine processes, real shell nodes appending to a log). Chains: the ``chains``
fixture pack, whose nodes are ``gates.step`` (appends its name, waits while hold.NAME
exists, fails while fail.NAME exists, prints NAME)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from conftest import Wfops, log_lines, wait_for

ST2_SHAPED = Path(__file__).parent / "fixtures" / "st2_shaped"


def run_chain(wfops, workdir, ref: str, *params: str) -> dict:
    d, log = workdir
    view, done = wfops.json("run", ref, "log=%s" % log, "dir=%s" % d, *params)
    assert done.returncode == (0 if view["status"] == "succeeded" else 1), done.stderr
    return view


def nodes(view: dict) -> list[tuple[str, str]]:
    return [(t["name"], t["state"]) for t in view["result"]["tasks"]]


def children(wfops, execution_id: str) -> list[tuple[str, str, str]]:
    """(node name, action, status) of each child execution, in creation order."""
    return [(c["context"]["chain"]["name"], c["action"]["ref"], c["status"])
            for c in wfops.get(execution_id).get("children", [])]


def test_success_path_publishes_and_reads_earlier_results(wfops, workdir):
    view = run_chain(wfops, workdir, "chains.basic")

    assert view["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["first", "first-v", "third-first-v"]
    assert nodes(view) == [("first", "succeeded"), ("second", "succeeded"), ("third", "succeeded")]
    assert view["result"]["published"] == {"tag": "first-v"}
    assert view["result"]["tasks"][1]["result"]["stdout"] == "first-v"
    assert "error" not in view["result"]
    assert children(wfops, view["id"]) == [("first", "gates.step", "succeeded"),
                                           ("second", "gates.step", "succeeded"),
                                           ("third", "gates.step", "succeeded")]
    ids = [t["execution_id"] for t in view["result"]["tasks"]]
    assert ids == view["children"]
    shown = wfops.run("execution", "get", view["id"], "--show-tasks")
    assert shown.returncode == 0 and "second" in shown.stdout and "third" in shown.stdout


def test_a_handled_failure_takes_on_failure_and_the_chain_succeeds(wfops, workdir):
    d, log = workdir
    (d / "fail.first").touch()
    view = run_chain(wfops, workdir, "chains.basic")

    assert log_lines(log) == ["first", "recover"]
    assert nodes(view) == [("first", "failed"), ("recover", "succeeded")]
    assert view["status"] == "succeeded"  # st2: the chain ends as its last node did
    assert view["result"]["published"] == {}


def test_a_failed_node_without_on_failure_fails_the_chain(wfops, workdir):
    d, log = workdir
    (d / "fail.third-first-v").touch()
    view = run_chain(wfops, workdir, "chains.basic")

    assert view["status"] == "failed"
    assert log_lines(log) == ["first", "first-v", "third-first-v"]
    assert nodes(view)[-1] == ("third", "failed")
    assert "failure marker" in view["result"]["tasks"][-1]["result"]["stderr"]


def test_a_failure_in_on_failure_fails_the_chain(wfops, workdir):
    d, log = workdir
    (d / "fail.first").touch()
    (d / "fail.recover").touch()
    view = run_chain(wfops, workdir, "chains.basic")

    assert view["status"] == "failed"
    assert nodes(view) == [("first", "failed"), ("recover", "failed")]


def test_a_parameter_that_cannot_be_rendered_fails_the_chain_before_the_node_runs(wfops, workdir):
    view = run_chain(wfops, workdir, "chains.broken")

    assert view["status"] == "failed"
    assert view["result"]["tasks"] == [] and view.get("children", []) == []
    assert view["result"]["error"] == (
        'Failed to run task "only". Parameter rendering failed. Failed rendering value for action '
        'parameter "name" in task "only" (template string={{ nowhere }}): \'nowhere\' is undefined')
    assert log_lines(workdir[1]) == []


def test_a_chain_runs_an_orquesta_workflow_node(wfops, workdir):
    view = run_chain(wfops, workdir, "chains.calls_workflow")

    assert view["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["c1", "task1", "task2", "task3", "c3-task3"]
    assert children(wfops, view["id"]) == [("c1", "gates.step", "succeeded"),
                                           ("flow", "gates.sequential", "succeeded"),
                                           ("c3", "gates.step", "succeeded")]
    flow = view["result"]["tasks"][1]
    assert flow["result"]["output"] == {"msg1": "task1", "msg2": "task2", "msg3": "task3"}
    workflow = wfops.get(flow["execution_id"])
    assert [c["context"]["orquesta"]["task_name"] for c in workflow["children"]] == ["task1", "task2", "task3"]


def test_an_orquesta_workflow_runs_a_chain_task(wfops, workdir):
    view = run_chain(wfops, workdir, "chains.calls_chain")

    assert view["status"] == "succeeded"
    assert view["result"]["output"] == {"tag": "first-wf"}
    assert log_lines(workdir[1]) == ["w1", "first", "first-wf", "third-first-wf", "w3-first-wf"]
    chain = next(c for c in wfops.get(view["id"])["children"] if c["action"]["ref"] == "chains.basic")
    assert chain["action"]["runner_type"] == "action-chain" and chain["status"] == "succeeded"
    assert [name for name, _, _ in children(wfops, chain["id"])] == ["first", "second", "third"]


def _started(wfops, workdir, ref: str, lines: list[str]) -> tuple:
    d, log = workdir
    run = wfops.popen("run", ref, "log=%s" % log, "dir=%s" % d, "--json")
    wait_for(lambda: log_lines(log) == lines)
    listed = wfops.json("execution", "list")[0]
    return run, next(e for e in listed if e["action"]["ref"] == ref)


def _held_a_then(wfops, workdir, operation: str, transient: str) -> tuple[dict, dict]:
    """chains.held run while node a is held, then ``operation`` on it (the chain shows
    ``transient`` while a runs), then a let go: (the chain as `execution list` showed
    it, the view `wfops run` printed once the chain settled)."""
    d, log = workdir
    (d / "hold.a").touch()
    run, chain = _started(wfops, workdir, "chains.held", ["a"])
    done = wfops.run("execution", operation, chain["id"])
    assert done.returncode == 0, done.stderr
    assert wfops.get(chain["id"], tasks=False)["status"] == transient
    (d / "hold.a").unlink()
    out, _ = run.communicate(timeout=60)
    return chain, json.loads(out)


def test_pause_waits_for_the_running_node_and_resume_goes_on(wfops, workdir):
    log = workdir[1]
    chain, view = _held_a_then(wfops, workdir, "pause", "pausing")
    assert view["status"] == "paused"
    time.sleep(0.5)
    assert log_lines(log) == ["a"], "nothing starts after the node running at the pause"

    done = wfops.run("execution", "resume", chain["id"])
    assert done.returncode == 0, done.stderr
    final = wfops.wait_status(chain["id"], {"succeeded", "failed"})
    assert final["status"] == "succeeded"
    assert log_lines(log) == ["a", "b", "c"]
    assert [n for n, _, _ in children(wfops, chain["id"])] == ["a", "b", "c"]


def test_cancel_lets_the_running_node_finish_and_starts_nothing_more(wfops, workdir):
    log = workdir[1]
    chain, view = _held_a_then(wfops, workdir, "cancel", "canceling")
    assert view["status"] == "canceled"
    assert view["result"]["tasks"][0]["state"] == "succeeded"
    time.sleep(0.5)
    assert log_lines(log) == ["a"]
    assert children(wfops, chain["id"]) == [("a", "gates.step", "succeeded")]


def test_pause_and_resume_cascade_to_a_workflow_node(wfops, workdir):
    d, log = workdir
    (d / "hold.task1").touch()
    run, chain = _started(wfops, workdir, "chains.calls_workflow", ["c1", "task1"])
    flow = wfops.get(chain["id"])["children"][1]

    assert wfops.run("execution", "pause", chain["id"]).returncode == 0
    assert wfops.get(flow["id"], tasks=False)["status"] == "pausing"
    (d / "hold.task1").unlink()
    out, _ = run.communicate(timeout=60)
    assert json.loads(out)["status"] == "paused"
    assert wfops.get(flow["id"], tasks=False)["status"] == "paused"
    assert log_lines(log) == ["c1", "task1"]

    assert wfops.run("execution", "resume", chain["id"]).returncode == 0
    assert wfops.wait_status(chain["id"], {"succeeded", "failed"})["status"] == "succeeded"
    assert log_lines(log) == ["c1", "task1", "task2", "task3", "c3-task3"]
    assert wfops.get(flow["id"], tasks=False)["status"] == "succeeded"


def test_cancel_of_an_orquesta_parent_cancels_its_chain_task(wfops, workdir):
    d, log = workdir
    (d / "hold.first").touch()
    run, workflow = _started(wfops, workdir, "chains.calls_chain", ["w1", "first"])

    assert wfops.run("execution", "cancel", workflow["id"]).returncode == 0
    chain = next(c for c in wfops.get(workflow["id"])["children"] if c["action"]["ref"] == "chains.basic")
    assert chain["status"] == "canceling"
    (d / "hold.first").unlink()
    out, _ = run.communicate(timeout=60)
    assert json.loads(out)["status"] == "canceled"
    assert wfops.get(chain["id"], tasks=False)["status"] == "canceled"
    time.sleep(0.5)
    assert log_lines(log) == ["w1", "first"]


def test_re_run_from_the_beginning_and_from_tasks(wfops, workdir):
    view = run_chain(wfops, workdir, "chains.held")
    again, done = wfops.json("execution", "re-run", view["id"])
    assert done.returncode == 0, done.stderr
    assert again["status"] == "succeeded" and again["id"] != view["id"]
    assert log_lines(workdir[1]) == ["a", "b", "c", "a", "b", "c"]

    refused = wfops.run("execution", "re-run", view["id"], "--tasks", "b")
    assert refused.returncode != 0
    message = refused.stderr.strip()
    assert "action chain" in message and "cannot be re-run from tasks" in message, message
    assert "Re-run it from the beginning (without --tasks) to run it again." in message, message
    assert log_lines(workdir[1]) == ["a", "b", "c", "a", "b", "c"]


def test_a_killed_engine_abandons_the_running_node_and_runs_nothing_twice(wfops, workdir):
    d, log = workdir
    (d / "hold.a").touch()
    run, chain = _started(wfops, workdir, "chains.held", ["a"])
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)

    done = wfops.run("engine", "--until-idle", timeout=120)
    assert done.returncode == 0, done.stderr
    view = wfops.get(chain["id"])
    assert view["status"] == "failed"  # st2: an abandoned node is a failure; a has no on-failure
    assert nodes(view) == [("a", "abandoned")]
    (d / "hold.a").unlink()
    time.sleep(0.5)
    assert log_lines(log) == ["a"], "no node ran twice, none after the abandoned one"


def test_a_st2_shaped_chain_with_runner_parameters_runs(tmp_path):
    """examples.echo_chain: StackStorm's own shape (``default``, ``skip_notify`` overridden)."""
    wfops = Wfops(tmp_path, packs_path=str(ST2_SHAPED))
    view, done = wfops.json("run", "examples.echo_chain")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded"
    assert [(t["name"], t["result"]["stdout"]) for t in view["result"]["tasks"]] == [
        ("first", "first"), ("second", "second")]
    assert view["parameters"]["skip_notify"] == ["second"]


def test_re_run_from_tasks_of_a_plain_action_is_refused_in_request_terms(wfops, workdir):
    view, done = wfops.json("run", "core.local", "cmd=echo plain >> %s" % workdir[1])
    assert done.returncode == 0, done.stderr
    refused = wfops.run("execution", "re-run", view["id"], "--tasks", "t")
    assert refused.returncode != 0
    assert refused.stderr.strip() == (
        'ERROR: Execution "%s" is not a workflow execution (runner type "local-shell-cmd"); only workflows '
        "can be re-run from tasks. Re-run it from the beginning (without --tasks) to run it again."
        % view["id"])
    assert log_lines(workdir[1]) == ["plain"]


def test_chain_values_read_the_datastore(wfops, workdir):
    assert wfops.run("key", "set", "chain_name", "kv").returncode == 0
    assert wfops.run("key", "set", "chain_suffix", "mine", "--scope", "user").returncode == 0
    view = run_chain(wfops, workdir, "chains.datastore")
    assert view["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["kv-mine-kv"]  # a missing key renders empty, as in st2
