"""StackStorm metadata of the `wfops` pack (the repository root) and of the bundled
`examples` pack, validated the way st2's registrars do: against StackStorm's own JSON
schemas (draft 3, in ``../shared/st2-schemas``), after filling in ``pack`` and
``metadata_file`` as the registrars do.

The schemas come from ``$WFOPS_SHARED`` or ``<repo>/../shared``; without them the schema
tests skip (the structural checks that need no schema still run).
"""

from __future__ import annotations

import glob
import json
import os
import re

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (pack directory, the ref st2 registers it as)
PACKS = [(REPO, "wfops"), (os.path.join(REPO, "wfops_examples"), "wfops_examples")]

# metadata folder of a pack -> schema file in st2-schemas/
KINDS = {
    "actions": "action.json",
    "aliases": "alias.json",
    "rules": "rule.json",
    "sensors": "sensor.json",
    "policies": "policy.json",
}

# Runner types of StackStorm 3.8 and whether an action of that type needs an entry point.
ST2_RUNNERS = {
    "action-chain": True,
    "announcement": False,
    "http-request": False,
    "inquirer": False,
    "local-shell-cmd": False,
    "local-shell-script": True,
    "noop": False,
    "orquesta": True,
    "python-script": True,
    "remote-shell-cmd": False,
    "remote-shell-script": True,
    "winrm-cmd": False,
    "winrm-ps-cmd": False,
    "winrm-ps-script": True,
}

SIMPLE_TYPES = {"array", "boolean", "integer", "null", "number", "object", "string"}


def _shared_dir():
    """$WFOPS_SHARED when set, else <repo>/../shared; None when it has no st2-schemas/."""
    path = os.environ.get("WFOPS_SHARED") or os.path.join(os.path.dirname(REPO), "shared")
    if os.path.isdir(os.path.join(path, "st2-schemas")):
        return os.path.abspath(path)
    return None


SHARED = _shared_dir()
NO_SHARED = (
    "StackStorm's JSON schemas are not here: set WFOPS_SHARED or put the shared folder at "
    "<repo>/../shared (CI has it; a plain checkout does not)"
)


def _rel(path):
    return os.path.relpath(path, REPO)


def _yaml_files(folder):
    return sorted(glob.glob(os.path.join(folder, "*.yaml")) + glob.glob(os.path.join(folder, "*.yml")))


def _metadata_files():
    """(kind, path, pack_dir, pack_ref) for every metadata file of every pack."""
    files = []
    for pack_dir, ref in PACKS:
        files.append(("pack", os.path.join(pack_dir, "pack.yaml"), pack_dir, ref))
        for kind in KINDS:
            for path in _yaml_files(os.path.join(pack_dir, kind)):
                files.append((kind, path, pack_dir, ref))
    return files


METADATA_FILES = _metadata_files()


def _load(path):
    with open(path) as fd:
        content = yaml.safe_load(fd)
    assert isinstance(content, dict), "%s is not a YAML mapping" % _rel(path)
    return content


@pytest.fixture(scope="session")
def schemas():
    if SHARED is None:
        pytest.skip(NO_SHARED)
    loaded = {}
    for name in ["pack.json"] + list(KINDS.values()):
        with open(os.path.join(SHARED, "st2-schemas", name)) as fd:
            loaded[name] = json.load(fd)
    return loaded


def _parameter_schema(schemas):
    """The schema every action parameter (and config attribute) must match (draft 4)."""
    (schema,) = schemas["action.json"]["properties"]["parameters"]["patternProperties"].values()
    return schema


def _errors(validator, instance):
    return sorted(
        "%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "<root>", e.message)
        for e in validator.iter_errors(instance)
    )


def _registered(kind, content, path, pack_dir, pack_ref):
    """The content as st2's registrar hands it to the API model's validation."""
    content = dict(content)
    if kind != "pack":
        declared = content.get("pack")
        assert declared in (None, pack_ref), '%s is in pack "%s" but its "pack" field says "%s"' % (
            _rel(path),
            pack_ref,
            declared,
        )
        content["pack"] = pack_ref
        content["metadata_file"] = os.path.relpath(path, pack_dir)
    return content


