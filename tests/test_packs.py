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
    assert [a.ref for a in fixtures.list("core")] == [
        "core.ask", "core.echo", "core.http", "core.local", "core.noop", "core.remote"]
    assert fixtures.get("core.http").runner_type == "http-request"
    assert fixtures.get("core.ask").runner_type == "inquirer"
    assert fixtures.get("core.ask").parameters["ttl"] == {
        "description": "Minutes before an unanswered inquiry times out.", "type": "integer",
        "default": 1440, "required": True}
    assert fixtures.get("core.remote").parameters["hosts"]["required"] is True
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


def only_problem(registry: ActionRegistry):
    problems = registry.problems()
    assert len(problems) == 1, problems
    return problems[0]


def test_malformed_yaml_names_the_file_and_line_and_the_rest_loads():
    registry = ActionRegistry.from_paths([str(FIXTURES / "broken_packs")])
    bad = FIXTURES / "broken_packs" / "brokenyaml" / "actions" / "bad.yaml"
    problem = only_problem(registry)
    assert (problem.file, problem.pack) == (str(bad), "brokenyaml")
    assert problem.reason.startswith("Malformed YAML at line 4, column ")
    assert "mapping values are not allowed here" in problem.reason
    assert str(problem) == '"%s": %s' % (bad, problem.reason)
    assert "brokenyaml.good" in registry


def test_every_broken_action_file_is_reported_and_left_out(tmp_path):
    make_pack(
        tmp_path,
        "broken",
        {
            "noname.yaml": "runner_type: noop\n",
            "badrunner.yaml": "name: badrunner\nrunner_type: mistral-v2\n",
            "noentry.yaml": "name: noentry\nrunner_type: python-script\nentry_point: missing.py\n",
            "fine.yaml": "name: fine\nrunner_type: noop\n",
            "twice.yaml": "name: fine\nrunner_type: noop\n",
        },
    )
    actions = tmp_path / "broken" / "actions"

    registry = ActionRegistry.from_paths([str(tmp_path)])

    assert [a.ref for a in registry.list("broken")] == ["broken.fine"]
    assert [p.to_dict() for p in registry.problems()] == [
        {"file": str(actions / "badrunner.yaml"), "pack": "broken",
         "reason": 'It has unknown runner_type "mistral-v2"; known runner types: action-chain, '
                   "announcement, http-request, inquirer, local-shell-cmd, local-shell-script, noop, "
                   "orquesta, python-script, remote-shell-cmd, remote-shell-script, winrm-cmd, "
                   "winrm-ps-cmd, winrm-ps-script."},
        {"file": str(actions / "noentry.yaml"), "pack": "broken",
         "reason": 'Its entry_point "missing.py" does not exist (no file "%s").' % (actions / "missing.py")},
        {"file": str(actions / "noname.yaml"), "pack": "broken", "reason": 'It has no "name".'},
        {"file": str(actions / "twice.yaml"), "pack": "broken",
         "reason": 'It defines action "broken.fine" again; "%s" defined it first.' % (actions / "fine.yaml")},
    ]


def test_an_action_left_out_is_not_found_with_the_reason(tmp_path):
    make_pack(tmp_path, "p", {"r.yaml": "name: r\nrunner_type: mistral-v2\n"})
    registry = ActionRegistry.from_paths([str(tmp_path)])
    with pytest.raises(errors.ActionNotFound) as caught:
        registry.get("p.r")
    assert str(caught.value).startswith(
        'Action "p.r" cannot be found. Its metadata file "%s" was not loaded: It has unknown runner_type '
        '"mistral-v2"' % (tmp_path / "p" / "actions" / "r.yaml"))


def test_a_file_with_several_problems_lists_them_all(tmp_path):
    make_pack(tmp_path, "p", {"s.yaml": "name: s\nrunner_type: local-shell-script\nenabled: maybe\n"})
    problem = only_problem(ActionRegistry.from_paths([str(tmp_path)]))
    assert problem.reason == ('2 problems: It has no "entry_point"; runner "local-shell-script" needs one; '
                              'It has "enabled: maybe"; it must be true or false.')


