"""A pack's configuration: ``<pack>/config.yaml`` (StackStorm's pack config), with the
defaults of ``<pack>/config.schema.yaml`` filled in for keys it does not set."""

from __future__ import annotations

import copy
import os

from wfops import errors
from wfops.packs.metadata import MetadataProblem, read_yaml_file

CONFIG_FILE_NAME = "config.yaml"
CONFIG_SCHEMA_FILE_NAME = "config.schema.yaml"


def load_pack_config(pack_path: str) -> dict:
    """The pack's config as a dict (``{}`` when there is none); PackError when malformed."""
    config = _read_mapping(os.path.join(pack_path, CONFIG_FILE_NAME), "Pack config")
    schema = _read_mapping(os.path.join(pack_path, CONFIG_SCHEMA_FILE_NAME), "Pack config schema")
    return _with_defaults(config, schema)


def _read_mapping(path: str, what: str) -> dict:
    if not os.path.isfile(path):
        return {}
    try:
        value = read_yaml_file(path, what)
    except MetadataProblem as exc:
        raise errors.PackError(str(exc)) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.PackError(
            '%s "%s" must be a mapping, not %s.' % (what, path, type(value).__name__)
        )
    return value


def _with_defaults(config: dict, properties: dict) -> dict:
    """``config`` plus the schema defaults of the keys it lacks (also in nested objects)."""
    result = dict(config)
    for name, schema in properties.items():
        if not isinstance(schema, dict):
            continue
        if result.get(name) is None and "default" in schema:
            result[name] = copy.deepcopy(schema["default"])
        nested = schema.get("properties")
        if isinstance(nested, dict) and isinstance(result.get(name, {}), dict):
            filled = _with_defaults(result.get(name) or {}, nested)
            if filled or name in result:
                result[name] = filled
    return result
