"""Every route the app declares is in the served /openapi.json (generated from the
declarations, not written by hand) and answers a well-formed request with a status the
document lists for it."""

from __future__ import annotations

import urllib.request

from wfops.api.app import create_app
from wfops.session import Session

# A well-formed request per operation: (body, the status it must get).
REQUESTS = {
    ("post", "/api/v1/executions"): ({"action": "core.noop"}, 201),
    ("put", "/api/v1/executions/{id}"): ({"status": "pausing"}, 400),        # the workflow failed
    ("delete", "/api/v1/executions/{id}"): (None, 400),                     # completed
    ("post", "/api/v1/executions/{id}/re_run"): ({"tasks": ["task2"], "dry_run": True}, 200),
    ("delete", "/api/v1/keys/{name}"): (None, 404),                         # in order: none yet
    ("get", "/api/v1/keys/{name}"): (None, 404),
    ("put", "/api/v1/keys/{name}"): ({"name": "routes.k", "value": "v"}, 200),
    ("get", "/api/v1/inquiries/{inquiry_id}"): (None, 400),                 # a workflow, not an inquiry
    ("put", "/api/v1/inquiries/{inquiry_id}"): ({"response": {"continue": True}}, 400),
}
REFS = {"actions": "wfops_examples.sequential", "packs": "wfops", "actionalias": "wfops.wfops_audit",
        "sensortypes": "wfops.WorkflowWatchSensor", "rules": "wfops.rerun_failed_once"}


def _declared(tmp_path) -> set[tuple[str, str]]:
    session = Session(str(tmp_path / "home"))
    try:
        document = create_app(session, None).openapi()
    finally:
        session.close()
    return {(method, path) for path, operations in document["paths"].items() for method in operations}


def _url(template: str, execution_id: str) -> str:
    resource = template.split("/")[3] if template.count("/") > 2 else ""
    return (template.replace("{id}", execution_id).replace("{inquiry_id}", execution_id).replace("{ref_or_id}", REFS.get(resource, ""))
            .replace("{name_or_id}", "orquesta").replace("{task}", "task1").replace("{name}", "routes.k"))


def test_every_declared_route_is_documented_and_answers(server, work, tmp_path):
    d, log = work
    (d / "fail.task2").touch()
    failed = server.launch("wfops_examples.sequential", {"log": str(log), "dir": str(d)})
    server.wait_status(failed["id"], "failed")
    document = server.get("/openapi.json")
    served = {(m, p) for p, operations in document["paths"].items() for m in operations}
    assert served == _declared(tmp_path)
    assert ("get", "/stream/v1/stream") in served and ("get", "/api/v1/packs") in served

    for method, template in sorted(served):
        operation = document["paths"][template][method]
        assert operation.get("summary"), (method, template)
        assert "401" in operation["responses"] or operation.get("security") == [], (method, template)
        url = _url(template, failed["id"])
        if template.startswith("/stream/"):
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (server.port, url), timeout=10) as response:
                first = response.readline()
                # The event stream opens with a newline; an execution's output stream with its
                # events (here, of a completed execution: its end).
                assert response.status == 200 and (first == b"\n" or first.startswith(b"event: ")), first
            continue
        body, expected = REQUESTS.get((method, template), (None, 200))
        status, value, _ = server.request(method.upper(), url[len("/api/v1"):], body)
        assert status == expected, (method, url, status, value)
        assert str(status) in operation["responses"], (method, template, status)
        if status >= 400:
            assert set(value) == {"faultstring"}
