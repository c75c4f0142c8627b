"""Pack discovery and the action registry.

Packs are found in the directories of ``WFOPS_PACKS_PATH`` (each *contains* packs), plus
three packs that are always present: the repository itself (ref ``wfops``), the bundled
``wfops_examples`` pack and the built-in ``core`` pack. Loading is cached and revalidated by
``stat``-ing the files it read, so a long-lived host sees pack edits while repeated calls
stay cheap.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterable, Sequence

from wfops import errors
from wfops.packs.action_spec import ActionSpec
from wfops.packs.metadata import (
    MetadataProblem,
    action_metadata_files,
    load_action,
    read_pack_ref,
)

__all__ = ["ActionSpec", "ActionRegistry", "load_registry", "default_pack_dirs", "PACKS_PATH_ENV"]

PACKS_PATH_ENV = "WFOPS_PACKS_PATH"

_PACKAGE_DIR = Path(__file__).resolve().parent
BUILTIN_CORE_PACK = str(_PACKAGE_DIR / "builtin" / "core")


class ActionRegistry:
    """The actions of a set of packs, by ref."""

    def __init__(self, actions: Iterable[ActionSpec], packs: dict[str, str] | None = None):
        self._actions = {action.ref: action for action in actions}
        self._packs = dict(packs or {})

    def get(self, ref: str) -> ActionSpec:
        """The action with this ref; raises ActionNotFound (StackStorm's wording)."""
        action = self._actions.get(ref)
        if action is None:
            raise errors.ActionNotFound('Action "%s" cannot be found.' % ref)
        return action

    def list(self, pack: str | None = None) -> list[ActionSpec]:
        """Actions sorted by ref, optionally of one pack only."""
        return sorted(
            (a for a in self._actions.values() if pack is None or a.pack == pack),
            key=lambda a: a.ref,
        )

    def packs(self) -> dict[str, str]:
        """Pack ref -> pack directory, for every pack loaded (including packs with no actions)."""
        return dict(self._packs)

    def __contains__(self, ref: object) -> bool:
        return ref in self._actions

    def __len__(self) -> int:
        return len(self._actions)

    @classmethod
    def from_paths(
        cls,
        packs_paths: Sequence[str] = (),
        pack_dirs: Sequence[str | tuple[str, str]] = (),
    ) -> "ActionRegistry":
        """Load, uncached, the packs inside ``packs_paths`` and the packs ``pack_dirs``.

        ``pack_dirs`` are pack directories themselves, optionally as ``(directory,
        default_ref)`` pairs for packs whose pack.yaml may be missing. Raises PackError
        listing every malformed file.
        """
        return _load(_discover(packs_paths, pack_dirs), consulted=[])


def repo_root() -> str | None:
    """The repository (source checkout) wfops runs from, or None when installed elsewhere."""
    root = _PACKAGE_DIR.parents[2]
    if _PACKAGE_DIR.parents[1].name == "lib" and (root / "pyproject.toml").is_file():
        return str(root)
    return None


def default_pack_dirs() -> list[tuple[str, str]]:
    """The packs always loaded, as (directory, ref used when pack.yaml is absent)."""
    dirs = []
    root = repo_root()
    if root:
        dirs.append((root, "wfops"))
        examples = os.path.join(root, "wfops_examples")
        if os.path.isdir(examples):
            dirs.append((examples, "wfops_examples"))
    dirs.append((BUILTIN_CORE_PACK, "core"))
    return dirs


def load_registry(packs_paths: list[str] | None = None) -> ActionRegistry:
    """The registry of every pack wfops can see (cached; reloaded when pack files change).

    ``packs_paths`` defaults to ``WFOPS_PACKS_PATH`` split on ':'. The repository's own pack,
    the ``wfops_examples`` pack and the built-in ``core`` pack are always added.
    """
    if packs_paths is None:
        packs_paths = [p for p in os.environ.get(PACKS_PATH_ENV, "").split(":") if p]
    pack_dirs = default_pack_dirs()
    key = (tuple(os.path.abspath(p) for p in packs_paths), tuple(pack_dirs))
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and _fingerprint(cached[0]) == cached[1]:
            outcome = cached[2]
        else:
            consulted: list[str] = []
            try:
                outcome = _load(_discover(packs_paths, pack_dirs, consulted), consulted)
            except errors.PackError as exc:
                outcome = exc
            _cache[key] = (consulted, _fingerprint(consulted), outcome)
    if isinstance(outcome, errors.PackError):
        raise outcome.with_traceback(None)
    return outcome


def clear_cache() -> None:
    """Forget every cached registry (tests that rewrite packs in place may call this)."""
    with _cache_lock:
        _cache.clear()


_cache_lock = threading.Lock()
_cache: dict = {}


def _fingerprint(paths: list[str]) -> tuple:
    marks = []
    for path in paths:
        try:
            st = os.stat(path)
            marks.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            marks.append(None)
    return tuple(marks)


def _discover(
    packs_paths: Sequence[str],
    pack_dirs: Sequence,
    consulted: list[str] | None = None,
) -> list[tuple[str, str | None]]:
    """(pack directory, default ref) for every candidate pack, in precedence order."""
    consulted = consulted if consulted is not None else []
    found: list[tuple[str, str | None]] = []
    for base in packs_paths:
        base = os.path.abspath(base)
        consulted.append(base)
        if os.path.isfile(os.path.join(base, "pack.yaml")):
            found.append((base, None))  # a directory that is itself a pack
            continue
        try:
            children = sorted(os.listdir(base))
        except OSError:
            continue  # a missing directory on the search path is not an error
        for child in children:
            path = os.path.join(base, child)
            if os.path.isfile(os.path.join(path, "pack.yaml")):
                found.append((path, None))
    for entry in pack_dirs:
        path, default_ref = entry if isinstance(entry, tuple) else (entry, None)
        found.append((os.path.abspath(path), default_ref))
    return found


def _load(candidates: list[tuple[str, str | None]], consulted: list[str]) -> ActionRegistry:
    problems: list[str] = []
    packs: dict[str, str] = {}
    actions: list[ActionSpec] = []
    seen_dirs: set[str] = set()
    for pack_path, default_ref in candidates:
        real = os.path.realpath(pack_path)
        if real in seen_dirs:
            continue
        seen_dirs.add(real)
        consulted += [pack_path] + [os.path.join(pack_path, n) for n in ("pack.yaml", "actions")]
        try:
            ref = read_pack_ref(pack_path, default_ref)
        except MetadataProblem as exc:
            problems.append(str(exc))
            continue
        if ref is None or ref in packs:
            continue  # not a pack, or shadowed by a pack of the same ref found earlier
        packs[ref] = pack_path
        names: dict[str, str] = {}
        for path in action_metadata_files(pack_path):
            consulted.append(path)
            try:
                action = load_action(path, ref, pack_path, consulted)
            except MetadataProblem as exc:
                problems.append(str(exc))
                continue
            if action.name in names:
                problems.append(
                    'Action metadata files "%s" and "%s" both define action "%s".'
                    % (names[action.name], path, action.ref)
                )
                continue
            names[action.name] = path
            actions.append(action)
    header = "Packs have %d problems:" % len(problems) if len(problems) > 1 else ""
    errors.collect(problems, errors.PackError, header=header)
    return ActionRegistry(actions, packs)
