"""The README's pack reference (Installation, Configuration, Actions, Aliases, Sensors,
Rules, Workflows) against the pack's metadata: each table lists exactly the pack's actions,
aliases, trigger types, rules and config keys (a missing or an extra row fails, naming it),
the generated blocks are what ``scripts/pack_readme.py`` renders today, the example config
fits config.schema.yaml and the example trigger payload fits the trigger's payload schema.
"""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml
from conftest import REPO, load_script

pack_readme = load_script("pack_readme")
README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = pack_readme.blocks(README)
ROW = re.compile(r"^\| `([^`]+)` \|", re.M)


def _names(folder: str, prefix: str = "") -> set[str]:
    return {prefix + doc["name"] for doc in pack_readme.metadata(str(REPO), folder)}


def _triggers() -> dict[str, dict]:
    return {"wfops.%s" % t["name"]: t for s in pack_readme.metadata(str(REPO), "sensors")
            for t in s.get("trigger_types") or []}


def _schema() -> dict:
    return yaml.safe_load((REPO / "config.schema.yaml").read_text())


EXPECTED = {
    "actions": lambda: _names("actions", "wfops."),
    "aliases": lambda: _names("aliases"),
    "rules": lambda: _names("rules", "wfops."),
    "config": lambda: set(_schema()),
}


def test_every_block_is_there():
    assert sorted(set(pack_readme.BLOCKS) - set(BLOCKS)) == []


@pytest.mark.parametrize("block", sorted(EXPECTED))
def test_table_lists_exactly_the_packs(block):
    listed = ROW.findall(BLOCKS.get(block, ""))
    expected = EXPECTED[block]()
    assert len(listed) == len(set(listed)), "listed twice in the README's %s table" % block
    assert sorted(expected - set(listed)) == [], "missing from the README's %s table" % block
    assert sorted(set(listed) - expected) == [], "in the README's %s table but not in the pack" % block


def test_triggers_and_their_payload_fields_are_listed():
    text = BLOCKS.get("triggers", "")
    headed = set(re.findall(r"^#### `([^`]+)`", text, re.M))
    assert headed == set(_triggers())
    for section in text.split("#### ")[1:]:
        name = section.split("`")[1]
        fields = set(_triggers()[name]["payload_schema"]["properties"])
        assert set(ROW.findall(section)) == fields, name


@pytest.mark.parametrize("name", sorted(pack_readme.BLOCKS))
def test_generated_block_is_current(name):
    assert BLOCKS.get(name) == pack_readme.BLOCKS[name](str(REPO)), (
        "README.md block %s is out of date: run .venv/bin/python scripts/pack_readme.py" % name)


def test_render_rewrites_a_stale_block_and_refuses_an_unknown_one():
    stale = README.replace(BLOCKS["rules"], "| `wfops.gone` | |\n")
    assert pack_readme.render(stale) == pack_readme.render(README)
    with pytest.raises(ValueError, match="unknown pack-readme block 'nope'"):
        pack_readme.render("<!-- pack-readme: nope -->\n<!-- /pack-readme -->")


def test_check_mode_reports_stale_blocks(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(README.replace(BLOCKS["actions"], "| `wfops.gone` | |\n"))
    assert pack_readme.main(["--check", "--readme", str(readme)]) == 1
    assert "out of date: actions" in capsys.readouterr().err
    assert pack_readme.main(["--readme", str(readme)]) == 0
    assert readme.read_text() == pack_readme.render(README)
    assert pack_readme.main(["--check", "--readme", str(readme)]) == 0


def test_example_config_fits_the_schema():
    schema = _schema()
    example = yaml.safe_load((REPO / "wfops.yaml.example").read_text())
    assert example and set(example) <= set(schema), sorted(set(example) - set(schema))
    types = {"string": str, "boolean": bool, "integer": int}
    for key, value in example.items():
        assert isinstance(value, types[schema[key]["type"]]), key
    for key, spec in schema.items():
        assert spec.get("description"), key
    assert "/opt/stackstorm/configs/wfops.yaml" in README
    assert "st2ctl reload --register-configs" in README


def test_example_payload_fits_its_trigger():
    block = README.split("<!-- payload-example: workflow_failed -->")[1].split("<!-- /payload-example -->")[0]
    payload = json.loads(block.split("```json")[1].split("```")[0])
    schema = _triggers()["wfops.workflow_failed"]["payload_schema"]
    jsonschema.Draft4Validator(schema).validate(payload)
    assert set(payload) == set(schema["properties"])


def test_installation_and_the_fresh_machine_commands():
    for text in ("scripts/build-pack", "st2 pack install file://", "st2 action list -p wfops",
                 "scripts/demo ", "scripts/test "):
        assert text in README, text
    for script in ("demo", "test", "build-pack"):
        assert (REPO / "scripts" / script).is_file(), script
