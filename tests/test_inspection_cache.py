"""Orquesta's inspection of a definition is kept under WFOPS_HOME by content
(wfops.engine.inspection_cache): a workflow started again from the same text reads it, and
gets the same outcome as the first start; an entry that cannot be used is ignored."""

from __future__ import annotations

import pathlib

from conftest import Wfops

GOOD = """version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task2
  task2:
    action: core.noop
"""

# Two of Orquesta's inspection problems: an expression that does not parse, and a
# transition to a task that does not exist.
BAD = """version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded( %>
        do: task9
"""


def _pack(root: pathlib.Path, definitions: dict[str, str]) -> str:
    pack = root / "packs" / "cachetest"
    (pack / "actions" / "workflows").mkdir(parents=True)
    (pack / "pack.yaml").write_text("ref: cachetest\nname: cachetest\nversion: 0.0.1\nauthor: t\n")
    for name, text in definitions.items():
        (pack / "actions" / "workflows" / (name + ".yaml")).write_text(text)
        (pack / "actions" / (name + ".yaml")).write_text(
            "name: %s\npack: cachetest\nrunner_type: orquesta\nentry_point: workflows/%s.yaml\n" % (name, name))
    return str(root / "packs")


def _entries(home: pathlib.Path) -> list[pathlib.Path]:
    return sorted((home / "cache" / "inspection").glob("*.json"))


def _errors(wfops: Wfops, ref: str) -> list[dict]:
    view, done = wfops.json("run", ref)
    assert done.returncode == 1 and view["status"] == "failed", done.stderr
    assert view.get("children", []) == []
    return view["result"]["errors"]


def test_a_definition_inspected_once_starts_the_same_from_the_cache(tmp_path):
    (tmp_path / "home").mkdir()
    wfops = Wfops(tmp_path / "home", packs_path=_pack(tmp_path, {"good": GOOD, "bad": BAD}))

    first = _errors(wfops, "cachetest.bad")
    assert {e["type"] for e in first} == {"expression", "semantic"}
    assert len(_entries(wfops.home)) == 1
    assert _errors(wfops, "cachetest.bad") == first  # read from the cache

    for _ in range(2):
        view, done = wfops.json("run", "cachetest.good")
        assert done.returncode == 0 and view["status"] == "succeeded", done.stderr
        assert len(view["children"]) == 2
    assert len(_entries(wfops.home)) == 2


def test_an_entry_that_cannot_be_used_is_inspected_again(tmp_path):
    (tmp_path / "home").mkdir()
    wfops = Wfops(tmp_path / "home", packs_path=_pack(tmp_path, {"bad": BAD}))
    first = _errors(wfops, "cachetest.bad")
    (entry,) = _entries(wfops.home)
    for damaged in ("{not json", '["a list"]', '{"syntax": 3}'):
        entry.write_text(damaged)
        assert _errors(wfops, "cachetest.bad") == first
        assert entry.read_text() != damaged  # written again


def test_a_changed_definition_is_not_read_from_the_entry_of_the_old_text(tmp_path):
    (tmp_path / "home").mkdir()
    packs = _pack(tmp_path, {"flow": BAD})
    wfops = Wfops(tmp_path / "home", packs_path=packs)
    assert _errors(wfops, "cachetest.flow")
    (pathlib.Path(packs) / "cachetest" / "actions" / "workflows" / "flow.yaml").write_text(GOOD)
    view, done = wfops.json("run", "cachetest.flow")
    assert done.returncode == 0 and view["status"] == "succeeded", done.stderr