def test_runner_needing_an_entry_point_without_one(tmp_path):
    make_pack(tmp_path, "p", {"s.yaml": "name: s\nrunner_type: local-shell-script\n"})
    problem = only_problem(ActionRegistry.from_paths([str(tmp_path)]))
    assert problem.reason == 'It has no "entry_point"; runner "local-shell-script" needs one.'


def test_an_entry_point_a_runner_takes_none_of_loads(tmp_path):
    # StackStorm registers these and refuses them when they run (tests/test_runner_unsupported.py).
    make_pack(tmp_path, "p", {"c.yaml": "name: c\nrunner_type: local-shell-cmd\nentry_point: x/y.sh\n"})
    registry = ActionRegistry.from_paths([str(tmp_path)])
    assert registry.problems() == []
    assert registry.get("p.c").entry_point == str(tmp_path / "p" / "actions" / "x" / "y.sh")


def test_overriding_the_type_of_a_runner_parameter_is_refused(tmp_path):
    make_pack(
        tmp_path,
        "p",
        {"c.yaml": "name: c\nrunner_type: local-shell-cmd\nparameters:\n  timeout:\n    type: string\n"},
    )
    problem = only_problem(ActionRegistry.from_paths([str(tmp_path)]))
    assert problem.reason == 'It cannot override the attribute "type" of the runner parameter "timeout".'


def test_pack_ref_falls_back_to_name_and_is_checked(tmp_path):
    write(tmp_path / "one" / "pack.yaml", "name: named_only\n")
    write(tmp_path / "one" / "actions" / "a.yaml", "name: a\nrunner_type: noop\n")
    assert ActionRegistry.from_paths([str(tmp_path)]).get("named_only.a").pack == "named_only"

    write(tmp_path / "two" / "pack.yaml", "name: Not A Ref\n")
    write(tmp_path / "two" / "actions" / "b.yaml", "name: b\nrunner_type: noop\n")
    registry = ActionRegistry.from_paths([str(tmp_path)])
    problem = only_problem(registry)
    assert (problem.file, problem.pack) == (str(tmp_path / "two" / "pack.yaml"), None)
    assert problem.reason.startswith("Pack ref 'Not A Ref' is not valid")
    assert set(registry.packs()) == {"named_only"}


def test_pack_directory_without_pack_yaml_uses_its_default_ref(tmp_path):
    write(tmp_path / "actions" / "hello.yaml", "name: hello\nrunner_type: noop\n")
    registry = ActionRegistry.from_paths([], [(str(tmp_path), "wfops")])
    assert registry.get("wfops.hello").pack_path == str(tmp_path)


def test_a_packs_path_entry_may_itself_be_a_pack(fixtures):
    registry = ActionRegistry.from_paths([str(FIXTUREPACK)])
    assert "fixturepack.py_ok" in registry


def test_first_pack_with_a_ref_wins_and_the_other_is_reported(tmp_path):
    make_pack(tmp_path / "a", "dup", {"x.yaml": "name: x\nrunner_type: noop\ndescription: first\n"})
    make_pack(tmp_path / "b", "dup", {"x.yaml": "name: x\nrunner_type: noop\ndescription: second\n"})
    registry = ActionRegistry.from_paths([str(tmp_path / "a"), str(tmp_path / "b")])
    assert registry.get("dup.x").description == "first"
    assert [p.to_dict() for p in registry.problems()] == [{
        "file": str(tmp_path / "b" / "dup"), "pack": "dup",
        "reason": 'This pack "dup" is shadowed by the pack of the same ref in "%s", which comes first on '
                  "WFOPS_PACKS_PATH and is loaded instead." % (tmp_path / "a" / "dup"),
    }]


def test_a_missing_directory_on_the_search_path_is_reported(tmp_path):
    registry = ActionRegistry.from_paths([str(tmp_path / "nope")])
    assert [p.to_dict() for p in registry.problems()] == [{
        "file": str(tmp_path / "nope"), "pack": None,
        "reason": "This directory on WFOPS_PACKS_PATH does not exist or cannot be read.",
    }]


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
    registry = load_registry([str(tmp_path)])
    assert "late.s" not in registry
    assert "does not exist" in registry.problems("late")[0].reason

    write(pack / "actions" / "s.sh", "echo hi\n")
    registry = load_registry([str(tmp_path)])
    assert registry.get("late.s").entry_point == str(pack / "actions" / "s.sh")
    assert registry.problems("late") == []
