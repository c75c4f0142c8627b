"""The http-request and remote-shell-cmd runners inside a workflow, run through `wfops run`:
a real HTTP server and a real sshd on 127.0.0.1 (the workflow is
tests/fixtures/st2_shaped/examples/actions/workflows/orquesta_http_and_remote.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Wfops, tasks_of

ST2_SHAPED = Path(__file__).parent / "fixtures" / "st2_shaped"


@pytest.fixture
def st2_wfops(tmp_path) -> Wfops:
    home = tmp_path / "home"
    home.mkdir()
    return Wfops(home, packs_path=str(ST2_SHAPED))


def launch(st2_wfops, sshd, url: str, out_file: Path):
    return st2_wfops.json("run", "examples.orquesta_http_and_remote", "url=%s" % url, "hosts=127.0.0.1",
                          "port=%d" % sshd.port, "username=%s" % sshd.user, "private_key=%s" % sshd.key,
                          "out_file=%s" % out_file)


def test_http_then_ssh(st2_wfops, sshd, http_server, tmp_path):
    out_file = tmp_path / "greeting.txt"
    view, done = launch(st2_wfops, sshd, http_server.url("/greeting"), out_file)

    assert done.returncode == 0, done.stdout + done.stderr
    assert view["status"] == "succeeded"
    assert view["result"]["output"] == {"greeting": "hello-from-http", "fetched_status": 200,
                                        "written": "hello-from-http"}
    assert out_file.read_text() == "hello-from-http\n"  # the side effect on the host
    assert [(r["method"], r["path"], r["headers"]["accept"]) for r in http_server.requests] == [
        ("GET", "/greeting", "application/json")]
    assert view["parameters"]["private_key"] == "********"

    full = st2_wfops.get(view["id"])
    assert tasks_of(full) == [("fetch", None, "succeeded"), ("write_remote", None, "succeeded")]
    fetch, remote = full["children"]
    assert fetch["result"]["body"] == {"greeting": "hello-from-http"}
    assert remote["result"]["127.0.0.1"]["return_code"] == 0


def test_a_failed_request_stops_the_workflow_before_ssh(st2_wfops, sshd, http_server, tmp_path):
    out_file = tmp_path / "greeting.txt"
    view, done = launch(st2_wfops, sshd, http_server.url("/status/404"), out_file)

    assert done.returncode == 1
    assert view["status"] == "failed"
    full = st2_wfops.get(view["id"])
    assert tasks_of(full) == [("fetch", None, "failed")]
    assert full["children"][0]["result"]["status_code"] == 404
    assert not out_file.exists()
