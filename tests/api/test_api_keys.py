"""API keys: with keys configured, a request without a valid ``St2-Api-Key`` is refused
(401, StackStorm's wording) before anything is read or changed; the st2 CLI passes its key
from ``ST2_API_KEY``. A key bound to a user (``KEY:USER``) acts as that user."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from .harness import ST2, Server, log_lines, wait_for
from .sse import read_events

KEYS = ("key-one-0123456789", "key-two-9876543210")
CAROL = "key-of-carol-5555"      # bound to carol in WFOPS_API_KEYS
DAVE = "key:with:colons-77"      # bound to dave in the api_keys file


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    if not ST2.exists():
        pytest.skip("the st2 command line (st2client) is not installed in this environment")
    home = tmp_path_factory.mktemp("keyed") / "home"
    home.mkdir(parents=True)
    (home / "api_keys").write_text("# one key per line\n%s\n%s:dave  # bound to a user\n" % (KEYS[1], DAVE))
    srv = Server(home, api_keys="%s, %s:carol" % (KEYS[0], CAROL))
    srv.env["WFOPS_USER"] = "wfops-server"
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.log()


def test_requests_without_a_valid_key_are_refused(keyed):
    good = {"St2-Api-Key": KEYS[0]}
    assert keyed.total(headers=good) == 0
    for method, path, body in [("GET", "/executions", None), ("GET", "/actions", None),
                               ("POST", "/executions", {"action": "core.noop"}),
                               ("GET", "/executions/0123456789abcdef01234567", None)]:
        status, value, _ = keyed.request(method, path, body)
        assert (status, value) == (401, {"faultstring": "Unauthorized - One of Token or API key required."})
        status, value, _ = keyed.request(method, path, body, headers={"St2-Api-Key": "wrong"})
        assert status == 401
        assert value["faultstring"].startswith("Unauthorized - ApiKey with key_hash=")
    assert keyed.total(headers=good) == 0, "nothing was created by the refused POSTs"

    # Both configured keys work, in the header or as st2's query parameter.
    assert keyed.request("GET", "/executions", headers={"St2-Api-Key": KEYS[1]})[0] == 200
    assert keyed.request("GET", "/executions?st2-api-key=%s" % KEYS[0])[0] == 200
    status, value, _ = keyed.request("POST", "/executions", {"action": "core.noop"}, headers=good)
    assert status == 201
    keyed.wait_status(value["id"], "succeeded", headers=good)
    # The version and the OpenAPI document are public.
    assert keyed.request("GET", "/")[0] == 200
    assert keyed.request("GET", "/openapi.json")[0] == 200


def test_st2_cli_with_and_without_its_api_key(keyed):
    refused = keyed.st2("action", "list", "-p", "core")
    assert refused.returncode == 1
    assert "Unauthorized - One of Token or API key required." in refused.stdout + refused.stderr
    listed = keyed.st2("action", "list", "-p", "core", api_key=KEYS[0])
    assert listed.returncode == 0, listed.stderr
    assert "core.noop" in listed.stdout


def test_a_key_bound_to_a_user_acts_as_that_user(keyed, tmp_path):
    """Whatever user a request names, a bound key's user is recorded; an unbound key
    leaves the choice to the request. Through plain HTTP and through the st2 CLI."""
    log, hold = tmp_path / "log.txt", tmp_path / "hold.task1"
    as_carol = {"St2-Api-Key": CAROL}
    # The user is not part of the key: only the text before the last colon is.
    assert keyed.request("GET", "/executions", headers={"St2-Api-Key": DAVE + ":dave"})[0] == 401
    hold.touch()
    status, running, _ = keyed.request("POST", "/executions", {
        "action": "apitest.gated", "parameters": {"log": str(log), "dir": str(tmp_path)}, "user": "mallory",
    }, headers=as_carol)
    assert status == 201 and running["context"]["user"] == "carol", running
    wait_for(lambda: log_lines(log) == ["task1"])
    path = "/executions/%s" % running["id"]
    answers = [
        keyed.request("PUT", path, {"status": "pausing", "user": "mallory"}, headers=as_carol),
        keyed.request("PUT", path, {"status": "resuming", "user": "erin"}, headers={"St2-Api-Key": KEYS[0]}),
    ]
    assert [a[0] for a in answers] == [200, 200], answers
    cancel = keyed.st2("execution", "cancel", running["id"], api_key=DAVE)
    assert cancel.returncode == 0, cancel.stdout + cancel.stderr
    hold.unlink()
    keyed.wait_status(running["id"], "canceled", headers=as_carol)
    status, rerun, _ = keyed.request("POST", path + "/re_run", {"tasks": ["task1"], "user": "mallory"},
                                     headers=as_carol)
    assert status == 201 and rerun["context"]["user"] == "carol", rerun
    keyed.wait_status(rerun["id"], "succeeded", headers=as_carol)
    audit = keyed.get(path + "/audit", headers=as_carol)
    assert [(e["operation"], e["user"]) for e in audit] == [
        ("pause", "carol"), ("resume", "erin"), ("cancel", "dave"), ("re-run", "carol")]


def test_the_event_stream_needs_a_key_too(keyed):
    url = "http://127.0.0.1:%d/stream/v1/stream" % keyed.port
    try:
        urllib.request.urlopen(url, timeout=10)
        raise AssertionError("the stream answered without a key")
    except urllib.error.HTTPError as e:
        assert e.code == 401
        assert e.read() == b'{"faultstring":"Unauthorized - One of Token or API key required."}'
    status, created, _ = keyed.request("POST", "/executions", {"action": "core.noop"}, headers={"St2-Api-Key": KEYS[0]})
    assert status == 201
    events = read_events(url + "?st2-api-key=%s&end_execution_id=%s&end_event=st2.execution__update"
                         % (KEYS[1], created["id"]), lambda name, data: False, timeout=30)
    assert events[-1][1]["id"] == created["id"] and events[-1][1]["status"] == "succeeded"
