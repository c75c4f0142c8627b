"""The loaded registry kept on disk between processes, revalidated by ``stat``.

A command that needs pack metadata (``wfops run``, ``action list``, ...) would otherwise
parse every metadata file of every pack at start-up. The registry built from them is
written as JSON under the state directory with the ``(mtime_ns, size, inode)`` of every
file and directory its loading consulted (pack directories, ``pack.yaml``, ``actions/``,
each metadata file, each entry point) and of the code that interprets them; a later
process uses it only if every one of those is unchanged, and otherwise loads the packs
again and rewrites it. A registry whose metadata JSON cannot represent exactly (YAML
timestamps, sets, non-string keys) is not cached. The file is replaced atomically, so
concurrent processes read either the old or the new one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Any, Callable

from wfops.packs.action_spec import ActionSpec
from wfops.packs.problems import PackProblem

CACHE_FILE = "registry-cache.json"
FORMAT = 1
# The code that turns metadata files into a registry: a change to it invalidates the cache.
_CODE_FILES = tuple(os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
                    for name in ("registry.py", "metadata.py", "runner_types.py", "action_spec.py",
                                 "registry_cache.py"))


def read(cache_dir: str, key: Any, fingerprint: Callable[[list[str]], tuple]) -> tuple | None:
    """``(consulted paths, registry parts)`` cached for ``key`` when every consulted path
    still has the fingerprint recorded, else None. ``registry parts``: ``(actions, packs,
    problems, bundled)`` as :class:`wfops.packs.registry.ActionRegistry` takes them.
    O(files consulted) ``stat`` calls and one JSON parse."""
    try:
        with open(os.path.join(cache_dir, CACHE_FILE), encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("format") != FORMAT or data.get("key") != _jsonable(key):
            return None
        consulted = data["consulted"]
        if _jsonable(fingerprint(consulted + list(_CODE_FILES))) != data["fingerprint"]:
            return None
        actions = [ActionSpec(**a) for a in data["actions"]]
        problems = [PackProblem(**p) for p in data["problems"]]
        return consulted, (actions, data["packs"], problems, data["bundled"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, unreadable or of another shape: load the packs


def write(cache_dir: str, key: Any, consulted: list[str], fingerprint: Callable[[list[str]], tuple],
          actions: list[ActionSpec], packs: dict, problems: list[PackProblem], bundled: list[str]) -> bool:
    """Record a freshly loaded registry; False (nothing written) when its content does not
    survive JSON unchanged or the directory cannot be written. O(size of the metadata)."""
    data = {
        "format": FORMAT,
        "key": _jsonable(key),
        "consulted": list(consulted),
        "fingerprint": _jsonable(fingerprint(list(consulted) + list(_CODE_FILES))),
        "actions": [dataclasses.asdict(a) for a in actions],
        "packs": dict(packs),
        "problems": [dataclasses.asdict(p) for p in problems],
        "bundled": sorted(bundled),
    }
    try:
        text = json.dumps(data)
        if json.loads(text) != _jsonable(data):
            return False
    except (TypeError, ValueError):
        return False
    try:
        os.makedirs(cache_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".registry-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, os.path.join(cache_dir, CACHE_FILE))
        return True
    except OSError:
        return False


def _jsonable(value: Any) -> Any:
    """``value`` with tuples as lists (what a JSON round trip gives back for them)."""
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
