"""Inquiries through ``/api/v1/inquiries``: the real ``st2 inquiry list|get|respond``
(st2client 3.9) and ``wfops inquiry ... --url`` against a served wfops running
``st2sem.approval`` (a shell task, a ``core.ask``, then a shell task that writes the
response, or one that writes ``expired`` when the inquiry times out), checked by what the
commands print, their exit status, the HTTP answers and the side effects in the log.

The server requires API keys: ``PLAIN`` acts as the server's user (keeper), ``ALICE`` as
alice."""

from __future__ import annotations

import datetime
import json
import sqlite3
import subprocess
import sys
import time

import pytest

from .harness import API_PACKS, FIXTURE_PACKS, ST2, Server, wait_for

ENDED = {"succeeded", "failed", "timeout", "canceled", "abandoned"}

PLAIN = "plain-key-0123456789"
ALICE = "alice-key-0123456789"
AUTH = {"St2-Api-Key": PLAIN}
SCHEMA = {"type": "object", "properties": {"approved": {"type": "boolean", "required": True},
                                           "reason": {"type": "string", "default": "none given"}}}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    if not ST2.exists():
        pytest.skip("the st2 command line (st2client) is not installed in this environment")
    home = tmp_path_factory.mktemp("inquiries") / "home"
    server = Server(home, api_keys="%s, %s:alice" % (PLAIN, ALICE),
                    packs_path="%s:%s" % (FIXTURE_PACKS, API_PACKS))
    server.env["WFOPS_USER"] = "keeper"
    server.start()
    yield server
    assert server.stop() == 0, server.log()


