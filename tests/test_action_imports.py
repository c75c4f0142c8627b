"""Every action of the pack (and its sensor) imports and runs the way StackStorm loads it:
from its file, with the pack's lib/ found relative to that file (StackStorm's
`[packs] enable_common_libs` may be off), with or without `st2common` installed.

Each check runs in a fresh interpreter on the pack as ``scripts/build-pack`` writes it
(what ``st2 pack install`` gets: the ``built_pack`` fixture), so that the wfops package the
actions import must be the built pack's lib/, not the one installed in the virtualenv, and
every module they need must have been built into it.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACTION_FILES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(REPO, "actions", "*.py")))

PROBE = textwrap.dedent(
    """
    import importlib.util, inspect, json, os, sys
    pack, kind, name = sys.argv[1:4]
    path = os.path.join(pack, kind, name)
    spec = importlib.util.spec_from_file_location(name[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__]
    import wfops
    out = {"classes": [c.__name__ for c in classes],
           "bases": [[b.__module__ + "." + b.__name__ for b in c.__mro__] for c in classes],
           "wfops": wfops.__file__}
    if kind == "actions":
        os.environ.pop("ST2_ACTION_API_URL", None)
        os.environ.pop("ST2_API_URL", None)
        out["run"] = classes[0](config={}).run(**json.loads(sys.argv[4]))
    print(json.dumps(out))
    """
)

# Minimal st2common / st2reactor packages, as StackStorm's own (the loaders require
# subclasses of these).
FAKE_ST2 = {
    "st2common/__init__.py": "",
    "st2common/runners/__init__.py": "",
    "st2common/runners/base_action.py": textwrap.dedent(
        """
        class Action(object):
            def __init__(self, config=None, action_service=None):
                self.config = config
                self.action_service = action_service
        """
    ),
    "st2reactor/__init__.py": "",
    "st2reactor/sensor/__init__.py": "",
    "st2reactor/sensor/base.py": textwrap.dedent(
        """
        class PollingSensor(object):
            def __init__(self, sensor_service, config=None, poll_interval=5):
                self._sensor_service = sensor_service
                self._config = config or {}
                self._poll_interval = poll_interval
        """
    ),
}

ARGUMENTS = {
    "pause.py": {"ids": ["x"]}, "resume.py": {"ids": ["x"]}, "cancel.py": {"ids": ["x"]},
    "rerun.py": {"id": "x", "tasks": ["task2"]}, "plan.py": {"id": "x"}, "skip.py": {"id": "x", "task": "t"},
    "task_context.py": {"id": "x", "task": "t"}, "audit.py": {"id": "x"}, "status.py": {"id": "x"},
}


@pytest.fixture(scope="module")
def pack_copy(built_pack, tmp_path_factory):
    fake = tmp_path_factory.mktemp("fake_st2")
    for relative, text in FAKE_ST2.items():
        (fake / relative).parent.mkdir(parents=True, exist_ok=True)
        (fake / relative).write_text(text)
    return built_pack, fake


def _probe(pack, kind, name, arguments=None, st2=None):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if st2 is not None:
        env["PYTHONPATH"] = str(st2)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(pack), kind, name, json.dumps(arguments or {})],
        capture_output=True, text=True, env=env, timeout=120, cwd=str(pack.parent),
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_there_is_a_python_file_per_python_action():
    import yaml

    entry_points = set()
    for path in glob.glob(os.path.join(REPO, "actions", "*.yaml")):
        with open(path) as fd:
            meta = yaml.safe_load(fd)
        if meta["runner_type"] == "python-script":
            entry_points.add(meta["entry_point"])
    assert entry_points == set(ACTION_FILES) == set(ARGUMENTS)


@pytest.mark.parametrize("name", ACTION_FILES)
def test_action_imports_without_st2common(pack_copy, name):
    pack, _ = pack_copy
    out = _probe(pack, "actions", name, ARGUMENTS[name])
    assert len(out["classes"]) == 1
    assert out["wfops"].startswith(str(pack / "lib")), out["wfops"]
    # No API URL anywhere: a clear refusal, not a traceback.
    assert out["run"][0] is False
    assert "No API URL for the wfops pack" in out["run"][1]["error"]


@pytest.mark.parametrize("name", ACTION_FILES)
def test_action_subclasses_st2commons_action(pack_copy, name):
    pack, fake = pack_copy
    out = _probe(pack, "actions", name, ARGUMENTS[name], st2=fake)
    assert "st2common.runners.base_action.Action" in out["bases"][0]
    assert out["wfops"].startswith(str(pack / "lib"))


def test_sensor_imports_with_and_without_st2reactor(pack_copy):
    pack, fake = pack_copy
    out = _probe(pack, "sensors", "workflow_watch.py")
    assert "WorkflowWatchSensor" in out["classes"]
    out = _probe(pack, "sensors", "workflow_watch.py", st2=fake)
    (mro,) = [b for c, b in zip(out["classes"], out["bases"]) if c == "WorkflowWatchSensor"]
    assert "st2reactor.sensor.base.PollingSensor" in mro
