"""Issue 6, item 7: a schemathesis run against the OpenAPI document that ``wfops serve``
serves finds no 5xx response.

The real ``schemathesis run`` command (all its phases: the document's examples, coverage of
boundary and invalid values, random fuzzing, stateful sequences) sends requests to a real
server on 127.0.0.1 and checks each answer with ``not_a_server_error``. Bounded and
reproducible: at most ``MAX_EXAMPLES`` random cases per operation (the coverage phase's
cases are enumerated from the document), deterministic generation (no random seed, no
example database), one worker. Half of the generated ids and task names are those of real
executions, so that requests get past "not found".

Launches are made harmless: the server loads only the ``fuzz`` test pack besides the
bundled packs (which are always loaded); the hooks (``schemathesis_hooks.py``) never
generate, and refuse to send, a ``POST /executions`` that names a loaded action able to run
a command (``core.local``, the examples' shell workflows, the wfops pack's Python actions).
What can be launched is ``core.noop`` and the fuzz workflows of ``core.noop`` tasks; what
can be re-run, paused or cancelled is only what those launched.
"""

from __future__ import annotations

import collections
import importlib.util
import re
import subprocess
import sys

import pytest

from .harness import FUZZ_PACKS, REPO, Server

MAX_EXAMPLES = 10
TIME_LIMIT_SECONDS = 900  # the run takes about 80 s alone on 2 cores (21 operations)
HOOKS = REPO / "tests" / "api" / "schemathesis_hooks.py"
STREAM_PATH = "/stream/v1/stream"
TASKS = ["task1", "task2", "task3", "fan", "left", "meet", "task2[0]", "fan[1]"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if importlib.util.find_spec("schemathesis") is None:
        pytest.skip("schemathesis is not installed in this environment (scripts/setup installs it)")
    srv = Server(tmp_path_factory.mktemp("schemathesis") / "home", packs_path=str(FUZZ_PACKS)).start()
    try:
        seeded = [srv.launch(ref, parameters)["id"] for ref, parameters in (
            ("fuzz.chain", {"word": "hi", "token": "s3cret"}),
            ("fuzz.items", {"items": [1, 2, 3]}),
            ("core.noop", {}),
        )]
        for execution_id in seeded:
            srv.wait_status(execution_id, "succeeded")
        yield srv, seeded
    finally:
        code = srv.stop()
    assert code == 0, "wfops serve exited with %s\n%s" % (code, srv.log())


def _risky_actions(srv: Server) -> list[str]:
    """The loaded actions that could run a command: all but core.noop-like ones and the fuzz pack's."""
    return sorted(a["ref"] for a in srv.get("/actions")
                  if a["runner_type"] != "noop" and a["pack"] != "fuzz")


@pytest.mark.timeout(TIME_LIMIT_SECONDS + 60)
def test_schemathesis_finds_no_server_error(served, tmp_path):
    srv, seeded = served
    risky = _risky_actions(srv)
    assert "core.local" in risky and "wfops_examples.sequential" in risky and "fuzz.chain" not in risky
    env = dict(srv.env, SCHEMATHESIS_HOOKS=str(HOOKS), WFOPS_FUZZ_RISKY=",".join(risky),
               WFOPS_FUZZ_IDS=",".join(seeded), WFOPS_FUZZ_TASKS=",".join(TASKS))
    done = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", srv.api_url + "/openapi.json",
         "--checks", "not_a_server_error", "--max-examples", str(MAX_EXAMPLES),
         "--generation-deterministic", "--workers", "1", "--no-color",
         "--request-timeout", "30",
         # The event stream never ends by itself; tests/api/test_stream.py exercises it.
         "--exclude-path", STREAM_PATH],
        cwd=tmp_path, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=TIME_LIMIT_SECONDS,
    )
    report = done.stdout[-12000:] + done.stderr[-4000:]
    assert done.returncode == 0, "schemathesis found problems:\n%s\n--- server log\n%s" % (report, srv.log())
    selected = re.search(r"Selected: (\d+)/(\d+)", done.stdout)
    assert selected and int(selected.group(1)) == int(selected.group(2)) - 1, report  # all but the stream
    assert "Tested: %s" % selected.group(1) in done.stdout, report  # every operation was exercised

    # Nothing was launched but harmless actions, and the server kept serving.
    launched = collections.Counter(d["action"]["ref"] for d in srv.get(
        "/executions?parent=null&limit=-1&include_attributes=action.ref"))
    assert set(launched) <= {"core.noop", "fuzz.chain", "fuzz.items"}, launched
    assert launched["core.noop"] > 1, "no generated request got as far as launching or re-running"
