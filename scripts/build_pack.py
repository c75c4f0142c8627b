"""Build the minimal StackStorm pack: only what `st2 pack install` needs.

`st2 pack install <git repo>` copies the whole repository (the embedded host, bench/,
docs/, tests/, st2ext/...). This writes a directory (default ``dist/wfops-pack/``) with the
pack's metadata and content folders and, from ``lib/``, only the ``wfops`` modules the
pack's actions and sensors and the runner extension (st2ext/) import, directly or through
each other (every ``import`` and ``from ... import`` statement in a file counts, also those
inside functions, since the pack's modules import some parts on first use). Install it with
``st2 pack install file:///ABSOLUTE/PATH/dist/wfops-pack``.

Standard library only, Python 3.8+: it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import sys
from typing import Dict, Iterable, List, Optional, Set

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Files at the top of the pack (StackStorm reads pack.yaml, config.schema.yaml,
# requirements.txt and icon.png; the rest is what an Exchange pack ships beside them).
PACK_FILES = (
    "pack.yaml", "config.schema.yaml", "wfops.yaml.example", "icon.png",
    "README.md", "CHANGES.md", "LICENSE", "requirements.txt",
)
# Content folders StackStorm registers from, copied whole when they hold any file.
PACK_FOLDERS = ("actions", "aliases", "sensors", "rules", "workflows")
# Folders whose Python files are the roots of the import closure: the pack's actions and
# sensors, and the runner extension (st2ext/, installed into StackStorm's virtualenv), which
# imports the planner from the installed pack's lib/.
ENTRY_FOLDERS = ("actions", "sensors", os.path.join("st2ext", "wfops_st2"))
PACKAGE = "wfops"
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".gitkeep", ".*")


def imported_names(path: str, module: Optional[str]) -> Set[str]:
    """The absolute dotted names a Python file's import statements mention.

    ``import a.b`` gives ``a.b``; ``from a import b, c`` gives ``a``, ``a.b`` and ``a.c``
    (``b`` may be a submodule or an attribute: the caller keeps the names that are
    modules); relative imports are resolved against ``module`` (the file's dotted name,
    ``None`` for a script, whose relative imports are ignored). Statements anywhere in the
    file count. O(size of the file).
    """
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    is_package = os.path.basename(path) == "__init__.py"
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if module is None:
                    continue
                parts = module.split(".")
                if not is_package:
                    parts = parts[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(base + "." + alias.name for alias in node.names if alias.name != "*")
    return names


def module_path(lib: str, name: str) -> Optional[str]:
    """The file of dotted module ``name`` under ``lib`` (``x.py`` or ``x/__init__.py``),
    or None when ``lib`` has no such module. O(1) file checks."""
    base = os.path.join(lib, *name.split("."))
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def import_closure(lib: str, entry_files: Iterable[str], package: str = PACKAGE) -> Dict[str, str]:
    """The modules of ``package`` under ``lib`` that ``entry_files`` import, directly or
    through each other, with the packages that contain them: {dotted name: file}.

    A name counts when it (or a prefix of it) is a module file under ``lib``; importing
    ``a.b.c`` runs ``a`` and ``a.b`` too, so those are included. Names outside ``package``
    (the standard library, PyYAML, Orquesta...) are not followed. O(total size of the
    files reached).
    """
    found: Dict[str, str] = {}
    pending: List[tuple] = [(path, None) for path in entry_files]
    while pending:
        path, module = pending.pop()
        for name in imported_names(path, module):
            parts = name.split(".")
            if parts[0] != package:
                continue
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                file = module_path(lib, prefix)
                if file is not None and prefix not in found:
                    found[prefix] = file
                    pending.append((file, prefix))
    return found


def entry_files(repo: str) -> List[str]:
    """The Python files of the pack's actions and sensors and of the runner extension
    (ENTRY_FOLDERS, recursively), sorted. O(files in them)."""
    files = []
    for folder in ENTRY_FOLDERS:
        for root, dirs, names in os.walk(os.path.join(repo, folder)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            files.extend(os.path.join(root, f) for f in names if f.endswith(".py"))
    return sorted(files)


def _has_files(directory: str) -> bool:
    return any(not f.startswith(".") for _, _, fs in os.walk(directory) for f in fs)


def _clear(repo: str, out: str) -> None:
    """Remove a previous build at ``out``; refuse to remove anything else."""
    real_out, real_repo = os.path.realpath(out), os.path.realpath(repo)
    if real_out == real_repo or real_repo.startswith(real_out + os.sep):
        raise SystemExit("build-pack: refusing to write into %s: it holds the repository" % out)
    if not os.path.exists(out):
        return
    previous = os.path.isdir(out) and (not os.listdir(out) or (
        os.path.isfile(os.path.join(out, "pack.yaml")) and not os.path.exists(os.path.join(out, ".git"))))
    if not previous:
        raise SystemExit("build-pack: %s exists and is not a built pack; remove it or choose another "
                         "directory" % out)
    shutil.rmtree(out)


def build(repo: str, out: str) -> List[str]:
    """Write the pack of ``repo`` into ``out`` (replaced when it exists); returns the files
    written, relative to ``out``, sorted. O(size of the pack)."""
    _clear(repo, out)
    os.makedirs(out)
    for name in PACK_FILES:
        source = os.path.join(repo, name)
        if not os.path.isfile(source):
            raise SystemExit("build-pack: %s is missing in %s" % (name, repo))
        shutil.copy2(source, os.path.join(out, name))
    for folder in PACK_FOLDERS:
        source = os.path.join(repo, folder)
        if os.path.isdir(source) and _has_files(source):
            shutil.copytree(source, os.path.join(out, folder), ignore=SKIPPED)
    lib = os.path.join(repo, "lib")
    for file in import_closure(lib, entry_files(repo)).values():
        target = os.path.join(out, "lib", os.path.relpath(file, lib))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(file, target)
    written = []
    for root, _, files in os.walk(out):
        written.extend(os.path.relpath(os.path.join(root, f), out) for f in files)
    return sorted(written)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/build-pack", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=os.path.join(REPO, "dist", "wfops-pack"),
                        help="directory to write (replaced; default: dist/wfops-pack)")
    parser.add_argument("--list", action="store_true", help="print the files written")
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out)
    written = build(REPO, out)
    if args.list:
        print("\n".join(written))
    modules = sum(1 for f in written if f.startswith("lib" + os.sep))
    print("build-pack: %s (%d files, %d of them from lib/)" % (out, len(written), modules))
    print("install it with: st2 pack install file://%s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