def ok(done):
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def paused_approval(srv, tmp_path, **parameters) -> tuple[dict, str]:
    """Launch st2sem.approval; wait until it is paused on its inquiry: (workflow, inquiry id)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "log"
    wf = srv.launch("st2sem.approval", dict(parameters, log=str(log)), headers=AUTH)
    srv.wait_status(wf["id"], "paused", headers=AUTH)
    children = srv.get("/executions/%s/children" % wf["id"], headers=AUTH)
    assert [(c["context"]["orquesta"]["task_name"], c["status"]) for c in children] == [
        ("before", "succeeded"), ("ask", "pending")]
    assert lines(log) == ["before"]
    return wf, children[1]["id"]


def finished(srv, execution_id: str, status: str) -> dict:
    """Wait for ``status`` and for every task execution to have ended."""
    view = srv.wait_status(execution_id, status, headers=AUTH)
    wait_for(lambda: all(c["status"] in ENDED for c in srv.get(
        "/executions/%s/children?depth=-1" % execution_id, headers=AUTH)))
    return view


def put(srv, inquiry_id, body, key=PLAIN):
    return srv.request("PUT", "/inquiries/%s" % inquiry_id, body, headers={"St2-Api-Key": key})


def test_core_ask_pauses_and_st2_inquiry_respond_resumes(srv, tmp_path):
    wf, inquiry = paused_approval(srv, tmp_path)
    log = tmp_path / "log"
    record = srv.get("/executions/%s" % inquiry, headers=AUTH)
    assert (record["status"], record["runner"]["name"]) == ("pending", "inquirer")
    assert record["result"] == {"schema": SCHEMA, "roles": [], "users": [], "route": "approvers", "ttl": 1440}

    listed = ok(srv.st2("inquiry", "list", api_key=PLAIN)).stdout
    assert inquiry in listed and "approvers" in listed and "1440" in listed
    shown = json.loads(ok(srv.st2("inquiry", "get", inquiry, "--json", api_key=PLAIN)).stdout)
    assert shown == {"id": inquiry, "roles": [], "users": [], "route": "approvers", "ttl": 1440, "schema": SCHEMA}

    done = ok(srv.st2("inquiry", "respond", inquiry, "-r", '{"approved": true, "reason": "ship it"}',
                      api_key=PLAIN))
    assert "Response accepted for inquiry %s." % inquiry in done.stdout
    final = finished(srv, wf["id"], "succeeded")
    assert lines(log) == ["before", "after approved=True reason=ship it"]
    assert final["result"]["output"] == {"answer": {"approved": True, "reason": "ship it"}}
    answered = srv.get("/executions/%s" % inquiry, headers=AUTH)
    assert answered["status"] == "succeeded"
    assert answered["result"] == {"schema": SCHEMA, "roles": [], "users": [], "route": "approvers", "ttl": 1440,
                                  "response": {"approved": True, "reason": "ship it"}}
    workflow_log = [entry["status"] for entry in srv.get("/executions/%s" % wf["id"], headers=AUTH)["log"]]
    assert "paused" in workflow_log and workflow_log[-1] == "succeeded"
    audit = srv.get("/executions/%s/audit" % inquiry, headers=AUTH)
    assert [(a["operation"], a["user"]) for a in audit] == [("respond", "keeper")]

    # Answered: a second response is refused, by the API and by st2 (which reads it first).
    status, body, _ = put(srv, inquiry, {"id": inquiry, "response": {"approved": False}})
    assert (status, body) == (400, {"faultstring": 'Inquiry "%s" has already been responded to.' % inquiry})
    assert ok(srv.st2("inquiry", "list", "--json", api_key=PLAIN)).stdout.strip() in ("", "[]")
    assert lines(log) == ["before", "after approved=True reason=ship it"]


def test_a_response_the_schema_refuses_changes_nothing(srv, tmp_path):
    wf, inquiry = paused_approval(srv, tmp_path)
    done = srv.st2("inquiry", "respond", inquiry, "-r", '{"approved": "yes"}', api_key=PLAIN)
    assert done.returncode == 1
    assert ('Response for inquiry "%s" did not pass schema validation. [\'approved\']: \'yes\' is not of type '
            "'boolean'" % inquiry) in done.stdout + done.stderr
    status, body, _ = put(srv, inquiry, {"id": inquiry, "response": {"reason": "no flag"}})
    assert (status, body) == (400, {"faultstring": 'Response for inquiry "%s" did not pass schema validation. '
                                                   "'approved' is a required property" % inquiry})
    status, body, _ = put(srv, inquiry, {"id": inquiry, "response": ["not", "an", "object"]})
    assert status == 400 and "response" in body["faultstring"]
    assert srv.get("/executions/%s" % inquiry, headers=AUTH)["status"] == "pending"
    assert srv.get("/executions/%s" % wf["id"], headers=AUTH)["status"] == "paused"
    assert srv.get("/executions/%s/audit" % inquiry, headers=AUTH) == []
    assert lines(tmp_path / "log") == ["before"]
    # Still answerable.
    status, body, _ = put(srv, inquiry, {"id": inquiry, "response": {"approved": False}})
    assert (status, body) == (200, {"id": inquiry, "response": {"approved": False}})
    finished(srv, wf["id"], "succeeded")
    assert lines(tmp_path / "log") == ["before", "after approved=False reason=none given"]


def test_only_the_users_named_may_respond(srv, tmp_path):
    wf, inquiry = paused_approval(srv, tmp_path, users=["alice"])
    status, body, _ = put(srv, inquiry, {"id": inquiry, "response": {"approved": True}})
    assert (status, body) == (403, {"faultstring": 'User "keeper" does not have permission to respond to inquiry '
                                                   '"%s".' % inquiry})
    assert srv.get("/executions/%s" % inquiry, headers=AUTH)["status"] == "pending"
    ok(srv.st2("inquiry", "respond", inquiry, "-r", '{"approved": true}', api_key=ALICE))
    finished(srv, wf["id"], "succeeded")
    assert [(a["operation"], a["user"]) for a in srv.get("/executions/%s/audit" % inquiry, headers=AUTH)] == [
        ("respond", "alice")]


def test_list_and_get_shapes_and_refusals(srv, tmp_path):
    first_wf, first = paused_approval(srv, tmp_path / "a", ttl=30)
    second_wf, second = paused_approval(srv, tmp_path / "b", users=["alice", "bob"])
    status, listed, headers = srv.request("GET", "/inquiries", headers=AUTH)
    assert status == 200 and headers["X-Total-Count"] == "2"
    assert listed == [  # newest first
        {"id": second, "route": "approvers", "ttl": 1440, "users": ["alice", "bob"], "roles": [], "schema": SCHEMA},
        {"id": first, "route": "approvers", "ttl": 30, "users": [], "roles": [], "schema": SCHEMA}]
    status, one, headers = srv.request("GET", "/inquiries?limit=1&offset=1", headers=AUTH)
    assert (status, [i["id"] for i in one], headers["X-Total-Count"]) == (200, [first], "2")
    table = ok(srv.st2("inquiry", "list", api_key=PLAIN)).stdout
    assert table.index(first) < table.index(second)  # st2 shows the most recent last

    status, body, _ = srv.request("GET", "/inquiries/%s" % ("0" * 24), headers=AUTH)
    assert (status, body) == (404, {"faultstring": 'Unable to identify resource with id "%s".' % ("0" * 24)})
    status, body, _ = srv.request("GET", "/inquiries/%s" % first_wf["id"], headers=AUTH)
    assert (status, body) == (400, {"faultstring": 'Action execution "%s" is not an inquiry.' % first_wf["id"]})
    status, body, _ = put(srv, first_wf["id"], {"id": first_wf["id"], "response": {}})
    assert status == 400 and "is not an inquiry" in body["faultstring"]
    paths = srv.get("/openapi.json", headers=AUTH)["paths"]
    assert set(paths["/api/v1/inquiries"]) == {"get"}
    assert set(paths["/api/v1/inquiries/{inquiry_id}"]) == {"get", "put"}

    # wfops inquiry --url prints what the local store gives (the server's own home).
    for args in (["list"], ["list", "--json"], ["get", first], ["get", second, "--json"], ["get", "nope"]):
        remote, local = wfops(srv, "--url", "http://127.0.0.1:%d" % srv.port, "inquiry", *args), wfops(
            srv, "inquiry", *args)
        assert (remote.returncode, remote.stdout, remote.stderr) == (local.returncode, local.stdout, local.stderr)
    assert wfops(srv, "inquiry", "get", "nope").stderr == 'ERROR: Unable to identify resource with id "nope".\n'
    url = "http://127.0.0.1:%d" % srv.port
    refused = 'ERROR: User "carol" does not have permission to respond to inquiry "%s".\n' % second
    for mode in ([], ["--url", url]):
        done = wfops(srv, *mode, "--user", "carol", "inquiry", "respond", second, "-r", '{"approved": true}')
        assert (done.returncode, done.stdout, done.stderr) == (1, "", refused)
    # A key bound to a user acts as that user, whatever --user says.
    done = wfops(srv, "--url", url, "--user", "carol", "inquiry", "respond", second, "-r", '{"approved": true}',
                 key=ALICE)
    assert (done.returncode, done.stdout) == (0, "\nResponse accepted for inquiry %s.\n" % second), done.stderr
    done = wfops(srv, "--user", "bob", "inquiry", "respond", first, "-r", '{"approved": true}')
    assert (done.returncode, done.stdout) == (0, "\nResponse accepted for inquiry %s.\n" % first), done.stderr
    finished(srv, first_wf["id"], "succeeded")
    finished(srv, second_wf["id"], "succeeded")
    assert [a["user"] for a in srv.get("/executions/%s/audit" % second, headers=AUTH)] == ["alice"]
    assert [a["user"] for a in srv.get("/executions/%s/audit" % first, headers=AUTH)] == ["bob"]


def wfops(srv, *args, key=PLAIN):
    """The wfops command line on the server's home (local mode) or with --url (the API key)."""
    env = {k: v for k, v in srv.env.items() if k not in ("WFOPS_USER", "WFOPS_API_KEYS")}
    if "--url" in args:
        env.pop("WFOPS_HOME")
        env["WFOPS_API_KEY"] = key or PLAIN
    elif "--user" not in args:
        env["WFOPS_USER"] = "keeper"
    return subprocess.run([sys.executable, "-m", "wfops.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def backdate(srv, inquiry: str, seconds: float) -> None:
    """Time passes for the inquiry: its record's start moves ``seconds`` back (the engine
    reads it each second)."""
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds)
    with sqlite3.connect(str(srv.home / "wfops.db")) as conn:
        conn.execute("UPDATE executions SET start_timestamp = ? WHERE id = ?",
                     (started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), inquiry))


