"""Reading a pack directory: ``pack.yaml`` and the action metadata files under ``actions/``.

Problems are collected rather than raised, so that one load reports every malformed file;
each file's problems come together in one :class:`MetadataProblem`.
"""

from __future__ import annotations

import os
import re
from typing import Any

from wfops import yaml_loading
from wfops.packs.action_spec import ActionSpec
from wfops.packs.problems import MetadataProblem
from wfops.packs.runner_types import OVERRIDABLE_ATTRIBUTES, RUNNER_TYPES, runner_parameters

__all__ = ["MetadataProblem", "read_yaml_file", "read_pack_ref", "action_metadata_files",
           "load_action"]

ACTION_METADATA_SUFFIXES = (".yaml", ".yml")
PACK_REF_PATTERN = re.compile(r"^[a-z0-9_]+$")  # StackStorm's PACK_REF_WHITELIST_REGEX
PARAMETER_TYPES = frozenset(["string", "integer", "number", "boolean", "array", "object", "null"])
ACTION_FILE = "Action metadata file"
PACK_FILE = "Pack metadata file"


def read_yaml_file(path: str, what: str = "File") -> Any:
    """Parse a YAML file; malformed YAML raises MetadataProblem naming the file and line."""
    import yaml

    try:
        with open(path, encoding="utf-8") as stream:
            return yaml_loading.safe_load(stream)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = "line %d, column %d" % (mark.line + 1, mark.column + 1) if mark else "unknown line"
        detail = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        raise MetadataProblem(path, ["Malformed YAML at %s: %s" % (where, detail)],
                              what=what) from None
    except yaml.YAMLError as exc:
        raise MetadataProblem(path, ["Malformed YAML: %s" % exc], what=what) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MetadataProblem(path, ["Cannot be read: %s" % exc], what=what) from None


def read_pack_ref(pack_path: str, default_ref: str | None) -> str | None:
    """The pack's ref: ``ref`` from pack.yaml, else its ``name``, else ``default_ref``.

    Returns None when there is no pack.yaml and no default (the directory is not a pack).
    """
    pack_file = os.path.join(pack_path, "pack.yaml")
    if not os.path.isfile(pack_file):
        return default_ref
    meta = read_yaml_file(pack_file, PACK_FILE)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise MetadataProblem(pack_file, ["It must be a mapping, not %s" % _kind(meta)],
                              what=PACK_FILE)
    ref = meta.get("ref") or meta.get("name") or default_ref
    if not isinstance(ref, str) or not PACK_REF_PATTERN.match(ref):
        raise MetadataProblem(
            pack_file,
            ['Pack ref %r is not valid; it may contain only lowercase letters, digits and '
             'underscores (set "ref" in pack.yaml)' % (ref,)],
            what=PACK_FILE,
        )
    return ref


def action_metadata_files(pack_path: str) -> list[str]:
    """The action metadata files of a pack, sorted (``actions/*.yaml`` and ``*.yml``)."""
    actions_dir = os.path.join(pack_path, "actions")
    try:
        names = os.listdir(actions_dir)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(
        os.path.join(actions_dir, name)
        for name in names
        if name.endswith(ACTION_METADATA_SUFFIXES)
        and os.path.isfile(os.path.join(actions_dir, name))
    )


def load_action(
    path: str, pack_ref: str, pack_path: str, consulted: list[str] | None = None
) -> ActionSpec:
    """Build the ActionSpec of one metadata file; raises MetadataProblem listing its problems.

    Any runner type StackStorm defines loads (whether wfops can run it is the runner's
    business); an unknown one is a problem. The entry point must exist only for runner types
    that need one. The entry point path looked at is appended to ``consulted`` (even when it
    is missing), so that a cache can notice when it appears.
    """
    meta = read_yaml_file(path, ACTION_FILE)
    if not isinstance(meta, dict):
        raise MetadataProblem(path, ["It must be a mapping, not %s" % _kind(meta)],
                              what=ACTION_FILE)

    problems: list[str] = []
    name = meta.get("name")
    if not name or not isinstance(name, str):
        problems.append('It has no "name"')
        name = None
    if meta.get("pack") not in (None, pack_ref):
        problems.append('It says "pack: %s" but is in pack "%s"' % (meta.get("pack"), pack_ref))

    runner_name = meta.get("runner_type")
    runner = RUNNER_TYPES.get(runner_name) if isinstance(runner_name, str) else None
    if runner is None:
        what = 'no "runner_type"' if runner_name is None else 'unknown runner_type "%s"' % (
            runner_name,)
        problems.append("It has %s; known runner types: %s"
                        % (what, ", ".join(sorted(RUNNER_TYPES))))

    entry_point = _entry_point(meta.get("entry_point"), runner, pack_path, problems)
    if consulted is not None and entry_point:
        consulted.append(entry_point)

    own_parameters = meta.get("parameters") or {}
    if not isinstance(own_parameters, dict):
        problems.append('Its "parameters" is %s, not a mapping' % _kind(own_parameters))
        own_parameters = {}
    parameters = _effective_parameters(
        own_parameters, runner_parameters(runner.name) if runner else {}, problems
    )

    enabled = meta.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append('It has "enabled: %s"; it must be true or false' % (enabled,))
    description = meta.get("description") or ""

    ref = "%s.%s" % (pack_ref, name) if name else None
    if problems:
        raise MetadataProblem(path, problems, what=ACTION_FILE, ref=ref)
    return ActionSpec(
        ref=ref,
        pack=pack_ref,
        name=name,
        runner_type=runner.name,
        entry_point=entry_point,
        parameters=parameters,
        description=str(description),
        enabled=enabled,
        pack_path=pack_path,
        metadata_file=path,
    )


