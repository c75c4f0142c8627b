"""The seed scenarios of StackStorm's "Re-running Workflow Execution from Task(s)", run
for real on the embedded host (rules R1 to R13). Each shell task and item appends a line
to a log, so what ran is counted by side effect, not only by wfops's records."""

from __future__ import annotations

import threading

from conftest import log_lines, run_example, tasks_of


def _run(wfops, workdir, ref, *params, fail=()):
    return run_example(wfops, workdir, ref, *params, fail=fail)


def _rerun(wfops, execution_id, *args):
    view, done = wfops.json("execution", "re-run", execution_id, *args)
    return view, done


def _new_lines(log, before):
    return log_lines(log)[len(before):]


# -- sequential: task1 -> task2 -> task3 ---------------------------------------------------


def test_rerun_from_the_failed_task(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.sequential", fail=["task2"])
    assert first["status"] == "failed"
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task2")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded"
    assert _new_lines(log, before) == ["task2", "task3"]
    assert view["id"] != first["id"]
    # As st2 records it: reset = tasks less no-reset.
    assert view["context"]["re-run"] == {"ref": first["id"], "tasks": ["task2"], "reset": ["task2"]}
    # R10: the new task executions are the re-run's children; the original keeps its own.
    assert [t for t, _, _ in tasks_of(wfops.get(view["id"]))] == ["task2", "task3"]
    original = wfops.get(first["id"])
    assert original["status"] == "failed"
    assert [(t, st) for t, _, st in tasks_of(original)] == [("task1", "succeeded"), ("task2", "failed")]
    assert view["context"]["workflow_execution"] == original["context"]["workflow_execution"]
    assert view["result"]["output"] == {"msg1": "task1", "msg2": "task2", "msg3": "task3"}


def test_rerun_from_task1_runs_everything_after_it(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.sequential", fail=["task3"])
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task1")
    assert view["status"] == "succeeded", done.stderr
    assert _new_lines(log, before) == ["task1", "task2", "task3"]


def test_a_task_named_twice_counts_once(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.sequential", fail=["task2"])
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task2", "task2")
    assert view["status"] == "succeeded", done.stderr
    assert _new_lines(log, before) == ["task2", "task3"]


def test_downstream_request_is_dropped_the_upstream_orquesta_bug_case(wfops, workdir):
    """task1 -> task2 -> task3 with task3 failed, --tasks task1 task2: Orquesta 1.2.0 would
    re-run task1 and task2 (a second branch with stale context); wfops re-runs task1 only
    and task2 runs exactly once more, after task1."""
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.sequential", fail=["task3"])
    before = log_lines(log)
    plan, done = wfops.json("execution", "re-run", first["id"], "--tasks", "task1", "task2",
                            "--dry-run", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [(r["task"], r["route"]) for r in plan["rerun"]] == [("task1", 0)]
    assert [(d_["task"], d_["covered_by"]) for d_ in plan["dropped"]] == [("task2", "task1[0]")]
    assert log_lines(log) == before, "a dry run changes nothing"
    view, done = _rerun(wfops, first["id"], "--tasks", "task1", "task2")
    assert view["status"] == "succeeded", done.stderr
    assert _new_lines(log, before) == ["task1", "task2", "task3"]


def test_a_task_that_never_ran_is_refused(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.sequential", fail=["task2"])
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "task3")
    assert done.returncode == 1
    assert "task3" in done.stderr and "never ran" in done.stderr
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "nosuchtask")
    assert done.returncode == 1
    assert '"nosuchtask" is not defined' in done.stderr
    assert wfops.json("execution", "list")[0][0]["id"] == first["id"], "nothing was created"


def test_rerun_from_tasks_with_async_runs_in_a_detached_engine(wfops, workdir):
    """Nothing runs the failed workflow: the request goes to a detached engine, which
    adopts the completed tree for it, applies it and runs the re-run to its end."""
    from conftest import wait_for

    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.sequential", fail=["task2"])
    before = log_lines(log)
    answer, done = wfops.json("execution", "re-run", first["id"], "--tasks", "task2", "--async")
    assert done.returncode == 0, done.stderr
    assert answer["id"] != first["id"]
    wait_for(lambda: wfops.get(answer["id"])["status"] == "succeeded", timeout=60)
    assert _new_lines(log, before) == ["task2", "task3"]


def test_every_problem_of_a_request_at_once(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.sequential", fail=["task2"])
    done = wfops.run("execution", "re-run", first["id"], "sleep=1", "--tasks", "nosuch", "task2[4]",
                     "--no-reset", "task1")
    assert done.returncode == 1
    assert "nosuch" in done.stderr
    assert "route 4" in done.stderr
    assert "List of tasks to reset does not match the tasks to rerun." in done.stderr
    assert "Parameters override is not supported when re-running task(s) for a workflow." in done.stderr


def test_rerun_of_a_succeeded_workflow_is_allowed(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.sequential")
    assert first["status"] == "succeeded"
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task3")
    assert view["status"] == "succeeded", done.stderr
    assert _new_lines(log, before) == ["task3"]


def test_rerun_while_running_is_refused(wfops, workdir):
    d, log = workdir
    (d / "hold.task1").touch()  # task1 runs until the gate file is removed
    process = wfops.popen("run", "gates.sequential", "log=%s" % log, "dir=%s" % d)
    from conftest import wait_for

    wait_for(lambda: log_lines(log) == ["task1"], timeout=30)
    ex = wfops.json("execution", "list")[0][0]["id"]
    done = wfops.run("execution", "re-run", ex, "--tasks", "task1")
    assert done.returncode == 1
    assert 'Unable to rerun workflow execution "%s" because it is not in a completed state.' % ex in done.stderr
    (d / "hold.task1").unlink()
    assert process.wait(timeout=60) == 0
    assert log_lines(log) == ["task1", "task2", "task3"]


# -- parallel: task1 -> (task2, task3) -> join task4 ---------------------------------------------


def test_join_rerun_from_both_failed_branches_runs_the_join_once(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.parallel_join", fail=["task2", "task3"])
    assert first["status"] == "failed"
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task2", "task3")
    assert view["status"] == "succeeded", done.stderr
    new = _new_lines(log, before)
    assert sorted(new) == ["task2", "task3", "task4"] and new[-1] == "task4"


def test_join_rerun_from_task1_runs_both_branches_afresh(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.parallel_join", fail=["task2", "task3"])
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task1")
    assert view["status"] == "succeeded", done.stderr
    new = _new_lines(log, before)
    assert new[0] == "task1" and new[-1] == "task4" and sorted(new) == ["task1", "task2", "task3", "task4"]


def test_join_with_another_failed_branch_not_requested_is_refused_then_forced(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.parallel_join", fail=["task2", "task3"])
    before = log_lines(log)
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "task2")
    assert done.returncode == 1
    assert "task4" in done.stderr and "task3" in done.stderr
    assert "--tasks" in done.stderr, "the refusal says how to include the branch"
    assert log_lines(log) == before
    view, done = _rerun(wfops, first["id"], "--tasks", "task2", "--force")
    assert done.returncode == 1 and view["status"] == "failed"
    assert _new_lines(log, before) == ["task2"], "with --force it behaves as st2: the join cannot run"


# -- with-items: reset and no-reset ---------------------------------------------------------------


def _items_run(wfops, workdir):
    return _run(wfops, workdir, "wfops_examples.parallel_join_items", fail=["task2.1", "task3.2"])


def test_no_reset_on_both_reruns_only_failed_items(wfops, workdir):
    d, log = workdir
    first = _items_run(wfops, workdir)
    assert first["status"] == "failed"
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task2", "task3", "--no-reset", "task2", "task3")
    assert view["status"] == "succeeded", done.stderr
    assert sorted(_new_lines(log, before)) == ["task2:1", "task3:2", "task4"]
    assert view["context"]["re-run"]["reset"] == []


def test_no_reset_on_one_resets_the_other(wfops, workdir):
    d, log = workdir
    first = _items_run(wfops, workdir)
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task2", "task3", "--no-reset", "task3")
    assert view["status"] == "succeeded", done.stderr
    assert sorted(_new_lines(log, before)) == ["task2:0", "task2:1", "task2:2", "task3:2", "task4"]
    assert view["context"]["re-run"]["reset"] == ["task2"]


def test_rerun_from_task1_resets_items_whatever_no_reset_says(wfops, workdir):
    d, log = workdir
    first = _items_run(wfops, workdir)
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task1", "--no-reset", "task1")
    assert view["status"] == "succeeded", done.stderr
    assert sorted(_new_lines(log, before)) == sorted(
        ["task1", "task2:0", "task2:1", "task2:2", "task3:0", "task3:1", "task3:2", "task4"])


def test_no_reset_result_list_is_complete(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.with_items", fail=["task1.1", "task1.4"])
    assert first["status"] == "failed"
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--tasks", "task1", "--no-reset", "task1")
    assert view["status"] == "succeeded", done.stderr
    assert sorted(_new_lines(log, before)) == ["task1:1", "task1:4"]
    # R6: item i holds its latest result; items that were not re-run keep theirs.
    assert view["result"]["output"]["results"] == [0, 1, 2, 3, 4, 5]


def test_failed_flag_reruns_every_abended_task(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.parallel_join", fail=["task2", "task3"])
    before = log_lines(log)
    view, done = _rerun(wfops, first["id"], "--failed")
    assert view["status"] == "succeeded", done.stderr
    assert sorted(_new_lines(log, before)) == ["task2", "task3", "task4"]


def test_second_rerun_of_the_same_state_is_a_conflict(wfops, workdir):
    """Two re-runs of the plan a dry run showed, requested at the same moment: one is
    applied, the other refused as a conflict (R13, D3), whichever process gets there
    first and whichever engine owns the workflow by then."""
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.sequential", "sleep=1", fail=["task3"])
    plan, done = wfops.json("execution", "re-run", first["id"], "--tasks", "task3", "--dry-run")
    assert done.returncode == 0, done.stderr
    results = []

    def rerun():
        results.append(wfops.run("execution", "re-run", first["id"], "--tasks", "task3",
                                 "--fingerprint", plan["fingerprint"]))

    threads = [threading.Thread(target=rerun) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 1], [r.stderr for r in results]
    refused = [r for r in results if r.returncode == 1][0]
    assert refused.stderr == (
        'ERROR: The state of workflow execution "%s" changed since the plan was computed (another '
        "operation came in between). Compute the plan again (a dry run) and re-submit.\n" % first["id"])
    assert log_lines(log).count("task3") == 2, "task3 ran once more, not twice"
    assert [e["operation"] for e in wfops.json("execution", "audit", first["id"])[0]] == ["re-run"]
