"""Helpers of the extension's core tests: the captures of a real StackStorm 3.9.0
(../../tests/fixtures/st2_api/*.json: ``db_before`` once the run had completed, ``db`` at
the end). There is no conftest.py here: it would shadow the ``conftest`` module that the
tests under tests/ import their helpers from."""

from __future__ import annotations

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
for path in (ROOT / "st2ext", ROOT / "lib"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

FIXTURES = ROOT / "tests" / "fixtures" / "st2_api"


def load(name: str) -> dict:
    return json.loads((FIXTURES / ("%s.json" % name)).read_text())


def step(capture: dict, kind: str) -> dict:
    return next(s for s in capture["steps"] if s["kind"] == kind)


def api_children(capture: dict, execution_id: str) -> list:
    found = [r for r in capture["responses"]
             if r["method"] == "GET" and r["path"] == "/v1/executions/%s/children" % execution_id]
    return found[-1]["json"] if found else []



def memory_records(capture: dict):
    """MemoryRecords holding what StackStorm stored once the capture's run had completed:
    the launched execution, its task action executions, the workflow and task execution
    records."""
    from wfops_st2.records import MemoryRecords

    db = capture["db_before"]
    launch = step(capture, "launch")["id"]
    docs = [r["json"] for r in capture["responses"]
            if r["method"] == "GET" and r["path"] == "/v1/executions/%s" % launch]
    return MemoryRecords(executions=[docs[0]] + api_children(capture, launch),
                         workflows=db["workflow_executions"], task_executions=db["task_executions"])
