"""The datastore (wfops.datastore) on a real SQLite store: StackStorm's scopes and key
names, prefixes, TTL expiry, secrets encrypted at rest, load files, and one clear error
for bad input with nothing changed."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time

import pytest

from wfops.datastore import crypto
from wfops.datastore.keystore import Datastore
from wfops.datastore.load_file import read_items
from wfops.datastore.naming import DatastoreError, KeyNotFound

# Made with StackStorm 3.9's own st2common.util.crypto (AESKey.generate, symmetric_encrypt),
# run outside this repository: a key file of its format and a value it encrypted.
ST2_KEY_FILE = ('{"hmacKey": {"hmacKeyString": "nYRDiSLcrnUYlrQEVZj3DSAD4GFqAbYP4zVP31ryNzg", "size": 256}, '
                '"aesKeyString": "QK7KO94jIBAGU64cnN4KX2zW5ZqtvGTul_nqs4wUFgE", "mode": "CBC", "size": 256}')
ST2_CIPHERTEXT = ("30303030304E5E36D7B1A7BF1FF448466F9EE9E7CF67B31712B77672FCEC326526786D1EE27DC7953C830A98"
                  "06AE60C2E736F307D2FBFC911D52DBD694308BF8D4B31A3D304636D7ED")
ST2_PLAINTEXT = "s3cret with ünïcode"


class Clock:
    def __init__(self):
        self.now = 1_700_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def home(tmp_path):
    return str(tmp_path / "home")


@pytest.fixture
def ds(home):
    datastore = Datastore.open(home)
    datastore.clock = Clock()
    yield datastore
    datastore.close()


def _raw(home: str) -> list[tuple]:
    with sqlite3.connect(os.path.join(home, "wfops.db")) as conn:
        return conn.execute("SELECT scope, name, value, secret FROM key_value_pairs ORDER BY scope, name").fetchall()


def test_system_and_user_scopes_and_stackstorm_key_names(ds, home):
    ds.set("endpoint", "https://a", requester="alice")
    ds.set("endpoint", "alice's", requester="alice", scope="user")
    ds.set("endpoint", "bob's", requester="alice", scope="st2kv.user", user="bob")
    assert _raw(home) == [("st2kv.system", "endpoint", "https://a", 0),
                          ("st2kv.user", "alice:endpoint", "alice's", 0),
                          ("st2kv.user", "bob:endpoint", "bob's", 0)]
    system = ds.get("endpoint", requester="bob")
    assert {k: system[k] for k in ("name", "value", "scope", "secret", "encrypted")} == {
        "name": "endpoint", "value": "https://a", "scope": "st2kv.system", "secret": False, "encrypted": False}
    assert system["uid"] == "key_value_pair:st2kv.system:endpoint" and "user" not in system
    mine = ds.get("endpoint", requester="alice", scope="user")
    assert (mine["value"], mine["user"], mine["uid"]) == ("alice's", "alice", "key_value_pair:st2kv.user:alice:endpoint")
    assert ds.get("endpoint", requester="alice", user="bob")["value"] == "bob's"  # a user implies the user scope
    assert ds.lookup("system.endpoint", user="bob") == "https://a"  # st2kv('system.x')
    assert ds.lookup("endpoint", user="bob") == "bob's"  # st2kv('x'): the executing user's key
    with pytest.raises(KeyNotFound) as missing:
        ds.lookup("endpoint", user="carol")
    assert str(missing.value) == 'The key "carol:endpoint" does not exist in the StackStorm datastore.'


def test_list_scopes_and_prefix(ds):
    for name in ("app.url", "app.port", "db.url"):
        ds.set(name, name.upper(), requester="alice")
    ds.set("app.token", "mine", requester="alice", scope="user")
    ds.set("app.token", "his", requester="bob", scope="user")
    names = lambda items: [(i["scope"], i.get("user"), i["name"]) for i in items]  # noqa: E731
    assert names(ds.list(requester="alice", scope="all", prefix="app.")) == [
        ("st2kv.system", None, "app.port"), ("st2kv.system", None, "app.url"), ("st2kv.user", "alice", "app.token")]
    assert names(ds.list(requester="alice")) == [  # the API's default: the system scope
        ("st2kv.system", None, "app.port"), ("st2kv.system", None, "app.url"), ("st2kv.system", None, "db.url")]
    assert names(ds.list(requester="alice", scope="user")) == [("st2kv.user", "alice", "app.token")]
    assert names(ds.list(requester="alice", user="bob")) == [("st2kv.user", "bob", "app.token")]
    assert ds.list(requester="alice", prefix="nothing") == []


def test_ttl_expiry_and_set_again_without_ttl_clears_it(ds, home):
    item = ds.set("session", "abc", requester="alice", ttl=30)
    assert item["expire_timestamp"] == "2023-11-14T22:13:50.000000Z"  # 1_700_000_000 + 30 s
    ds.clock.now += 29
    assert ds.get("session", requester="alice")["value"] == "abc"
    ds.clock.now += 1
    with pytest.raises(KeyNotFound):
        ds.get("session", requester="alice")
    assert ds.list(requester="alice") == []
    with pytest.raises(KeyNotFound):
        ds.lookup("system.session", user="alice")
    ds.set("other", "x", requester="alice")  # the next write purges what expired
    assert [row[1] for row in _raw(home)] == ["other"]
    ds.set("other", "y", requester="alice", ttl=5)
    ds.set("other", "z", requester="alice")
    ds.clock.now += 3600
    assert "expire_timestamp" not in ds.get("other", requester="alice")


def test_ttl_expires_on_the_real_clock(home):
    datastore = Datastore.open(home)
    try:
        datastore.set("blink", "x", requester="alice", ttl=1)
        assert datastore.get("blink", requester="alice")["value"] == "x"
        time.sleep(1.2)
        with pytest.raises(KeyNotFound):
            datastore.get("blink", requester="alice")
    finally:
        datastore.close()


def test_secrets_are_encrypted_at_rest_and_decrypted_on_request(ds, home):
    item = ds.set("password", "hunter2", requester="alice", secret=True)
    (scope, name, stored, secret), = _raw(home)
    assert secret == 1 and "hunter2" not in stored and stored == item["value"]
    assert len(stored) == 114 and stored == stored.upper() and stored.startswith("3030303030")
    shown = ds.get("password", requester="alice")
    assert (shown["value"], shown["secret"], shown["encrypted"]) == (stored, True, True)
    plain = ds.get("password", requester="alice", decrypt=True)
    assert (plain["value"], plain["secret"], plain["encrypted"]) == ("hunter2", True, False)
    assert [i["value"] for i in ds.list(requester="alice", decrypt=True)] == ["hunter2"]
    assert ds.lookup("system.password", user="x") == stored
    assert ds.lookup("system.password", user="x", decrypt=True) == "hunter2"
    # a new IV every time: the same plaintext never encrypts the same way twice
    assert ds.set("password", "hunter2", requester="alice", secret=True)["value"] != stored
    key_file = crypto.key_path(home)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(key_file)).st_mode) == 0o700
    assert set(json.load(open(key_file))) == {"hmacKey", "aesKeyString", "mode", "size"}


def test_stackstorm_key_file_and_ciphertext_are_interchangeable(ds, home):
    os.makedirs(os.path.dirname(crypto.key_path(home)), mode=0o700)
    with open(crypto.key_path(home), "w") as handle:
        handle.write(ST2_KEY_FILE)
    item = ds.set("imported", ST2_CIPHERTEXT, requester="alice", encrypted=True)
    assert (item["secret"], item["value"]) == (True, ST2_CIPHERTEXT)  # stored as given
    assert ds.get("imported", requester="alice", decrypt=True)["value"] == ST2_PLAINTEXT
    mine = ds.set("mine", ST2_PLAINTEXT, requester="alice", secret=True)["value"]
    key = crypto.key_from_json(ST2_KEY_FILE, "st2")
    assert crypto.decrypt(key, mine) == ST2_PLAINTEXT


def test_pre_encrypted_values_must_verify(ds, home):
    with pytest.raises(DatastoreError) as no_key:
        ds.set("x", ST2_CIPHERTEXT, requester="alice", encrypted=True)
    assert "has no key yet" in str(no_key.value)
    ds.set("seed", "s", requester="alice", secret=True)  # creates this datastore's own key
    for bad, reason in ((ST2_CIPHERTEXT, "not encrypted with this datastore's key"),
                        ("not hex!", "not hex"), ("ABCD", "wrong length")):
        with pytest.raises(DatastoreError) as refused:
            ds.set("x", bad, requester="alice", encrypted=True)
        assert reason in str(refused.value)
    assert [row[1] for row in _raw(home)] == ["seed"]


def test_concurrent_key_creation_gives_one_key(home):
    first = crypto.load_or_create_key(home)
    assert crypto.load_or_create_key(home) == first
    assert [n for n in os.listdir(os.path.dirname(crypto.key_path(home)))] == ["datastore_key.json"]


def test_delete(ds):
    ds.set("a", "1", requester="alice")
    ds.set("a", "2", requester="alice", scope="user")
    deleted = ds.delete("a", requester="alice", scope="user")
    assert (deleted["name"], deleted["user"]) == ("a", "alice")
    assert ds.get("a", requester="alice")["value"] == "1"
    with pytest.raises(KeyNotFound) as missing:
        ds.delete("a", requester="alice", scope="user")
    assert 'Key "a" of user "alice" is not found in scope st2kv.user' in str(missing.value)


@pytest.mark.parametrize("call, message", [
    (lambda ds: ds.set("k", "v", requester="a", scope="global"), 'Scope "global" is not valid.'),
    (lambda ds: ds.get("k", requester="a", scope="st2kv.global"), 'Scope "st2kv.global" is not valid.'),
    (lambda ds: ds.list(requester="a", scope="everything"), 'Scope "everything" is not valid.'),
    (lambda ds: ds.set("k", "v", requester="a", ttl=0), "TTL must be a whole number of seconds greater than 0"),
    (lambda ds: ds.set("k", "v", requester="a", ttl="soon"), "(got 'soon')"),
    (lambda ds: ds.set("k", "v", requester="a", ttl=1.5), "(got 1.5)"),
    (lambda ds: ds.set("", "v", requester="a"), "A key needs a name"),
    (lambda ds: ds.set("k", {"a": 1}, requester="a"), 'The value of key "k" must be a string, not dict'),
])
def test_bad_input_is_one_clear_error_and_changes_nothing(ds, home, call, message):
    with pytest.raises(DatastoreError) as refused:
        call(ds)
    assert message in str(refused.value)
    assert _raw(home) == []


def test_load_sets_every_item_or_none(ds, home, tmp_path):
    good = tmp_path / "keys.yaml"
    good.write_text("- name: a\n  value: '1'\n- name: b\n  value: two\n  scope: user\n  ttl: 60\n"
                    "- name: c\n  value: hidden\n  secret: true\n")
    loaded = ds.load(read_items(str(good)), requester="alice")
    assert [(i["name"], i["scope"], i.get("user")) for i in loaded] == [
        ("a", "st2kv.system", None), ("b", "st2kv.user", "alice"), ("c", "st2kv.system", None)]
    assert "expire_timestamp" in loaded[1] and loaded[2]["encrypted"] is True
    assert ds.get("c", requester="x", decrypt=True)["value"] == "hidden"
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"name": "d", "value": {"nested": [1, 2]}}))
    with pytest.raises(DatastoreError) as not_string:
        read_items(str(single))
    assert "Item 'd' has a value that is not a string. Either pass in the -c/--convert option" in str(not_string.value)
    ds.load(read_items(str(single), convert=True), requester="alice")
    assert json.loads(ds.get("d", requester="alice")["value"]) == {"nested": [1, 2]}

    before = _raw(home)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "e", "value": "ok"}, {"value": "no name"},
                               {"name": "f", "value": "v", "scope": "nowhere", "ttl": -1}, "junk"]))
    with pytest.raises(DatastoreError) as refused:
        ds.load(read_items(str(bad)), requester="alice")
    text = str(refused.value)
    assert text.startswith("Nothing was loaded; 4 problem(s):")
    assert "item 2: missing name." in text and 'item 3 ("f"): Scope "nowhere"' in text
    assert 'item 3 ("f"): TTL must be' in text and "item 4: an item must be a mapping" in text
    assert _raw(home) == before


@pytest.mark.parametrize("content, name, message", [
    (None, "missing.json", "Cannot read"),
    ("{not json", "broken.json", "is not valid JSON"),
    ("a: [unclosed", "broken.yaml", "is not valid YAML"),
    ("42", "number.yaml", "must hold a key"),
])
def test_unreadable_load_files(tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(DatastoreError) as refused:
        read_items(str(path))
    assert message in str(refused.value) and str(path) in str(refused.value)


def test_empty_load_file_loads_nothing(ds, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert ds.load(read_items(str(empty)), requester="alice") == []
