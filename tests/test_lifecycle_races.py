"""D3 and L5 under concurrency: operations on one tree from many processes and API
threads, in any order, are serialised and each applied to the state it finds; the tree
settles where L1-L6 allow and the audit lists each accepted operation once; of
simultaneous re-runs of one completed workflow exactly one is applied.

Tasks are held on gate files (``hosttest.gated_parent``: a sub-workflow of two steps,
then one task), so that the statuses seen while an operation is pending are the ones it
left, not those of a task that happened to finish meanwhile.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time

import pytest
from api.harness import Server
from conftest import FIXTURE_PACKS, log_lines, tasks_of, wait_for

TRANSIENT = {"pausing", "resuming", "canceling"}
FINAL = {"succeeded", "failed", "timeout", "abandoned", "canceled"}


def _gates(d, *names):
    for name in names:
        (d / ("gate." + name)).touch()


def _open(d, *names):
    for name in names:
        (d / ("gate." + name)).unlink(missing_ok=True)


def _child(view: dict, task: str) -> dict:
    return [c for c in view["children"] if c["context"]["orquesta"]["task_name"] == task][0]


def _audit(wfops, execution_id: str) -> list[tuple[str, str | None]]:
    return [(a["operation"], a["comment"]) for a in wfops.get(execution_id, tasks=False).get("audit", [])]


# -- L5: resuming the child of a paused parent ----------------------------------------------------


def test_resuming_the_child_of_a_paused_parent_runs_the_parent(wfops, workdir):
    """Pause the parent while its sub-workflow's last step runs: both end paused. Resuming
    the child sets the parent running again (L5) and the parent goes on; resuming the
    parent then changes nothing."""
    d, log = workdir
    _gates(d, "step2", "after")
    runner = wfops.popen("run", "hosttest.gated_parent", "log=%s" % log, "dir=%s" % d)
    wait_for(lambda: log_lines(log) == ["step1", "step2"], timeout=60)
    parent = wfops.json("execution", "list")[0][0]["id"]
    child = _child(wfops.get(parent), "child")["id"]

    done = wfops.run("execution", "pause", parent, "--comment", "p1")
    assert done.returncode == 0, done.stderr
    # step2 is held: both stay pausing while it runs (L1, L2).
    assert wfops.get(parent, tasks=False)["status"] == "pausing"
    assert wfops.get(child, tasks=False)["status"] == "pausing"
    _open(d, "step2")
    assert wfops.wait_status(parent, {"paused"}, timeout=30)["status"] == "paused"
    assert wfops.get(child, tasks=False)["status"] == "paused"
    assert runner.wait(timeout=30) == 1, "`wfops run` returns once the execution is paused"

    done = wfops.run("execution", "resume", child, "--comment", "c1")
    assert done.returncode == 0, done.stderr
    # The child had nothing left to run: it succeeds; the parent runs again and starts
    # `after`, which is held.
    wait_for(lambda: log_lines(log) == ["step1", "step2", "after"], timeout=60)
    assert wfops.get(child, tasks=False)["status"] == "succeeded"
    assert wfops.get(parent, tasks=False)["status"] == "running"

    done = wfops.run("execution", "resume", parent, "--comment", "p2")
    assert done.returncode == 0, done.stderr
    assert "is running" in done.stdout
    _open(d, "after")
    wfops.run("engine", "--until-idle", timeout=120)
    assert wfops.wait_status(parent, FINAL, timeout=60)["status"] == "succeeded"
    assert log_lines(log) == ["step1", "step2", "after"]
    assert _audit(wfops, parent) == [("pause", "p1"), ("resume", "p2")]
    assert _audit(wfops, child) == [("resume", "c1")]
    resumed = wfops.get(parent, tasks=False)["audit"][1]["outcome"]
    assert resumed == {"changed": False, "status_before": "running", "status_after": "running"}


def test_resuming_the_child_of_a_pausing_parent_runs_the_parent(wfops, workdir):
    """L5 (as st2): the child is resumed while its parent is still pausing (the child's
    step is held): the parent runs again, and once the child is done it goes on."""
    d, log = workdir
    _gates(d, "step1")
    wfops.popen("run", "hosttest.gated_parent", "log=%s" % log, "dir=%s" % d)
    wait_for(lambda: log_lines(log) == ["step1"], timeout=60)
    parent = wfops.json("execution", "list")[0][0]["id"]
    child = _child(wfops.get(parent), "child")["id"]
    assert wfops.run("execution", "pause", parent).returncode == 0
    assert wfops.get(parent, tasks=False)["status"] == "pausing"
    assert wfops.get(child, tasks=False)["status"] == "pausing"
    done = wfops.run("execution", "resume", child)
    assert done.returncode == 0, done.stderr
    assert wfops.get(parent, tasks=False)["status"] == "running"
    # Its own step still runs: resuming until that step's end (L4; Orquesta, st2).
    assert wfops.get(child, tasks=False)["status"] == "resuming"
    _open(d, "step1")
    assert wfops.wait_status(parent, FINAL, timeout=90)["status"] == "succeeded"
    assert log_lines(log) == ["step1", "step2", "after"]


# -- D3: many senders, one tree --------------------------------------------------------------------


ROUNDS = 3
SENDERS = 8
OPERATIONS_EACH = 3


def _operation(rnd: random.Random) -> str:
    return rnd.choices(["pause", "resume", "cancel"], weights=[45, 45, 10])[0]


def _tree_ids(server: Server, root: str) -> list[str]:
    view = server.get("/executions/%s" % root)
    children = server.get("/executions/%s/children?depth=-1" % root)
    return [view["id"]] + [c["id"] for c in children if c["action"]["runner_type"] == "orquesta"]


def _statuses(server: Server, root: str) -> dict[str, dict]:
    view = server.get("/executions/%s" % root)
    children = server.get("/executions/%s/children?depth=-1" % root)
    return {e["id"]: e for e in [view] + children}


def _check_no_transient_without_activity(server: Server, root: str) -> None:
    """A workflow pausing, resuming or canceling has an action of its own still active
    (directly or in a sub-workflow); one held on a gate counts."""
    tree = _statuses(server, root)
    for execution in tree.values():
        if execution["action"]["runner_type"] != "orquesta" or execution["status"] not in TRANSIENT:
            continue
        below = [e for e in tree.values() if e.get("parent") == execution["id"]]
        assert any(e["status"] in {"running", "pausing", "canceling", "resuming", "scheduled"} for e in below), (
            "%s is %s with nothing active: %s" % (execution["id"], execution["status"],
                                                  {e["id"]: e["status"] for e in below}))


@pytest.mark.slow
def test_concurrent_operations_from_processes_and_api_threads_settle(tmp_path, wfops):
    server = Server(tmp_path / "serve", packs_path=str(FIXTURE_PACKS))
    server.env = dict(server.env, WFOPS_HOME=str(wfops.home))
    server.home = wfops.home
    server.start()
    try:
        for round_no in range(ROUNDS):
            _race_round(server, wfops, tmp_path / ("round%d" % round_no), random.Random(1000 + round_no))
    finally:
        assert server.stop() == 0, server.log()


def _race_round(server: Server, wfops, d, rnd: random.Random) -> None:
    d.mkdir()
    log = d / "log.txt"
    _gates(d, "step1", "step2", "after")
    root = server.launch("hosttest.gated_parent", {"log": str(log), "dir": str(d)})["id"]
    wait_for(lambda: log_lines(log) == ["step1"], timeout=60)
    tree = _tree_ids(server, root)
    accepted: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()

    plans = [[(_operation(rnd), rnd.choice(tree), "%s-%s-%d-%d" % (kind, d.name, i, j))
              for j in range(OPERATIONS_EACH)] for kind in ("cli", "api") for i in range(SENDERS)]

    def api_sender(plan):
        for operation, target, comment in plan:
            if operation == "cancel":
                status, body, _ = server.request("DELETE", "/executions/%s?comment=%s" % (target, comment))
            else:
                status, body, _ = server.request(
                    "PUT", "/executions/%s" % target,
                    {"status": "pausing" if operation == "pause" else "resuming", "comment": comment})
            assert status in (200, 400, 409), (status, body)
            with lock:
                (accepted if status == 200 else refused).append(comment)

    def cli_sender(plan):
        for operation, target, comment in plan:
            done = wfops.run("execution", operation, target, "--comment", comment, timeout=120)
            assert "Traceback" not in done.stderr, done.stderr
            with lock:
                (accepted if done.returncode == 0 else refused).append(comment)

    threads = [threading.Thread(target=cli_sender if plan[0][2].startswith("cli") else api_sender, args=(plan,))
               for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a sender never got its answer"
    assert len(accepted) + len(refused) == 2 * SENDERS * OPERATIONS_EACH

    # While the gates hold, a transient status always has something active below it.
    _check_no_transient_without_activity(server, root)
    _open(d, "step1", "step2", "after")

    # Let it settle: whatever rests paused is resumed from the root (L4 cascades).
    deadline = time.monotonic() + 120
    while True:
        status = server.get("/executions/%s" % root)["status"]
        if status in FINAL:
            break
        assert time.monotonic() < deadline, "the tree did not settle: %s" % {
            i: e["status"] for i, e in _statuses(server, root).items()}
        if status == "paused":
            server.request("PUT", "/executions/%s" % root, {"status": "resuming", "comment": "settle"})
        time.sleep(0.2)
    wait_for(lambda: all(e["status"] in FINAL for e in _statuses(server, root).values()), timeout=60)
    assert status in ("succeeded", "canceled"), status
    effects = log_lines(log)
    if status == "succeeded":
        assert effects == ["step1", "step2", "after"]
    else:  # canceled: what had started finished, nothing new started, nothing twice
        assert effects == ["step1", "step2", "after"][:len(effects)]

    audited = [entry["comment"] for execution_id in tree for entry in _audit_of(wfops, execution_id)]
    audited = [c for c in audited if c != "settle"]
    assert sorted(audited) == sorted(accepted), "the audit does not list each accepted operation once"
    assert not set(refused) & set(audited)


def _audit_of(wfops, execution_id: str) -> list[dict]:
    return wfops.get(execution_id, tasks=False).get("audit", [])


# -- D3: simultaneous re-runs -------------------------------------------------------------------


def test_simultaneous_reruns_of_one_failed_workflow_apply_exactly_one(wfops, workdir):
    """8 processes re-run the same failed workflow from its failed task at once; the
    re-run that goes through holds on a gate until every other one has been answered."""
    d, log = workdir
    (d / "fail.step1").touch()
    first, _ = wfops.json("run", "hosttest.gated_child", "log=%s" % log, "dir=%s" % d)
    assert first["status"] == "failed"
    (d / "fail.step1").unlink()
    _gates(d, "step2")
    processes = [wfops.popen("execution", "re-run", first["id"], "--tasks", "step1", "--json")
                 for _ in range(SENDERS)]
    refused = []

    def answered() -> bool:
        refused[:] = [p for p in processes if p.poll() is not None]
        return len(refused) == SENDERS - 1

    wait_for(answered, timeout=180, interval=0.2)
    _open(d, "step2")
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in processes]
    for p in processes:
        p.stdout.close()
        p.stderr.close()
    accepted = [r for r in results if r[0] == 0]
    assert len(accepted) == 1, [(code, err[-300:]) for code, _, err in results]
    for code, _, err in results:
        if code != 0:
            assert "Traceback" not in err, err
            assert ("changed since the plan was computed" in err or "not in a completed state" in err
                    or "being run by another process" in err), err
    new = json.loads(accepted[0][1])
    assert new["status"] == "succeeded"
    listed, _ = wfops.json("execution", "list")
    reruns = [e for e in listed if (e.get("context") or {}).get("re-run", {}).get("ref") == first["id"]]
    assert [e["id"] for e in reruns] == [new["id"]]
    assert log_lines(log) == ["step1", "step1", "step2"]
    assert [a["operation"] for a in wfops.get(first["id"], tasks=False)["audit"]] == ["re-run"]
    assert [t for t, _, st in tasks_of(wfops.get(new["id"]))] == ["step1", "step2"]


def test_simultaneous_reruns_through_the_api_apply_exactly_one(tmp_path):
    server = Server(tmp_path / "home", packs_path=str(FIXTURE_PACKS)).start()
    try:
        d = tmp_path / "work"
        d.mkdir()
        log = d / "log.txt"
        (d / "fail.step1").touch()
        first = server.launch("hosttest.gated_child", {"log": str(log), "dir": str(d)})["id"]
        server.wait_status(first, "failed", timeout=60)
        (d / "fail.step1").unlink()
        _gates(d, "step2")
        answers = []
        start = threading.Barrier(SENDERS)

        def rerun():
            start.wait()
            status, body, _ = server.request("POST", "/executions/%s/re_run" % first, {"tasks": ["step1"]})
            answers.append((status, body))

        threads = [threading.Thread(target=rerun) for _ in range(SENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        created = [body for status, body in answers if status == 201]
        assert len(created) == 1, answers
        assert all(status in (400, 409) for status, _ in answers if status != 201), answers
        _open(d, "step2")
        server.wait_status(created[0]["id"], "succeeded", timeout=60)
        assert log_lines(log) == ["step1", "step1", "step2"]
    finally:
        assert server.stop() == 0, server.log()


def test_many_operations_on_one_tree_are_serialised_per_tree(wfops, workdir):
    """Pause and resume sent by 8 processes at once to a tree held on a gate: each is
    applied to the state the one before it left; no answer is lost or doubled."""
    d, log = workdir
    _gates(d, "step1")
    wfops.popen("run", "hosttest.gated_parent", "log=%s" % log, "dir=%s" % d)
    wait_for(lambda: log_lines(log) == ["step1"], timeout=60)
    parent = wfops.json("execution", "list")[0][0]["id"]
    operations = ["pause", "resume"] * 4
    processes = [subprocess.Popen(wfops.command("execution", op, parent, "--comment", "%s%d" % (op, i)),
                                  env=wfops.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  stdin=subprocess.DEVNULL) for i, op in enumerate(operations)]
    codes = [p.wait(timeout=180) for p in processes]
    for p in processes:
        p.stdout.close()
        p.stderr.close()
    audit = wfops.get(parent, tasks=False)["audit"]
    accepted = sorted("%s%d" % (op, i) for i, (op, code) in enumerate(zip(operations, codes)) if code == 0)
    assert sorted(a["comment"] for a in audit) == accepted
    # Each entry saw the status the one before it left.
    for before, after in zip(audit, audit[1:]):
        assert after["outcome"]["status_before"] == before["outcome"]["status_after"]
    _open(d, "step1")
    status = wfops.get(parent, tasks=False)["status"]
    if status in ("paused", "pausing"):
        wfops.wait_status(parent, {"paused"}, timeout=60)
        assert wfops.run("execution", "resume", parent).returncode == 0
    assert wfops.wait_status(parent, FINAL, timeout=90)["status"] == "succeeded"
    assert log_lines(log) == ["step1", "step2", "after"]


def test_a_rerun_that_would_run_nothing_is_refused_and_blocks_nothing(wfops, workdir):
    """An empty item selection stages nothing that can run: it is refused (by the planner,
    or else by the engine inside its transaction) and creates nothing; the workflow is not
    left resuming, and a real re-run goes through afterwards."""
    d, log = workdir
    (d / "fail.task1.1").touch()
    first, _ = wfops.json("run", "wfops_examples.with_items", "log=%s" % log, "dir=%s" % d)
    assert first["status"] == "failed"
    (d / "fail.task1.1").unlink()
    listed_before, _ = wfops.json("execution", "list")
    done = wfops.run("execution", "re-run", first["id"], "--items", "task1", "")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "ERROR:" in done.stderr
    listed, _ = wfops.json("execution", "list")
    assert [e["id"] for e in listed] == [e["id"] for e in listed_before], "a refused re-run created an execution"
    assert wfops.get(first["id"], tasks=False)["status"] == "failed"
    again, done = wfops.json("execution", "re-run", first["id"], "--items", "task1", "1")
    assert done.returncode == 0, done.stderr
    assert again["status"] == "succeeded"
    assert sorted(log_lines(log)) == sorted(["task1:%d" % i for i in range(6)] + ["task1:1"])