def _entry_point(value: Any, runner, pack_path: str, problems: list[str]) -> str | None:
    """The absolute entry point, resolved against ``<pack>/actions/`` (None when empty).

    It must exist when the runner needs one. Runners that take none still get it: StackStorm
    registers such actions, and the runner refuses them when they run.
    """
    if value is not None and not isinstance(value, str):
        problems.append('Its "entry_point" is %s, not a path' % _kind(value))
        return None
    value = (value or "").strip()
    if runner is None:
        return None
    if not value:
        if runner.needs_entry_point:
            problems.append('It has no "entry_point"; runner "%s" needs one' % runner.name)
        return None
    resolved = os.path.normpath(os.path.join(pack_path, "actions", value))
    if runner.needs_entry_point and not os.path.isfile(resolved):
        problems.append('Its entry_point "%s" does not exist (no file "%s")' % (value, resolved))
    return resolved


def _effective_parameters(own: dict, runner_params: dict, problems: list[str]) -> dict:
    """Runner parameters overlaid by the action's own, refusing overrides StackStorm refuses."""
    effective = dict(runner_params)
    for name, meta in own.items():
        if meta is None:
            meta = {}
        if not isinstance(name, str):
            problems.append(
                "It has a parameter named %r, which YAML read as %s; quote the name"
                % (name, _kind(name))
            )
            continue
        if not isinstance(meta, dict):
            problems.append('Its parameter "%s" is %s, not a mapping' % (name, _kind(meta)))
            continue
        _check_parameter(name, meta, problems)
        runner_meta = runner_params.get(name)
        if runner_meta is None:
            effective[name] = dict(meta)
            continue
        for attribute, value in meta.items():
            if attribute not in OVERRIDABLE_ATTRIBUTES and runner_meta.get(attribute) != value:
                problems.append(
                    'It cannot override the attribute "%s" of the runner parameter "%s"'
                    % (attribute, name)
                )
        merged = dict(runner_meta)
        merged.update(meta)
        # An action may make a runner parameter immutable, but not mutable again.
        merged["immutable"] = bool(runner_meta.get("immutable") or meta.get("immutable"))
        if not merged["immutable"]:
            del merged["immutable"]
        effective[name] = merged
    return effective


def _check_parameter(name: str, meta: dict, problems: list[str]) -> None:
    declared = meta.get("type")
    types = declared if isinstance(declared, list) else [declared]
    if declared is not None and any(t not in PARAMETER_TYPES for t in types):
        problems.append(
            'Its parameter "%s" has the unknown type %r (known: %s)'
            % (name, declared, ", ".join(sorted(PARAMETER_TYPES)))
        )
    position = meta.get("position")
    if position is not None and (not isinstance(position, int) or isinstance(position, bool)):
        problems.append(
            'Its parameter "%s" has position %r; it must be an integer' % (name, position)
        )
    for flag in ("required", "immutable", "secret"):
        if flag in meta and not isinstance(meta[flag], bool):
            problems.append(
                'Its parameter "%s" has "%s: %s"; it must be true or false'
                % (name, flag, meta[flag])
            )
    if "enum" in meta and not isinstance(meta["enum"], list):
        problems.append('The "enum" of its parameter "%s" is not a list' % name)


def _kind(value: Any) -> str:
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "empty"
    return kinds.get(type(value), "a %s" % type(value).__name__)
