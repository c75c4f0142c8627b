"""The http-request runner (core.http), against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from wfops.packs import ActionRegistry
from wfops.packs import registry as registry_module
from wfops.parameters import validate_parameters
from wfops.runners import RunContext, get_runner

ST2_SHAPED = Path(__file__).parent / "fixtures" / "st2_shaped"
CORE = (registry_module.BUILTIN_CORE_PACK, "core")


@pytest.fixture(scope="module")
def registry() -> ActionRegistry:
    return ActionRegistry.from_paths([str(ST2_SHAPED)], [CORE])


def run(registry, ref, params):
    action = registry.get(ref)
    return get_runner(action.runner_type).run(
        action, validate_parameters(action, params), RunContext(execution_id="0123456789abcdef01234567"))


def test_get_json_is_parsed_and_shaped_as_st2(registry, http_server):
    outcome = run(registry, "core.http", {"url": http_server.url("/greeting")})

    assert outcome.status == "succeeded"
    assert set(outcome.result) == {"status_code", "body", "parsed", "headers"}
    assert outcome.result["status_code"] == 200
    assert outcome.result["body"] == {"greeting": "hello-from-http"}
    assert outcome.result["parsed"] is True
    assert outcome.result["headers"]["Content-Type"] == "application/json; charset=utf-8"
    seen = http_server.requests[-1]
    assert (seen["method"], seen["path"]) == ("GET", "/greeting")
    assert seen["headers"]["x-stanley-action"] == "http"


def test_text_body_is_kept_as_text(registry, http_server):
    outcome = run(registry, "core.http", {"url": http_server.url("/text")})
    assert outcome.status == "succeeded"
    assert (outcome.result["body"], outcome.result["parsed"]) == ("plain text\n", False)


def test_query_params_headers_and_cookies_reach_the_server(registry, http_server):
    outcome = run(registry, "core.http", {
        "url": http_server.url("/echo"), "params": {"q": "wf ops", "n": 2},
        "headers": {"X-Trace": "abc", "X-Number": 7}, "cookies": {"session": "s1"},
    })
    echoed = outcome.result["body"]
    assert echoed["query"] == {"q": ["wf ops"], "n": ["2"]}
    assert echoed["headers"]["x-trace"] == "abc"
    assert echoed["headers"]["x-number"] == "7"
    assert echoed["headers"]["cookie"] == "session=s1"


@pytest.mark.parametrize("body", ['{"a": 1, "b": [true, null]}', "{'a': 1, 'b': [True, None]}"])
def test_json_body_is_sent_as_json_and_method_defaults_to_post(registry, http_server, body):
    # StackStorm reads the body as JSON, else as a Python literal, when the request is JSON.
    outcome = run(registry, "core.http", {
        "url": http_server.url("/echo"), "body": body, "headers": {"Content-Type": "application/json"},
    })
    assert outcome.status == "succeeded"
    echoed = outcome.result["body"]
    assert echoed["method"] == "POST"
    assert echoed["body"] == '{"a": 1, "b": [true, null]}'
    assert echoed["headers"]["content-type"] == "application/json"


def test_a_json_body_that_is_not_json_fails_before_sending(registry, http_server):
    outcome = run(registry, "core.http", {
        "url": http_server.url("/echo"), "body": "{not json", "headers": {"Content-Type": "application/json"},
    })
    assert outcome.status == "failed"
    assert "cannot be parsed as JSON" in outcome.result["error"]
    assert http_server.requests == []


def test_other_methods_and_plain_bodies(registry, http_server):
    outcome = run(registry, "core.http", {"url": http_server.url("/echo"), "method": "PUT", "body": "k=v"})
    assert (outcome.result["body"]["method"], outcome.result["body"]["body"]) == ("PUT", "k=v")
    head = run(registry, "core.http", {"url": http_server.url("/echo"), "method": "HEAD"})
    assert (head.status, head.result["body"], head.result["parsed"]) == ("succeeded", "", False)


def test_basic_auth_with_username_and_password(registry, http_server):
    from fixtures.local_servers import BASIC_PASSWORD, BASIC_USER

    good = run(registry, "core.http", {"url": http_server.url("/auth"), "username": BASIC_USER,
                                        "password": BASIC_PASSWORD})
    assert (good.status, good.result["body"]) == ("succeeded", {"user": BASIC_USER})
    expected = "Basic " + base64.b64encode(("%s:%s" % (BASIC_USER, BASIC_PASSWORD)).encode()).decode()
    assert http_server.requests[-1]["headers"]["authorization"] == expected

    bad = run(registry, "core.http", {"url": http_server.url("/auth"), "username": BASIC_USER,
                                       "password": "wrong"})
    assert bad.status == "failed"
    assert (bad.result["status_code"], bad.result["body"]) == (401, {"error": "who are you?"})


def test_the_auth_parameter_is_refused_with_what_to_use(registry, http_server):
    outcome = run(registry, "core.http", {"url": http_server.url("/auth"), "auth": "x-auth-token=XYZ"})
    assert outcome.status == "failed"
    assert 'give "username" and "password"' in outcome.result["error"]
    assert "traceback" not in outcome.result
    assert http_server.requests == []


@pytest.mark.parametrize("code", [201, 206, 207, 400, 404, 500, 503])
def test_only_200_to_206_succeed(registry, http_server, code):
    # StackStorm's http runner: SUCCESS_STATUS_CODES = 200..206; every other status fails.
    outcome = run(registry, "core.http", {"url": http_server.url("/status/%d" % code)})
    assert outcome.status == ("succeeded" if 200 <= code <= 206 else "failed")
    assert (outcome.result["status_code"], outcome.result["body"]) == (code, {"status": code})


def test_redirects_are_not_followed_unless_allowed(registry, http_server):
    outcome = run(registry, "core.http", {"url": http_server.url("/redirect")})
    assert (outcome.status, outcome.result["status_code"]) == ("failed", 302)
    assert outcome.result["headers"]["Location"] == "/echo"

    followed = run(registry, "core.http", {"url": http_server.url("/redirect"), "allow_redirects": True})
    assert (followed.status, followed.result["status_code"]) == ("succeeded", 200)
    assert followed.result["body"]["path"] == "/echo"


def test_timeout_ends_the_action_timeout(registry, http_server):
    started = time.monotonic()
    outcome = run(registry, "core.http", {"url": http_server.url("/slow/5"), "timeout": 0.5})
    assert time.monotonic() - started < 4
    assert outcome.status == "timeout"
    assert list(outcome.result) == ["error"]
    assert "timed out" in outcome.result["error"].lower()


def test_connection_refused_fails_with_the_reason(registry):
    from fixtures.local_servers import free_port

    url = "http://127.0.0.1:%d/x" % free_port()
    outcome = run(registry, "core.http", {"url": url})
    assert outcome.status == "failed"
    assert outcome.result["error"].startswith('The HTTP request to "%s" failed: ' % url)
    assert "refused" in outcome.result["error"].lower()


def test_host_deny_and_allow_lists(registry, http_server):
    denied = run(registry, "core.http", {"url": http_server.url("/echo"), "url_hosts_blacklist": ["127.0.0.1"]})
    assert (denied.status, denied.result["error"]) == ("failed", 'URL "%s" is blacklisted' % http_server.url("/echo"))
    not_allowed = run(registry, "core.http", {"url": http_server.url("/echo"), "url_hosts_whitelist": ["example.com"]})
    assert not_allowed.result["error"] == 'URL "%s" is not whitelisted' % http_server.url("/echo")
    assert http_server.requests == []
    allowed = run(registry, "core.http", {"url": http_server.url("/echo"), "url_hosts_whitelist": ["127.0.0.1"]})
    assert allowed.status == "succeeded"


def test_file_upload(registry, http_server, tmp_path):
    upload = tmp_path / "notes.txt"
    upload.write_text("line one\n")
    outcome = run(registry, "core.http", {"url": http_server.url("/echo"), "file_path": str(upload)})
    echoed = outcome.result["body"]
    assert echoed["method"] == "POST"
    assert echoed["headers"]["content-type"].startswith("multipart/form-data")
    assert 'filename="notes.txt"' in echoed["body"] and "line one" in echoed["body"]


def test_a_pack_action_of_the_runner_keeps_its_immutable_method(registry, http_server):
    outcome = run(registry, "examples.fetch_greeting", {"url": http_server.url("/greeting")})
    assert outcome.result["body"] == {"greeting": "hello-from-http"}
    assert http_server.requests[-1]["method"] == "GET"
