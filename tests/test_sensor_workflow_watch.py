"""The WorkflowWatchSensor (sensors/workflow_watch.py): a polling sensor that dispatches
wfops.workflow_failed and wfops.workflow_paused once per execution, its cursor in the
datastore. Driven against a real `wfops serve` and through a StackStorm stand-in, with an
in-memory sensor service."""

from __future__ import annotations

import os
import sys

import jsonschema
import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402,F401 - fixtures
    REPO,
    FakeSensorService,
    failed_run,
    fake_st2,
    free_port,
    http,
    load_sensor_class,
    preserved_environ,
    wfops_server,
    workdir,
)

with open(REPO / "sensors" / "workflow_watch.yaml") as fd:
    SENSOR_META = yaml.safe_load(fd)
PAYLOAD_SCHEMAS = {"wfops.%s" % t["name"]: t["payload_schema"] for t in SENSOR_META["trigger_types"]}


@pytest.fixture
def env():
    with preserved_environ():
        yield


def _sensor(url, service=None):
    cls = load_sensor_class()
    service = service or FakeSensorService()
    sensor = cls(sensor_service=service, config={"api_url": url}, poll_interval=1)
    sensor.setup()
    return sensor, service


def _paused(server, workdir):
    d, _ = workdir
    execution_id = server.run("wfops_examples.sequential", log=str(d / "paused-log"), dir=str(d / "none"), sleep=1)
    server.wait(execution_id, {"running"})
    http("PUT", server.url + "/executions/%s" % execution_id, {"status": "pausing"})
    server.wait(execution_id, {"paused"})
    return execution_id


def _mine(service, ids):
    """The dispatches about the given executions (other tests share the server)."""
    return [(t, p) for t, p in service.dispatched if p["execution_id"] in ids]


def test_metadata_declares_the_triggers():
    assert SENSOR_META["class_name"] == "WorkflowWatchSensor"
    assert set(PAYLOAD_SCHEMAS) == {"wfops.workflow_failed", "wfops.workflow_paused"}
    for schema in PAYLOAD_SCHEMAS.values():
        jsonschema.Draft4Validator.check_schema(schema)


def test_dispatches_once_per_execution(wfops_server, workdir, env):
    before = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    sensor, service = _sensor(wfops_server.url)
    # The first poll reports nothing that happened before the sensor ran.
    sensor.poll()
    assert service.dispatched == []
    failed = failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task2"])
    paused = _paused(wfops_server, workdir)
    plain = wfops_server.run("core.local", cmd="exit 1")
    wfops_server.wait(plain)
    sensor.poll()
    mine = _mine(service, {before, failed, paused, plain})
    assert sorted((t, p["execution_id"]) for t, p in mine) == sorted(
        [("wfops.workflow_failed", failed), ("wfops.workflow_paused", paused)])
    for trigger, payload in mine:
        jsonschema.validate(payload, PAYLOAD_SCHEMAS[trigger])
    payload = dict(mine)["wfops.workflow_failed"]
    assert payload["action_ref"] == "wfops_examples.sequential" and payload["status"] == "failed"
    assert payload["failed_tasks"] == ["task2"]
    assert payload["failed_task_details"][0]["task"] == "task2"
    assert payload["suggested_rerun"]["st2"] == "st2 execution re-run %s --tasks task2" % failed
    assert payload["suggested_rerun"]["chatops"] == "wfops rerun %s from task2" % failed
    assert (payload["rerun_of"], payload["rerun_count"], payload["action_tags"]) == (None, 0, [])
    # Polling again, or a restarted sensor on the same datastore, reports nothing again.
    count = len(service.dispatched)
    sensor.poll()
    sensor.cleanup()
    restarted, _ = _sensor(wfops_server.url, FakeSensorService(service.datastore))
    restarted.poll()
    assert len(service.dispatched) == count and restarted.sensor_service.dispatched == []
    # A re-run that fails again is a new execution: reported, with where it comes from.
    status, doc = http("POST", wfops_server.url + "/executions/%s/re_run" % failed, {"tasks": ["task2"]})
    assert status == 201
    wfops_server.wait(doc["id"])
    restarted.poll()
    (trigger, payload), = restarted.sensor_service.dispatched
    assert trigger == "wfops.workflow_failed"
    assert (payload["execution_id"], payload["rerun_of"], payload["rerun_count"]) == (doc["id"], failed, 1)
    http("DELETE", wfops_server.url + "/executions/%s" % paused)


def test_cursor_lives_in_the_datastore(wfops_server, workdir, env):
    sensor, service = _sensor(wfops_server.url)
    sensor.poll()
    ((name, local), value), = service.datastore.items()
    assert (name, local) == ("cursor", True)
    assert isinstance(value, str) and '"started": true' in value
    # An unreadable cursor starts again from a baseline, without reporting the past.
    service.datastore[("cursor", True)] = "not json"
    failed_run(wfops_server, workdir, "wfops_examples.sequential", ["fail.task1"])
    sensor.poll()
    assert service.dispatched == []


def test_through_stackstorm(wfops_server, fake_st2, workdir, env):
    sensor, service = _sensor(fake_st2.url)
    assert sensor._watch.backend.name == "stackstorm"
    sensor.poll()
    fake_st2.requests.clear()
    failed = failed_run(wfops_server, workdir, "wfops_examples.parallel_join", ["fail.task2", "fail.task3"])
    sensor.poll()
    (trigger, payload), = _mine(service, {failed})
    assert trigger == "wfops.workflow_failed"
    assert sorted(payload["failed_tasks"]) == ["task2", "task3"]
    # Only StackStorm's list filters were used.
    for _method, _path, query, _ in fake_st2.calls("GET", r"/executions$"):
        assert set(query) <= {"status", "parent", "limit", "offset", "include_attributes"}, query
        assert query["parent"] == ["null"]


def test_an_unreachable_api_does_not_stop_the_sensor(wfops_server, workdir, env):
    # The API is down when the sensor starts: setup and poll log it and go on.
    port = free_port()
    sensor, service = _sensor("http://127.0.0.1:%d/api/v1" % port)
    sensor.poll()
    assert service.dispatched == [] and service.datastore == {}
    assert sensor.add_trigger({}) is None and sensor.update_trigger({}) is None and sensor.remove_trigger({}) is None
    # Once it answers, the sensor starts from a baseline.
    sensor._config["api_url"] = wfops_server.url
    sensor.poll()
    assert service.dispatched == [] and ("cursor", True) in service.datastore
