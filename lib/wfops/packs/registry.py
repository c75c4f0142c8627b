"""Pack discovery and the action registry.

Packs are found in the directories of ``WFOPS_PACKS_PATH`` (each *contains* packs), plus
three packs that are always present: the repository itself (ref ``wfops``), the bundled
``wfops_examples`` pack and the built-in ``core`` pack. As StackStorm registers content, a
file that cannot be loaded is left out and reported (:meth:`ActionRegistry.problems`), and
the first pack found with a ref wins; the packs it shadows are reported too. Loading is
cached and revalidated by ``stat``-ing the files it read, so a long-lived host sees pack
edits while repeated calls stay cheap.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from wfops import errors
from wfops.packs.action_spec import ActionSpec
from wfops.packs.metadata import (
    ACTION_FILE,
    MetadataProblem,
    action_metadata_files,
    load_action,
    read_pack_ref,
)
from wfops.packs.problems import PackProblem

__all__ = ["ActionSpec", "ActionRegistry", "LoadedPack", "PackProblem", "load_registry",
           "default_pack_dirs", "PACKS_PATH_ENV"]

PACKS_PATH_ENV = "WFOPS_PACKS_PATH"

_PACKAGE_DIR = Path(__file__).resolve().parent
BUILTIN_CORE_PACK = str(_PACKAGE_DIR / "builtin" / "core")


@dataclass(frozen=True)
class LoadedPack:
    """A pack that was loaded: its ref, its directory, and whether it is one of the packs
    wfops always adds (``bundled``) rather than one found on ``WFOPS_PACKS_PATH``."""

    ref: str
    path: str
    bundled: bool


class ActionRegistry:
    """The actions of a set of packs, by ref, and the problems met while loading them."""

    def __init__(self, actions: Iterable[ActionSpec], packs: dict[str, str] | None = None,
                 problems: Iterable[PackProblem] = (), bundled: Iterable[str] = ()):
        self._actions = {action.ref: action for action in actions}
        self._packs = dict(packs or {})
        self._problems = list(problems)
        self._bundled = frozenset(bundled)

    def get(self, ref: str) -> ActionSpec:
        """The action with this ref; raises ActionNotFound (StackStorm's wording, plus why
        the file that would define it was left out, when that is known)."""
        action = self._actions.get(ref)
        if action is None:
            message = 'Action "%s" cannot be found.' % ref
            left_out = [p for p in self._problems if p.action == ref]
            if left_out:
                message += " Its metadata file %s was not loaded: %s" % (
                    '"%s"' % left_out[0].file, left_out[0].reason)
            raise errors.ActionNotFound(message)
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

    def loaded_packs(self) -> list[LoadedPack]:
        """Every pack loaded, sorted by ref."""
        return [LoadedPack(ref, path, ref in self._bundled)
                for ref, path in sorted(self._packs.items())]

    def problems(self, pack: str | None = None) -> list[PackProblem]:
        """What was left out and why, in the order met (optionally of one pack only):
        malformed or unusable metadata files, packs shadowed by a pack of the same ref,
        directories on the search path that do not exist."""
        return [p for p in self._problems if pack is None or p.pack == pack]

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
        default_ref)`` pairs for packs whose pack.yaml may be missing; they rank after the
        packs of ``packs_paths`` and count as bundled. Never raises for a malformed file:
        see :meth:`problems`.
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


def load_registry(packs_paths: list[str] | None = None, cache_dir: str | None = None) -> ActionRegistry:
    """The registry of every pack wfops can see (cached; reloaded when pack files change).

    ``packs_paths`` defaults to ``WFOPS_PACKS_PATH`` split on ':'. The repository's own pack,
    the ``wfops_examples`` pack and the built-in ``core`` pack are always added (after
    them, so a pack of the same ref on the path shadows them). Files that cannot be loaded
    are left out and listed by ``problems()``. ``cache_dir``: also keep the loaded registry
    there for later processes (:mod:`wfops.packs.registry_cache`).
    """
    if packs_paths is None:
        packs_paths = [p for p in os.environ.get(PACKS_PATH_ENV, "").split(":") if p]
    pack_dirs = default_pack_dirs()
    key = (tuple(os.path.abspath(p) for p in packs_paths), tuple(pack_dirs))
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and _fingerprint(cached[0]) == cached[1]:
            return cached[2]
        registry = None
        if cache_dir is not None:
            from wfops.packs import registry_cache

            found = registry_cache.read(cache_dir, key, _fingerprint)
            if found is not None:
                consulted, (actions, packs, problems, bundled) = found
                registry = ActionRegistry(actions, packs, problems, bundled)
        if registry is None:
            consulted = []
            registry = _load(_discover(packs_paths, pack_dirs, consulted), consulted)
            if cache_dir is not None:
                registry_cache.write(cache_dir, key, consulted, _fingerprint, list(registry._actions.values()),
                                     registry._packs, registry._problems, list(registry._bundled))
        _cache[key] = (consulted, _fingerprint(consulted), registry)
        return registry


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


@dataclass(frozen=True)
class _Candidate:
    path: str
    default_ref: str | None
    bundled: bool
    missing: bool = False  # a WFOPS_PACKS_PATH directory that does not exist


def _discover(
    packs_paths: Sequence[str],
    pack_dirs: Sequence,
    consulted: list[str] | None = None,
) -> list[_Candidate]:
    """Every candidate pack directory, in precedence order (the search path first)."""
    consulted = consulted if consulted is not None else []
    found: list[_Candidate] = []
    for base in packs_paths:
        base = os.path.abspath(base)
        consulted.append(base)
        if os.path.isfile(os.path.join(base, "pack.yaml")):
            found.append(_Candidate(base, None, False))  # a directory that is itself a pack
            continue
        try:
            children = sorted(os.listdir(base))
        except OSError:
            found.append(_Candidate(base, None, False, missing=True))
            continue
        for child in children:
            path = os.path.join(base, child)
            if os.path.isfile(os.path.join(path, "pack.yaml")):
                found.append(_Candidate(path, None, False))
    for entry in pack_dirs:
        path, default_ref = entry if isinstance(entry, tuple) else (entry, None)
        found.append(_Candidate(os.path.abspath(path), default_ref, True))
    return found


def _load(candidates: list[_Candidate], consulted: list[str]) -> ActionRegistry:
    """Load every candidate; what cannot be loaded becomes a PackProblem. O(files)."""
    problems: list[PackProblem] = []
    packs: dict[str, _Candidate] = {}
    actions: list[ActionSpec] = []
    seen_dirs: set[str] = set()
    for candidate in candidates:
        pack_path = candidate.path
        if candidate.missing:
            problems.append(PackProblem(pack_path, None, "This directory on %s does not "
                                        "exist or cannot be read." % PACKS_PATH_ENV))
            continue
        real = os.path.realpath(pack_path)
        if real in seen_dirs:
            continue
        seen_dirs.add(real)
        consulted += [pack_path] + [os.path.join(pack_path, n) for n in ("pack.yaml", "actions")]
        try:
            ref = read_pack_ref(pack_path, candidate.default_ref)
        except MetadataProblem as exc:
            problems.append(exc.problem(None))
            continue
        if ref is None:
            continue  # not a pack
        if ref in packs:
            problems.append(_shadowed(ref, candidate, packs[ref]))
            continue
        packs[ref] = candidate
        actions += _load_actions(ref, pack_path, problems, consulted)
    return ActionRegistry(
        actions,
        {ref: c.path for ref, c in packs.items()},
        problems,
        bundled=[ref for ref, c in packs.items() if c.bundled],
    )


def _load_actions(ref: str, pack_path: str, problems: list[PackProblem],
                  consulted: list[str]) -> list[ActionSpec]:
    actions: list[ActionSpec] = []
    names: dict[str, str] = {}
    for path in action_metadata_files(pack_path):
        consulted.append(path)
        try:
            action = load_action(path, ref, pack_path, consulted)
        except MetadataProblem as exc:
            problems.append(exc.problem(ref))
            continue
        if action.name in names:
            problems.append(MetadataProblem(
                path, ['It defines action "%s" again; "%s" defined it first'
                       % (action.ref, names[action.name])], what=ACTION_FILE,
            ).problem(ref))
            continue
        names[action.name] = path
        actions.append(action)
    return actions


def _shadowed(ref: str, candidate: _Candidate, winner: _Candidate) -> PackProblem:
    """The problem recorded for a pack left out because a pack of the same ref came first."""
    if candidate.bundled and not winner.bundled:
        why = ('The bundled pack "%s" is shadowed by the pack of the same ref in "%s" (from %s), '
               "which is loaded instead." % (ref, winner.path, PACKS_PATH_ENV))
    else:
        why = ('This pack "%s" is shadowed by the pack of the same ref in "%s", which comes '
               "first on %s and is loaded instead." % (ref, winner.path, PACKS_PATH_ENV))
    return PackProblem(candidate.path, ref, why)
