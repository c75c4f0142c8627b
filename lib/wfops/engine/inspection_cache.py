"""Orquesta's inspection of a workflow definition, kept under WFOPS_HOME by content.

Inspecting a definition (``WorkflowSpec.inspect``: its schema, semantics, expressions and
context) costs about 0.4 ms of CPU per task, every time a workflow of it starts (a
1000-task chain: 0.4 s). Its answer depends only on the definition's text and on the
code that inspects it, so it is stored as JSON in ``<home>/cache/inspection/``, one file
per definition, named by the SHA-256 of the text together with the versions of that code
(Orquesta, yaql, Jinja, jsonschema, this cache's format). A later start of the same text
reads it instead of inspecting again.

What is kept identical: the cached value is Orquesta's own answer, as inspection returned
it; an entry that cannot be read, or is not a JSON object of lists, is ignored and the
definition inspected again. Files are replaced atomically, so concurrent processes read
either nothing or a whole entry. Nothing else is cached here: the definition is still
parsed and its ``WorkflowSpec`` built in every process, and the checks wfops adds
(undefined functions, task actions and inputs, which depend on the installed plugins
and packs) still run each time.
"""

from __future__ import annotations

import json
import os

FORMAT = 1


def _code_versions() -> str:
    import jinja2
    import jsonschema
    import orquesta
    import yaql

    return "|".join(str(getattr(m, "__version__", "?")) for m in (orquesta, yaql, jinja2, jsonschema))


def entry_path(cache_dir: str, text: str) -> str:
    """The cache file of definition ``text``. O(len(text))."""
    import hashlib

    digest = hashlib.sha256(("%d|%s\n" % (FORMAT, _code_versions())).encode("utf-8"))
    digest.update(text.encode("utf-8"))
    return os.path.join(cache_dir, "inspection", digest.hexdigest() + ".json")


def read(cache_dir: str | None, text: str) -> dict | None:
    """Orquesta's inspection of ``text`` as cached, or None (no cache directory, no entry,
    or one that cannot be used). O(size of the entry)."""
    if not cache_dir:
        return None
    try:
        with open(entry_path(cache_dir, text), encoding="utf-8") as handle:
            found = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or not all(isinstance(v, list) for v in found.values()):
        return None
    return found


def write(cache_dir: str | None, text: str, found) -> None:
    """Keep ``found`` (inspection's answer for ``text``) if it is JSON that reads back
    equal; never raises (without a cache, the next start inspects again)."""
    if not cache_dir or not isinstance(found, dict):
        return
    try:
        encoded = json.dumps(found, sort_keys=True)
        if json.loads(encoded) != found:
            return
        path = entry_path(cache_dir, text)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = "%s.%d.tmp" % (path, os.getpid())
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(encoded)
        os.replace(temporary, path)
    except (OSError, TypeError, ValueError):
        pass
