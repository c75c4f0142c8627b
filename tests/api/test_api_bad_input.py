"""The REST API with plain HTTP, bad input: unknown ids and routes, bodies that are not JSON
or of the wrong types or size, answered with StackStorm's status codes and wording and
nothing changed; and no odd request over the OpenAPI document's operations gets a 5xx."""

from __future__ import annotations

import json
import socket

import pytest

from .rest_helpers import UNKNOWN, execution_state, failed_sequential

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
    done = failed_sequential(server, work) if "%s" in path else None
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
    failed = failed_sequential(server, work)
    before = execution_state(server, failed["id"])
    status, value, _ = server.request(method, path.replace("%s", failed["id"]), body)
    assert status == 400, value
    assert message in value["faultstring"]
    assert execution_state(server, failed["id"]) == before


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


# -- the OpenAPI document -------------------------------------------------------------------


def test_openapi_document_describes_every_route_and_no_request_gets_a_5xx(server, work):
    failed = failed_sequential(server, work)
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
