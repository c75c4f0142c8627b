"""`wfops --url URL` refuses what the local command line refuses, with the same answers: bad
input, local-only commands, an unreachable server, bad item selections, values nested too
deeply, parameters of the wrong container, and a plan of a changed state; the API refuses
them alike (tests/remote_cli.py)."""

from __future__ import annotations

import json
import subprocess

from api.harness import log_lines
from remote_cli import WFOPS, cli, remote_run, work  # noqa: F401 - cli and work are fixtures

# -- bad input --------------------------------------------------------------------------------


def test_bad_input_gets_the_local_answers(cli, work):
    d, log = work
    unknown = "0123456789abcdef01234567"
    for done in cli.all_both([(args, 1) for args in (
        ("execution", "get", unknown),
        ("execution", "get", "last"),
        ("execution", "pause", unknown),
        ("execution", "cancel", unknown, "-j"),
        ("execution", "re-run", unknown, "--tasks", "task2"),
        ("execution", "skip", unknown, "task2"),
        ("execution", "context", unknown, "task1"),
        ("execution", "audit", unknown),
        ("run", "nosuchpack.nosuchaction"),
        ("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, "sleep=abc", "bogus=1"),
        ("run", "wfops_examples.sequential"),
    )]):
        assert done.stderr.startswith("ERROR: "), done.stderr

    ok, _ = remote_run(cli, work, "wfops_examples.sequential")
    noop, _ = cli.json("run", "core.noop")
    total = cli.server.total()
    for done in cli.all_both([(args, 1) for args in (
        ("execution", "re-run", ok["id"], "--tasks", "task9", "--dry-run"),           # unknown task
        ("execution", "re-run", ok["id"], "--tasks", "task2", "--no-reset", "task3"),  # not a subset
        ("execution", "re-run", ok["id"], "--tasks", "task2", "sleep=1"),              # parameters
        ("execution", "re-run", ok["id"], "--result", "task2", "1"),                   # not skipped
        ("execution", "re-run", noop["id"], "--tasks", "task1"),                      # not a workflow
        ("execution", "context", ok["id"], "task9"),
        ("execution", "context", noop["id"], "task1"),
        ("execution", "resume", ok["id"]),
        ("execution", "skip", ok["id"], "task2", "--dry-run"),
    )]):
        assert done.stderr.startswith("ERROR: "), done.stderr
    assert cli.server.total() == total, "nothing was created"
    assert log_lines(log) == ["task1", "task2", "task3"], "nothing ran"

    # Usage errors exit 2 as in local mode.
    cli.both("run", "core.noop", "oops", rc=2)


def test_local_only_commands_and_unreachable_server(cli):
    for args, env in ((["--url", cli.url, "engine", "--until-idle"], cli.remote_env),
                      (["serve", "--port", "0"], dict(cli.remote_env, WFOPS_URL=cli.url)),
                      (["--url", cli.url, "--home", str(cli.client_home), "execution", "list"], cli.remote_env)):
        done = subprocess.run(WFOPS + args, env=env, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 2, (args, done.stderr)
        assert "--url" in done.stderr.splitlines()[-1], done.stderr
    done = cli.run("execution", "list", url=False, env=dict(cli.remote_env, WFOPS_URL="http://127.0.0.1:1"))
    assert done.returncode == 1 and done.stderr.startswith("ERROR: Cannot reach the wfops server at "), done.stderr
    done = cli.run("execution", "list", url=False, env=dict(cli.remote_env, WFOPS_URL="ftp://example"))
    assert done.returncode == 1 and "is not a wfops server URL" in done.stderr, done.stderr


# -- bad input of item 4 of issue 14: the same refusal from the CLI and the API -----------------

TOO_DEEP = ("A value is nested more than 100 levels deep (lists and objects within each other); "
            "give a flatter value.")
TOO_DEEP_AT = "%s is nested more than 100 levels deep (lists and objects within each other); give a flatter value."
DEEP, MIDDLE = 2000, 150  # too deep for Python's JSON parser to read; readable, but over 100 levels


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _refused_alike(cli, execution_id: str, cases) -> None:
    """Each case: (the `wfops` arguments, the API request (method, path, body; a body of
    bytes is sent as it is), the message). The command line, on the store and with
    --url, prints exactly ``ERROR: <message>`` and exits 1; the API answers 400 with
    exactly that faultstring. Nothing is created or changed by any of them."""
    server = cli.server
    total = server.total()
    audit = server.get("/executions/%s/audit" % execution_id)
    answers = cli.all_both([(args, 1) for args, _, _ in cases])
    for (args, (method, path, body), message), done in zip(cases, answers):
        assert (done.stdout, done.stderr) == ("", "ERROR: %s\n" % message), args
        raw = body if isinstance(body, bytes) else None
        status, value, _ = server.request(method, path, None if raw else body, raw=raw)
        assert (status, value) == (400, {"faultstring": message}), (method, path)
    assert server.total() == total, "nothing was created"
    assert server.get("/executions/%s/audit" % execution_id) == audit, "nothing was recorded"


def test_bad_item_selections_are_refused_alike_and_block_nothing(cli, work):
    d, log = work
    failed, _ = remote_run(cli, work, "wfops_examples.with_items", "items=[0, 1, 2]", fail=["task1.1"])
    ex = failed["id"]
    path = "/executions/%s/re_run" % ex
    selection = 'The item selection of task "task1" '
    _refused_alike(cli, ex, [
        (("execution", "re-run", ex, "--items", "task1", ""), ("POST", path, {"items": {"task1": []}}),
         selection + "is empty: name at least one item index, or re-run the whole task instead."),
        (("execution", "re-run", ex, "--items", "task1", "0,2,0"), ("POST", path, {"items": {"task1": [0, 2, 0]}}),
         selection + "names item 0 more than once: name each item once."),
        (("execution", "re-run", ex, "--items", "task1", "-1"), ("POST", path, {"items": {"task1": [-1]}}),
         'Task "task1" has items 0 to 2; -1 is out of range.'),
        (("execution", "re-run", ex, "--items", "task1", "1,3,4"), ("POST", path, {"items": {"task1": [1, 3, 4]}}),
         'Task "task1" has items 0 to 2; 3, 4 are out of range.'),
        (("execution", "re-run", ex, "--items", "task1", "x"), ("POST", path, {"items": {"task1": ["x"]}}),
         'The item selection of task "task1": "x" is not an item index (0, 1, 2, ...).'),
        (("execution", "re-run", ex, "--items", "task1", "1,1", "--dry-run"), ("POST", path, {"items": {"task1": [1, 1]},
                                                                                          "dry_run": True}),
         selection + "names item 1 more than once: name each item once."),
    ])
    for body, message in (({"items": {"task1": [1.5, True]}}, "1.5, true are not item indices (0, 1, 2, ...)."),
                          ({"items": {"task1": "1"}}, "\"items.task1\": '1' is not of type 'array'")):
        status, value, _ = cli.server.request("POST", path, body)
        assert status == 400 and value["faultstring"].endswith(message), value
    assert sorted(log_lines(log)) == ["task1:0", "task1:1", "task1:2"], "nothing ran"
    # None of the refusals left anything behind that blocks the next re-run.
    view, done = cli.json("execution", "re-run", ex, "--items", "task1", "1")
    assert done.returncode == 0 and view["status"] == "succeeded", done.stderr
    assert sorted(log_lines(log)) == ["task1:0", "task1:1", "task1:1", "task1:2"]


def test_values_nested_too_deeply_are_refused_alike(cli, work):
    d, log = work
    failed, _ = remote_run(cli, work, "wfops_examples.context_demo")
    ex = failed["id"]
    path = "/executions/%s/re_run" % ex
    deep, middle = _nested(DEEP), _nested(MIDDLE)
    middle_value = json.loads(middle)

    def raw(prefix: str, suffix: str) -> bytes:
        return (prefix + deep + suffix).encode()

    _refused_alike(cli, ex, [
        # Too deep to be read at all: the same sentence from the command line and the API.
        (("execution", "re-run", ex, "--tasks", "task2", "--context", "task2", "target=" + deep),
         ("POST", path, raw('{"tasks": ["task2"], "context": {"task2": {"target": ', "}}}")), TOO_DEEP),
        (("execution", "skip", ex, "task2", "--result", deep),
         ("POST", path, raw('{"skip": ["task2"], "result": ', "}")), TOO_DEEP),
        (("execution", "skip", ex, "task2", "--publish", "token=" + deep),
         ("POST", path, raw('{"skip": ["task2"], "publish": {"token": ', "}}")), TOO_DEEP),
        # Readable but deeper than 100 levels: the planner names the value.
        (("execution", "re-run", ex, "--tasks", "task2", "--context", "task2", "target=" + middle),
         ("POST", path, {"tasks": ["task2"], "context": {"task2": {"target": middle_value}}}),
         TOO_DEEP_AT % 'The context value "target" of task "task2"'),
        (("execution", "skip", ex, "task2", "--result", middle),
         ("POST", path, {"skip": ["task2"], "result": middle_value}),
         TOO_DEEP_AT % 'The result given to skipped task "task2"'),
        (("execution", "skip", ex, "task2", "--publish", "token=" + middle),
         ("POST", path, {"skip": ["task2"], "publish": {"token": middle_value}}),
         TOO_DEEP_AT % 'The value "token" that skipped task "task2" publishes'),
    ])
    assert log_lines(log) == ["task1", "task2:bad"], "nothing ran"


def test_run_parameters_nested_too_deeply_or_of_the_wrong_container_are_refused_alike(cli, work):
    ok, _ = cli.json("run", "fixturepack.types", "name=x")
    ex = ok["id"]
    deep, middle = _nested(DEEP), _nested(MIDDLE)
    middle_value = json.loads(middle)
    types = 'Parameter "%s" of action "fixturepack.types": '
    run, rerun = ("POST", "/executions"), ("POST", "/executions/%s/re_run" % ex)
    _refused_alike(cli, ex, [
        (("run", "fixturepack.types", "name=x", "tags=" + deep),
         run + (('{"action": "fixturepack.types", "parameters": {"name": "x", "tags": %s}}' % deep).encode(),),
         TOO_DEEP),
        (("run", "fixturepack.types", "name=x", "tags=" + middle),
         run + ({"action": "fixturepack.types", "parameters": {"name": "x", "tags": middle_value}},),
         types % "tags" + "the value is nested more than 100 levels deep (lists and objects within each "
                          "other); give a flatter value."),
        (("execution", "re-run", ex, "meta=" + deep),
         rerun + (('{"parameters": {"meta": %s}}' % deep).encode(),), TOO_DEEP),
        # A list for an object parameter, an object for an array one: refused, not made {}.
        (("run", "fixturepack.types", "name=x", "meta=[1, 2]"),
         run + ({"action": "fixturepack.types", "parameters": {"name": "x", "meta": [1, 2]}},),
         types % "meta" + "[1, 2] is not of type 'object'"),
        (("run", "fixturepack.types", "name=x", 'tags={"a": 1}'),
         run + ({"action": "fixturepack.types", "parameters": {"name": "x", "tags": {"a": 1}}},),
         types % "tags" + "{'a': 1} is not of type 'array'"),
        (("execution", "re-run", ex, "meta=[1, 2]"), rerun + ({"parameters": {"meta": [1, 2]}},),
         types % "meta" + "[1, 2] is not of type 'object'"),
        (("execution", "re-run", ex, 'tags={"a": 1}'), rerun + ({"parameters": {"tags": {"a": 1}}},),
         types % "tags" + "{'a': 1} is not of type 'array'"),
    ])


def test_a_plan_of_a_changed_state_is_refused_alike(cli, work):
    """R13: dry run, another operation, then the first plan by its fingerprint: the engine
    that owns the workflow refuses it, whether the command line acts on the store, through
    the server, or the API is called."""
    d, log = work
    failed, _ = remote_run(cli, work, "wfops_examples.sequential", fail=["task2"])
    ex = failed["id"]
    plan, done = cli.json("execution", "re-run", ex, "--tasks", "task2", "--dry-run")
    stale = plan["fingerprint"]
    (d / "fail.task2").touch()
    other, done = cli.json("execution", "re-run", ex, "--tasks", "task2")  # fails again
    (d / "fail.task2").unlink()
    assert other["status"] == "failed", done.stderr
    message = ('The state of workflow execution "%s" changed since the plan was computed (another '
               "operation came in between). Compute the plan again (a dry run) and re-submit." % ex)
    total, audit, lines = cli.server.total(), cli.server.get("/executions/%s/audit" % ex), log_lines(log)
    for done in cli.all_both([(("execution", "re-run", ex, "--tasks", "task2", "--fingerprint", stale), 1),
                              (("execution", "skip", ex, "task2", "--publish", "msg2=x", "--fingerprint", stale), 1)]):
        assert (done.stdout, done.stderr) == ("", "ERROR: %s\n" % message)
    status, value, _ = cli.server.request("POST", "/executions/%s/re_run" % ex,
                                          {"tasks": ["task2"], "fingerprint": stale})
    assert (status, value) == (409, {"faultstring": message})
    assert (cli.server.total(), cli.server.get("/executions/%s/audit" % ex), log_lines(log)) == (total, audit, lines)
    # The plan of the state as it is now goes through, by its fingerprint, with --url.
    plan, _ = cli.json("execution", "re-run", ex, "--tasks", "task2", "--dry-run")
    view, done = cli.json("execution", "re-run", ex, "--tasks", "task2", "--fingerprint", plan["fingerprint"])
    assert view["status"] == "succeeded", done.stderr
    assert log_lines(log) == lines + ["task2", "task3"]
