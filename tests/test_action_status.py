"""wfops.status (actions/status.py): an execution in short, its failed tasks and the
commands that re-run them; with wait, once it has completed. Same on StackStorm."""

from __future__ import annotations

import os
import pathlib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    WfopsServer,
    config,
    failed_run,
    fake_st2,
    preserved_environ,
    run_action,
    st2_config,
    wfops_server,
    workdir,
)

FIXTURE_PACKS = pathlib.Path(__file__).parent / "fixtures" / "packs"


def test_status_of_a_failed_workflow(wfops_server, config, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.parallel_join_items", ["fail.task2.1", "fail.task3.0"])
    ok, result = run_action("status", config, id=original)
    assert ok, result
    assert result["id"] == original and result["status"] == "failed" and result["action"] == "wfops_examples.parallel_join_items"
    failed = {t["task"]: t for t in result["failed_tasks"]}
    assert set(failed) == {"task2", "task3"}
    assert failed["task2"]["items"] == [1] and failed["task3"]["items"] == [0]
    assert result["suggested_rerun"] == {
        "st2": "st2 execution re-run %s --tasks task2 task3" % original,
        "chatops": "wfops rerun %s from task2,task3" % original,
        "action": "st2 run wfops.rerun id=%s tasks=task2,task3" % original,
    }


def test_status_of_a_failed_action_chain(wfops_server, tmp_path, workdir):
    """A chain's failed node is its failed task; st2 re-runs a chain only whole, so that
    is what the suggestions say."""
    server = WfopsServer(tmp_path / "chains-home", packs_path=str(FIXTURE_PACKS)).start()
    try:
        # chains.basic: first -> second, whose step is named by what first published
        original = failed_run(server, workdir, "chains.basic", ["fail.first-v"])
        with preserved_environ():
            ok, result = run_action("status", {"api_url": server.url, "verify_ssl": True}, id=original)
    finally:
        server.stop()
    assert ok, result
    assert result["status"] == "failed" and result["action"] == "chains.basic"
    assert [(t["task"], t["status"]) for t in result["failed_tasks"]] == [("second", "failed")]
    assert result["suggested_rerun"] == {
        "st2": "st2 execution re-run %s" % original,
        "chatops": "wfops rerun %s" % original,
        "action": "st2 run wfops.rerun id=%s" % original,
    }


def test_status_waits_for_completion(wfops_server, config, workdir):
    d, log = workdir
    execution_id = wfops_server.run("wfops_examples.sequential", log=str(log), dir=str(d), sleep=1)
    ok, result = run_action("status", config, id=execution_id, wait=True, wait_timeout=60, interval=0.2)
    assert ok and result["status"] == "succeeded" and result["failed_tasks"] == []
    assert "suggested_rerun" not in result


def test_status_wait_times_out(wfops_server, config, workdir):
    d, log = workdir
    execution_id = wfops_server.run("wfops_examples.sequential", log=str(log), dir=str(d), sleep=3)
    ok, result = run_action("status", config, id=execution_id, wait=True, wait_timeout=0.5, interval=0.1)
    assert not ok and result["status"] == 408
    assert "is still running after 0.5 s" in result["error"]
    wfops_server.wait(execution_id)


def test_status_on_stackstorm(wfops_server, st2_config, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    ok, result = run_action("status", st2_config, id=original)
    assert ok, result
    assert [t["task"] for t in result["failed_tasks"]] == ["task2"]
    ok, result = run_action("status", st2_config, id="0123456789abcdef01234567")
    assert not ok and result["status"] == 404
