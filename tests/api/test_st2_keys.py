"""The datastore through ``/api/v1/keys``: the real ``st2 key set|get|list|delete|load``
(st2client 3.9) and ``wfops key ... --url`` against a served wfops, checked by what they
print, their exit status, the HTTP answers and the rows in the server's SQLite store; and
a workflow reading with ``st2kv`` the keys set through the API.

The server requires API keys: ``PLAIN`` is bound to no user (requests act as the server's
user, ``keeper``), ``CAROL`` acts as carol."""

from __future__ import annotations

import datetime
import json
import sqlite3
import subprocess
import sys
import time

import pytest

from .harness import API_PACKS, FIXTURE_PACKS, REPO, ST2, Server, field

EXPRESSION_PACKS = REPO / "tests" / "fixtures" / "expression_packs"
PLAIN = "plain-key-0123456789"
CAROL = "carol-key-0123456789"
AUTH = {"St2-Api-Key": PLAIN}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    if not ST2.exists():
        pytest.skip("the st2 command line (st2client) is not installed in this environment")
    home = tmp_path_factory.mktemp("keys") / "home"
    server = Server(home, api_keys="%s, %s:carol" % (PLAIN, CAROL),
                    packs_path="%s:%s:%s" % (FIXTURE_PACKS, API_PACKS, EXPRESSION_PACKS))
    server.env["WFOPS_USER"] = "keeper"
    server.start()
    yield server
    assert server.stop() == 0, server.log()


