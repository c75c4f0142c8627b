"""wfops.audit (actions/audit.py): E7 on the embedded host; refused on StackStorm, which
keeps no audit trail."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    clear_markers,
    config,
    failed_run,
    fake_st2,
    run_action,
    st2_config,
    wfops_server,
    workdir,
)


def test_audit_lists_the_operations(wfops_server, config, workdir):
    original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    ok, result = run_action("audit", config, id=original)
    assert (ok, result) == (True, {"id": original, "entries": []})
    clear_markers(workdir)
    ok, rerun = run_action("rerun", config, id=original, tasks=["task2"], comment="after the fix")
    assert ok, rerun
    wfops_server.wait(rerun["execution"]["id"])
    ok, result = run_action("audit", config, id=original)
    assert ok, result
    (entry,) = result["entries"]
    assert entry["operation"] == "re-run"
    assert entry["comment"] == "after the fix"
    assert entry["request"]["tasks"] == ["task2"]
    assert entry["plan"]["rerun"][0]["task"] == "task2"
    assert entry["user"] and entry["timestamp"]
    # The new execution says which execution and request created it.
    ok, created = run_action("audit", config, id=rerun["execution"]["id"])
    assert ok and created["entries"][0]["outcome"] == {"from": original}


def test_audit_of_an_unknown_execution(wfops_server, config):
    ok, result = run_action("audit", config, id="0123456789abcdef01234567")
    assert (ok, result) == (False, {"error": 'Unable to identify resource with id "0123456789abcdef01234567".',
                                    "status": 404})


def test_audit_on_stackstorm_is_refused(st2_config, fake_st2):
    ok, result = run_action("audit", st2_config, id="0123456789abcdef01234567")
    assert not ok and result["status"] == 501
    assert result["error"].startswith("StackStorm's API keeps no audit trail")
