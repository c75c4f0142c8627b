"""The one HTTP client (wfops.api_client) that the command line's --url mode and the
pack's actions share: standard library only, and runnable on Python 3.8 (StackStorm's),
checked against a live server by the oldest Python this machine has."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import textwrap

import pytest

from .harness import REPO

PROBE = textwrap.dedent("""
    import importlib.util, json, sys
    spec = importlib.util.spec_from_file_location("api_client", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    client = module.ApiClient(sys.argv[2], timeout=30)
    out = {"python": list(sys.version_info[:2])}
    created = client.request("POST", "/executions", {"action": "core.noop", "parameters": {}})
    out["created"] = created["action"]["ref"]
    out["pack"] = client.get("/packs/wfops")["ref"]
    out["page"] = len(client.get("/executions", limit=1, include_attributes=["id", "status"]))
    out["output"] = client.request("GET", "/executions/%s/output" % created["id"], expect_json=False)
    for path in ("/executions/0123456789abcdef01234567", "/nowhere"):
        try:
            client.get(path)
        except module.ApiError as e:
            out.setdefault("refusals", []).append([e.status, e.message])
    try:
        module.ApiClient("http://127.0.0.1:9/api/v1", timeout=5).get("/x")
    except module.ApiError as e:
        out["unreachable"] = [e.status, e.message]
    print(json.dumps(out))
""")


def _oldest_python() -> str:
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for version in ("3.8", "3.9", "3.10"):
        candidates = [shutil.which("python%s" % version)]
        candidates += sorted(glob.glob(os.path.join(pyenv, "versions", version + ".*", "bin", "python" + version)))
        for path in filter(None, candidates):
            if subprocess.run([path, "-c", "pass"], capture_output=True).returncode == 0:
                return path
    pytest.skip("no Python 3.8 to 3.10 on this machine")


def test_the_shared_client_on_the_oldest_python(server):
    python = _oldest_python()
    done = subprocess.run([python, "-c", PROBE, str(REPO / "lib" / "wfops" / "api_client.py"), server.api_url],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["created"] == "core.noop" and out["pack"] == "wfops" and out["page"] == 1
    assert out["output"] == ""
    assert out["refusals"] == [[404, 'Unable to identify resource with id "0123456789abcdef01234567".'],
                               [404, "The resource could not be found."]]
    assert out["unreachable"][0] == 0
    assert out["unreachable"][1].startswith("Cannot reach the API at http://127.0.0.1:9/api/v1: ")
