"""The REST API with plain HTTP, reading: list filters, projections and children depth first."""

from __future__ import annotations

from .rest_helpers import failed_sequential, run_params


def test_list_filters_and_projections(server, work):
    failed = failed_sequential(server, work)
    status, listed, headers = server.request(
        "GET", "/executions?action=wfops_examples.sequential&status=failed&parent=null&limit=1")
    assert status == 200 and listed[0]["id"] == failed["id"]           # newest first
    assert int(headers["X-Total-Count"]) >= 1 and headers["X-Limit"] == "1"
    assert all(e["status"] == "failed" for e in server.get("/executions?status=failed&limit=-1"))
    status, page, _ = server.request("GET", "/executions?parent=%s&sort_asc=1" % failed["id"])
    assert [c["context"]["orquesta"]["task_name"] for c in page] == ["task1", "task2"]
    only = server.get("/executions/%s?include_attributes=status,action.ref" % failed["id"])
    assert only == {"id": failed["id"], "status": "failed", "action": {"ref": "wfops_examples.sequential"}}
    without = server.get("/executions/%s?exclude_attributes=result" % failed["id"])
    assert "result" not in without and without["status"] == "failed"
    actions = server.get("/actions?pack=wfops_examples&include_attributes=ref")
    assert {"id", "ref"} == set(actions[0]) and all(a["ref"].startswith("wfops_examples.") for a in actions)
    assert [r["name"] for r in server.get("/runnertypes/?name=orquesta")] == ["orquesta"]
    assert server.get("/runnertypes/?name=nope") == []
    assert server.get("/")["version"]
    assert server.get("/executions/last")["id"] == server.get("/executions?limit=1")[0]["id"]
    user = failed["context"]["user"]
    assert failed["id"] in [e["id"] for e in server.get("/executions?user=%s&limit=-1" % user)]
    assert server.get("/executions?user=nobody-at-all") == []
    since = failed["start_timestamp"]
    newer = server.get("/executions?timestamp_gt=%s&limit=-1" % since)
    assert failed["id"] not in [e["id"] for e in newer]
    assert all(e["start_timestamp"] > since for e in newer)
    status, value, _ = server.request("GET", "/executions?timestamp_lt=yesterday")
    assert status == 400 and "timestamp_lt" in value["faultstring"]


def test_children_depth_first(server, work):
    view = server.launch("wfops_examples.nested", run_params(work))
    server.wait_status(view["id"], "succeeded")
    every = server.get("/executions/%s/children?depth=-1" % view["id"])
    direct = server.get("/executions/%s/children?depth=1" % view["id"])
    assert [c["parent"] for c in direct] == [view["id"]] * len(direct)
    assert len(every) > len(direct)
    # Depth first: each descendant comes after its parent, before the parent's next sibling.
    position = {c["id"]: i for i, c in enumerate(every)}
    for child in every:
        if child["parent"] != view["id"]:
            assert position[child["parent"]] < position[child["id"]]
    ids = [c["id"] for c in direct]
    assert ids == sorted(ids, key=position.get)