def test_there_is_metadata_to_check():
    kinds = {(kind, ref) for kind, _, _, ref in METADATA_FILES}
    assert ("pack", "wfops") in kinds and ("pack", "wfops_examples") in kinds
    assert ("actions", "wfops_examples") in kinds


@pytest.mark.parametrize(
    "kind,path,pack_dir,pack_ref",
    METADATA_FILES,
    ids=[_rel(path) for _, path, _, _ in METADATA_FILES],
)
def test_metadata_matches_st2_schema(schemas, kind, path, pack_dir, pack_ref):
    content = _registered(kind, _load(path), path, pack_dir, pack_ref)
    schema = schemas["pack.json" if kind == "pack" else KINDS[kind]]
    errors = _errors(jsonschema.Draft3Validator(schema), content)
    assert not errors, "%s:\n  %s" % (_rel(path), "\n  ".join(errors))

    if kind == "pack":
        _check_pack(content, path, pack_ref)
    elif kind == "actions":
        _check_action(schemas, content, path, pack_dir)
    elif kind == "sensors":
        entry_point = content.get("entry_point")
        if entry_point:
            assert os.path.isfile(os.path.join(pack_dir, "sensors", entry_point)), entry_point


def _check_pack(content, path, pack_ref):
    # st2 takes the ref from `ref`, else from `name`, which must then be a valid ref.
    ref = content.get("ref") or content["name"]
    assert re.match(r"^[a-z0-9_]+$", ref), "%s: invalid pack ref %r" % (_rel(path), ref)
    assert ref == pack_ref, "%s: ref %r, expected %r" % (_rel(path), ref, pack_ref)


def _check_action(schemas, content, path, pack_dir):
    runner = content["runner_type"]
    assert runner in ST2_RUNNERS, "%s: unknown runner_type %r" % (_rel(path), runner)
    entry_point = content.get("entry_point")
    if ST2_RUNNERS[runner]:
        assert entry_point, "%s: runner %s needs an entry_point" % (_rel(path), runner)
    if entry_point:
        assert os.path.isfile(os.path.join(pack_dir, "actions", entry_point)), (
            "%s: entry_point %s does not exist" % (_rel(path), entry_point)
        )
    # Draft 3 ignores anyOf, so the parameter types are checked with the draft 4 schema.
    validator = jsonschema.Draft4Validator(_parameter_schema(schemas))
    for name, param in (content.get("parameters") or {}).items():
        errors = _errors(validator, param)
        assert not errors, "%s: parameter %s:\n  %s" % (_rel(path), name, "\n  ".join(errors))
        assert param.get("type") in SIMPLE_TYPES, "%s: parameter %s has no valid type" % (_rel(path), name)


def test_action_names_are_unique_per_pack():
    for pack_dir, ref in PACKS:
        names = [_load(p)["name"] for p in _yaml_files(os.path.join(pack_dir, "actions"))]
        assert len(names) == len(set(names)), "duplicate action names in pack %s" % ref


def test_pack_version_is_the_package_version():
    import wfops

    assert _load(os.path.join(REPO, "pack.yaml"))["version"] == wfops.__version__
    with open(os.path.join(REPO, "CHANGES.md")) as fd:
        assert wfops.__version__ in fd.read()


def test_requirements_txt():
    with open(os.path.join(REPO, "requirements.txt")) as fd:
        lines = [line.strip() for line in fd if line.strip() and not line.lstrip().startswith("#")]
    names = {Requirement(line).name.lower() for line in lines}
    assert {"networkx", "pyyaml"} <= names


# --------------------------------------------------------------------------------------
# config.schema.yaml and its example
# --------------------------------------------------------------------------------------

