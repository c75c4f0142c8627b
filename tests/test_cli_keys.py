"""`wfops key list|get|set|delete|load` through the real command line (subprocesses, a
real SQLite store under a temporary WFOPS_HOME), with `st2 key`'s syntax and output."""

from __future__ import annotations

import datetime
import json
import sqlite3
import time


def _ok(done):
    assert done.returncode == 0, done.stderr
    return done


def _refused(done, text):
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert text in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    return done


def test_set_get_list_delete(wfops):
    _ok(wfops.run("key", "set", "endpoint", "https://api.example"))
    _ok(wfops.run("--user", "alice", "key", "set", "favourite", "blue", "--scope", "user"))
    item, done = wfops.json("key", "get", "endpoint")
    assert (item["name"], item["value"], item["scope"], item["secret"]) == (
        "endpoint", "https://api.example", "st2kv.system", False)
    table = _ok(wfops.run("key", "get", "endpoint")).stdout
    assert "| value" in table and "https://api.example" in table

    listed, done = wfops.json("--user", "alice", "key", "list")  # st2's default: system + own keys
    assert [(i["name"], i["scope"], i.get("user")) for i in listed] == [
        ("endpoint", "st2kv.system", None), ("favourite", "st2kv.user", "alice")]
    listed, done = wfops.json("--user", "bob", "key", "list")
    assert [i["name"] for i in listed] == ["endpoint"]
    for option in ("-u", "--user"):  # after `key list`, --user names whose user-scoped keys
        listed, done = wfops.json("--user", "bob", "key", "list", option, "alice")
        assert [(i["name"], i["user"]) for i in listed] == [("favourite", "alice")]
    listed, done = wfops.json("key", "list", "--prefix", "end")
    assert [i["name"] for i in listed] == ["endpoint"]
    text = _ok(wfops.run("--user", "alice", "key", "list")).stdout
    assert "expire_timestamp" in text.splitlines()[1] and "favourite" in text

    done = _ok(wfops.run("--user", "alice", "key", "delete", "favourite", "-s", "user"))
    assert 'Resource with id "favourite" has been successfully deleted.' in done.stdout
    _refused(wfops.run("--user", "alice", "key", "get", "favourite", "-s", "user"),
             'Key "favourite" of user "alice" is not found in scope st2kv.user')
    _refused(wfops.run("key", "delete", "favourite"), 'Key "favourite" is not found in scope st2kv.system')


def test_secret_is_encrypted_in_the_database_and_decrypted_on_request(wfops):
    _ok(wfops.run("key", "set", "token", "t0ps3cret", "--encrypt"))
    with sqlite3.connect(str(wfops.home / "wfops.db")) as conn:
        (stored,), = conn.execute("SELECT value FROM key_value_pairs WHERE name = 'token'").fetchall()
    assert "t0ps3cret" not in stored
    item, _ = wfops.json("key", "get", "token")
    assert (item["value"], item["encrypted"]) == (stored, True)
    item, _ = wfops.json("key", "get", "token", "--decrypt")
    assert (item["value"], item["encrypted"]) == ("t0ps3cret", False)
    assert (wfops.home / "keys" / "datastore_key.json").exists()
    # an exported ciphertext loads back as already encrypted
    _ok(wfops.run("key", "set", "copy", stored, "--encrypted"))
    item, _ = wfops.json("key", "get", "copy", "-d")
    assert item["value"] == "t0ps3cret"


def test_ttl(wfops):
    item, _ = wfops.json("key", "set", "blink", "x", "--ttl", "4")
    expires = datetime.datetime.strptime(item["expire_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    assert 3 < expires - time.time() <= 4
    item, _ = wfops.json("key", "get", "blink")
    assert item["value"] == "x"
    time.sleep(max(0.0, expires - time.time()) + 0.1)
    _refused(wfops.run("key", "get", "blink"), "is not found")
    assert wfops.json("key", "list")[0] == []


def test_load_json_and_yaml_files(wfops, tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([{"name": "a", "value": "1"},
                                {"name": "cfg", "value": {"retries": 3}, "scope": "user"},
                                {"name": "pw", "value": "p", "secret": True}]))
    _refused(wfops.run("key", "load", str(keys)), "Item 'cfg' has a value that is not a string")
    assert wfops.json("key", "list")[0] == []
    loaded, done = wfops.json("--user", "alice", "key", "load", str(keys), "--convert")
    assert [(i["name"], i["scope"], i["secret"]) for i in loaded] == [
        ("a", "st2kv.system", False), ("cfg", "st2kv.user", False), ("pw", "st2kv.system", True)]
    item, _ = wfops.json("--user", "alice", "key", "get", "cfg", "-s", "user")
    assert json.loads(item["value"]) == {"retries": 3}
    one = tmp_path / "one.yaml"
    one.write_text("name: b\nvalue: two\n")
    table = _ok(wfops.run("key", "load", str(one))).stdout
    assert "| b " in table


def test_bad_input_gets_one_clear_error(wfops, tmp_path):
    _refused(wfops.run("key", "set", "k", "v", "--scope", "global"), 'Scope "global" is not valid.')
    _refused(wfops.run("key", "set", "k", "v", "--ttl", "soon"),
             "TTL must be a whole number of seconds greater than 0 (got 'soon').")
    _refused(wfops.run("key", "set", "k", "v", "--ttl", "-5"), "(got '-5')")
    _refused(wfops.run("key", "load", str(tmp_path / "nope.yaml")), "Cannot read %s" % (tmp_path / "nope.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("- name: [unclosed\n")
    _refused(wfops.run("key", "load", str(broken)), "is not valid YAML")
    _refused(wfops.run("key", "set", "k"), "needs a value")
    _refused(wfops.run("key", "get", "k", "-s", "nowhere"), 'Scope "nowhere" is not valid.')
    _refused(wfops.run("--url", "http://127.0.0.1:9", "key", "list"), "Cannot reach the wfops server at")
    assert wfops.json("key", "list")[0] == []
