"""The REST API with plain HTTP, the wfops extras of a re-run: dry runs and their plans (JSON or
the run graph as DOT), fingerprints of a changed state, comments, skip/result/publish,
items and context, and extras in the wrong shape."""

from __future__ import annotations

import pytest

from .rest_helpers import execution_state, failed_sequential


def test_rerun_dry_run_changes_nothing_and_returns_the_plan(server, work):
    failed = failed_sequential(server, work)
    before = execution_state(server, failed["id"])
    status, value, _ = server.request("POST", "/executions/%s/re_run" % failed["id"],
                                      {"tasks": ["task2", "task2"], "dry_run": True, "unknown_key": 1})
    assert status == 200, value
    assert value["dry_run"] is True and value["plan"]["mode"] == "from_tasks"
    assert value["plan"]["request"]["tasks"] == ["task2"]
    assert execution_state(server, failed["id"]) == before


def test_rerun_dry_run_draws_the_run_graph_and_takes_no_reset(server, work):
    failed = failed_sequential(server, work)
    before = execution_state(server, failed["id"])
    path = "/executions/%s/re_run" % failed["id"]
    status, value, _ = server.request("POST", path, {"tasks": ["task2"], "dry_run": True, "format": "dot"})
    assert status == 200, value
    assert value["plan"]["mode"] == "from_tasks"
    dot = value["dot"]
    assert dot.startswith("digraph run {") and dot.endswith("}\n")
    assert 'label="task2[0] #1\\nfailed", class="rerun"' in dot and "n0 -> n1;" in dot
    # "no_reset" (wfops, as --no-reset) instead of st2's "reset": the same plan.
    plans = [server.request("POST", path, {"tasks": ["task2"], "dry_run": True, **keep})[1]["plan"]
             for keep in ({"reset": []}, {"no_reset": ["task2"]})]
    assert plans[0] == plans[1] and plans[0]["request"]["no_reset"] == ["task2"]
    assert execution_state(server, failed["id"]) == before


def test_rerun_from_tasks_with_comment_and_stale_fingerprint(server, work):
    d, _ = work
    failed = failed_sequential(server, work)
    path = "/executions/%s/re_run" % failed["id"]
    stale = server.request("POST", path, {"tasks": ["task2"], "dry_run": True})[1]["plan"]["fingerprint"]
    # Another operation changes the state: task2 runs again and fails again.
    (d / "fail.task2").touch()
    status, other, _ = server.request("POST", path, {"tasks": ["task2"], "fingerprint": stale})
    assert status == 201, other
    server.wait_status(other["id"], "failed")
    (d / "fail.task2").unlink()
    before = execution_state(server, failed["id"])
    message = ('The state of workflow execution "%s" changed since the plan was computed (another '
               "operation came in between). Compute the plan again (a dry run) and re-submit." % failed["id"])
    for body in ({"tasks": ["task2"], "fingerprint": stale}, {"tasks": ["task2"], "fingerprint": "other"},
                 {"skip": ["task2"], "publish": {"msg2": "x"}, "fingerprint": stale},
                 {"tasks": ["task2"], "fingerprint": stale, "dry_run": True}):
        status, value, _ = server.request("POST", path, body)
        assert (status, value) == (409, {"faultstring": message}), body
    assert execution_state(server, failed["id"]) == before
    status, value, _ = server.request("POST", "/executions/%s/re_run" % failed["id"],
                                      {"tasks": ["task2"], "reset": ["task2"], "comment": "after the fix"})
    assert status == 201, value
    assert value["context"]["re-run"] == {"ref": failed["id"], "tasks": ["task2"], "reset": ["task2"]}
    assert value["plan"]["mode"] == "from_tasks"
    server.wait_status(value["id"], "succeeded")
    audit = server.get("/executions/%s/audit" % failed["id"])
    assert audit[-1]["operation"] == "re-run" and audit[-1]["comment"] == "after the fix"


@pytest.mark.parametrize("extra", [
    {"skip": ["task2"], "result": None, "publish": {"msg2": "skipped"}},
    {"skip": ["task2"], "result": {"task2": {"stdout": "by hand"}}},
    {"items": {"task2": [0]}},
    {"context": {"task2": {"target": "good"}}},
])
def test_rerun_extras_reach_the_planner_or_are_refused_without_change(server, work, extra):
    """The extras travel to the planner as `wfops execution re-run` sends them; a dry run
    shows them in the plan's request, or the planner refuses them (400); nothing changes."""
    failed = failed_sequential(server, work)
    before = execution_state(server, failed["id"])
    status, value, _ = server.request("POST", "/executions/%s/re_run" % failed["id"], {**extra, "dry_run": True})
    if status == 200:
        request = value["plan"]["request"]
        if "skip" in extra:
            assert request["skip"] == ["task2"]
            expected = extra["result"] if isinstance(extra["result"], dict) else {"task2": extra["result"]}
            assert request["result"] == expected
            if "publish" in extra:
                assert request["publish"] == {"task2": {"msg2": "skipped"}}
        else:
            key = next(iter(extra))
            assert request[key] == extra[key]
    else:
        assert status == 400, value   # the planner refused it (E5/E6): a clear error
    assert execution_state(server, failed["id"]) == before


@pytest.mark.parametrize("extra,message", [
    ({"result": 1}, "`result` applies only to a skipped task: name the task in `skip`."),
    ({"skip": ["task1", "task2"], "publish": {"k": "v"}}, "must be an object keyed by the skipped task names"),
    ({"skip": ["task2"], "publish": [1]}, "\"publish\": [1] is not of type 'object'"),
])
def test_rerun_extras_in_the_wrong_shape_are_400(server, work, extra, message):
    failed = failed_sequential(server, work)
    before = execution_state(server, failed["id"])
    status, value, _ = server.request("POST", "/executions/%s/re_run" % failed["id"], extra)
    assert status == 400 and message in value["faultstring"], value
    assert execution_state(server, failed["id"]) == before
