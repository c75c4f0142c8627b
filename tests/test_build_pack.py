"""scripts/build-pack: the pack `st2 pack install` gets holds what StackStorm needs and
nothing of the embedded host, bench/, docs/, tests/ or st2ext/ that the pack does not import,
and its actions, sensor and the runner extension's imports work from the built tree alone.

The build runs on this test's Python (3.8 in .ci/pack-py38, whose virtualenv holds the pack's
requirements.txt and what StackStorm's own virtualenv gives the pack); the built modules are
imported on it and, there, also on a Python 3.8 with only requirements.txt installed
(WFOPS_PACK_PYTHON).
"""

from __future__ import annotations

import filecmp
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
import yaml
from conftest import REPO, load_script

build_pack = load_script("build_pack")

TOP_LEVEL = {
    "pack.yaml", "config.schema.yaml", "wfops.yaml.example", "icon.png", "README.md",
    "CHANGES.md", "LICENSE", "requirements.txt",
    "actions", "aliases", "sensors", "rules", "lib",
}
# Parts of the embedded host the pack's actions, sensor and the extension do not import.
HOST_ONLY = ("engine", "api", "cli", "store", "runners", "packs", "datastore", "expressions")


def _files(root: pathlib.Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _metadata(root: pathlib.Path, folder: str) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((root / folder).glob("*.yaml"))]


def test_top_level_is_exactly_the_pack(built_pack):
    assert {p.name for p in built_pack.iterdir()} == TOP_LEVEL


def test_content_folders_are_copied_whole(built_pack):
    for folder in ("actions", "aliases", "sensors", "rules"):
        source = [f for f in _files(REPO / folder) if "__pycache__" not in f]
        assert _files(built_pack / folder) == source, folder


def test_every_entry_point_and_reference_exists(built_pack):
    actions = _metadata(built_pack, "actions")
    assert len(actions) == len(list((REPO / "actions").glob("*.yaml")))
    refs = {"wfops.%s" % a["name"] for a in actions}
    for action in actions:
        assert (built_pack / "actions" / action["entry_point"]).is_file(), action["name"]
    for sensor in _metadata(built_pack, "sensors"):
        assert (built_pack / "sensors" / sensor["entry_point"]).is_file(), sensor["class_name"]
    for alias in _metadata(built_pack, "aliases"):
        assert alias["action_ref"] in refs, alias["name"]
    for rule in _metadata(built_pack, "rules"):
        if rule["action"]["ref"].startswith("wfops."):
            assert rule["action"]["ref"] in refs, rule["name"]


def test_nothing_of_the_repository_that_the_pack_does_not_need(built_pack):
    files = _files(built_pack)
    for folder in ("bench", "docs", "tests", "st2ext", "scripts", "wfops_examples", ".ci"):
        assert not [f for f in files if f.split(os.sep)[0] == folder], folder
    lib_files = [f for f in files if f.startswith("lib" + os.sep)]
    for part in HOST_ONLY:
        package = os.path.join("lib", "wfops", part)
        assert not [f for f in lib_files if f.startswith(package + os.sep) or f == package + ".py"], part
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or "egg-info" in f]
    assert all(f.endswith(".py") for f in lib_files), lib_files
    # Copied as they are, and a fraction of lib/.
    for f in lib_files:
        assert filecmp.cmp(built_pack / f, REPO / f, shallow=False), f
    all_lib = [p for p in (REPO / "lib" / "wfops").rglob("*.py") if "__pycache__" not in p.parts]
    assert 10 < len(lib_files) < len(all_lib) / 2


def test_every_wfops_import_resolves_in_the_built_lib(built_pack):
    """Each `wfops...` name imported anywhere in the built pack or in the runner extension
    (inside functions too: modules imported on first use) that is a module in the
    repository's lib/ is a module of the built lib/."""
    lib, built_lib = str(REPO / "lib"), str(built_pack / "lib")
    sources = [str(p) for p in built_pack.rglob("*.py")]
    sources += [str(p) for p in (REPO / "st2ext" / "wfops_st2").rglob("*.py") if "__pycache__" not in p.parts]
    assert any(s.endswith(os.path.join("wfops_st2", "operations.py")) for s in sources)
    missing = set()
    for source in sources:
        module = None
        if source.startswith(built_lib + os.sep):
            module = os.path.relpath(source, built_lib)[:-3].replace(os.sep, ".").replace(".__init__", "")
        for name in build_pack.imported_names(source, module):
            if name.split(".")[0] == "wfops" and build_pack.module_path(lib, name):
                if not build_pack.module_path(built_lib, name):
                    missing.add((name, os.path.relpath(source, str(built_pack))))
    assert not missing