def test_an_unanswered_inquiry_times_out_after_its_ttl(srv, tmp_path):
    wf, inquiry = paused_approval(srv, tmp_path, ttl=1)
    backdate(srv, inquiry, 61)  # a minute passes
    finished(srv, wf["id"], "succeeded")
    timed_out = srv.get("/executions/%s" % inquiry, headers=AUTH)
    assert timed_out["status"] == "timeout"
    assert timed_out["result"] == {"schema": SCHEMA, "roles": [], "users": [], "route": "approvers", "ttl": 1}
    assert lines(tmp_path / "log") == ["before", "expired"]
    assert [(a["operation"], a["user"]) for a in srv.get("/executions/%s/audit" % inquiry, headers=AUTH)] == [
        ("timeout", "stanley")]
    status, body, _ = put(srv, inquiry, {"id": inquiry, "response": {"approved": True}})
    assert (status, body) == (400, {"faultstring": 'Inquiry "%s" timed out and cannot be responded to.' % inquiry})


def test_an_inquiry_not_yet_at_its_ttl_waits(srv, tmp_path):
    wf, inquiry = paused_approval(srv, tmp_path, ttl=2)
    backdate(srv, inquiry, 100)  # not yet two minutes
    time.sleep(2.5)  # more than two of the engine's checks
    assert srv.get("/executions/%s" % inquiry, headers=AUTH)["status"] == "pending"
    ok(srv.st2("execution", "cancel", wf["id"], api_key=PLAIN))
    finished(srv, wf["id"], "canceled")
    assert srv.get("/executions/%s" % inquiry, headers=AUTH)["status"] == "canceled"
    assert lines(tmp_path / "log") == ["before"]
