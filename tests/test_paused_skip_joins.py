"""E4 on a paused workflow whose skip reaches a join: hosttest.paused_join, where both
branches failed (each failure handled) and the operator paused it. Skipping one branch
stages the join, which still waits for the other: the planner refuses it (R9) and nothing
changes; with ``--force`` the skip is taken and Orquesta fails the workflow on the
unreachable join. Skipping both runs the join."""

from __future__ import annotations

from conftest import log_lines, tasks_of, wait_for


def _paused_with_both_branches_failed(wfops, workdir) -> str:
    d, log = workdir
    for marker in ("fail.a", "fail.b", "hold.handle_b"):
        (d / marker).touch()
    process = wfops.popen("run", "hosttest.paused_join", "log=%s" % log, "dir=%s" % d)
    wait_for(lambda: sorted(log_lines(log)) == ["a", "b", "handle_a", "handle_b", "start"], timeout=30)
    ex = wfops.json("execution", "list")[0][0]["id"]
    assert wfops.run("execution", "pause", ex).returncode == 0
    (d / "hold.handle_b").unlink()
    wfops.wait_status(ex, {"paused"})
    assert process.wait(timeout=60) == 1, "`wfops run` returns when the workflow pauses"
    return ex


def test_a_skip_that_leaves_its_join_waiting_is_refused_unless_forced(wfops, workdir):
    d, log = workdir
    ex = _paused_with_both_branches_failed(wfops, workdir)
    before, tasks_before = log_lines(log), tasks_of(wfops.get(ex))
    audit_before = wfops.json("execution", "audit", ex)[0]

    done = wfops.run("execution", "skip", ex, "a")
    assert done.returncode == 1
    assert 'Join "join_both" waits for b, which failed and is not in the request' in done.stderr
    assert "wfops execution skip %s b" % ex in done.stderr
    assert wfops.get(ex, tasks=False)["status"] == "paused"
    assert tasks_of(wfops.get(ex)) == tasks_before and log_lines(log) == before
    assert wfops.json("execution", "audit", ex)[0] == audit_before

    # Forced, the skip is taken; the join can never run, and Orquesta fails the workflow
    # for it, as it does any join left partially satisfied: nothing else runs.
    done = wfops.run("execution", "skip", ex, "a", "--force")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert 'UnreachableJoinError: The join task|route "join_both|0" is partially satisfied but unreachable' in done.stderr
    view = wfops.get(ex)
    assert view["status"] == "failed"
    assert tasks_of(view) == tasks_before + [("a", None, "succeeded")]
    assert log_lines(log) == before
    assert wfops.json("execution", "audit", ex)[0][-1]["operation"] == "skip"


def test_skipping_both_branches_runs_the_join(wfops, workdir):
    d, log = workdir
    ex = _paused_with_both_branches_failed(wfops, workdir)
    before = log_lines(log)
    done = wfops.run("execution", "re-run", ex, "--skip", "a", "b")
    assert done.returncode == 0, done.stderr
    view = wfops.get(ex)
    assert view["status"] == "succeeded"
    assert log_lines(log)[len(before):] == ["join_both"], "a and b did not run again; the join ran once"
