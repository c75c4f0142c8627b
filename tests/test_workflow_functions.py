"""StackStorm's expression functions in real workflows run through `wfops run` (the
fixture pack ``tests/fixtures/expression_packs/st2functions``): the data, regex, path,
time and version functions in YAQL and Jinja, ``task()`` against the host's task execution records, ``st2kv()`` against the
datastore that `wfops key` fills, and ``use_none`` reaching an action as None."""

from __future__ import annotations

import pathlib
import sqlite3

import pytest
from conftest import Wfops

from wfops.expressions.data import NONE_MAGIC_VALUE

EXPRESSION_PACKS = pathlib.Path(__file__).resolve().parent / "fixtures" / "expression_packs"


@pytest.fixture
def wfops(tmp_path) -> Wfops:
    """The st2functions pack beside the bundled ones. It is kept out of
    tests/fixtures/packs, which every other test loads on each command."""
    home = tmp_path / "home"
    home.mkdir()
    return Wfops(home, packs_path=str(EXPRESSION_PACKS))


def _run(wfops, *args, user: str | None = None):
    view, done = wfops.json(*(["--user", user] if user else []), "run", *args)
    return view, done


def test_yaql_functions_workflow(wfops):
    view, done = _run(wfops, "st2functions.yaql_functions")
    assert done.returncode == 0 and view["status"] == "succeeded", done.stderr
    assert view["result"]["output"] == {
        "archive": "app-1.9.3.tar.gz",
        "directory": "/srv/app/releases",
        "next_minor": "1.10.0",
        "series": "1.9",
        "compare": -1,
        "matches": True,
        "yaml": "path: /srv/app/releases/app-1.9.3.tar.gz\nversion: 1.9.3\n",
        "json": '{"path": "/srv/app/releases/app-1.9.3.tar.gz","version": "1.9.3"}',
        "query": ["1.9.3"],
        "is_tarball": True,
        "renamed": "app-v1_9_3.tar.gz",
        "numbers": ["1", "9"],
        "uptime": "1d2h3m4s",
        "none": NONE_MAGIC_VALUE,
        "escaped": 'say \\"hi\\"',
    }


def test_jinja_functions_workflow(wfops):
    view, done = _run(wfops, "st2functions.jinja_functions")
    assert done.returncode == 0, done.stderr
    assert view["result"]["output"] == {
        "next_major": "2.0.0",
        "next_patch": "1.9.4",
        "less": True,
        "equal": True,
        "json": '{"path": "/srv/app/releases/app-1.9.3.tar.gz","version": "1.9.3"}',
        "roundtrip": {"path": "/srv/app/releases/app-1.9.3.tar.gz", "version": "1.9.3"},
        "query": ["/srv/app/releases/app-1.9.3.tar.gz"],
        "matched": True,
        "directory": "/srv/app/releases",
        "uptime": "1h0m0s",
    }


def _task_rows(wfops, workflow_execution: str) -> dict[tuple[str, int], list[dict]]:
    with sqlite3.connect(str(wfops.home / "wfops.db")) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM task_executions WHERE workflow_execution = ? ORDER BY seq_index",
                            (workflow_execution,)).fetchall()
    out: dict = {}
    for row in rows:
        out.setdefault((row["task_id"], row["route"]), []).append(dict(row))
    return out


def test_task_function_returns_the_task_execution_records(wfops):
    view, done = _run(wfops, "st2functions.task_records")
    assert done.returncode == 0, done.stderr
    output = view["result"]["output"]
    workflow_execution = view["context"]["workflow_execution"]
    rows = _task_rows(wfops, workflow_execution)
    (first,) = rows[("first", 0)]
    record = output["first_record"]
    assert record == {
        "task_execution_id": first["id"],
        "workflow_execution_id": workflow_execution,
        "task_name": "first",
        "task_id": "first",
        "route": 0,
        "result": {"failed": False, "return_code": 0, "stderr": "", "stdout": "first says hi", "succeeded": True},
        "status": "succeeded",
        "start_timestamp": first["start_timestamp"],
        "end_timestamp": first["end_timestamp"],
    }
    # task() in the task's own publish: the record with the result being published
    own = output["own"]
    assert {k: own[k] for k in ("task_execution_id", "status", "result")} == {
        k: record[k] for k in ("task_execution_id", "status", "result")}
    assert own["end_timestamp"] and own["end_timestamp"] >= own["start_timestamp"]
    assert output["named_status"] == "succeeded"
    assert len(rows[("loop", 0)]) == 3 and output["last_loop"] == "round 2"  # the latest of a cycle
    # merge runs on the routes of the split; describe on each reads merge of its own route
    assert sorted(route for (task, route) in rows if task == "merge") == [1, 2]
    assert (output["route1"], output["route2"]) == ("merge@1", "merge@2")


def test_st2kv_reads_system_user_and_secret_keys(wfops):
    assert wfops.run("key", "set", "endpoint", "https://api.example").returncode == 0
    assert wfops.run("key", "set", "greeting", "hello").returncode == 0
    assert wfops.run("key", "set", "token", "t0ps3cret", "--encrypt").returncode == 0
    assert wfops.run("--user", "alice", "key", "set", "favourite", "blue", "-s", "user").returncode == 0
    assert wfops.run("--user", "bob", "key", "set", "favourite", "green", "-s", "user").returncode == 0
    token, _ = wfops.json("key", "get", "token")

    view, done = _run(wfops, "st2functions.datastore_keys", user="alice")
    assert done.returncode == 0, done.stderr
    assert view["result"]["output"] == {
        "said": "hello https://api.example",
        "mine": "blue",
        "token": "t0ps3cret",
        "token_encrypted": token["value"],
        "missing": "fallback",
    }
    view, done = _run(wfops, "st2functions.datastore_keys", user="bob")
    assert view["result"]["output"]["mine"] == "green"
    view, done = _run(wfops, "st2functions.datastore_parent", user="bob")  # as a subworkflow
    assert done.returncode == 0 and view["result"]["output"]["child"]["mine"] == "green"

    view, done = _run(wfops, "st2functions.datastore_keys", user="carol")
    assert done.returncode == 1 and view["status"] == "failed"
    messages = [e["message"] for e in view["result"]["errors"]]
    assert any('The key "carol:favourite" does not exist in the StackStorm datastore.' in m for m in messages)

    # the datastore changes between runs; the workflow reads the current value
    assert wfops.run("--user", "alice", "key", "set", "favourite", "red", "-s", "user").returncode == 0
    view, done = _run(wfops, "st2functions.datastore_keys", "name=greeting", user="alice")
    assert view["result"]["output"]["mine"] == "red"
    assert view["result"]["output"]["said"] == "hello hello"


def test_st2kv_of_a_missing_key_fails_the_workflow_with_stackstorms_error(wfops):
    view, done = _run(wfops, "st2functions.datastore_missing")
    assert done.returncode == 1 and view["status"] == "failed"
    (error,) = view["result"]["errors"]
    assert error["task_id"] == "read"
    assert error["message"] == (
        "YaqlEvaluationException: Unable to evaluate expression '<% st2kv(\"system.no_such_key\") %>'. "
        'ExpressionEvaluationException: The key "no_such_key" does not exist in the StackStorm datastore.')


def test_use_none_reaches_a_typed_action_parameter_as_none(wfops):
    view, done = _run(wfops, "st2functions.none_parameter")
    assert done.returncode == 0, done.stderr  # with the marker string as cwd, core.local would fail
    assert view["result"]["output"] == {"said": "ran"}
    full = wfops.get(view["id"])
    (child,) = full["children"]
    assert child["parameters"].get("cwd") is None
