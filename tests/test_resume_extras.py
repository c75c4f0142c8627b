"""The Mistral "resume" use cases (rules E1 to E8) end to end on the embedded host:
changed context, selected items, skip with a supplied result, requirement checks, the task
context view and the audit trail."""

from __future__ import annotations

from conftest import Wfops, log_lines, run_example, tasks_of, wait_for


def _run(wfops, workdir, ref, *params, fail=()):
    return run_example(wfops, workdir, ref, *params, fail=fail)


def _new(log, before):
    return log_lines(log)[len(before):]


def _paused_after_task1(wfops, workdir):
    """gates.sequential paused by the operator while task1 runs (held on its gate file),
    then task1 let finish: the workflow is paused with task1 succeeded."""
    d, log = workdir
    (d / "hold.task1").touch()
    wfops.popen("run", "gates.sequential", "log=%s" % log, "dir=%s" % d)
    wait_for(lambda: log_lines(log) == ["task1"], timeout=30)
    ex = wfops.json("execution", "list")[0][0]["id"]
    assert wfops.run("execution", "pause", ex).returncode == 0
    assert wfops.get(ex, tasks=False)["status"] == "pausing"
    (d / "hold.task1").unlink()
    wfops.wait_status(ex, {"paused"})
    return ex


def test_e1_resume_from_a_manual_pause(wfops, workdir):
    d, log = workdir
    ex = _paused_after_task1(wfops, workdir)
    assert wfops.run("execution", "resume", ex).returncode == 0
    assert wfops.wait_status(ex, {"succeeded", "failed"})["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "task3"]


def test_e2_rerun_a_failed_task_with_a_changed_context(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.context_demo")
    assert first["status"] == "failed"
    assert log_lines(log) == ["task1", "task2:bad"]
    view, done = wfops.json("execution", "re-run", first["id"], "--tasks", "task2",
                            "--context", "task2", "target=good")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded"
    # task2's input was rendered again from the changed context; task3 saw what it published.
    assert _new(log, ["task1", "task2:bad"]) == ["task2:good", "task3:token-good"]
    assert view["result"]["output"]["token"] == "token-good"
    seen = wfops.json("execution", "context", view["id"], "task2")[0]
    assert seen["context"]["target"] == "good"
    assert "good" in seen["input"]["cmd"]


def test_e2_context_override_for_a_task_not_in_the_request_is_refused(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.context_demo")
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "task2", "--context", "task3", "x=1")
    assert done.returncode == 1
    assert "task3" in done.stderr and "--context" in done.stderr


def test_e3_rerun_selected_items(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.with_items", fail=["task1.1", "task1.3"])
    before = log_lines(log)
    view, done = wfops.json("execution", "re-run", first["id"], "--items", "task1", "1,3")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded"
    assert sorted(_new(log, before)) == ["task1:1", "task1:3"]
    assert view["result"]["output"]["results"] == [0, 1, 2, 3, 4, 5], "the result list has all six"


def test_e3_selected_items_run_whatever_their_status(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.with_items")
    before = log_lines(log)
    view, done = wfops.json("execution", "re-run", first["id"], "--items", "task1", "0,5")
    assert view["status"] == "succeeded", done.stderr
    assert sorted(_new(log, before)) == ["task1:0", "task1:5"]


def test_e3_a_failed_item_left_out_of_the_selection_keeps_its_status_and_result(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.with_items", fail=["task1.1", "task1.3"])
    original = {i["item"]: i for i in wfops.json("execution", "context", first["id"], "task1")[0]["items"]}
    before = log_lines(log)
    # Both failures are fixed, but only item 1 is chosen: item 3 must not run.
    view, done = wfops.json("execution", "re-run", first["id"], "--items", "task1", "1")
    assert done.returncode == 1 and view["status"] == "failed", done.stderr
    assert _new(log, before) == ["task1:1"], "only the chosen item ran"
    seen = wfops.json("execution", "context", view["id"], "task1")[0]
    items = {i["item"]: i for i in seen["items"]}
    assert [(i, items[i]["status"]) for i in range(6)] == [
        (0, "succeeded"), (1, "succeeded"), (2, "succeeded"), (3, "failed"), (4, "succeeded"), (5, "succeeded")]
    assert items[3] == original[3], "item 3 keeps its execution, status and result"
    assert items[3]["result"]["stderr"] == "failure marker fail.task1.3 exists"
    assert items[1]["execution"] != original[1]["execution"] and items[1]["result"]["stdout"] == 1
    assert [r["succeeded"] for r in seen["result"]] == [True, True, True, False, True, True]
    # The item left out runs when it is chosen; the result list is complete.
    view, done = wfops.json("execution", "re-run", view["id"], "--items", "task1", "3")
    assert view["status"] == "succeeded", done.stderr
    assert _new(log, before) == ["task1:1", "task1:3"]
    assert view["result"]["output"]["results"] == [0, 1, 2, 3, 4, 5]


def test_e3_item_index_out_of_range(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.with_items", fail=["task1.1"])
    done = wfops.run("execution", "re-run", first["id"], "--items", "task1", "1,9")
    assert done.returncode == 1
    assert "9" in done.stderr and "0 to 5" in done.stderr


def test_e4_skip_a_failed_task_with_publish_and_continue(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.context_demo")
    before = log_lines(log)
    view, done = wfops.json("execution", "skip", first["id"], "task2", "--publish", "token=manual")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded"
    assert _new(log, before) == ["task3:manual"], "task2 did not run again; task3 used the value"
    seen = wfops.json("execution", "context", view["id"], "task2")[0]
    assert seen["status"] == "succeeded" and seen["skipped"] is True
    audit = wfops.json("execution", "audit", first["id"])[0]
    assert audit[-1]["operation"] == "skip"


def test_e4_skip_with_a_supplied_result(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.context_demo")
    before = log_lines(log)
    view, done = wfops.json("execution", "re-run", first["id"], "--skip", "task2",
                            "--result", "task2", '{"stdout": "token-from-result"}')
    assert view["status"] == "succeeded", done.stderr
    assert _new(log, before) == ["task3:token-from-result"]


def test_e5_skip_missing_a_needed_variable_names_it(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.context_demo")
    before = log_lines(log)
    done = wfops.run("execution", "skip", first["id"], "task2")
    assert done.returncode == 1
    assert "token" in done.stderr and "result().stdout" in done.stderr
    assert log_lines(log) == before
    assert len(wfops.json("execution", "list")[0]) == 1, "nothing was created"


def test_e5_two_failed_branches_of_a_join(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.parallel_join", fail=["task2", "task3"])
    before = log_lines(log)
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "task2")
    assert done.returncode == 1 and "task3" in done.stderr
    view, done = wfops.json("execution", "re-run", first["id"], "--tasks", "task2", "--skip", "task3")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded"
    assert _new(log, before) == ["task2", "task4"]


def test_e6_skipping_a_succeeded_or_never_run_task_is_refused(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.context_demo")
    done = wfops.run("execution", "skip", first["id"], "task1")
    assert done.returncode == 1
    assert "task1" in done.stderr and "succeeded" in done.stderr and "--tasks task1" in done.stderr
    done = wfops.run("execution", "skip", first["id"], "task3")
    assert done.returncode == 1
    assert "task3" in done.stderr and "never ran" in done.stderr


def test_bad_input_for_extras(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.context_demo")
    done = wfops.run("execution", "re-run", first["id"], "--skip", "task2", "--result", "task2", "{not json")
    assert done.returncode == 1 and "not JSON" in done.stderr
    done = wfops.run("execution", "re-run", first["id"], "--skip", "task2", "--tasks", "task2")
    assert done.returncode == 1 and "task2" in done.stderr
    assert len(wfops.json("execution", "list")[0]) == 1


def test_e8_context_of_a_task_in_a_paused_workflow(wfops, workdir):
    d, log = workdir
    ex = _paused_after_task1(wfops, workdir)
    seen, done = wfops.json("execution", "context", ex, "task1")
    assert done.returncode == 0, done.stderr
    assert seen["status"] == "succeeded"
    assert seen["context"]["log"] == str(log)
    assert seen["published"] == {"msg1": "task1"}
    assert seen["result"]["stdout"] == "task1"
    assert seen["led_to_by"] == []
    done = wfops.run("execution", "context", ex, "task3")
    assert done.returncode == 1 and "has not run" in done.stderr


def test_e8_the_context_of_one_item(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.with_items", fail=["task1.1"])
    seen, done = wfops.json("execution", "context", first["id"], "task1", "--item", "1")
    assert done.returncode == 0, done.stderr
    [item] = seen["items"]
    assert (item["item"], item["status"]) == (1, "failed")
    assert 'echo "task1:1"' in item["input"]["cmd"] and "fail.task1.1" in item["input"]["cmd"]
    assert item["result"]["stderr"] == "failure marker fail.task1.1 exists"
    assert seen["status"] == "failed" and seen["context"]["items"] == [0, 1, 2, 3, 4, 5]
    [item] = wfops.json("execution", "context", first["id"], "task1", "--item", "4")[0]["items"]
    assert (item["item"], item["status"], item["result"]["stdout"]) == (4, "succeeded", 4)
    assert 'echo "task1:4"' in item["input"]["cmd"]
    text = wfops.run("execution", "context", first["id"], "task1", "--item", "4").stdout
    assert "item 4: succeeded" in text and "item 1:" not in text and "item 0:" not in text
    done = wfops.run("execution", "context", first["id"], "task1", "--item", "6")
    assert (done.returncode, done.stderr) == (1, 'ERROR: Task "task1" has no item 6; its items are 0 to 5.\n')
    other = _run(wfops, workdir, "wfops_examples.context_demo")
    done = wfops.run("execution", "context", other["id"], "task1", "--item", "0")
    assert (done.returncode, done.stderr) == (
        1, 'ERROR: Task "task1" is not a with-items task; it has no items to show.\n')


def test_e4_skip_with_two_publishing_on_success_transitions(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "gates.skip_two_publish", fail=["task1"])
    assert first["status"] == "failed" and log_lines(log) == ["task1"]
    # E5: each transition's variables are checked, the second's too.
    done = wfops.run("execution", "skip", first["id"], "task1", "--result", "{}")
    assert done.returncode == 1
    assert 'publishes "a" with <% result().stdout %>' in done.stderr
    assert 'publishes "b" with <% result().stdout + "-b" %>' in done.stderr
    skip = ("execution", "skip", first["id"], "task1", "--result", '{"stdout": "manual"}', "--publish", "b=over")
    done = wfops.run(*skip, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert ('Skipped: task1[0] recorded as succeeded with result {"stdout": "manual"}; publishes '
            'a="manual", c="fixed", b="over"') in done.stdout
    view, done = wfops.json(*skip)
    assert view["status"] == "succeeded", done.stderr
    # a is computed from the result on the first transition; on the second, b is the
    # value given (not computed) and c is computed.
    assert sorted(log_lines(log)) == ["task1", "task2:manual", "task3:over:fixed"], "task1 did not run again"
    task3 = wfops.json("execution", "context", view["id"], "task3")[0]["context"]
    assert (task3["b"], task3["c"]) == ("over", "fixed")
    assert wfops.json("execution", "context", view["id"], "task2")[0]["context"]["a"] == "manual"


def test_e7_audit_entries_after_each_operation(wfops, workdir):
    d, log = workdir
    first = _run(wfops, workdir, "wfops_examples.context_demo")
    second, done = wfops.json("execution", "re-run", first["id"], "--tasks", "task2", "--context", "task2",
                              "target=good", "--comment", "fixed the target")
    audit = wfops.json("execution", "audit", first["id"])[0]
    entry = audit[-1]
    assert entry["operation"] == "re-run"
    assert entry["comment"] == "fixed the target"
    assert entry["request"]["context"] == {"task2": {"target": "good"}}
    assert entry["plan"]["rerun"], "the plan it resolved to is recorded"
    assert entry["outcome"]["execution"] == second["id"]
    created = wfops.json("execution", "audit", second["id"])[0]
    assert created[0]["outcome"]["from"] == first["id"]


# -- skips on a paused workflow (issue 5 item 4: "works on a failed workflow and on a paused one")


def _handled_failure_waiting(wfops, workdir):
    """wfops_examples.handled_failure with task2 failing; its failure transition runs notify, which
    waits while <dir>/hold.notify exists. Returns the `wfops run` process and the id."""
    d, log = workdir
    (d / "fail.task2").touch()
    (d / "hold.notify").touch()
    process = wfops.popen("run", "wfops_examples.handled_failure", "log=%s" % log, "dir=%s" % d)
    wait_for(lambda: log_lines(log) == ["task1", "task2", "notify"], timeout=30)
    return process, wfops.json("execution", "list")[0][0]["id"]


def _paused_after_handled_failure(wfops, workdir):
    """The operator pauses while notify waits, and the workflow stops paused with task2
    failed."""
    d, log = workdir
    process, ex = _handled_failure_waiting(wfops, workdir)
    assert wfops.run("execution", "pause", ex).returncode == 0
    (d / "hold.notify").unlink()
    wfops.wait_status(ex, {"paused"})
    assert process.wait(timeout=60) == 1, "`wfops run` returns when the workflow pauses"
    view = wfops.get(ex)
    assert tasks_of(view) == [("task1", None, "succeeded"), ("task2", None, "failed"),
                              ("notify", None, "succeeded")]
    return ex


def test_e4_skip_on_a_paused_workflow_records_the_skip_and_resumes_it(wfops, workdir):
    d, log = workdir
    ex = _paused_after_handled_failure(wfops, workdir)
    before = log_lines(log)

    done = wfops.run("execution", "skip", ex, "task2", "--publish", "token=manual", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "Paused workflow: the skipped tasks are recorded on its paused execution" in done.stdout
    assert "Runs afresh downstream: task3\n" in done.stdout, "a skipped task takes its on-success transition only"
    assert wfops.get(ex, tasks=False)["status"] == "paused" and log_lines(log) == before

    view, done = wfops.json("execution", "skip", ex, "task2", "--publish", "token=manual",
                            "--comment", "deployed by hand")
    assert done.returncode == 0, done.stderr
    assert view["id"] == ex, "the paused execution itself goes on: no new execution"
    assert view["status"] == "succeeded"
    assert _new(log, before) == ["task3:manual"], "task2 did not run again; task3 used the published value"
    assert view["result"]["output"]["token"] == "manual"
    assert len(wfops.json("execution", "list")[0]) == 1
    assert tasks_of(wfops.get(ex)) == [
        ("task1", None, "succeeded"), ("task2", None, "failed"), ("notify", None, "succeeded"),
        ("task2", None, "succeeded"), ("task3", None, "succeeded")]
    seen = wfops.json("execution", "context", ex, "task2")[0]
    assert (seen["status"], seen["skipped"], seen["result"]) == ("succeeded", True, None)
    assert seen["published"] == {"token": "manual"}
    assert wfops.json("execution", "context", ex, "task3")[0]["context"]["token"] == "manual"

    entry = wfops.json("execution", "audit", ex)[0][-1]
    assert entry["operation"] == "skip" and entry["comment"] == "deployed by hand"
    assert entry["request"]["skip"] == ["task2"] and entry["request"]["publish"] == {"task2": {"token": "manual"}}
    assert entry["plan"]["in_place"] is True and entry["plan"]["requests"] == []
    assert entry["outcome"]["status_before"] == "paused" and entry["outcome"]["resumed"] is True


def test_a_paused_workflow_refuses_all_but_valid_skips_and_nothing_changes(wfops, workdir):
    d, log = workdir
    ex = _paused_after_handled_failure(wfops, workdir)
    before = log_lines(log)
    audit_before = wfops.json("execution", "audit", ex)[0]

    done = wfops.run("execution", "skip", ex, "task2")
    assert done.returncode == 1
    assert '"token" with <% result().stdout %>' in done.stderr, "E5: the variable and its expression"
    done = wfops.run("execution", "re-run", ex, "--tasks", "task2")
    assert done.returncode == 1
    assert "not in a completed state. It is paused, and a paused workflow only takes skips" in done.stderr
    assert "wfops execution resume %s" % ex in done.stderr and "wfops execution cancel %s" % ex in done.stderr
    done = wfops.run("execution", "re-run", ex, "--skip", "task2", "--publish", "task2", "token=x",
                     "--context", "task2", "a=1")
    assert done.returncode == 1 and "a skipped task does not run" in done.stderr
    done = wfops.run("execution", "re-run", ex, "--skip", "task2", "--publish", "task2", "token=x",
                     "--items", "task2", "0")
    assert done.returncode == 1 and "leave out --items" in done.stderr
    done = wfops.run("execution", "skip", ex, "task1")
    assert done.returncode == 1 and "already succeeded" in done.stderr and "--tasks task1" in done.stderr

    assert wfops.get(ex, tasks=False)["status"] == "paused"
    assert log_lines(log) == before
    assert wfops.json("execution", "audit", ex)[0] == audit_before
    assert len(tasks_of(wfops.get(ex))) == 3


def test_a_skip_in_a_running_workflow_is_refused(wfops, workdir):
    d, log = workdir
    process, ex = _handled_failure_waiting(wfops, workdir)
    done = wfops.run("execution", "skip", ex, "task2", "--publish", "token=x")
    (d / "hold.notify").unlink()
    assert done.returncode == 1
    assert 'Unable to skip tasks of workflow execution "%s" because it is running' % ex in done.stderr
    assert "wfops execution pause %s" % ex in done.stderr
    # Nothing changed: the handled failure ends the run as the definition says, without task3.
    assert process.wait(timeout=60) == 0
    assert wfops.get(ex, tasks=False)["status"] == "succeeded"
    assert log_lines(log) == ["task1", "task2", "notify"]
    assert [e["operation"] for e in wfops.json("execution", "audit", ex)[0]] == []


_PARENT = """
version: 1.0
input: [log, dir]
tasks:
  start:
    action: core.noop
    next:
      - do: a, sub
  a:
    action: core.local
    input:
      cmd: echo a >> "<% ctx().log %>"; false
    next:
      - when: <% succeeded() %>
        do: after_a
      - when: <% failed() %>
        do: noted
  noted:
    action: core.noop
  after_a:
    action: core.local
    input:
      cmd: echo after_a >> "<% ctx().log %>"
  sub:
    action: adhoc.child
    input:
      log: <% ctx().log %>
      dir: <% ctx().dir %>
"""

_CHILD = """
version: 1.0
input: [log, dir]
tasks:
  step1:
    action: core.local
    input:
      cmd: echo child.step1 >> "<% ctx().log %>"; while [ -e "<% ctx().dir %>/hold.child" ]; do sleep 0.1; done
    next:
      - when: <% succeeded() %>
        do: step2
  step2:
    action: core.local
    input:
      cmd: echo child.step2 >> "<% ctx().log %>"
"""


def _adhoc_pack(root):
    actions = root / "adhoc" / "actions"
    (actions / "workflows").mkdir(parents=True)
    (root / "adhoc" / "pack.yaml").write_text("ref: adhoc\nname: adhoc\ndescription: test\nversion: 0.0.1\n")
    for name, definition in (("wf", _PARENT), ("child", _CHILD)):
        (actions / ("%s.yaml" % name)).write_text(
            "name: %s\npack: adhoc\ndescription: test\nrunner_type: orquesta\nentry_point: workflows/%s.yaml\n"
            "enabled: true\nparameters:\n  log: {type: string, required: true}\n  dir: {type: string, required: true}\n"
            % (name, name))
        (actions / "workflows" / ("%s.yaml" % name)).write_text(definition)
    return root


def test_e4_skip_on_a_paused_workflow_resumes_its_paused_sub_workflow_too(wfops, workdir, tmp_path):
    # a fails (handled) while the sub-workflow runs; pausing pauses both (L2). The skip of a
    # resumes the workflow as `execution resume` does, sub-workflow included (L4).
    d, log = workdir
    wfops = Wfops(wfops.home, packs_path=str(_adhoc_pack(tmp_path / "packs")))
    (d / "hold.child").touch()
    process = wfops.popen("run", "adhoc.wf", "log=%s" % log, "dir=%s" % d)
    wait_for(lambda: sorted(log_lines(log)) == ["a", "child.step1"], timeout=30)
    ex = wfops.json("execution", "list")[0][0]["id"]
    assert wfops.run("execution", "pause", ex).returncode == 0
    (d / "hold.child").unlink()
    wfops.wait_status(ex, {"paused"})
    process.wait(timeout=60)
    child = next(c for c in wfops.get(ex)["children"] if c["context"]["orquesta"]["task_name"] == "sub")
    assert child["status"] == "paused"

    view, done = wfops.json("execution", "skip", ex, "a")
    assert done.returncode == 0, done.stderr
    assert view["status"] == "succeeded"
    assert sorted(log_lines(log)) == ["a", "after_a", "child.step1", "child.step2"]
    assert wfops.get(child["id"], tasks=False)["status"] == "succeeded"
