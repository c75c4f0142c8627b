"""YAQL's parse tables computed once per machine, not once per process.

yaql builds its LALR parser when Orquesta's YAQL evaluator is defined (``YaqlFactory().create()``
at class creation), and its bundled PLY computes the parse tables from the grammar every
time: about half a second of CPU in every process that imports Orquesta's conductor,
whatever it then runs. Here ``LRTable.lr_parse_table`` first looks for the tables of the
same grammar in a cache file and only computes (and stores) them when there is none.

What is kept identical: the tables are those PLY computed for that grammar (the cache is
keyed by a hash of the yaql version, every production with its precedence, the
precedence table and the start symbol; a file that does not hold tables of that shape is
ignored). What is not reproduced: PLY's conflict diagnostics (``sr_conflicts``,
``rr_conflicts``), which only its debug output reads, stay empty when the tables come from
the cache.

The cache directory: ``WFOPS_CACHE_DIR``, else the user's cache directory
(``platformdirs.user_cache_dir("wfops")``). Applied by ``import wfops`` (an import hook on
``yaql._ply.yacc``) unless ``WFOPS_ORQUESTA_SPEED=0``.
"""

from __future__ import annotations

import json
import os

CACHE_ENV = "WFOPS_CACHE_DIR"
_FORMAT = 1


def cache_dir() -> str:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return configured
    import platformdirs

    return platformdirs.user_cache_dir("wfops")


def grammar_key(grammar) -> str:
    """A hash naming a PLY grammar: its productions (name, symbols, precedence), its
    precedence table and its start symbol, with the yaql version. O(grammar)."""
    try:
        from importlib import metadata

        version = metadata.version("yaql")
    except Exception:
        version = "unknown"
    description = {
        "format": _FORMAT,
        "yaql": version,
        "productions": [[p.name, list(p.prod), list(p.prec) if p.prec else None]
                        for p in grammar.Productions if p is not None],
        "precedence": sorted([k, list(v)] for k, v in grammar.Precedence.items()),
        "start": grammar.Start,
    }
    import hashlib  # here, as tempfile below: only a process that builds YAQL's parser needs them

    return hashlib.sha256(json.dumps(description, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def _read(path: str) -> tuple[dict, dict] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        action = {int(state): {str(t): int(v) for t, v in row.items()} for state, row in data["action"].items()}
        goto = {int(state): {str(t): int(v) for t, v in row.items()} for state, row in data["goto"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return action, goto


def _write(path: str, action: dict, goto: dict) -> None:
    data = {"action": {str(k): v for k, v in action.items()}, "goto": {str(k): v for k, v in goto.items()}}
    try:
        text = json.dumps(data)
        back = json.loads(text)
        if ({int(k): v for k, v in back["action"].items()} != action
                or {int(k): v for k, v in back["goto"].items()} != goto):
            return  # not plain ints and strings: not cached
        os.makedirs(os.path.dirname(path), exist_ok=True)
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".yaql-lr-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        pass  # no cache: the next process computes the tables again


def apply() -> list[str]:
    """Make PLY's ``LRTable`` read its tables from the cache (once; a no-op when yaql's
    PLY has no ``lr_parse_table``)."""
    from yaql._ply import yacc

    compute = yacc.LRTable.__dict__.get("lr_parse_table")
    if compute is None or getattr(compute, "wfops_cached", False):
        return []

    def lr_parse_table(self):
        path = os.path.join(cache_dir(), "yaql-lr-%s.json" % grammar_key(self.grammar))
        found = _read(path)
        if found is not None:
            self.lr_action.update(found[0])
            self.lr_goto.update(found[1])
            return
        compute(self)
        _write(path, self.lr_action, self.lr_goto)

    lr_parse_table.wfops_cached = True
    lr_parse_table.computed = compute
    yacc.LRTable.lr_parse_table = lr_parse_table
    return ["yaql LRTable.lr_parse_table cached"]


def install() -> None:
    """Apply once ``yaql._ply.yacc`` is imported (now, if it is already)."""
    import sys

    if "yaql._ply.yacc" in sys.modules:
        apply()
        return
    from wfops.orquesta_compat import install_hook

    install_hook(("yaql._ply.yacc",), apply, lambda: False)
