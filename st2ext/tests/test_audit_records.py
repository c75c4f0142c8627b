"""Audit entries (E7) and the records interface, on the in-memory implementation."""

from __future__ import annotations

import pytest
from captures import load, step
from wfops_st2 import audit
from wfops_st2.records import MemoryRecords, NotFound


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_entries_are_appended_never_rewritten(name):
    capture = load(name)
    original = next(r["json"] for r in capture["responses"]
                    if r["path"] == "/v1/executions/%s" % step(capture, "launch")["id"] and r["method"] == "GET")
    records = MemoryRecords(executions=[original])
    first = audit.audit_entry("rerun", "alice", {"tasks": ["task2"]}, "2026-12-01T00:00:00Z",
                              plan={"requests": [["task2", 0, True]]}, outcome={"execution": "n1"},
                              comment="fixed the disk")
    records.append_audit(original["id"], first)
    first["comment"] = "changed afterwards"
    records.append_audit(original["id"], audit.audit_entry("pause", "bob", {}, "2026-12-01T00:01:00Z"))
    entries = audit.entries(records.execution(original["id"]))
    assert [(e["operation"], e["user"], e["comment"]) for e in entries] == [
        ("re-run", "alice", "fixed the disk"), ("pause", "bob", None)]
    assert entries[0]["request"] == {"tasks": ["task2"]} and entries[0]["outcome"] == {"execution": "n1"}
    with pytest.raises(NotFound):
        records.append_audit("nope", first)
    with pytest.raises(ValueError, match="Unknown operation"):
        audit.audit_entry("explode", "x", {}, "t")


@pytest.mark.parametrize("name", ["sequential_task2"])
def test_a_created_execution_says_what_created_it(name):
    capture = load(name)
    original = next(r["json"] for r in capture["responses"]
                    if r["path"] == "/v1/executions/%s" % step(capture, "launch")["id"] and r["method"] == "GET")
    records = MemoryRecords(executions=[original])
    records.append_audit(original["id"], audit.audit_entry("rerun", "alice", {}, "t"))
    context = {"re-run": {"ref": original["id"], "tasks": ["task2"], "reset": ["task2"]}}
    context["wfops"] = audit.created_by(original["id"], "rerun", {"tasks": ["task2"]}, "op1")
    new = records.create_rerun_execution(original, context)
    assert new["id"] != original["id"] and new["status"] == "running"
    assert new["parameters"] == original["parameters"] and new["action"]["ref"] == "wfops_examples.sequential"
    assert new["context"]["wfops"]["created_by"] == {
        "execution": original["id"], "operation": "rerun", "request": {"tasks": ["task2"]},
        "operation_execution": "op1"}
    assert audit.entries(new) == []  # the original's entries stay on the original
    assert audit.entries(records.execution(original["id"]))


def test_task_executions_in_start_order():
    records = MemoryRecords(task_executions=[
        {"id": "b", "workflow_execution": "w", "task_id": "t", "start_timestamp": "2026-12-01 10:00:02+00:00"},
        {"id": "a", "workflow_execution": "w", "task_id": "t", "start_timestamp": "2026-12-01 10:00:01+00:00"},
        {"id": "c", "workflow_execution": "v", "task_id": "t", "start_timestamp": "2026-12-01 10:00:00+00:00"},
    ])
    assert [t["id"] for t in records.task_executions("w")] == ["a", "b"]
    new = records.insert_task_execution({"workflow_execution": "w", "task_id": "t", "status": "running"})
    assert [t["id"] for t in records.task_executions("w")] == ["a", "b", new]
