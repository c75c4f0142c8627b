"""wfops.rerun (actions/rerun.py): re-runs from tasks and from the beginning, the refusals
(each with no state change), the resume extras on the embedded host, and the same
re-runs on a real StackStorm's API (planned here, submitted as StackStorm's own re_run)."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    clear_markers,
    config,
    executions_of,
    failed_run,
    fake_st2,
    http,
    log_lines,
    run_action,
    st2_config,
    wfops_server,
    workdir,
)

# --------------------------------------------------------------------------------------
# On the embedded host
# --------------------------------------------------------------------------------------

def test_rerun_from_a_task(wfops_server, config, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    clear_markers(workdir)
    ok, result = run_action("rerun", config, id=original, tasks=["task2"], comment="disk freed")
    assert ok, result
    assert result["backend"] == "wfops" and result["dry_run"] is False
    new = result["execution"]
    assert new["id"] != original and new["rerun_of"] == original and new["action"] == "wfops_examples.sequential"
    assert [r["task"] for r in result["plan"]["rerun"]] == ["task2"]
    assert wfops_server.wait(new["id"])["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["task1", "task2", "task2", "task3"]
    # R10: the original keeps its status; the new execution records what it re-ran.
    assert wfops_server.get(original)["status"] == "failed"
    assert wfops_server.get(new["id"])["context"]["re-run"]["ref"] == original
    status, entries = http("GET", wfops_server.url + "/executions/%s/audit" % original)
    assert [(e["operation"], e.get("comment")) for e in entries] == [("re-run", "disk freed")]


def test_rerun_from_the_beginning_with_overrides(wfops_server, config, workdir):
    d, log = workdir
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task3"])
    clear_markers(workdir)
    other_log = d / "other-log"
    ok, result = run_action("rerun", config, id=original, parameters={"log": str(other_log)})
    assert ok, result
    new = wfops_server.wait(result["execution"]["id"])
    assert new["status"] == "succeeded"
    assert new["parameters"]["log"] == str(other_log) and new["parameters"]["dir"] == str(d)
    assert new["context"]["re-run"]["ref"] == original
    assert log_lines(other_log) == ["task1", "task2", "task3"]


def test_dry_run_changes_nothing(wfops_server, config, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    before = executions_of(wfops_server, "wfops_examples.sequential")
    ok, result = run_action("rerun", config, id=original, tasks=["task2"], dry_run=True)
    assert ok and result["dry_run"] and "execution" not in result
    assert result["plan"]["rerun"][0]["task"] == "task2"
    assert executions_of(wfops_server, "wfops_examples.sequential") == before
    assert log_lines(workdir[1]) == ["task1", "task2"]


def test_refusals_change_nothing(wfops_server, config, workdir):
    d, log = workdir
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    running = wfops_server.run("wfops_examples.sequential", log=str(d / "log2"), dir=str(d / "elsewhere"), sleep=3)
    wfops_server.wait(running, {"running"})
    noop = wfops_server.run("core.noop")
    wfops_server.wait(noop)
    before = executions_of(wfops_server, "wfops_examples.sequential")
    cases = [
        (dict(id=original, tasks=["task2"], parameters={"sleep": 1}),
         "Parameters override is not supported when re-running task(s) for a workflow."),
        (dict(id=original, tasks=["task2"], no_reset=["task3"]),
         "List of tasks to reset does not match the tasks to rerun."),
        (dict(id=running, tasks=["task1"]),
         'Unable to rerun workflow execution "%s" because it is not in a completed state.' % running),
        (dict(id="0123456789abcdef01234567", tasks=["task1"]),
         'Unable to identify resource with id "0123456789abcdef01234567".'),
        (dict(id=noop, tasks=["task1"]), "Task option is only supported for Orquesta workflows."),
        (dict(id=original, tasks=["task2", "nope"]), 'Task "nope" is not defined in the workflow'),
        (dict(id=noop, delay=5000), '"core.noop" is not a workflow'),   # a delay holds workflow tasks
        (dict(id=original, tasks=["task-2"]), '"task-2" is not a task name or name[route].'),
        (dict(id=original, result="1"), "`result` applies only to a skipped task: name the task in `skip`."),
    ]
    for parameters, message in cases:
        ok, result = run_action("rerun", config, **parameters)
        assert not ok, (parameters, result)
        assert message in result["error"], (parameters, result)
        assert result["status"] in (400, 404), result
    assert executions_of(wfops_server, "wfops_examples.sequential") == before
    assert wfops_server.get(original)["status"] == "failed"
    http("DELETE", wfops_server.url + "/executions/%s" % running)


def test_rerun_the_failed_tasks(wfops_server, config, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.parallel_join", ["fail.task2", "fail.task3"])
    clear_markers(workdir)
    ok, result = run_action("rerun", config, id=original, failed=True)
    assert ok, result
    assert sorted(r["task"] for r in result["plan"]["rerun"]) == ["task2", "task3"]
    assert wfops_server.wait(result["execution"]["id"])["status"] == "succeeded"
    assert sorted(log_lines(workdir[1])[3:]) == ["task2", "task3", "task4"]


def test_rerun_the_failed_items_only(wfops_server, config, workdir):
    # failed + no_reset: the server names the failed tasks first (the API's reset is a
    # subset of its tasks), then only the abended items run again (R6).
    original = failed_run(wfops_server, workdir, "wfops_examples.with_items", ["fail.task1.1", "fail.task1.3"])
    clear_markers(workdir)
    ok, result = run_action("rerun", config, id=original, failed=True, no_reset=["task1"])
    assert ok, result
    assert result["plan"]["rerun"][0]["item_indices"] == [1, 3]
    assert wfops_server.wait(result["execution"]["id"])["status"] == "succeeded"
    assert sorted(log_lines(workdir[1])[6:]) == ["task1:1", "task1:3"]


def test_join_that_cannot_run_is_refused_unless_forced(wfops_server, config, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.parallel_join", ["fail.task2", "fail.task3"])
    ok, result = run_action("rerun", config, id=original, tasks=["task2"])
    assert not ok
    assert 'Join "task4" waits for task3, which failed and is not in the request' in result["error"]
    ok, result = run_action("rerun", config, id=original, tasks=["task2"], force=True, dry_run=True)
    assert ok, result
    assert any("Submitted anyway (`force`)" in w for w in result["warnings"])


def test_rerun_items_extra(wfops_server, config, workdir):
    # E3: exactly the chosen items run again, whatever their status.
    original = failed_run(wfops_server, workdir, "wfops_examples.with_items", ["fail.task1.2"])
    clear_markers(workdir)
    ok, result = run_action("rerun", config, id=original, items={"task1": "0,2"})
    assert ok, result
    assert wfops_server.wait(result["execution"]["id"])["status"] == "succeeded"
    assert sorted(log_lines(workdir[1])[6:]) == ["task1:0", "task1:2"]


def test_bad_item_selections_are_refused_as_by_every_front_end(wfops_server, config, workdir):
    # The same sentences as the command line's and the API's (wfops.item_selection), before
    # anything is sent for what the options can tell, by the planner for the range.
    original = failed_run(wfops_server, workdir, "wfops_examples.with_items", ["fail.task1.2"])
    before = executions_of(wfops_server, "wfops_examples.with_items")
    selection = 'The item selection of task "task1" '
    for items, message in (
        ({"task1": ""}, selection + "is empty: name at least one item index, or re-run the whole task instead."),
        ({"task1": []}, selection + "is empty: name at least one item index, or re-run the whole task instead."),
        ({"task1": "0,2,0"}, selection + "names item 0 more than once: name each item once."),
        ({"task1": [2, 2]}, selection + "names item 2 more than once: name each item once."),
        ({"task1": "1,x"}, 'The item selection of task "task1": "x" is not an item index (0, 1, 2, ...).'),
        ({"task1": "6"}, 'Task "task1" has items 0 to 5; 6 is out of range.'),
    ):
        ok, result = run_action("rerun", config, id=original, items=items)
        assert (ok, result["error"], result["status"]) == (False, message, 400), items
    assert executions_of(wfops_server, "wfops_examples.with_items") == before
    assert len(log_lines(workdir[1])) == 6, "nothing ran"


def test_rerun_context_extra(wfops_server, config, workdir):
    # E2: task2 of context_demo succeeds once its inbound context says target=good.
    original = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    ok, result = run_action("rerun", config, id=original, tasks=["task2"], context={"task2": "target=good"})
    assert ok, result
    assert wfops_server.wait(result["execution"]["id"])["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["task1", "task2:bad", "task2:good", "task3:token-good"]


# --------------------------------------------------------------------------------------
# On a real StackStorm's API
# --------------------------------------------------------------------------------------

def _submitted(fake_st2):
    return [body for _, _, _, body in fake_st2.calls("POST", r"/re_run$")]


def test_stackstorm_rerun_from_a_task(wfops_server, st2_config, fake_st2, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    clear_markers(workdir)
    ok, result = run_action("rerun", st2_config, id=original, tasks=["task2"], comment="not recorded")
    assert ok, result
    assert result["backend"] == "stackstorm"
    assert _submitted(fake_st2) == [{"parameters": {}, "tasks": ["task2"], "reset": ["task2"], "delay": 0}]
    assert "StackStorm keeps no audit trail: the comment was not recorded." in result["warnings"]
    new = result["execution"]
    assert wfops_server.wait(new["id"])["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["task1", "task2", "task2", "task3"]


def test_stackstorm_rerun_collapses_downstream_tasks(wfops_server, st2_config, fake_st2, workdir):
    # R4 on StackStorm: only the collapsed request is submitted, so task2 runs once.
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task3"])
    clear_markers(workdir)
    ok, result = run_action("rerun", st2_config, id=original, tasks=["task1", "task2"])
    assert ok, result
    assert _submitted(fake_st2) == [{"parameters": {}, "tasks": ["task1"], "reset": ["task1"], "delay": 0}]
    assert [(d["task"], d["covered_by"]) for d in result["plan"]["dropped"]] == [("task2", "task1[0]")]
    assert wfops_server.wait(result["execution"]["id"])["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["task1", "task2", "task3", "task1", "task2", "task3"]


def test_stackstorm_rerun_keeps_succeeded_items(wfops_server, st2_config, fake_st2, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.with_items", ["fail.task1.4"])
    clear_markers(workdir)
    ok, result = run_action("rerun", st2_config, id=original, failed=True, no_reset=["task1"])
    assert ok, result
    assert _submitted(fake_st2) == [{"parameters": {}, "tasks": ["task1"], "reset": [], "delay": 0}]
    assert result["plan"]["rerun"][0]["item_indices"] == [4]
    assert wfops_server.wait(result["execution"]["id"])["status"] == "succeeded"
    assert log_lines(workdir[1])[6:] == ["task1:4"]


def test_stackstorm_refuses_a_join_that_cannot_run(wfops_server, st2_config, fake_st2, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.parallel_join", ["fail.task2", "fail.task3"])
    ok, result = run_action("rerun", st2_config, id=original, tasks=["task2"])
    assert not ok
    assert 'Join "task4" waits for task3' in result["error"]
    assert _submitted(fake_st2) == []
    # --force submits it anyway, as StackStorm would have.
    clear_markers(workdir)
    ok, result = run_action("rerun", st2_config, id=original, tasks=["task2"], force=True)
    assert ok, result
    assert _submitted(fake_st2) == [{"parameters": {}, "tasks": ["task2"], "reset": ["task2"], "delay": 0}]
    wfops_server.wait(result["execution"]["id"])


def test_stackstorm_rerun_from_the_beginning(wfops_server, st2_config, fake_st2, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task1"])
    clear_markers(workdir)
    ok, result = run_action("rerun", st2_config, id=original, parameters={"sleep": 0})
    assert ok, result
    assert _submitted(fake_st2) == [{"parameters": {"sleep": 0}, "tasks": [], "reset": [], "delay": 0}]
    assert wfops_server.wait(result["execution"]["id"])["status"] == "succeeded"


def test_stackstorm_refuses_what_its_api_lacks(wfops_server, st2_config, fake_st2, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.context_demo")
    ok, result = run_action("rerun", st2_config, id=original, tasks=["task2"], skip=["task2"],
                            publish={"token": "x"})
    assert not ok
    assert result["status"] == 501
    assert "no skip (recording a failed task as succeeded and going on)" in result["error"]
    assert "no publish" in result["error"] and "no result" in result["error"]
    assert _submitted(fake_st2) == []
    # The refusals StackStorm shares keep its wording.
    ok, result = run_action("rerun", st2_config, id=original, tasks=["task2"], parameters={"sleep": 1})
    assert result["error"] == "Parameters override is not supported when re-running task(s) for a workflow."