def st2(srv, *args, key=PLAIN, cwd=None):
    """The st2 command line acting with API key ``key``, in ``cwd`` when given."""
    if cwd is None:
        return srv.st2(*args, api_key=key)
    return subprocess.run([str(ST2), *args], env=srv.st2_env(key), cwd=str(cwd), capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def ok(done):
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def st2_json(srv, *args, key=PLAIN):
    return json.loads(ok(st2(srv, *args, "--json", key=key)).stdout)


def stored(srv, name):
    with sqlite3.connect(str(srv.home / "wfops.db")) as conn:
        return [r[0] for r in conn.execute("SELECT value FROM key_value_pairs WHERE name = ?", (name,))]


def wfops_key(srv, *args, user=None, key=PLAIN, cwd=None):
    env = {k: v for k, v in srv.env.items() if k not in ("WFOPS_HOME", "WFOPS_USER", "WFOPS_API_KEYS")}
    env["WFOPS_API_KEY"] = key
    command = [sys.executable, "-m", "wfops.cli.main", "--url", "http://127.0.0.1:%d" % srv.port]
    command += (["--user", user] if user else []) + ["key", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=cwd,
                          stdin=subprocess.DEVNULL)


def test_set_get_list_delete(srv):
    done = ok(st2(srv, "key", "set", "t1.endpoint", "https://api.example"))
    assert "| name             | t1.endpoint" in done.stdout and "st2kv.system" in done.stdout
    ok(st2(srv, "key", "set", "t1.region", "eu-west"))
    got = st2_json(srv, "key", "get", "t1.endpoint")
    assert (got["name"], got["value"], got["scope"], got["secret"], got["encrypted"]) == (
        "t1.endpoint", "https://api.example", "st2kv.system", False, False)
    assert srv.get("/keys/t1.endpoint", headers=AUTH)["uid"] == "key_value_pair:st2kv.system:t1.endpoint"
    ok(st2(srv, "key", "set", "t1.region", "us-east"))  # replaced, same id
    listed = st2_json(srv, "key", "list", "--prefix", "t1.")  # st2 prints --json in reverse
    assert [(i["name"], i["value"]) for i in listed] == [("t1.region", "us-east"),
                                                         ("t1.endpoint", "https://api.example")]
    assert [i["name"] for i in srv.get("/keys?prefix=t1.", headers=AUTH)] == ["t1.endpoint", "t1.region"]
    table = ok(st2(srv, "key", "list", "--prefix", "t1.")).stdout
    assert "| t1.region" in table and "us-east" in table

    done = ok(st2(srv, "key", "delete", "t1.region"))
    assert 'Resource with id "t1.region" has been successfully deleted.' in done.stdout
    assert stored(srv, "t1.region") == []
    done = st2(srv, "key", "get", "t1.region")
    assert done.returncode == 1 and 'Key Value Pair "t1.region" is not found.' in done.stdout
    assert st2(srv, "key", "delete", "t1.region").returncode != 0
    status, body, _ = srv.request("GET", "/keys/t1.region", headers=AUTH)
    assert (status, body) == (404, {"faultstring": "KeyValuePair with name: t1.region and scope: "
                                                   "st2kv.system not found in db."})
    status, body, _ = srv.request("DELETE", "/keys/t1.region", headers=AUTH)
    assert status == 404 and "not found in db" in body["faultstring"]
    status, body, _ = srv.request("DELETE", "/keys/t1.endpoint", headers=AUTH)
    assert (status, body) == (204, "")


def test_secret_is_masked_unless_decrypt(srv):
    ok(st2(srv, "key", "set", "t2.token", "t0ps3cret", "--encrypt"))
    (ciphertext,) = stored(srv, "t2.token")
    assert "t0ps3cret" not in ciphertext
    got = st2_json(srv, "key", "get", "t2.token")
    assert (got["value"], got["secret"], got["encrypted"]) == (ciphertext, True, True)
    got = st2_json(srv, "key", "get", "t2.token", "--decrypt")
    assert (got["value"], got["secret"], got["encrypted"]) == ("t0ps3cret", True, False)
    assert "t0ps3cret" not in ok(st2(srv, "key", "list", "--prefix", "t2.")).stdout
    assert [i["value"] for i in st2_json(srv, "key", "list", "--prefix", "t2.", "-d")] == ["t0ps3cret"]
    assert srv.get("/keys?prefix=t2.&decrypt=true", headers=AUTH)[0]["value"] == "t0ps3cret"

    # A pre-encrypted value is stored as it is, once it verifies with the server's key.
    ok(st2(srv, "key", "set", "t2.copy", ciphertext, "--encrypted"))
    assert st2_json(srv, "key", "get", "t2.copy", "-d")["value"] == "t0ps3cret"
    forged = ciphertext[:-2] + ("11" if ciphertext.endswith("00") else "00")
    done = st2(srv, "key", "set", "t2.forged", forged, "--encrypted")
    assert done.returncode == 1 and "was not encrypted with this datastore's key" in done.stdout + done.stderr
    assert stored(srv, "t2.forged") == []


def test_load_a_json_file(srv, tmp_path):
    ciphertext = st2_json(srv, "key", "set", "t3.source", "exported", "-e")["value"]
    (tmp_path / "keys.json").write_text(json.dumps([
        {"name": "t3.plain", "value": "one"},
        {"name": "t3.secret", "value": "two", "secret": True},
        {"name": "t3.imported", "value": ciphertext, "secret": True, "encrypted": True},
        {"name": "t3.mine", "value": "three", "scope": "user"},
        {"name": "t3.brief", "value": "four", "ttl": 600},
        {"name": "t3.structured", "value": {"a": [1, 2]}},
    ]))
    done = ok(st2(srv, "key", "load", "-c", "keys.json", cwd=tmp_path))
    assert "t3.structured" in done.stdout
    listed = {i["name"]: i for i in st2_json(srv, "key", "list", "--prefix", "t3.", "-d")}
    assert {n: i["value"] for n, i in listed.items()} == {
        "t3.source": "exported", "t3.plain": "one", "t3.secret": "two", "t3.imported": "exported",
        "t3.mine": "three", "t3.brief": "four", "t3.structured": '{"a": [1, 2]}'}
    assert (listed["t3.mine"]["scope"], listed["t3.mine"]["user"]) == ("st2kv.user", "keeper")
    assert "expire_timestamp" in listed["t3.brief"] and "expire_timestamp" not in listed["t3.plain"]
    assert "two" not in stored(srv, "t3.secret")[0]

    (tmp_path / "bad.json").write_text('[{"name": "t3.bad", "value": "x", "scope": "galaxy"}]')
    done = st2(srv, "key", "load", "bad.json", cwd=tmp_path)
    assert done.returncode == 1 and 'Scope "galaxy" is not valid' in done.stdout + done.stderr
    assert stored(srv, "t3.bad") == []


def test_ttl_expiry(srv):
    before = time.time()
    got = st2_json(srv, "key", "set", "t4.session", "abc", "--ttl", "5")
    expires = datetime.datetime.strptime(got["expire_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    assert before + 5 <= expires + 0.01 and expires <= time.time() + 5
    status, body, _ = srv.request("GET", "/keys/t4.session", headers=AUTH)
    assert status == 200 and body["value"] == "abc" or time.time() >= expires  # a slow machine
    time.sleep(max(0.0, expires - time.time()) + 0.2)
    done = st2(srv, "key", "get", "t4.session")
    assert done.returncode == 1 and 'Key Value Pair "t4.session" is not found.' in done.stdout
    assert st2_json(srv, "key", "list", "--prefix", "t4.") == []
    ok(st2(srv, "key", "set", "t4.session", "again"))  # set again without a TTL: it stays
    assert "expire_timestamp" not in st2_json(srv, "key", "get", "t4.session")


def test_user_scope_belongs_to_the_user_acting(srv):
    ok(st2(srv, "key", "set", "t5.colour", "blue", "--scope", "user", key=CAROL))
    got = srv.get("/keys/t5.colour?scope=user", headers={"St2-Api-Key": CAROL})
    assert (got["scope"], got["user"], got["uid"]) == ("st2kv.user", "carol", "key_value_pair:st2kv.user:carol:t5.colour")
    ok(st2(srv, "key", "set", "t5.colour", "green", "-s", "user"))  # keeper's own
    assert st2_json(srv, "key", "get", "t5.colour", "-s", "user", key=CAROL)["value"] == "blue"
    assert st2_json(srv, "key", "get", "t5.colour", "-s", "user")["value"] == "green"
    done = st2(srv, "key", "get", "t5.colour")  # the system scope has no such key
    assert done.returncode == 1

    mine = st2_json(srv, "key", "list", "--prefix", "t5.", key=CAROL)  # scope all: system + own
    assert [(i["value"], i["user"]) for i in mine] == [("blue", "carol")]
    theirs = st2_json(srv, "key", "list", "-u", "carol", "--prefix", "t5.")
    assert [(i["value"], i["user"]) for i in theirs] == [("blue", "carol")]
    status, body, _ = srv.request("GET", "/keys/t5.colour?user=carol", headers=AUTH)
    assert status == 200 and body["value"] == "blue"

    ok(st2(srv, "key", "delete", "t5.colour", "-s", "user", "-u", "carol"))
    status, body, _ = srv.request("GET", "/keys/t5.colour?scope=user&user=carol", headers=AUTH)
    assert (status, body["faultstring"]) == (404, "KeyValuePair with name: carol:t5.colour and scope: "
                                                  "st2kv.user not found in db.")
    assert st2_json(srv, "key", "get", "t5.colour", "-s", "user")["value"] == "green"


def test_refusals_are_400_with_one_clear_message_and_change_nothing(srv):
    done = st2(srv, "key", "list", "-s", "galaxy")
    assert done.returncode == 1 and 'Scope "galaxy" is not valid. Allowed scopes are system, user, all' in done.stdout
    cases = [
        ("PUT", "/keys/t6.a", {"name": "t6.a", "value": "x", "scope": "galaxy"}, 'Scope "galaxy" is not valid'),
        ("PUT", "/keys/t6.a", {"name": "t6.a", "value": 5}, "\"value\": 5 is not of type 'string'"),
        ("PUT", "/keys/t6.a", {"name": "t6.a", "value": "x", "ttl": 0}, "TTL must be a whole number of seconds"),
        ("PUT", "/keys/t6.a", {"name": "t6.a", "value": "x", "ttl": "5"}, "'5' is not of type 'integer'"),
        ("PUT", "/keys/t6.a", {"value": "x"}, "'name' is a required property"),
        ("GET", "/keys/t6.a?scope=galaxy", None, 'Scope "galaxy" is not valid'),
        ("GET", "/keys?decrypt=maybe", None, 'Parameter "decrypt" is not of type boolean'),
        ("GET", "/keys?limit=0", None, 'Limit, "0" specified, must be a positive number'),
    ]
    for method, path, body, message in cases:
        status, answer, _ = srv.request(method, path, body, headers=AUTH)
        assert status == 400 and message in answer["faultstring"], (path, body, answer)
    status, answer, _ = srv.request("PUT", "/keys/t6.a", raw=b"{not json", headers=AUTH)
    assert status == 400 and "Traceback" not in answer["faultstring"]
    assert stored(srv, "t6.a") == []
    status, _, _ = srv.request("GET", "/keys")  # no API key
    assert status == 401


def test_paging_and_total(srv):
    for n in range(5):
        status, _, _ = srv.request("PUT", "/keys/t7.k%d" % n, {"name": "t7.k%d" % n, "value": str(n)}, headers=AUTH)
        assert status == 200
    status, body, headers = srv.request("GET", "/keys/?prefix=t7.&limit=2&offset=1", headers=AUTH)
    assert status == 200 and [i["name"] for i in body] == ["t7.k1", "t7.k2"]
    assert (headers["X-Total-Count"], headers["X-Limit"]) == ("5", "2")
    done = ok(st2(srv, "key", "list", "--prefix", "t7.", "-n", "3"))
    assert "t7.k2" in done.stdout and "t7.k3" not in done.stdout
    assert "Note: Only first 3 key value pairs are displayed" in done.stdout + done.stderr
    assert len(srv.get("/keys?prefix=t7.&limit=-1", headers=AUTH)) == 5


def test_a_workflow_reads_keys_set_through_the_api(srv):
    ok(st2(srv, "key", "set", "endpoint", "https://api.example"))
    ok(st2(srv, "key", "set", "greeting", "hello"))
    token = st2_json(srv, "key", "set", "token", "t0ps3cret", "-e")["value"]
    ok(st2(srv, "key", "set", "favourite", "blue", "-s", "user"))
    done = st2(srv, "run", "st2functions.datastore_keys")
    assert done.returncode == 0, done.stdout + done.stderr
    view = srv.get("/executions/%s" % field(done.stdout, "id"), headers=AUTH)
    assert view["status"] == "succeeded" and view["context"]["user"] == "keeper"
    assert view["result"]["output"] == {"said": "hello https://api.example", "mine": "blue", "token": "t0ps3cret",
                                        "token_encrypted": token, "missing": "fallback"}

    ok(st2(srv, "key", "set", "favourite", "red", "-s", "user"))  # the next run reads the new value
    done = st2(srv, "run", "st2functions.datastore_keys", "name=greeting")
    view = srv.get("/executions/%s" % field(done.stdout, "id"), headers=AUTH)
    assert (view["result"]["output"]["mine"], view["result"]["output"]["said"]) == ("red", "hello hello")


def test_wfops_key_with_url(srv, tmp_path):
    assert wfops_key(srv, "set", "t8.url", "https://x").returncode == 0
    done = wfops_key(srv, "set", "t8.colour", "teal", "-s", "user", user="alice")
    assert done.returncode == 0 and "alice" in done.stdout, done.stderr
    assert st2_json(srv, "key", "get", "t8.url")["value"] == "https://x"
    listed = json.loads(wfops_key(srv, "list", "--prefix", "t8.", "--json", user="alice").stdout)
    assert [(i["name"], i.get("user")) for i in listed] == [("t8.url", None), ("t8.colour", "alice")]
    listed = json.loads(wfops_key(srv, "list", "--prefix", "t8.", "--json", user="bob").stdout)
    assert [i["name"] for i in listed] == ["t8.url"]

    secret = json.loads(wfops_key(srv, "set", "t8.pw", "hunter2", "--encrypt", "--json").stdout)
    assert secret["encrypted"] is True and secret["value"] != "hunter2"
    got = json.loads(wfops_key(srv, "get", "t8.pw", "--decrypt", "--json").stdout)
    assert got["value"] == "hunter2"

    (tmp_path / "load.yaml").write_text("- {name: t8.l1, value: one}\n- {name: t8.l2, value: two, ttl: 60}\n")
    done = wfops_key(srv, "load", str(tmp_path / "load.yaml"))
    assert done.returncode == 0 and "t8.l2" in done.stdout, done.stderr
    assert st2_json(srv, "key", "get", "t8.l1")["value"] == "one"
    (tmp_path / "bad.yaml").write_text("- {name: t8.l3, value: x}\n- {name: t8.l4, value: y, ttl: -1}\n")
    done = wfops_key(srv, "load", str(tmp_path / "bad.yaml"))
    assert done.returncode == 1 and "Nothing was loaded" in done.stderr and 'item 2 ("t8.l4")' in done.stderr
    assert stored(srv, "t8.l3") == []

    done = wfops_key(srv, "delete", "t8.colour", "-s", "user", user="alice")
    assert done.returncode == 0 and 'Resource with id "t8.colour" has been successfully deleted.' in done.stdout
    done = wfops_key(srv, "get", "t8.colour", "-s", "user", user="alice")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert 'Key "t8.colour" of user "alice" is not found in scope st2kv.user' in done.stderr
    done = wfops_key(srv, "set", "t8.x", "y", "-s", "galaxy")
    assert done.returncode == 1 and 'Scope "galaxy" is not valid' in done.stderr
    done = wfops_key(srv, "list", key="wrong-key")
    assert done.returncode == 1 and "Traceback" not in done.stderr
