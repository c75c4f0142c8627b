"""The pack's rules (rules/*.yaml): shipped disabled, wired to the sensor's triggers and
the pack's actions, their criteria and parameters evaluated on the sensor's payloads the
way StackStorm's rules engine does; and one rule run end to end on the embedded host
(sensor payload -> criteria -> rendered parameters -> the action)."""

from __future__ import annotations

import glob
import os
import sys

import jinja2
import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    REPO,
    FakeSensorService,
    clear_markers,
    failed_run,
    load_sensor_class,
    log_lines,
    preserved_environ,
    wfops_server,
    workdir,
)


def _load(path):
    with open(path) as fd:
        return yaml.safe_load(fd)


RULES = {r["name"]: r for r in (_load(p) for p in sorted(glob.glob(str(REPO / "rules" / "*.yaml"))))}
ACTIONS = {"wfops.%s" % a["name"]: a for a in (_load(p) for p in glob.glob(str(REPO / "actions" / "*.yaml")))}
SENSOR = _load(REPO / "sensors" / "workflow_watch.yaml")
TRIGGERS = {"wfops.%s" % t["name"]: t for t in SENSOR["trigger_types"]}
# Actions of other packs a rule may use, with the parameters they take.
EXTERNAL_ACTIONS = {"chatops.post_message": {"channel", "message", "whisper", "user", "extra", "route"}}


# StackStorm's criteria operators used by the pack's rules.
def _matches(criteria: dict, payload: dict) -> bool:
    for key, criterion in (criteria or {}).items():
        assert key.startswith("trigger."), key
        value = payload
        for part in key.split(".")[1:]:
            value = value.get(part) if isinstance(value, dict) else None
        pattern = criterion["pattern"]
        kind = criterion["type"]
        if kind == "equals":
            ok = value == pattern
        elif kind == "contains":
            ok = value is not None and pattern in value
        elif kind == "exists":
            ok = value is not None
        else:  # pragma: no cover - a new operator needs adding here
            raise AssertionError("operator %s" % kind)
        if not ok:
            return False
    return True


def _render(parameters: dict, payload: dict) -> dict:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    context = {"trigger": payload, "st2kv": {"system": {"wfops_chatops_channel": "#ops"}}}
    return {k: env.from_string(v).render(**context) if isinstance(v, str) else v for k, v in parameters.items()}


def _payload(**changes):
    payload = {
        "execution_id": "6b0287f646040c1795d845d0", "action_ref": "wfops_examples.sequential", "status": "failed",
        "failed_tasks": ["task2"], "failed_task_details": [], "suggested_rerun": {}, "rerun_of": None,
        "rerun_count": 0, "action_tags": [], "user": "stanley", "start_timestamp": None, "end_timestamp": None,
    }
    payload.update(changes)
    return payload


def test_there_are_rules():
    assert {"rerun_failed_once", "rerun_until_succeeded", "announce_paused"} <= set(RULES)


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_is_wired(name):
    rule = RULES[name]
    assert rule["enabled"] is False, "rules ship disabled"
    assert rule.get("pack") == "wfops"
    trigger = rule["trigger"]["type"]
    assert trigger in TRIGGERS, trigger
    properties = TRIGGERS[trigger]["payload_schema"]["properties"]
    for key in rule.get("criteria") or {}:
        assert key.split(".")[1] in properties, key
    ref = rule["action"]["ref"]
    parameters = rule["action"].get("parameters") or {}
    if ref in EXTERNAL_ACTIONS:
        assert set(parameters) <= EXTERNAL_ACTIONS[ref]
    else:
        declared = ACTIONS[ref]["parameters"]
        assert set(parameters) <= set(declared), set(parameters) - set(declared)
        required = {k for k, v in declared.items() if v.get("required")}
        assert required <= set(parameters)
    # Every template renders on a payload of the trigger.
    _render(parameters, _payload())


def test_rerun_failed_once_selects_tagged_first_failures():
    rule = RULES["rerun_failed_once"]
    tagged = _payload(action_tags=["team_x", "wfops_rerun_failed_once"])
    assert _matches(rule["criteria"], tagged)
    assert not _matches(rule["criteria"], _payload())
    assert not _matches(rule["criteria"], dict(tagged, rerun_count=1, rerun_of="6b0287f646040c1795d845c0"))
    assert _render(rule["action"]["parameters"], tagged) == {
        "id": "6b0287f646040c1795d845d0", "failed": True,
        "comment": "rule wfops.rerun_failed_once: failed with task2"}


def test_rerun_until_succeeded_rule():
    rule = RULES["rerun_until_succeeded"]
    assert _matches(rule["criteria"], _payload(action_tags=["wfops_rerun_until_succeeded"]))
    assert not _matches(rule["criteria"], _payload(action_tags=["wfops_rerun_failed_once"]))
    assert _render(rule["action"]["parameters"], _payload()) == {
        "id": "6b0287f646040c1795d845d0", "max_attempts": 3, "delay": 60}


def test_rerun_failed_once_end_to_end(wfops_server, workdir):
    """The sensor sees the failure, the rule matches (the action tagged as StackStorm
    would report it), and its rendered parameters make wfops.rerun re-run the failed task
    on the embedded host."""
    with preserved_environ():
        service = FakeSensorService()
        sensor = load_sensor_class()(sensor_service=service, config={"api_url": wfops_server.url})
        sensor.setup()
        sensor.poll()
        original = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task3"])
        sensor.poll()
    (trigger, payload), = [d for d in service.dispatched if d[1]["execution_id"] == original]
    rule = RULES["rerun_failed_once"]
    assert rule["trigger"]["type"] == trigger
    payload = dict(payload, action_tags=payload["action_tags"] + ["wfops_rerun_failed_once"])
    assert _matches(rule["criteria"], payload)
    clear_markers(workdir)
    execution = wfops_server.run(rule["action"]["ref"], **_render(rule["action"]["parameters"], payload))
    done = wfops_server.wait(execution)
    assert done["status"] == "succeeded", done["result"]
    rerun = wfops_server.wait(done["result"]["result"]["execution"]["id"])
    assert rerun["status"] == "succeeded"
    assert log_lines(workdir[1]) == ["task1", "task2", "task3", "task3"]
