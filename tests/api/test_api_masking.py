"""The REST API with plain HTTP: secret parameters masked in every response, the task context
too."""

from __future__ import annotations

import json

from .rest_helpers import SECRET, run_params


def test_secret_parameters_are_masked_in_every_response(server, work):
    d, log = work
    created = server.launch("apitest.gated", run_params(work, token=SECRET))
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


def test_task_context_with_secrets_masked(server, work):
    d, log = work
    (d / "fail.task2").touch()
    view = server.launch("apitest.gated", run_params(work, token=SECRET))
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
