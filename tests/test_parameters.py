"""Parameters: casting of CLI strings, defaults, validation (wfops.parameters)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfops import errors
from wfops.packs import ActionRegistry
from wfops.packs import registry as registry_module
from wfops.parameters import cast_cli_values, validate_parameters

PACKS = Path(__file__).parent / "fixtures" / "packs"
# Only this pack: other test modules keep packs of their own next to it.
FIXTUREPACK = PACKS / "fixturepack"


@pytest.fixture(scope="module")
def registry() -> ActionRegistry:
    return ActionRegistry.from_paths([str(FIXTUREPACK)], [(registry_module.BUILTIN_CORE_PACK, "core")])


@pytest.fixture(scope="module")
def types(registry):
    return registry.get("fixturepack.types")


def problem(ref: str, name: str, text: str) -> str:
    return 'Parameter "%s" of action "%s": %s' % (name, ref, text)


# --- cast_cli_values --------------------------------------------------------------------


def test_cli_values_are_cast_by_declared_type(types):
    cast = cast_cli_values(
        types,
        {
            "name": "42",
            "count": "7",
            "ratio": "0.5",
            "enabled": "TRUE",
            "tags": "a, b,c",
            "meta": '{"k": [1, 2]}',
            "color": "green",
        },
    )
    assert cast == {
        "name": "42",
        "count": 7,
        "ratio": 0.5,
        "enabled": True,
        "tags": ["a", "b", "c"],
        "meta": {"k": [1, 2]},
        "color": "green",
    }


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("5", [5]),  # a lone integer is a one-element array, as st2client
        ("[1, 2]", [1, 2]),
        ('["x", "y"]', ["x", "y"]),
        ("x,y", ["x", "y"]),
        ("single", ["single"]),
    ],
)
def test_array_casting(types, raw, expected):
    assert cast_cli_values(types, {"tags": raw})["tags"] == expected


def test_object_casting_accepts_key_value_pairs(types):
    assert cast_cli_values(types, {"meta": "a=1,b=x=y,junk"})["meta"] == {"a": "1", "b": "x=y"}


def test_boolean_casting_accepts_false(types):
    assert cast_cli_values(types, {"enabled": "false"})["enabled"] is False


def test_unknown_keys_stay_strings_and_non_strings_pass_through(types):
    assert cast_cli_values(types, {"nosuch": "5", "count": 9}) == {"nosuch": "5", "count": 9}


def test_file_values_with_at_prefix(types, tmp_path):
    path = tmp_path / "msg.txt"
    path.write_text("from a file\n")
    assert cast_cli_values(types, {"@name": str(path)}) == {"name": "from a file\n"}


def test_uncastable_values_are_reported_with_every_other_problem(types):
    given = {"count": "many", "ratio": "half", "enabled": "yes", "meta": "{not json", "bogus": "1"}
    cast = cast_cli_values(types, given)
    assert cast == given  # left as strings, for validation to report

    with pytest.raises(errors.ParameterError) as caught:
        validate_parameters(types, cast)
    ref = "fixturepack.types"
    assert caught.value.problems == [
        problem(ref, "bogus", "Additional properties are not allowed ('bogus' was unexpected)"),
        problem(ref, "name", "'name' is a required property"),
        problem(ref, "count", "'many' is not of type 'integer'"),
        problem(ref, "ratio", "'half' is not of type 'number'"),
        problem(ref, "enabled", "'yes' is not of type 'boolean'"),
        problem(ref, "meta", "'{not json' is not of type 'object'"),
    ]
    assert str(caught.value).startswith('Parameters of action "fixturepack.types" have 6 problems:\n  - ')


def test_unreadable_files_are_refused(types, tmp_path):
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(errors.ParameterError) as caught:
        cast_cli_values(types, {"@name": str(tmp_path / "absent.txt"), "@meta": str(tmp_path / "binary")})
    ref = "fixturepack.types"
    assert caught.value.problems == [
        problem(ref, "name", 'cannot read file "%s": No such file or directory' % (tmp_path / "absent.txt")),
        problem(ref, "meta", 'cannot read file "%s": not UTF-8 text' % (tmp_path / "binary")),
    ]


def test_secret_values_are_not_echoed_in_errors(registry):
    action = registry.get("fixturepack.secret")
    with pytest.raises(errors.ParameterError) as caught:
        validate_parameters(action, cast_cli_values(action, {"password": "p", "pin": "hunter2"}))
    assert str(caught.value) == problem("fixturepack.secret", "pin", "'********' is not of type 'integer'")
    assert "hunter2" not in str(caught.value)


# --- validate_parameters ----------------------------------------------------------------


def test_defaults_are_applied_and_templates_rendered(types):
    assert validate_parameters(types, {"name": "Ann"}) == {
        "name": "Ann",
        "count": 3,
        "color": "red",
        "greeting": "Hello, Ann x3",
        "doubled": 6,  # "{{ count * 2 }}" rendered, then cast to the declared integer
        "region": "eu-west",  # from the pack config (its schema default)
        "version": "1.0",
    }


def test_templates_see_the_values_given(types):
    validated = validate_parameters(types, {"name": "Bo", "count": 5, "color": None})
    assert validated["greeting"] == "Hello, Bo x5"
    assert validated["doubled"] == 10
    assert validated["color"] == "red"  # None is replaced by the default, as StackStorm


def test_core_echo_renders_its_immutable_command(registry):
    validated = validate_parameters(registry.get("core.echo"), {"message": "hi there"})
    assert validated["cmd"] == 'echo "hi there"'
    assert validated["timeout"] == 60
    assert validated["sudo"] is False


def test_every_problem_is_reported_at_once(types):
    with pytest.raises(errors.ParameterError) as caught:
        validate_parameters(
            types,
            {"count": "three", "color": "blue", "tags": "x", "foo": 1, "bar": 2, "version": "2.0"},
        )
    ref = "fixturepack.types"
    assert caught.value.problems == [
        problem(ref, "foo", "Additional properties are not allowed ('foo' was unexpected)"),
        problem(ref, "bar", "Additional properties are not allowed ('bar' was unexpected)"),
        problem(ref, "version", 'Override of immutable parameter "version" is unsupported.'),
        problem(ref, "name", "'name' is a required property"),
        problem(ref, "count", "'three' is not of type 'integer'"),
        problem(ref, "color", "'blue' is not one of ['red', 'green']"),
        problem(ref, "tags", "'x' is not of type 'array'"),
    ]
    message = str(caught.value)
    assert message.startswith('Parameters of action "fixturepack.types" have 7 problems:\n')
    assert message.splitlines()[1:] == ["  - " + p for p in caught.value.problems]
    assert caught.value.http_status == 400


def test_a_single_problem_is_the_whole_message(registry):
    with pytest.raises(errors.ParameterError) as caught:
        validate_parameters(registry.get("core.local"), {})
    assert str(caught.value) == problem("core.local", "cmd", "'cmd' is a required property")


def test_overriding_an_immutable_runner_parameter_is_refused(registry):
    with pytest.raises(errors.ParameterError) as caught:
        validate_parameters(registry.get("core.echo"), {"message": "x", "cmd": "rm -rf /tmp/x"})
    assert str(caught.value) == problem("core.echo", "cmd", 'Override of immutable parameter "cmd" is unsupported.')


def test_optional_parameters_accept_none(types):
    validated = validate_parameters(types, {"name": "x", "ratio": None, "meta": None})
    assert validated["ratio"] is None and validated["meta"] is None


def test_nested_errors_name_their_place(registry):
    action = registry.get("fixturepack.secret")
    with pytest.raises(errors.ParameterError) as caught:
        validate_parameters(action, {"password": "p", "options": {"user": 5}})
    assert str(caught.value) == problem("fixturepack.secret", "options", "5 is not of type 'string' (at user)")


def test_secret_values_are_not_echoed_in_validation_errors(registry):
    action = registry.get("fixturepack.secret")
    with pytest.raises(errors.ParameterError) as caught:
        validate_parameters(action, {"password": 12345678})
    assert str(caught.value) == problem("fixturepack.secret", "password", "'********' is not of type 'string'")
    assert "12345678" not in str(caught.value)


def test_an_action_declaring_no_parameters_accepts_any(registry):
    # StackStorm builds no schema at all for such actions (core.noop, say).
    assert validate_parameters(registry.get("core.noop"), {"anything": 1}) == {"anything": 1}


def make_action(tmp_path, parameters_yaml: str):
    pack = tmp_path / "tpl"
    (pack / "actions").mkdir(parents=True)
    (pack / "pack.yaml").write_text("ref: tpl\n")
    (pack / "actions" / "a.yaml").write_text("name: a\nrunner_type: noop\nparameters:\n" + parameters_yaml)
    return ActionRegistry.from_paths([str(tmp_path)]).get("tpl.a")


def test_cyclic_template_defaults_are_refused(tmp_path):
    action = make_action(
        tmp_path,
        "  x: {type: string, default: '{{ y }}'}\n  y: {type: string, default: '{{ x }}'}\n",
    )
    with pytest.raises(errors.ParameterError) as caught:
        validate_parameters(action, {})
    assert str(caught.value) == (
        'Action "tpl.a": Cyclic dependency found in the following variables: x, y. Likely the '
        "variable is referencing itself"
    )


def test_template_with_an_undefined_name_is_refused(tmp_path):
    action = make_action(tmp_path, "  x: {type: string, default: '{{ nosuch }}'}\n")
    with pytest.raises(errors.ParameterError) as caught:
        validate_parameters(action, {})
    assert str(caught.value) == problem("tpl.a", "x", "Failed to render parameter: 'nosuch' is undefined")


def test_validation_does_not_change_its_input(types):
    given = {"name": "x", "tags": ["a"]}
    validate_parameters(types, given)
    assert given == {"name": "x", "tags": ["a"]}
