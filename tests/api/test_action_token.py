"""``ST2_ACTION_AUTH_TOKEN``: a shell action calls ``wfops serve``'s API (real HTTP) with
the token its execution was given, on a server whose API keys are required: accepted
while the execution runs, as the user who ran it; refused once it completed, and refused
when forged."""

from __future__ import annotations

import sys
import textwrap

import pytest

from .harness import ST2, Server

ALICE_KEY = "key-of-alice-4242"

SCRIPT = textwrap.dedent('''
    import json, os, urllib.error, urllib.request

    api, token = os.environ["ST2_ACTION_API_URL"], os.environ["ST2_ACTION_AUTH_TOKEN"]
    me = os.environ["ST2_ACTION_EXECUTION_ID"]

    def call(method, path, body=None, token=token):
        request = urllib.request.Request(api + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("X-Auth-Token", token)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    own = call("GET", "/executions/" + me)
    key = call("PUT", "/keys/from_action", {"name": "from_action", "value": "hello", "scope": "user"})
    anonymous = call("GET", "/executions/" + me, token=None)
    print(json.dumps({"token": token, "own": [own[0], own[1].get("status")], "key": [key[0], key[1].get("user")],
                      "anonymous": [anonymous[0], anonymous[1].get("faultstring")]}))
''')


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    if not ST2.exists():
        pytest.skip("the st2 command line (st2client) is not installed in this environment")
    home = tmp_path_factory.mktemp("token") / "home"
    home.mkdir(parents=True)
    srv = Server(home, api_keys="%s:alice" % ALICE_KEY)
    srv.start()
    yield srv
    assert srv.stop() == 0, srv.log()


def test_an_action_calls_the_api_with_its_token(keyed, tmp_path):
    script = tmp_path / "call_api.py"
    script.write_text(SCRIPT)
    alice = {"St2-Api-Key": ALICE_KEY}
    started = keyed.launch("core.local", {"cmd": "%s %s" % (sys.executable, script)}, headers=alice)
    done = keyed.wait_status(started["id"], {"succeeded", "failed"}, headers=alice)
    assert done["status"] == "succeeded", done["result"]
    seen = done["result"]["stdout"]  # JSON output is parsed, as st2 does

    assert seen["own"] == [200, "running"]          # the API read while the action ran
    assert seen["key"] == [200, "alice"]            # it acts as the user who ran the action
    assert seen["anonymous"] == [401, "Unauthorized - One of Token or API key required."]
    assert keyed.get("/keys/from_action?scope=user&user=alice", headers=alice)["value"] == "hello"
    assert seen["token"].startswith(started["id"] + ".")

    status, value, _ = keyed.request("GET", "/executions/" + started["id"], headers={"X-Auth-Token": seen["token"]})
    assert (status, value) == (401, {"faultstring": "Unauthorized - Token has expired."})
    forged = started["id"] + "." + "0" * 64
    status, value, _ = keyed.request("GET", "/executions", headers={"X-Auth-Token": forged})
    assert (status, value) == (401, {"faultstring": "Unauthorized - Token not found."})
