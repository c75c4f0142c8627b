"""The REST API with plain HTTP: bad input (StackStorm's status codes and wording, nothing
changed), masking of secrets, filters, children, the wfops extras and the OpenAPI
document."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from .harness import log_lines, wait_for

UNKNOWN = "0123456789abcdef01234567"
SECRET = "s3cr3t-value-never-shown"


def _params(work, **extra):
    d, log = work
    return {"log": str(log), "dir": str(d), **extra}


def _failed_sequential(server, work, task="task2"):
    d, _ = work
    (d / ("fail." + task)).touch()
    view = server.launch("wfops_examples.sequential", _params(work))
    view = server.wait_status(view["id"], "failed")
    (d / ("fail." + task)).unlink()
    return view


def _state(server, execution_id):
    """What a refused request must leave unchanged."""
    return (server.total(), server.get("/executions/%s" % execution_id)["log"],
            server.get("/executions/%s/audit" % execution_id))


# -- unknown ids and routes ----------------------------------------------------------------


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/executions/%s", None),
    ("PUT", "/executions/%s", {"status": "pausing"}),
    ("DELETE", "/executions/%s", None),
    ("POST", "/executions/%s/re_run", {}),
    ("POST", "/executions/%s/re_run", {"tasks": ["task2"]}),
    ("GET", "/executions/%s/children?depth=-1", None),
    ("GET", "/executions/%s/audit", None),
    ("GET", "/executions/%s/output", None),
    ("GET", "/executions/%s/tasks/task1/context", None),
])
def test_unknown_execution_is_404_with_st2_wording(server, method, path, body):
    status, value, _ = server.request(method, path % UNKNOWN, body)
    assert status == 404
    assert value == {"faultstring": 'Unable to identify resource with id "%s".' % UNKNOWN}


def test_unknown_action_route_and_method(server):
    status, value, _ = server.request("GET", "/actions/nope.nothing")
    assert (status, value) == (404, {"faultstring": 'Resource with a reference or id "nope.nothing" not found'})
    status, value, _ = server.request("GET", "/runnertypes/nope")
    assert status == 404 and "nope" in value["faultstring"]
    status, value, _ = server.request("GET", "/no/such/route")
    assert (status, value) == (404, {"faultstring": "The resource could not be found."})
    status, value, headers = server.request("PATCH", "/executions", {})
    assert status == 405 and headers["Allow"] == "GET, POST"
    for method, path, allowed in [("TRACE", "/executions", "GET, POST"), ("FOO", "/executions/%s" % UNKNOWN,
                                                                         "DELETE, GET, PUT")]:
        status, value, headers = server.request(method, path)
        assert (status, headers["Allow"]) == (405, allowed)
        assert value == {"faultstring": "The method %s is not allowed for this resource (allowed: %s)."
                         % (method, allowed)}
    status, value, headers = server.request("HEAD", "/executions/%s" % UNKNOWN)
    assert status == 404 and value == "" and int(headers["Content-Length"]) > 0


# -- bodies that are not JSON, wrong types, size ------------------------------------------------


@pytest.mark.parametrize("path", ["/executions", "/executions/%s", "/executions/%s/re_run"])
def test_body_that_is_not_json_is_400(server, work, path):
    done = _failed_sequential(server, work) if "%s" in path else None
    path = path % done["id"] if done else path
    before = server.total()
    status, value, _ = server.request("PUT" if path.count("/") == 2 else "POST", path, raw=b"{not json")
    assert status == 400
    assert value["faultstring"].startswith("Failed to parse request body: ")
    assert server.total() == before


@pytest.mark.parametrize("method,path,body,message", [
    ("POST", "/executions", [1, 2], "[1, 2] is not of type 'object'"),
    ("POST", "/executions", {}, "'action' is a required property"),
    ("POST", "/executions", {"action": 5}, "\"action\": 5 is not of type 'string'"),
    ("POST", "/executions", {"action": "wfops_examples.sequential", "parameters": "x"},
     "\"parameters\": 'x' is not of type 'object'"),
    ("POST", "/executions", {"action": "wfops_examples.sequential", "parameters": {"log": 1, "dir": "d"}},
     'Parameter "log" of action "wfops_examples.sequential": 1 is not of type \'string\''),
    ("POST", "/executions", {"action": "nope.nothing"}, 'Action "nope.nothing" cannot be found.'),
    ("PUT", "/executions/%s", {"status": 1}, "\"status\": 1 is not one of ['pausing', 'paused'"),
    ("PUT", "/executions/%s", {"status": "succeeded"}, "\"status\": 'succeeded' is not one of"),
    ("PUT", "/executions/%s", {}, "'status' is a required property"),
    ("POST", "/executions/%s/re_run", {"tasks": "task2"}, "\"tasks\": 'task2' is not of type 'array'"),
    ("POST", "/executions/%s/re_run", {"tasks": ["task2"], "reset": "task2"},
     "\"reset\": 'task2' is not of type 'array'"),
    ("POST", "/executions/%s/re_run", {"parameters": []}, "\"parameters\": [] is not of type 'object'"),
    ("POST", "/executions/%s/re_run", {"tasks": [1]}, "\"tasks.0\": 1 is not of type 'string'"),
    ("POST", "/executions/%s/re_run", {"items": {"task2": ["a"]}},
     'The item selection of task "task2": "a" is not an item index (0, 1, 2, ...).'),
    ("POST", "/executions/%s/re_run", {"delay": "soon"}, "\"delay\": 'soon' is not of type 'integer'"),
    ("POST", "/executions/%s/re_run", {"delay": -5}, "\"delay\": -5 is less than the minimum of 0"),
    ("POST", "/executions/%s/re_run", {"tasks": ["task2"], "reset": ["task3"]},
     "List of tasks to reset does not match the tasks to rerun."),
    ("POST", "/executions/%s/re_run", {"tasks": ["task2"], "parameters": {"sleep": 1}},
     "Parameters override is not supported when re-running task(s) for a workflow."),
    ("POST", "/executions/%s/re_run", {"parameters": {"sleep": "x"}},
     'Parameter "sleep" of action "wfops_examples.sequential": \'x\' is not of type \'integer\''),
    ("POST", "/executions/%s/re_run", {"tasks": ["nosuchtask"]}, "nosuchtask"),
    ("POST", "/executions/%s/re_run", {"tasks": ["task2"], "reset": [], "no_reset": ["task2"]},
     'Give either "reset" (the tasks whose items are all re-run) or "no_reset"'),
    ("POST", "/executions/%s/re_run", {"tasks": ["task2"], "no_reset": ["task3"]},
     "List of tasks to reset does not match the tasks to rerun."),
    ("POST", "/executions/%s/re_run", {"tasks": ["task2"], "no_reset": "task2"},
     "\"no_reset\": 'task2' is not of type 'array'"),
    ("POST", "/executions/%s/re_run", {"tasks": ["task2"], "format": "dot"},
     '"format" chooses how a dry run shows its plan: add "dry_run": true.'),
    ("POST", "/executions/%s/re_run", {"dry_run": True, "format": "dot"},
     '"format": "dot" draws the run graph of a re-run from tasks'),
    ("POST", "/executions/%s/re_run", {"tasks": ["task2"], "dry_run": True, "format": "svg"},
     "\"format\": 'svg' is not one of ['json', 'dot']"),
    ("PUT", "/executions/%s", {"status": "pausing", "user": 7}, "\"user\": 7 is not of type 'string'"),
    ("GET", "/executions?limit=ten", None, 'Parameter "limit" is not of type integer'),
    ("GET", "/executions?limit=0", None, 'Limit, "0" specified, must be a positive number'),
    ("GET", "/executions?offset=-3", None, 'Offset, "-3" specified'),
    ("GET", "/executions?limit=99999999999999999999", None, "32-bit"),
    ("GET", "/executions?exclude_attributes=parameters", None,
     "Invalid or unsupported exclude attribute specified: parameters"),
    ("GET", "/executions?exclude_attributes=result&include_attributes=id", None, "mutually exclusive"),
])
def test_wrong_types_and_values_are_400_and_change_nothing(server, work, method, path, body, message):
    failed = _failed_sequential(server, work)
    before = _state(server, failed["id"])
    status, value, _ = server.request(method, path.replace("%s", failed["id"]), body)
    assert status == 400, value
    assert message in value["faultstring"]
    assert _state(server, failed["id"]) == before


@pytest.mark.parametrize("raw,message", [
    (b'{"action": "core.noop", "parameters": {"x": NaN}}', "NaN is not valid JSON"),
    (b'{"action": "core.noop", "parameters": {"x": 1e999}}', "out of range"),
    (b"[" * 100000 + b"]" * 100000,
     "A value is nested more than 100 levels deep (lists and objects within each other); give a flatter value."),
    (b"\xff\xfe{}", "Failed to parse request body"),
])
def test_bodies_json_cannot_carry_are_400(server, raw, message):
    before = server.total()
    status, value, _ = server.request("POST", "/executions", raw=raw)
    assert status == 400 and message in value["faultstring"], value
    assert server.total() == before


def test_body_over_the_limit_is_413(server):
    before = server.total()
    body = json.dumps({"action": "core.noop", "parameters": {}, "pad": "x" * (1024 * 1024)}).encode()
    status, value, _ = server.request("POST", "/executions", raw=body)
    assert status == 413
    assert "limit is 1048576 bytes" in value["faultstring"]
    assert server.total() == before


def test_chunked_body_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/executions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        answer = sock.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 411")


# -- operations in the wrong state (SEMANTICS wording), nothing changed -----------------------


def test_operations_in_the_wrong_state(server, work):
    failed = _failed_sequential(server, work)
    before = _state(server, failed["id"])
    cases = [
        ("PUT", {"status": "pausing"},
         'Unable to pause execution "%s" because it is not in a running state.'),
        ("PUT", {"status": "resuming"}, 'Unable to resume execution "%s" because it is in "failed" state'),
        ("DELETE", None, 'Unable to cancel execution "%s" because it is already in a completed state.'),
    ]
    for method, body, message in cases:
        status, value, _ = server.request(method, "/executions/%s" % failed["id"], body)
        assert status == 400, value
        assert value["faultstring"].startswith(message % failed["id"])
    assert _state(server, failed["id"]) == before


def test_rerun_from_tasks_of_a_running_workflow_is_refused(server, work):
    d, log = work
    (d / "hold.task1").touch()
    running = server.launch("apitest.gated", _params(work))
    wait_for(lambda: log_lines(log) == ["task1"])
    before = _state(server, running["id"])
    status, value, _ = server.request("POST", "/executions/%s/re_run" % running["id"], {"tasks": ["task1"]})
    assert status == 400
    assert value["faultstring"] == (
        'Unable to rerun workflow execution "%s" because it is not in a completed state.' % running["id"])
    assert _state(server, running["id"]) == before
    (d / "hold.task1").unlink()
    server.wait_status(running["id"], "succeeded")


def test_tasks_of_a_plain_action_and_pause_of_a_plain_action(server):
    done = server.launch("core.noop", {})
    server.wait_status(done["id"], "succeeded")
    status, value, _ = server.request("POST", "/executions/%s/re_run" % done["id"], {"tasks": ["t"]})
    assert (status, value) == (400, {"faultstring": "Task option is only supported for Orquesta workflows."})
    status, value, _ = server.request("PUT", "/executions/%s" % done["id"], {"status": "pausing"})
    assert status == 400 and 'does not support pause' in value["faultstring"]


def test_delay_on_a_plain_action_is_refused_rather_than_ignored(server):
    before = server.total()
    status, value, _ = server.request("POST", "/executions", {"action": "core.noop", "delay": 500})
    assert status == 400 and '"core.noop" is not a workflow' in value["faultstring"], value
    assert server.total() == before


# -- who acts ------------------------------------------------------------------------------


def test_operations_are_recorded_as_the_user_the_request_names(server, work):
    """Without API keys, the user named by the request (body, or DELETE's query) is the one
    the audit records; without one, the user running the server."""
    d, log = work
    server_user = server.launch("core.noop", {})["context"]["user"]
    (d / "hold.task1").touch()
    running = server.launch("apitest.gated", _params(work))
    wait_for(lambda: log_lines(log) == ["task1"])
    path = "/executions/%s" % running["id"]
    for method, target, body in [("PUT", path, {"status": "pausing", "user": "erin"}),
                                 ("PUT", path, {"status": "resuming"}),
                                 ("DELETE", path + "?user=frank&comment=done", None)]:
        status, value, _ = server.request(method, target, body)
        assert status == 200, value
    (d / "hold.task1").unlink()
    server.wait_status(running["id"], "canceled")
    status, value, _ = server.request("POST", path + "/re_run", {"tasks": ["task1"], "user": "grace"})
    assert status == 201, value
    assert value["context"]["user"] == "grace"
    server.wait_status(value["id"], "succeeded")
    audit = server.get(path + "/audit")
    assert [(e["operation"], e["user"]) for e in audit] == [
        ("pause", "erin"), ("resume", server_user), ("cancel", "frank"), ("re-run", "grace")]


# -- masking --------------------------------------------------------------------------------


def test_secret_parameters_are_masked_in_every_response(server, work):
    d, log = work
    created = server.launch("apitest.gated", _params(work, token=SECRET))
    assert created["parameters"]["token"] == "********"
    server.wait_status(created["id"], "succeeded")
    secret = server.launch("fixturepack.secret", {"password": "hunter2-pw", "pin": 1234,
                                                  "options": {"user": "me", "token": "tok-123"}})
    assert secret["parameters"]["password"] == "********"
    assert secret["parameters"]["options"] == {"user": "me", "token": "********"}
    server.wait_status(secret["id"], "succeeded")

    status, rerun, _ = server.request("POST", "/executions/%s/re_run" % secret["id"], {})
    assert status == 201, rerun   # from the beginning: the immutable `cmd` is not given again
    server.wait_status(rerun["id"], "succeeded")
    status, dry, _ = server.request("POST", "/executions/%s/re_run" % created["id"], {"dry_run": True})
    assert status == 200 and dry["plan"]["parameters"]["token"] == "********"
    status, rerun2, _ = server.request("POST", "/executions/%s/re_run" % created["id"],
                                       {"parameters": {"token": SECRET + "2"}})
    assert status == 201
    server.wait_status(rerun2["id"], "succeeded")

    texts = [json.dumps(v) for v in (created, secret, rerun, dry, rerun2)]
    for path in ["/executions", "/executions?parent=null&limit=-1", "/executions/%s" % created["id"],
                 "/executions/%s" % rerun2["id"], "/executions/%s/children?depth=-1" % created["id"],
                 "/executions/%s/audit" % created["id"], "/executions/%s/audit" % secret["id"],
                 "/executions/%s/output" % created["id"]]:
        status, value, _ = server.request("GET", path)
        assert status == 200
        texts.append(value if isinstance(value, str) else json.dumps(value))
    for text in texts:
        # The pin is a number: look for it as a value, not as digits inside a timestamp.
        for plain in (SECRET, "hunter2-pw", "tok-123", '"pin": 1234'):
            assert plain not in text


# -- reading: filters, projections, children --------------------------------------------------


def test_list_filters_and_projections(server, work):
    failed = _failed_sequential(server, work)
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
    view = server.launch("wfops_examples.nested", _params(work))
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


# -- re-run extras ----------------------------------------------------------------------------


def test_rerun_dry_run_changes_nothing_and_returns_the_plan(server, work):
    failed = _failed_sequential(server, work)
    before = _state(server, failed["id"])
    status, value, _ = server.request("POST", "/executions/%s/re_run" % failed["id"],
                                      {"tasks": ["task2", "task2"], "dry_run": True, "unknown_key": 1})
    assert status == 200, value
    assert value["dry_run"] is True and value["plan"]["mode"] == "from_tasks"
    assert value["plan"]["request"]["tasks"] == ["task2"]
    assert _state(server, failed["id"]) == before


def test_rerun_dry_run_draws_the_run_graph_and_takes_no_reset(server, work):
    failed = _failed_sequential(server, work)
    before = _state(server, failed["id"])
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
    assert _state(server, failed["id"]) == before


def test_rerun_from_tasks_with_comment_and_stale_fingerprint(server, work):
    d, _ = work
    failed = _failed_sequential(server, work)
    path = "/executions/%s/re_run" % failed["id"]
    stale = server.request("POST", path, {"tasks": ["task2"], "dry_run": True})[1]["plan"]["fingerprint"]
    # Another operation changes the state: task2 runs again and fails again.
    (d / "fail.task2").touch()
    status, other, _ = server.request("POST", path, {"tasks": ["task2"], "fingerprint": stale})
    assert status == 201, other
    server.wait_status(other["id"], "failed")
    (d / "fail.task2").unlink()
    before = _state(server, failed["id"])
    message = ('The state of workflow execution "%s" changed since the plan was computed (another '
               "operation came in between). Compute the plan again (a dry run) and re-submit." % failed["id"])
    for body in ({"tasks": ["task2"], "fingerprint": stale}, {"tasks": ["task2"], "fingerprint": "other"},
                 {"skip": ["task2"], "publish": {"msg2": "x"}, "fingerprint": stale},
                 {"tasks": ["task2"], "fingerprint": stale, "dry_run": True}):
        status, value, _ = server.request("POST", path, body)
        assert (status, value) == (409, {"faultstring": message}), body
    assert _state(server, failed["id"]) == before
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
    failed = _failed_sequential(server, work)
    before = _state(server, failed["id"])
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
    assert _state(server, failed["id"]) == before


@pytest.mark.parametrize("extra,message", [
    ({"result": 1}, "`result` applies only to a skipped task: name the task in `skip`."),
    ({"skip": ["task1", "task2"], "publish": {"k": "v"}}, "must be an object keyed by the skipped task names"),
    ({"skip": ["task2"], "publish": [1]}, "\"publish\": [1] is not of type 'object'"),
])
def test_rerun_extras_in_the_wrong_shape_are_400(server, work, extra, message):
    failed = _failed_sequential(server, work)
    before = _state(server, failed["id"])
    status, value, _ = server.request("POST", "/executions/%s/re_run" % failed["id"], extra)
    assert status == 400 and message in value["faultstring"], value
    assert _state(server, failed["id"]) == before


def test_task_context_with_secrets_masked(server, work):
    d, log = work
    (d / "fail.task2").touch()
    view = server.launch("apitest.gated", _params(work, token=SECRET))
    server.wait_status(view["id"], "failed")
    context = server.get("/executions/%s/tasks/task2/context" % view["id"])
    assert context["task"] == "task2" and context["status"] == "failed"
    assert context["context"]["token"] == "********"
    assert context["context"]["log"] == str(log)
    assert [p["task"] for p in context["led_to_by"]] == ["task1"]
    assert "fail.task2" in json.dumps(context["result"])
    assert SECRET not in json.dumps(context)
    assert server.get("/executions/%s/tasks/task2%%5B0%%5D/context" % view["id"])["route"] == 0
    status, value, _ = server.request("GET", "/executions/%s/tasks/task3/context" % view["id"])
    assert status == 404 and 'Task "task3" has not run' in value["faultstring"]
    status, value, _ = server.request("GET", "/executions/%s/tasks/nosuch/context" % view["id"])
    assert status == 404 and "is not defined" in value["faultstring"]
    status, value, _ = server.request("GET", "/executions/%s/tasks/task2/context?route=x" % view["id"])
    assert status == 400


# -- an execution owned by another live process ------------------------------------------------


def test_operations_reach_an_execution_run_by_another_process(server, work):
    """`wfops run` in another process owns the tree: the API sends it the pause through the
    store (the commands table) and answers with the owner's decision."""
    d, log = work
    (d / "hold.task1").touch()
    runner = subprocess.Popen(
        [sys.executable, "-m", "wfops.cli.main", "run", "apitest.gated", "log=%s" % log, "dir=%s" % d,
         "--json"], env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: log_lines(log) == ["task1"])
        execution = server.get("/executions?action=apitest.gated&status=running&limit=1")[0]
        status, value, _ = server.request("PUT", "/executions/%s" % execution["id"], {"status": "pausing"})
        assert status == 200, value
        assert value["status"] == "pausing"
        (d / "hold.task1").unlink()
        server.wait_status(execution["id"], "paused")
        # As `st2 run`, `wfops run` returns once the execution is paused (exit 1: not
        # succeeded), and leaves the tree to whichever engine comes next.
        out, err = runner.communicate(timeout=60)
        assert runner.returncode == 1, err
        assert json.loads(out)["status"] == "paused"
        # No live owner now: this server's engine adopts the tree and resumes it.
        status, value, _ = server.request("PUT", "/executions/%s" % execution["id"], {"status": "resuming"})
        assert status == 200, value
        server.wait_status(execution["id"], "succeeded")
        assert log_lines(log) == ["task1", "task2", "task3"]
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()


# -- the OpenAPI document -------------------------------------------------------------------


def test_openapi_document_describes_every_route_and_no_request_gets_a_5xx(server, work):
    failed = _failed_sequential(server, work)
    doc = server.get("/openapi.json")
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in ["/api/v1/actions", "/api/v1/actions/{ref_or_id}", "/api/v1/runnertypes",
                 "/api/v1/executions", "/api/v1/executions/{id}", "/api/v1/executions/{id}/children",
                 "/api/v1/executions/{id}/re_run", "/api/v1/executions/{id}/audit",
                 "/api/v1/executions/{id}/tasks/{task}/context"]:
        assert path in paths, path
    assert set(paths["/api/v1/executions/{id}"]) == {"get", "put", "delete"}
    # A bounded sweep of odd requests over every documented operation: none may be a 5xx
    # (but the documented 501 of what is not implemented yet).
    odd_bodies = [None, b"", b"null", b"[]", b"{}", b"\xff\xfe", b'{"a": 1e999}', b'"text"',
                  b'{"status": null, "tasks": null, "parameters": null, "action": null}']
    odd_values = {"id": [failed["id"], UNKNOWN, "..", "%00", "x" * 300],
                  "ref_or_id": ["wfops_examples.sequential", "nope", "%2F"],
                  "name_or_id": ["orquesta", "nope"], "task": ["task1", "nope"]}
    for template, operations in paths.items():
        for method in operations:
            urls = [template[len("/api/v1"):]]
            for name, values in odd_values.items():
                urls = [u.replace("{%s}" % name, v) for u in urls for v in values] if "{%s}" % name in urls[0] else urls
            for url in urls:
                for query in ("", "?limit=-1&offset=0&depth=2&include_attributes=a.b.c", "?depth=x&limit=-5"):
                    for raw in (odd_bodies if method in ("post", "put") else [None]):
                        status, value, _ = server.request(method.upper(), url + query, raw=raw)
                        documented = str(status) in operations[method]["responses"]
                        assert status < 500 or (status == 501 and documented), \
                            (method, url, query, raw, status, value)


def test_skip_on_a_paused_workflow_answers_200_with_the_same_execution(server, work):
    """A skip on a paused workflow creates no execution: 200 with the execution itself,
    which resumes and runs the skipped task's on-success transition."""
    d, log = work
    (d / "fail.task2").touch()
    (d / "hold.notify").touch()
    view = server.launch("wfops_examples.handled_failure", _params(work))
    wait_for(lambda: log_lines(log) == ["task1", "task2", "notify"])
    status, paused, _ = server.request("PUT", "/executions/%s" % view["id"], {"status": "pausing"})
    assert status == 200, paused
    (d / "hold.notify").unlink()
    server.wait_status(view["id"], "paused")
    roots_before = _root_count(server)

    status, answer, _ = server.request("POST", "/executions/%s/re_run" % view["id"], {
        "skip": ["task2"], "publish": {"task2": {"token": "by-api"}}, "comment": "api skip"})
    assert status == 200, answer
    assert answer["id"] == view["id"]
    done = server.wait_status(view["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded"
    assert log_lines(log)[-1] == "task3:by-api"
    assert _root_count(server) == roots_before, "no new workflow execution"
    assert server.get("/executions/%s/audit" % view["id"])[-1]["operation"] == "skip"


def _root_count(server) -> int:
    status, _, headers = server.request("GET", "/executions?parent=null&limit=1")
    assert status == 200
    return int(headers["X-Total-Count"])
