"""Inquiries on the local store: ``wfops run`` of a workflow with a ``core.ask`` stops at
its pause; ``wfops inquiry respond`` has an engine process carry the response out (the
workflow resumes, a later task sees the response); a pause while another branch runs
(pausing, then paused); a sub-workflow's inquiry pauses and resumes the tree (a resume
without an answer leaves it paused); an engine
killed while carrying a response out loses nothing and runs nothing twice. Side effects
are counted in the log the shell tasks append to."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

from conftest import FIXTURE_PACKS, Wfops, tasks_of


def lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_for(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met within %s s" % timeout
        time.sleep(0.1)


def pending_inquiry(wfops: Wfops) -> str:
    listed, done = wfops.json("inquiry", "list")
    assert done.returncode == 0 and len(listed) == 1, done.stderr
    return listed[0]["id"]


def started(wfops: Wfops, ref: str, *params: str) -> str:
    view, done = wfops.json("run", ref, *params)
    assert view["status"] == "paused" and done.returncode == 1, done.stderr
    return view["id"]


def test_wfops_run_stops_at_the_pause_and_a_response_resumes(tmp_path):
    wfops = Wfops(tmp_path / "home", packs_path=str(FIXTURE_PACKS))
    log = tmp_path / "log"
    wf = started(wfops, "st2sem.approval", "log=%s" % log)
    assert [(t, s) for t, _, s in tasks_of(wfops.get(wf))] == [("before", "succeeded"), ("ask", "pending")]
    inquiry = pending_inquiry(wfops)

    shown = wfops.run("inquiry", "get", inquiry)
    assert shown.returncode == 0 and "| route    | approvers" in shown.stdout and '"approved": {' in shown.stdout
    refused = wfops.run("inquiry", "respond", inquiry, "-r", '{"approved": 1}')
    assert (refused.returncode, refused.stderr) == (1, 'ERROR: Response for inquiry "%s" did not pass schema '
                                                       "validation. ['approved']: 1 is not of type 'boolean'\n"
                                                       % inquiry)
    for bad, why in (("{", "is not JSON"), ("[1]", "must be a JSON object")):
        done = wfops.run("inquiry", "respond", inquiry, "-r", bad)
        assert done.returncode == 1 and why in done.stderr
    assert wfops.run("inquiry", "respond", inquiry).stderr.startswith(
        "ERROR: `wfops inquiry respond %s` needs the response: give it as -r" % inquiry)
    assert wfops.get(wf, tasks=False)["status"] == "paused" and lines(log) == ["before"]

    done = wfops.run("inquiry", "respond", inquiry, "-r", '{"approved": true, "reason": "fine"}')
    assert (done.returncode, done.stdout) == (0, "\nResponse accepted for inquiry %s.\n" % inquiry), done.stderr
    final = wfops.wait_status(wf, {"succeeded", "failed"})
    assert final["status"] == "succeeded"
    assert lines(log) == ["before", "after approved=True reason=fine"]
    again = wfops.run("inquiry", "respond", inquiry, "-r", '{"approved": false}')
    assert (again.returncode, again.stderr) == (1, 'ERROR: Inquiry "%s" has already been responded to.\n' % inquiry)
    assert lines(log) == ["before", "after approved=True reason=fine"]


def test_a_pending_inquiry_pauses_the_workflow_once_the_other_branch_ends(tmp_path):
    wfops = Wfops(tmp_path / "home", packs_path=str(FIXTURE_PACKS))
    log = tmp_path / "log"
    (tmp_path / "hold.slow").touch()
    launched, done = wfops.json("run", "st2sem.approval_branches", "log=%s" % log, "dir=%s" % tmp_path, "--async")
    assert done.returncode == 0, done.stderr
    wf = launched["id"]
    wait_for(lambda: sorted((t, s) for t, _, s in tasks_of(wfops.get(wf))) == [("ask", "pending"), ("slow", "running")])
    assert wfops.get(wf, tasks=False)["status"] == "pausing"
    (tmp_path / "hold.slow").unlink()
    wfops.wait_status(wf, {"paused"})
    assert lines(log) == ["slow-start", "slow-end"]
    done = wfops.run("inquiry", "respond", pending_inquiry(wfops), "-r", '{"continue": true}')
    assert done.returncode == 0, done.stderr
    assert wfops.wait_status(wf, {"succeeded", "failed"})["status"] == "succeeded"
    assert lines(log) == ["slow-start", "slow-end", "report continue=True"]


def test_a_sub_workflow_inquiry_pauses_and_resumes_the_tree(tmp_path):
    wfops = Wfops(tmp_path / "home", packs_path=str(FIXTURE_PACKS))
    log = tmp_path / "log"
    wf = started(wfops, "st2sem.approval_parent", "log=%s" % log)
    parent = wfops.get(wf)
    assert [(t, s) for t, _, s in tasks_of(parent)] == [("child", "paused")]
    child = parent["children"][0]["id"]
    assert wfops.get(child, tasks=False)["status"] == "paused"
    # Resumed without an answer, the tree only waits for the inquiry: it pauses again.
    resumed = wfops.run("execution", "resume", wf)
    assert resumed.returncode == 0 and 'is paused' in resumed.stdout, resumed.stdout + resumed.stderr
    assert [wfops.get(e, tasks=False)["status"] for e in (wf, child)] == ["paused", "paused"]
    assert lines(log) == ["before"]
    done = wfops.run("inquiry", "respond", pending_inquiry(wfops), "-r", '{"approved": false}')
    assert done.returncode == 0, done.stderr
    assert wfops.wait_status(wf, {"succeeded", "failed"})["status"] == "succeeded"
    assert wfops.get(child, tasks=False)["status"] == "succeeded"
    assert lines(log) == ["before", "after approved=False reason=none given", "parent-done"]


def owner_of(home, root: str) -> str | None:
    with sqlite3.connect(str(home / "wfops.db")) as conn:
        return conn.execute("SELECT owner FROM executions WHERE id = ?", (root,)).fetchone()[0]


def killed_while_responding(tmp_path, point: str):
    """A paused st2sem.approval; an engine armed to die at ``point`` adopts it; the
    response is then sent. Returns (wfops, workflow id, inquiry id, log, respond result)."""
    wfops = Wfops(tmp_path / "home", packs_path=str(FIXTURE_PACKS))
    log = tmp_path / "log"
    wf = started(wfops, "st2sem.approval", "log=%s" % log)
    inquiry = pending_inquiry(wfops)
    env = dict(wfops.env, WFOPS_TEST_MODE="1", WFOPS_TEST_CRASH_AT=point)
    armed = subprocess.Popen(wfops.command("engine"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        with sqlite3.connect(str(wfops.home / "wfops.db")) as conn:
            wait_for(lambda: conn.execute("SELECT pid FROM engines WHERE id = ?", (owner_of(wfops.home, wf),))
                     .fetchone() == (armed.pid,))
        done = wfops.run("inquiry", "respond", inquiry, "-r", '{"approved": true, "reason": "kept"}')
        assert armed.wait(timeout=60) == -signal.SIGKILL, armed.stderr.read()
        assert "wfops test hook: killed at %s:1" % point in armed.stderr.read()
    finally:
        if armed.poll() is None:
            os.kill(armed.pid, signal.SIGKILL)
    return wfops, wf, inquiry, log, done


def test_an_engine_killed_before_the_response_commits_loses_nothing(tmp_path):
    wfops, wf, inquiry, log, done = killed_while_responding(tmp_path, "before_commit")
    # The requester saw the owner die and had another engine carry the response out.
    assert (done.returncode, done.stdout) == (0, "\nResponse accepted for inquiry %s.\n" % inquiry), done.stderr
    assert wfops.wait_status(wf, {"succeeded", "failed"})["status"] == "succeeded"
    assert lines(log) == ["before", "after approved=True reason=kept"]
    audit, _ = wfops.json("execution", "audit", inquiry)
    assert [a["operation"] for a in audit] == ["respond"]


def test_an_engine_killed_after_the_response_commits_keeps_it(tmp_path):
    wfops, wf, inquiry, log, done = killed_while_responding(tmp_path, "after_commit")
    record = wfops.get(inquiry, tasks=False)
    assert record["status"] == "succeeded"
    assert record["result"]["response"] == {"approved": True, "reason": "kept"}
    # The task it started was recorded, not run: the next engine records it abandoned (D1).
    recovered = wfops.run("engine", "--until-idle")
    assert recovered.returncode == 0, recovered.stderr
    view = wfops.get(wf)
    assert [(t, s) for t, _, s in tasks_of(view)] == [("before", "succeeded"), ("ask", "succeeded"),
                                                      ("after", "abandoned")]
    assert lines(log) == ["before"]
    again = wfops.run("inquiry", "respond", inquiry, "-r", '{"approved": false}')
    assert again.stderr == 'ERROR: Inquiry "%s" has already been responded to.\n' % inquiry
    assert json.loads(wfops.run("execution", "audit", inquiry, "--json").stdout)[0]["operation"] == "respond"


def test_the_items_of_a_with_items_inquiry_are_answered_one_by_one(tmp_path):
    wfops = Wfops(tmp_path / "home", packs_path=str(FIXTURE_PACKS))
    log = tmp_path / "log"
    wf = started(wfops, "st2sem.approval_items", "log=%s" % log)
    listed, _ = wfops.json("inquiry", "list")
    by_route = {i["route"]: i["id"] for i in listed}
    assert sorted(by_route) == ["a", "b"]
    done = wfops.run("inquiry", "respond", by_route["b"], "-r", '{"continue": false}')
    assert done.returncode == 0, done.stderr
    wait_for(lambda: [i["id"] for i in wfops.json("inquiry", "list")[0]] == [by_route["a"]])
    assert wfops.wait_status(wf, {"paused"})["status"] == "paused" and lines(log) == []
    done = wfops.run("inquiry", "respond", by_route["a"], "-r", '{"continue": true}')
    assert done.returncode == 0, done.stderr
    assert wfops.wait_status(wf, {"succeeded", "failed"})["status"] == "succeeded"
    assert lines(log) == ["done [True, False]"]


def test_cancelling_the_inquiry_cancels_it_and_its_workflow(tmp_path):
    wfops = Wfops(tmp_path / "home", packs_path=str(FIXTURE_PACKS))
    log = tmp_path / "log"
    wf = started(wfops, "st2sem.approval", "log=%s" % log)
    inquiry = pending_inquiry(wfops)
    done = wfops.run("execution", "cancel", inquiry)
    assert done.returncode == 0, done.stderr
    assert wfops.wait_status(wf, {"canceled", "succeeded", "failed"})["status"] == "canceled"
    record = wfops.get(inquiry, tasks=False)
    assert (record["status"], record["result"]) == ("canceled", {"message": "Action canceled by user.",
                                                                 "user": record["context"]["user"]})
    assert lines(log) == ["before"]
    listed, _ = wfops.json("inquiry", "list")
    assert listed == []
