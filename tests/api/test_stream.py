"""StackStorm's event stream at /stream/v1/stream, read as plain server-sent events: st2's
event names and bodies, the ``events`` / ``action_refs`` filters, the end of a stream at
``end_execution_id``, and output records as the action writes them."""

from __future__ import annotations

import concurrent.futures
import time
import urllib.parse

from .sse import read_events

ALL = "st2.execution__create,st2.execution__update,st2.execution.output__create"


def _url(server, **query) -> str:
    return "http://127.0.0.1:%d/stream/v1/stream?%s" % (server.port, urllib.parse.urlencode(query))


def _listen(server, until, **query):
    pool = concurrent.futures.ThreadPoolExecutor(1)
    future = pool.submit(read_events, _url(server, **query), until)
    time.sleep(0.5)  # connected before the execution starts
    pool.shutdown(wait=False)
    return future


def test_execution_and_output_events_in_st2s_shape(server, tmp_path):
    def done(name, data):
        return name == "st2.execution__update" and data.get("status") == "succeeded" \
            and data["action"]["ref"] == "core.local"

    future = _listen(server, done, events=ALL, action_refs="core.local")
    execution = server.launch("core.local", {"cmd": "echo hello; sleep 0.3; echo oops >&2; echo bye"})
    events = [(n, d) for n, d in future.result(timeout=60) if d.get("id", d.get("execution_id")) == execution["id"]
              or d.get("execution_id") == execution["id"]]
    names = [n for n, _ in events]
    assert names[0] == "st2.execution__create" and names[-1] == "st2.execution__update"
    statuses = [d["status"] for n, d in events if n == "st2.execution__update"]
    assert statuses == ["running", "succeeded"], statuses
    output = [d for n, d in events if n == "st2.execution.output__create"]
    assert [(o["output_type"], o["data"]) for o in output] == [
        ("stdout", "hello\n"), ("stderr", "oops\n"), ("stdout", "bye\n")]
    for record in output:
        assert set(record) == {"id", "execution_id", "action_ref", "runner_ref", "timestamp", "output_type", "data"}
        assert (record["execution_id"], record["action_ref"], record["runner_ref"]) == (
            execution["id"], "core.local", "local-shell-cmd")
    # Output comes while the action runs: before its final update.
    assert names.index("st2.execution.output__create") < len(names) - 1
    final = events[-1][1]
    assert final["result"]["stdout"] == "hello\nbye" and final["id"] == execution["id"]
    assert server.get("/executions/%s/output" % execution["id"]) == "hello\noops\nbye\n"
    assert server.get("/executions/%s/output?output_type=stderr" % execution["id"]) == "oops\n"


def test_default_events_exclude_output_and_the_stream_ends_at_end_execution_id(server):
    execution = server.launch("core.local", {"cmd": "sleep 0.5; echo out"})
    events = read_events(_url(server, end_execution_id=execution["id"], end_event="st2.execution__update"),
                         lambda name, data: False, timeout=60)  # returns when the server ends it
    mine = [(n, d) for n, d in events if d.get("id") == execution["id"]]
    assert mine[0][0] == "st2.execution__create"             # replayed from the start
    assert mine[-1][0] == "st2.execution__update" and mine[-1][1]["status"] == "succeeded"
    assert events[-1] == mine[-1], "nothing after the end event"
    assert not any(n == "st2.execution.output__create" for n, _ in events), "not in st2's default events"


def test_workflow_children_carry_what_st2_execution_tail_reads(server, tmp_path):
    def done(name, data):
        return name == "st2.execution__update" and data.get("id") == holder.get("id") \
            and data.get("status") == "succeeded"

    holder: dict = {}
    future = _listen(server, done, events="st2.execution__update")
    execution = server.launch("apitest.tailed", {"dir": str(tmp_path)})
    holder["id"] = execution["id"]
    events = future.result(timeout=60)
    children = [d for _, d in events
                if (d.get("context") or {}).get("parent", {}).get("execution_id") == execution["id"]]
    seen = [(d["context"]["orquesta"]["task_name"], d["status"]) for d in children]
    assert seen == [("task1", "running"), ("task1", "succeeded"), ("task2", "running"), ("task2", "succeeded")]
    running = next(d for d in children if d["status"] == "running")
    assert running["result"] is None and running["end_timestamp"] is None   # as it was then


def _output_stream(server, execution_id: str, **query) -> list[tuple[str, str]]:
    """(event, data text) of /stream/v1/executions/ID/output until the server ends it."""
    import urllib.request

    url = "http://127.0.0.1:%d/stream/v1/executions/%s/output" % (server.port, execution_id)
    if query:
        url += "?" + urllib.parse.urlencode(query)
    events, name = [], None
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for line in response:
            text = line.decode("utf-8").rstrip("\n")
            if text.startswith("event: "):
                name = text[len("event: "):]
            elif text.startswith("data: "):
                events.append((name, text[len("data: "):]))
    return events


def test_an_executions_output_stream_follows_it_and_ends_with_eof(server, tmp_path):
    import json

    gate = tmp_path / "gate"
    gate.touch()
    execution = server.launch("core.local", {"cmd": "echo first; while [ -e %s ]; do sleep 0.05; done; "
                                                    "echo second; echo oops >&2" % gate})
    pool = concurrent.futures.ThreadPoolExecutor(1)
    future = pool.submit(_output_stream, server, execution["id"])
    time.sleep(1.0)
    assert not future.done(), "the stream ended while the action still ran"
    gate.unlink()
    events = future.result(timeout=60)
    pool.shutdown()
    assert events[-1] == ("EOF", "''")
    outputs = [json.loads(d) for n, d in events[:-1]]
    assert {n for n, _ in events[:-1]} == {"st2.execution.output__create"}
    assert "".join(o["data"] for o in outputs if o["output_type"] == "stdout") == "first\nsecond\n"
    assert [o["data"] for o in outputs if o["output_type"] == "stderr"] == ["oops\n"]
    assert {o["execution_id"] for o in outputs} == {execution["id"]}
    # Completed: what was written, then the end at once; output_type filters.
    again = _output_stream(server, execution["id"], output_type="stderr")
    assert [json.loads(d)["data"] for n, d in again[:-1]] == ["oops\n"] and again[-1][0] == "EOF"


def test_the_output_stream_of_an_unknown_execution_is_404(server):
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen("http://127.0.0.1:%d/stream/v1/executions/nosuch/output" % server.port, timeout=30)
    except urllib.error.HTTPError as e:
        assert e.code == 404
        assert json_body(e) == {"faultstring": 'Unable to identify resource with id "nosuch".'}
    else:
        raise AssertionError("an unknown execution's output stream answered")


def json_body(error) -> dict:
    import json

    return json.loads(error.read().decode("utf-8"))
