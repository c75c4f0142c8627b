"""Helpers of the REST API tests with plain HTTP (test_api_*.py): the parameters of the example
workflows, a failed `wfops_examples.sequential`, and the state a refused request must leave
unchanged. The server and work directory fixtures are in conftest.py."""

from __future__ import annotations

UNKNOWN = "0123456789abcdef01234567"
SECRET = "s3cr3t-value-never-shown"


def run_params(work, **extra):
    d, log = work
    return {"log": str(log), "dir": str(d), **extra}


def failed_sequential(server, work, task="task2"):
    d, _ = work
    (d / ("fail." + task)).touch()
    view = server.launch("wfops_examples.sequential", run_params(work))
    view = server.wait_status(view["id"], "failed")
    (d / ("fail." + task)).unlink()
    return view


def execution_state(server, execution_id):
    """What a refused request must leave unchanged."""
    return (server.total(), server.get("/executions/%s" % execution_id)["log"],
            server.get("/executions/%s/audit" % execution_id))
