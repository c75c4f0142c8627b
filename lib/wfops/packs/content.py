"""A loaded pack's content beyond its actions: its metadata (``pack.yaml``), action aliases
(``aliases/``), sensors (``sensors/``) and rules (``rules/``), as StackStorm registers them.

Built on the registry's public surface (``ActionRegistry.packs()``, pack ref -> directory;
``problems()``) and :func:`wfops.packs.metadata.read_yaml_file`. As StackStorm's content registration, a
metadata file that cannot be used is reported in :attr:`PackContent.problems` and the rest
is still listed. Each call reads the files afresh: O(files of the loaded packs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from wfops.packs.metadata import MetadataProblem, read_yaml_file

METADATA_SUFFIXES = (".yaml", ".yml")


@dataclass
class PackContent:
    """Everything one reading of the loaded packs found (each entry a dict of the file's
    fields plus ``pack``, ``metadata_file`` relative to the pack and ``pack_path``)."""

    packs: list[dict] = field(default_factory=list)
    aliases: list[dict] = field(default_factory=list)
    sensors: list[dict] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _metadata_files(pack_path: str, folder: str) -> list[str]:
    directory = os.path.join(pack_path, folder)
    try:
        names = sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [os.path.join(directory, n) for n in names
            if n.endswith(METADATA_SUFFIXES) and os.path.isfile(os.path.join(directory, n))]


def _mapping(path: str, problems: list[str]) -> dict | None:
    try:
        data = read_yaml_file(path)
    except MetadataProblem as e:
        problems.append(str(e))
        return None
    if not isinstance(data, dict):
        problems.append('"%s" must be a mapping, not %s.' % (path, type(data).__name__))
        return None
    return data


def _required(data: dict, path: str, names: tuple[str, ...], problems: list[str]) -> bool:
    missing = [n for n in names if not data.get(n)]
    if missing:
        problems.append('"%s" lacks %s.' % (path, ", ".join('"%s"' % n for n in missing)))
    return not missing


def load_content(registry) -> PackContent:
    """The metadata, aliases, sensors and rules of every pack ``registry`` loaded, sorted
    by pack ref then file name. The registry's own problems (``ActionRegistry.problems()``)
    come first."""
    content = PackContent(problems=[str(p) for p in registry.problems()])
    for ref, pack_path in sorted(registry.packs().items()):
        meta: dict[str, Any] = {}
        pack_file = os.path.join(pack_path, "pack.yaml")
        if os.path.isfile(pack_file):
            meta = _mapping(pack_file, content.problems) or {}
        content.packs.append({**meta, "ref": ref, "name": meta.get("name") or ref, "pack_path": pack_path})
        for kind, folder, needed in (("aliases", "aliases", ("name", "action_ref")),
                                     ("sensors", "sensors", ("class_name",)),
                                     ("rules", "rules", ("name", "trigger", "action"))):
            for path in _metadata_files(pack_path, folder):
                data = _mapping(path, content.problems)
                if data is None or not _required(data, path, needed, content.problems):
                    continue
                entry = {**data, "pack": ref, "pack_path": pack_path,
                         "metadata_file": os.path.relpath(path, pack_path)}
                getattr(content, kind).append(entry)
    return content
