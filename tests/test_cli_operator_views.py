"""What an operator reads in the `wfops` command line's tables and plans (issue 13, item
6): skipped tasks marked in task tables, task names as `--tasks` takes them with items
apart, the audit table's request column kept narrow, `re-run --plan`, the plan drawn as
DOT / SVG with a legend, and help text on every option."""

from __future__ import annotations

import argparse
import re
import shutil

import pytest
from conftest import log_lines, run_example


def _table(text: str, header: str) -> list[dict[str, str]]:
    """The rows of the first st2-style table in ``text`` whose header row starts with
    ``header``, as {column: cell}; a row wrapped over several lines is joined back."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| %s " % header))
    names = [c.strip() for c in lines[start].strip("|").split("|")]
    rows: list[list[str]] = []
    for line in lines[start + 2:]:
        if line.startswith("+"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] or not rows:
            rows.append(cells)
        else:  # a continuation line of a wrapped row
            rows[-1] = [(a + " " + b).strip() for a, b in zip(rows[-1], cells)]
    return [dict(zip(names, row)) for row in rows]


def _split_failed(wfops, workdir) -> dict:
    """hosttest.split_items with `after` failing on both routes."""
    d, log = workdir
    (d / "fail.after").touch()
    view, done = wfops.json("run", "hosttest.split_items", "log=%s" % log, "dir=%s" % d)
    (d / "fail.after").unlink()
    assert view["status"] == "failed", done.stderr
    return view


def test_task_table_names_routes_as_tasks_takes_them_with_items_apart(wfops, workdir):
    d, log = workdir
    first = _split_failed(wfops, workdir)
    shown = wfops.run("execution", "get", first["id"])
    assert shown.returncode == 0, shown.stderr
    rows = _table(shown.stdout, "id")
    assert [(r["task"], r["item"]) for r in rows] == [
        ("start", ""), ("left", ""), ("right", ""),
        ("after[1]", "0"), ("after[1]", "1"), ("after[2]", "0"), ("after[2]", "1")]
    # The name a row shows is the one --tasks takes: re-running after[1] runs its items only.
    before = log_lines(log)
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "after[1]")
    assert sorted(log_lines(log)[len(before):]) == ["after:0", "after:1"], done.stderr  # items run side by side
    # A workflow without with-items tasks has no item column.
    plain = run_example(wfops, workdir, "wfops_examples.sequential")
    assert "| item" not in wfops.run("execution", "get", plain["id"]).stdout


def test_task_tables_mark_skipped_tasks(wfops, workdir):
    first = run_example(wfops, workdir, "wfops_examples.context_demo")
    assert first["status"] == "failed"
    done = wfops.run("execution", "skip", first["id"], "task2", "--publish", "token=manual")
    assert done.returncode == 0, done.stderr
    rows = {r["task"]: r["status"] for r in _table(done.stdout, "id")}
    assert rows == {"task2": "succeeded (skipped)", "task3": "succeeded"}


def test_audit_table_wraps_and_summarises_long_requests(wfops, workdir):
    first = run_example(wfops, workdir, "wfops_examples.context_demo")
    long_value = "x" * 300
    done = wfops.run("execution", "skip", first["id"], "task2", "--publish", "token=%s" % long_value,
                     "--comment", "operator fixed the token by hand")
    assert done.returncode == 0, done.stderr
    audit = wfops.run("execution", "audit", first["id"])
    assert audit.returncode == 0, audit.stderr
    widths = {len(line) for line in audit.stdout.splitlines()}
    assert len(widths) == 1 and widths.pop() < 200, audit.stdout
    (row,) = _table(audit.stdout, "timestamp")
    assert row["operation"] == "skip" and row["comment"] == "operator fixed the token by hand"
    assert row["request"].startswith("fingerprint=")
    assert re.search(r"fingerprint=[0-9a-f]{12}\.\.\. ", row["request"])
    assert ('publish={"task2":{"token":"%s"}}' % long_value).replace(" ", "") in row["request"].replace(" ", "")
    assert 'skip=["task2"]' in row["request"]
    full = wfops.json("execution", "audit", first["id"])[0]
    assert len(full[-1]["request"]["fingerprint"]) == 64, "--json keeps the request whole"


def test_rerun_plan_applies_the_previewed_plan_only(wfops, workdir):
    d, log = workdir
    first = run_example(wfops, workdir, "wfops_examples.sequential", fail=["task2"])
    preview = wfops.run("execution", "re-run", first["id"], "--tasks", "task2", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    fingerprint = re.search(r"^Fingerprint: (\w+)$", preview.stdout, re.M).group(1)
    apply = preview.stdout.splitlines()[-1]
    assert apply == ("Apply this plan (refused if the workflow changes first): wfops execution re-run "
                     "%s --tasks task2 --plan %s" % (first["id"], fingerprint))
    # Something else changes the workflow first: the previewed plan is refused.
    other = wfops.run("execution", "re-run", first["id"], "--tasks", "task1")
    assert other.returncode == 0, other.stderr
    before = log_lines(log)
    stale = wfops.run("execution", "re-run", first["id"], "--tasks", "task2", "--plan", fingerprint)
    assert stale.returncode == 1 and "changed" in stale.stderr, stale.stderr
    assert log_lines(log) == before, "nothing ran"
    # Previewed again, the printed command applies it; --fingerprint is the same option.
    preview = wfops.run("execution", "re-run", first["id"], "--tasks", "task2", "--dry-run")
    command = preview.stdout.splitlines()[-1].split(": ", 1)[1].split()
    assert command[:2] == ["wfops", "execution"] and command[-2] == "--plan"
    view, done = wfops.json(*command[1:-2], "--fingerprint", command[-1])
    assert view["status"] == "succeeded", done.stderr
    assert log_lines(log)[len(before):] == ["task2", "task3"]


def test_dot_draws_every_task_the_plan_runs_with_a_legend(wfops, workdir):
    # task2 failed, so task3 never ran: the plan runs it afresh, and the graph shows it.
    first = run_example(wfops, workdir, "wfops_examples.sequential", fail=["task2"])
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "task1", "--dry-run", "--format", "dot")
    assert done.returncode == 0, done.stderr
    dot = done.stdout
    assert re.search(r'n0 \[label="task1\[0\] #0\\nsucceeded", class="rerun"', dot)
    assert re.search(r'n1 \[label="task2\[0\] #1\\nfailed", class="downstream"', dot)
    assert re.search(r'"new:task3" \[label="task3\\nruns afresh", class="downstream"', dot)
    assert "subgraph cluster_legend" in dot
    for mark in ("re-run", "asked for, dropped", "runs afresh downstream", "kept as it is", "join"):
        assert 'label="%s"' % mark in dot


def test_dot_draws_join_branches(wfops, workdir):
    first = run_example(wfops, workdir, "wfops_examples.parallel_join", fail=["task3"])
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "task2", "--dry-run", "--format", "dot",
                     "--force")
    assert done.returncode == 0, done.stderr
    edges = re.findall(r'^  (\S+) -> (\S+) \[style=dashed, label="([^"]+)"(, color="#dc2626")?', done.stdout, re.M)
    labels = {label for _, _, label, _ in edges}
    assert "rerun" in labels and "blocked (failed)" in labels, done.stdout
    assert all(red for _, _, label, red in edges if label.startswith("blocked"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_is_drawn_by_graphviz(wfops, workdir):
    first = run_example(wfops, workdir, "wfops_examples.sequential", fail=["task2"])
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "task2", "--dry-run", "--format", "svg")
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("<?xml") and "</svg>" in done.stdout
    assert "task3" in done.stdout and "legend" in done.stdout


def test_svg_without_graphviz_says_what_to_install(wfops, workdir, tmp_path):
    first = run_example(wfops, workdir, "wfops_examples.sequential", fail=["task2"])
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "sh").symlink_to(shutil.which("sh"))  # the workflow's shell tasks are not run here
    wfops.env["PATH"] = str(bare)
    done = wfops.run("execution", "re-run", first["id"], "--tasks", "task2", "--dry-run", "--format", "svg")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "ERROR: --format svg needs Graphviz's `dot` command, which is not installed (on Debian or "
        "Ubuntu: apt-get install graphviz). --format dot prints the graph's source, for Graphviz "
        "elsewhere."]


def _options_without_help(parser: argparse.ArgumentParser, path: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += _options_without_help(sub, "%s %s" % (path, name))
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            missing.append("%s %s" % (path, "/".join(action.option_strings) or action.dest))
    return missing


def test_every_option_and_argument_has_help_text():
    from wfops.cli.main import build_parser

    assert _options_without_help(build_parser(), "wfops") == []


def test_help_shows_the_help_texts(wfops):
    done = wfops.run("execution", "re-run", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "--plan FINGERPRINT, --fingerprint FINGERPRINT apply the plan a dry run previewed" in text
    assert "-j, --json print JSON instead of text" in text


def test_skip_refusals_use_the_skip_commands_own_syntax(wfops, workdir):
    first = run_example(wfops, workdir, "wfops_examples.context_demo")
    ex = first["id"]
    # task2's on-success transition publishes token from its result, which a skip lacks.
    skipped = wfops.run("execution", "skip", ex, "task2")
    rerun = wfops.run("execution", "re-run", ex, "--skip", "task2")
    assert skipped.returncode == rerun.returncode == 1
    assert "give --publish token=VALUE, or a --result JSON that provides it." in skipped.stderr
    assert "give --publish task2 token=VALUE, or a --result task2 JSON that provides it." in rerun.stderr
    # A task that succeeded: the skip command points to the re-run command it needs.
    done = wfops.run("execution", "skip", ex, "task1")
    assert done.stderr.strip() == (
        'ERROR: Task "task1" already succeeded, so it cannot be skipped; to run it again, use '
        "`wfops execution re-run %s --tasks task1`." % ex)
    done = wfops.run("execution", "re-run", ex, "--skip", "task1")
    assert done.stderr.strip().endswith("to run it again, use --tasks task1.")
    for text in (skipped.stderr, rerun.stderr):
        assert "`" not in text.replace("`wfops execution", ""), "every term is rendered"
    assert "--skip" not in skipped.stderr and "--skip" not in done.stderr
    assert len(wfops.json("execution", "list")[0]) == 1, "nothing was created"