CONFIG_SCHEMA = os.path.join(REPO, "config.schema.yaml")
CONFIG_EXAMPLE = os.path.join(REPO, "wfops.yaml.example")


def test_config_schema_shape():
    schema = _load(CONFIG_SCHEMA)
    for name, attr in schema.items():
        assert re.match(r"^\w+$", name), name
        assert isinstance(attr, dict) and attr.get("type") in SIMPLE_TYPES, name
        assert isinstance(attr.get("description"), str), "%s has no description" % name
        for flag in ("required", "secret"):
            assert isinstance(attr.get(flag, False), bool), "%s.%s" % (name, flag)
    assert set(schema) == {"api_url", "auth_token", "api_key", "verify_ssl", "ca_cert"}
    assert schema["api_url"]["type"] == "string"
    assert schema["auth_token"]["secret"] is True and schema["auth_token"]["type"] == "string"
    assert schema["api_key"]["secret"] is True and schema["api_key"]["type"] == "string"
    assert schema["verify_ssl"]["type"] == "boolean" and schema["verify_ssl"]["default"] is True
    assert schema["ca_cert"]["type"] == "string"
    assert not any(schema[n].get("secret") for n in ("api_url", "verify_ssl", "ca_cert"))


def test_config_schema_matches_st2_schema(schemas):
    # st2's ConfigSchemaAPI: attributes are `^\w+$` -> the action parameter schema.
    config_schema_api = {
        "type": "object",
        "required": ["attributes"],
        "properties": {
            "attributes": {
                "type": "object",
                "patternProperties": {r"^\w+$": _parameter_schema(schemas)},
                "additionalProperties": False,
            }
        },
    }
    errors = _errors(jsonschema.Draft4Validator(config_schema_api), {"attributes": _load(CONFIG_SCHEMA)})
    assert not errors, "\n".join(errors)


def test_config_example_matches_config_schema():
    # st2 validates a pack's config against config.schema.yaml as the properties of an
    # object, with draft 3's boolean `required`.
    schema = {"type": "object", "properties": _load(CONFIG_SCHEMA), "additionalProperties": False}
    errors = _errors(jsonschema.Draft3Validator(schema), _load(CONFIG_EXAMPLE))
    assert not errors, "\n".join(errors)


# --------------------------------------------------------------------------------------
# The checks above are not vacuous
# --------------------------------------------------------------------------------------

GOOD_ACTION = {
    "name": "a",
    "pack": "wfops_examples",
    "runner_type": "noop",
    "parameters": {"x": {"type": "string", "required": True}},
}


@pytest.mark.parametrize(
    "change,expected",
    [
        (lambda a: a.pop("runner_type"), "runner_type"),
        (lambda a: a.update(runnertype="noop"), "Additional properties"),
        (lambda a: a.update(enabled="yes"), "enabled"),
        (lambda a: a["parameters"].update({"bad-name": {"type": "string"}}), "bad-name"),
        (lambda a: a["parameters"]["x"].update(required="yes"), "required"),
        (lambda a: a["parameters"]["x"].update(type="str"), "str"),
    ],
    ids=["no-runner", "unknown-key", "enabled-type", "param-name", "required-type", "param-type"],
)
def test_bad_action_metadata_is_rejected(schemas, change, expected):
    action = json.loads(json.dumps(GOOD_ACTION))
    assert not _errors(jsonschema.Draft3Validator(schemas["action.json"]), action)
    change(action)
    errors = _errors(jsonschema.Draft3Validator(schemas["action.json"]), action)
    validator = jsonschema.Draft4Validator(_parameter_schema(schemas))
    for param in action["parameters"].values():
        errors += _errors(validator, param)
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize("version", ["0.1", "v0.1.0", "0.1.0.0", 1])
def test_bad_pack_version_is_rejected(schemas, version):
    pack = {"name": "wfops", "ref": "wfops", "description": "d", "author": "a", "version": version}
    assert _errors(jsonschema.Draft3Validator(schemas["pack.json"]), pack)