def test_imported_names_follows_every_kind_of_import(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(textwrap.dedent(
        """
        import os.path
        from wfops import planner, statuses as s
        from . import sibling
        from ..up import thing

        def later():
            from wfops.pack_client.api import ApiClient
        """
    ))
    names = build_pack.imported_names(str(source), "wfops.pkg.m")
    assert {"os.path", "wfops", "wfops.planner", "wfops.statuses", "wfops.pkg.sibling",
            "wfops.up", "wfops.up.thing", "wfops.pack_client.api",
            "wfops.pack_client.api.ApiClient"} <= names
    # A script's relative imports have nothing to resolve against.
    assert "wfops.pkg.sibling" not in build_pack.imported_names(str(source), None)


LOAD_ALL = textwrap.dedent(
    """
    import importlib.util, inspect, json, os, sys
    pack = sys.argv[1]
    loaded = {}
    for kind in ("actions", "sensors"):
        for name in sorted(os.listdir(os.path.join(pack, kind))):
            if not name.endswith(".py"):
                continue
            spec = importlib.util.spec_from_file_location(kind + "_" + name[:-3], os.path.join(pack, kind, name))
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            loaded[kind + "/" + name] = [c.__name__ for _, c in inspect.getmembers(module, inspect.isclass)
                                         if c.__module__ == module.__name__]
    # The modules the actions and the pack client load on first use, too.
    import wfops.planner.extras, wfops.pack_client.backends, wfops.pack_client.st2_extension, wfops.lifecycle
    origins = {name: getattr(m, "__file__", None) for name, m in sys.modules.items()
               if name == "wfops" or name.startswith("wfops.")}
    print(json.dumps({"loaded": loaded, "origins": origins, "python": sys.version_info[:2]}))
    """
)


# This test's Python, and the one .ci/pack-py38 sets up with the pack's requirements.txt and
# nothing else (what `st2 pack install` puts in the pack's virtualenv).
INTERPRETERS = [sys.executable] + [p for p in [os.environ.get("WFOPS_PACK_PYTHON")] if p]


@pytest.mark.parametrize("python", INTERPRETERS)
def test_every_action_and_the_sensor_import_from_the_built_tree(built_pack, tmp_path, python):
    # Isolated (-I: no PYTHONPATH, no user site, not the cwd): the actions find the built
    # lib/ themselves, relative to their files.
    done = subprocess.run([python, "-I", "-c", LOAD_ALL, str(built_pack)], capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    python_files = sorted(p.name for p in (REPO / "actions").glob("*.py"))
    assert sorted(k.split("/")[1] for k in out["loaded"] if k.startswith("actions/")) == python_files
    assert all(len(classes) == 1 for k, classes in out["loaded"].items() if k.startswith("actions/")), out["loaded"]
    assert "WorkflowWatchSensor" in out["loaded"]["sensors/workflow_watch.py"]
    outside = {n: f for n, f in out["origins"].items() if not (f or "").startswith(str(built_pack / "lib") + os.sep)}
    assert not outside
    assert len(out["origins"]) > 10


def test_the_script_and_its_refusals(tmp_path):
    out = tmp_path / "pack"
    done = subprocess.run([str(REPO / "scripts" / "build-pack"), str(out)], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "st2 pack install file://%s" % out in done.stdout
    # A rebuild replaces the previous one, leftovers included.
    (out / "actions" / "stale.py").write_text("")
    assert subprocess.run([sys.executable, str(REPO / "scripts" / "build_pack.py"), str(out)],
                          capture_output=True, timeout=120).returncode == 0
    assert not (out / "actions" / "stale.py").exists()
    # A directory that is not a built pack, or that holds the repository, is left alone.
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    for target in (other, REPO):
        done = subprocess.run([sys.executable, str(REPO / "scripts" / "build_pack.py"), str(target)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and "build-pack: " in done.stderr and "Traceback" not in done.stderr, target
    assert (other / "notes.txt").read_text() == "mine"
    assert (REPO / "pack.yaml").is_file()


@pytest.mark.parametrize("missing", ["pack.yaml", "LICENSE"])
def test_a_missing_pack_file_is_refused(tmp_path, missing):
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in build_pack.PACK_FILES:
        if name != missing:
            (repo / name).write_text("x")
    with pytest.raises(SystemExit, match="%s is missing" % missing):
        build_pack.build(str(repo), str(tmp_path / "out"))
