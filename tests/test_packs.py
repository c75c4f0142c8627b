"""Pack discovery and action metadata: wfops.packs."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from wfops import errors
from wfops.packs import ActionRegistry, ActionSpec, load_registry
from wfops.packs import registry as registry_module

FIXTURES = Path(__file__).parent / "fixtures"
PACKS = FIXTURES / "packs"
FIXTUREPACK = PACKS / "fixturepack"


@pytest.fixture(scope="module")
def fixtures() -> ActionRegistry:
    return ActionRegistry.from_paths([str(FIXTUREPACK)], [(registry_module.BUILTIN_CORE_PACK, "core")])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def make_pack(base: Path, ref: str, actions: dict[str, str], files: dict[str, str] | None = None) -> Path:
    pack = base / ref
    write(pack / "pack.yaml", "ref: %s\n" % ref)
    for name, text in actions.items():
        write(pack / "actions" / name, text)
    for name, text in (files or {}).items():
        write(pack / "actions" / name, text)
    return pack


def test_action_spec_of_a_script_action(fixtures):
    action = fixtures.get("fixturepack.script")

    assert isinstance(action, ActionSpec)
    assert (action.ref, action.pack, action.name) == ("fixturepack.script", "fixturepack", "script")
    assert action.runner_type == "local-shell-script"
    assert action.entry_point == str(FIXTUREPACK / "actions" / "script.sh")
    assert action.pack_path == str(FIXTUREPACK)
    assert action.metadata_file == str(FIXTUREPACK / "actions" / "script.yaml")
    assert action.enabled is True
    assert action.description.startswith("Print the arguments")


def test_effective_parameters_overlay_the_runner_parameters(fixtures):
    params = fixtures.get("fixturepack.script").parameters

    # The action's own parameters...
    assert params["first"] == {"type": "string", "position": 0}
    # ...the runner's, untouched...
    assert params["kwarg_op"]["default"] == "--"
    assert params["sudo_password"]["secret"] is True
    # ...and a runner parameter whose default the action overrides, keeping its type.
    assert params["timeout"]["default"] == 30
    assert params["timeout"]["type"] == "integer"


def test_core_echo_makes_the_runner_cmd_immutable(fixtures):
    echo = fixtures.get("core.echo")

    assert echo.runner_type == "local-shell-cmd"
    assert echo.entry_point is None
    assert echo.parameters["cmd"]["immutable"] is True
    assert echo.parameters["cmd"]["default"] == 'echo "{{message}}"'
    assert echo.parameters["message"]["required"] is True


def test_builtin_core_pack_actions(fixtures):
    assert [a.ref for a in fixtures.list("core")] == ["core.echo", "core.local", "core.noop"]
    assert fixtures.get("core.local").parameters["timeout"]["default"] == 60
    assert fixtures.get("core.noop").parameters == {}


def test_workflow_action_parameters_are_its_inputs(fixtures):
    flow = fixtures.get("fixturepack.flow")

    assert flow.runner_type == "orquesta"
    assert flow.entry_point == str(FIXTUREPACK / "actions" / "workflows" / "flow.yaml")
    assert flow.parameters == {"who": {"type": "string", "default": "world"}}


def test_list_is_sorted_and_filters_by_pack(fixtures):
    refs = [a.ref for a in fixtures.list()]
    assert refs == sorted(refs)
    assert {a.pack for a in fixtures.list()} == {"core", "fixturepack"}
    assert all(a.pack == "fixturepack" for a in fixtures.list("fixturepack"))
    assert fixtures.list("nosuchpack") == []


def test_disabled_action_is_listed_as_disabled(fixtures):
    assert fixtures.get("fixturepack.disabled").enabled is False


def test_directories_without_pack_yaml_are_not_packs(fixtures, tmp_path):
    write(tmp_path / "notapack" / "actions" / "a.yaml", "name: a\nrunner_type: noop\n")
    make_pack(tmp_path, "apack", {"a.yaml": "name: a\nrunner_type: noop\n"})
    assert ActionRegistry.from_paths([str(tmp_path)]).packs() == {"apack": str(tmp_path / "apack")}
    assert fixtures.packs()["fixturepack"] == str(FIXTUREPACK)


def test_unknown_ref_is_refused_with_st2_wording(fixtures):
    with pytest.raises(errors.ActionNotFound) as caught:
        fixtures.get("x.y")
    assert str(caught.value) == 'Action "x.y" cannot be found.'
    assert caught.value.http_status == 404


def test_malformed_yaml_names_the_file_and_line():
    with pytest.raises(errors.PackError) as caught:
        ActionRegistry.from_paths([str(FIXTURES / "broken_packs")])
    bad = FIXTURES / "broken_packs" / "brokenyaml" / "actions" / "bad.yaml"
    assert str(caught.value).startswith('Malformed YAML in "%s" at line 4, column ' % bad)
    assert "mapping values are not allowed here" in str(caught.value)


def test_every_broken_action_file_is_reported_at_once(tmp_path):
    make_pack(
        tmp_path,
        "broken",
        {
            "noname.yaml": "runner_type: noop\n",
            "badrunner.yaml": "name: badrunner\nrunner_type: http-request\n",
            "noentry.yaml": "name: noentry\nrunner_type: python-script\nentry_point: missing.py\n",
            "fine.yaml": "name: fine\nrunner_type: noop\n",
        },
    )
    actions = tmp_path / "broken" / "actions"

    with pytest.raises(errors.PackError) as caught:
        ActionRegistry.from_paths([str(tmp_path)])

    problems = caught.value.problems
    assert len(problems) == 3
    assert str(caught.value).startswith("Packs have 3 problems:")
    assert problems[0] == (
        'Action metadata file "%s" has unknown runner_type "http-request"; known runner types: '
        "local-shell-cmd, local-shell-script, noop, orquesta, python-script." % (actions / "badrunner.yaml")
    )
    assert problems[1] == (
        'Action metadata file "%s" has entry_point "missing.py", but "%s" does not exist.'
        % (actions / "noentry.yaml", actions / "missing.py")
    )
    assert problems[2] == 'Action metadata file "%s" has no "name".' % (actions / "noname.yaml")


def test_runner_needing_an_entry_point_without_one(tmp_path):
    make_pack(tmp_path, "p", {"s.yaml": "name: s\nrunner_type: local-shell-script\n"})
    with pytest.raises(errors.PackError, match='has no "entry_point"; runner "local-shell-script" needs one'):
        ActionRegistry.from_paths([str(tmp_path)])


def test_overriding_the_type_of_a_runner_parameter_is_refused(tmp_path):
    make_pack(
        tmp_path,
        "p",
        {"c.yaml": "name: c\nrunner_type: local-shell-cmd\nparameters:\n  timeout:\n    type: string\n"},
    )
    with pytest.raises(errors.PackError) as caught:
        ActionRegistry.from_paths([str(tmp_path)])
    assert 'cannot override the attribute "type" of the runner parameter "timeout"' in str(caught.value)


def test_pack_ref_falls_back_to_name_and_is_checked(tmp_path):
    write(tmp_path / "one" / "pack.yaml", "name: named_only\n")
    write(tmp_path / "one" / "actions" / "a.yaml", "name: a\nrunner_type: noop\n")
    assert ActionRegistry.from_paths([str(tmp_path)]).get("named_only.a").pack == "named_only"

    write(tmp_path / "two" / "pack.yaml", "name: Not A Ref\n")
    with pytest.raises(errors.PackError, match="pack ref 'Not A Ref' is not valid"):
        ActionRegistry.from_paths([str(tmp_path)])


def test_pack_directory_without_pack_yaml_uses_its_default_ref(tmp_path):
    write(tmp_path / "actions" / "hello.yaml", "name: hello\nrunner_type: noop\n")
    registry = ActionRegistry.from_paths([], [(str(tmp_path), "wfops")])
    assert registry.get("wfops.hello").pack_path == str(tmp_path)


def test_a_packs_path_entry_may_itself_be_a_pack(fixtures):
    registry = ActionRegistry.from_paths([str(FIXTUREPACK)])
    assert "fixturepack.py_ok" in registry


def test_first_pack_with_a_ref_wins(tmp_path):
    make_pack(tmp_path / "a", "dup", {"x.yaml": "name: x\nrunner_type: noop\ndescription: first\n"})
    make_pack(tmp_path / "b", "dup", {"x.yaml": "name: x\nrunner_type: noop\ndescription: second\n"})
    registry = ActionRegistry.from_paths([str(tmp_path / "a"), str(tmp_path / "b")])
    assert registry.get("dup.x").description == "first"


def test_load_registry_reads_wfops_packs_path_and_always_has_core(tmp_path, monkeypatch):
    make_pack(tmp_path, "mine", {"a.yaml": "name: a\nrunner_type: noop\n"})
    monkeypatch.setenv("WFOPS_PACKS_PATH", "%s:%s" % (tmp_path, tmp_path / "does-not-exist"))

    registry = load_registry()

    assert registry.get("mine.a").runner_type == "noop"
    assert {"core.noop", "core.echo", "core.local"} <= {a.ref for a in registry.list("core")}
    root = registry_module.repo_root()
    assert root == str(Path(__file__).resolve().parents[1])
    assert registry.packs()["wfops"] == root


def test_load_registry_is_cached_until_a_pack_changes(tmp_path):
    pack = make_pack(tmp_path, "cached", {"a.yaml": "name: a\nrunner_type: noop\n"})

    first = load_registry([str(tmp_path)])
    assert load_registry([str(tmp_path)]) is first

    write(pack / "actions" / "b.yaml", "name: b\nrunner_type: noop\n")
    second = load_registry([str(tmp_path)])
    assert second is not first
    assert "cached.b" in second

    os.remove(pack / "actions" / "a.yaml")
    assert "cached.a" not in load_registry([str(tmp_path)])


def test_load_registry_notices_a_missing_entry_point_appearing(tmp_path):
    pack = make_pack(tmp_path, "late", {"s.yaml": "name: s\nrunner_type: local-shell-script\nentry_point: s.sh\n"})
    with pytest.raises(errors.PackError, match="does not exist"):
        load_registry([str(tmp_path)])

    write(pack / "actions" / "s.sh", "echo hi\n")
    assert load_registry([str(tmp_path)]).get("late.s").entry_point == str(pack / "actions" / "s.sh")
