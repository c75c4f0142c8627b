"""Make Orquesta 1.2.0 (the only release on PyPI) run on Python 3.10+ with networkx 3.

Orquesta 1.2.0 was written for Python 2/3.6 and networkx 1.x. Three things break:

1. ``collections.Mapping`` and friends, removed from ``collections`` in Python 3.10;
2. the ``(?i)true`` / ``(?i)false`` fragments of ``orquesta.utils.parameters``, which are
   joined into a larger pattern; Python 3.11 refuses global flags that are not at the
   start of a pattern;
3. ``graph.node[...]`` and ``graph.in_degree().items()``, networkx 1.x spellings used by
   ``orquesta.graphing``.

And one thing breaks in a process with threads (``wfops serve``: the engine thread and the
API's request threads): 4. Orquesta's YAQL evaluator shares one YAQL engine, whose ply
lexer and parser keep the state of a parse on themselves, so two threads parsing at once
corrupt each other's parse (a valid workflow then fails inspection with "Parse error:
unexpected end of statement"). Parsing is serialised with a lock.

Each fix is applied only where the problem is actually present, so :func:`apply` is a
no-op on an Orquesta (or Python, or networkx) that does not need it. It is idempotent.
"""

from __future__ import annotations

import collections
import collections.abc
import re
import threading

_ABC_NAMES = (
    "Callable",
    "Container",
    "Hashable",
    "Iterable",
    "Iterator",
    "Mapping",
    "MutableMapping",
    "MutableSequence",
    "MutableSet",
    "Sequence",
    "Set",
)

_applied = False


def _fix_collections_aliases() -> list[str]:
    fixed = []
    for name in _ABC_NAMES:
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
            fixed.append("collections.%s" % name)
    return fixed


def _scope_inline_flags(pattern: str) -> str:
    """Turn a leading ``(?i)x`` into the scoped ``(?i:x)``, which may sit anywhere."""
    if pattern.startswith("(?i)"):
        return "(?i:%s)" % pattern[len("(?i)"):]
    return pattern


def _fix_parameter_regexes() -> list[str]:
    from orquesta.utils import parameters

    try:
        re.compile(parameters.REGEX_INLINE_PARAMS)
        return []
    except re.error:
        pass

    parameters.REGEX_TRUE = _scope_inline_flags(parameters.REGEX_TRUE)
    parameters.REGEX_FALSE = _scope_inline_flags(parameters.REGEX_FALSE)
    parameters.REGEX_INLINE_PARAM_VARIATIONS[:] = [
        _scope_inline_flags(p) for p in parameters.REGEX_INLINE_PARAM_VARIATIONS
    ]
    parameters.REGEX_INLINE_PARAMS = r"([\w]+)=(%s)" % "|".join(
        parameters.REGEX_INLINE_PARAM_VARIATIONS
    )
    re.compile(parameters.REGEX_INLINE_PARAMS)
    return ["orquesta.utils.parameters inline flags"]


def _fix_networkx_node_view() -> list[str]:
    import networkx as nx

    if hasattr(nx.Graph, "node"):
        return []
    # networkx 1.x exposed the node attribute dict as ``graph.node``; 2.4+ as ``graph.nodes``.
    nx.Graph.node = property(lambda self: self.nodes)
    return ["networkx Graph.node"]


def _fix_root_nodes() -> list[str]:
    import networkx as nx
    from orquesta import graphing

    probe = nx.MultiDiGraph()
    probe.add_node("probe")
    try:
        graphing.WorkflowGraph.get_root_nodes(probe)
        return []
    except AttributeError:
        pass

    def get_root_nodes(graph):
        # in_degree() is a view of (node, degree) pairs in networkx 2+, not a dict.
        nodes = [
            {"id": n, "name": graph.nodes[n].get("name", n)}
            for n, d in graph.in_degree()
            if d == 0
        ]
        return sorted(nodes, key=lambda x: x["id"])

    graphing.WorkflowGraph.get_root_nodes = staticmethod(get_root_nodes)
    return ["orquesta.graphing WorkflowGraph.get_root_nodes"]


def _serialise_yaql_parsing() -> list[str]:
    from yaql.language import factory

    parse = factory.YaqlEngine.__call__
    if getattr(parse, "serialised_by_wfops", False):
        return []
    lock = threading.RLock()  # re-entrant: a call with options parses through a copy

    def serialised(self, expression, options=None):
        with lock:
            return parse(self, expression, options)

    serialised.serialised_by_wfops = True
    factory.YaqlEngine.__call__ = serialised
    return ["yaql YaqlEngine parsing serialised"]


class ApplyAfterImport:
    """A ``sys.meta_path`` finder that calls ``apply()`` once one of the modules ``names``
    has been imported (executed), so that ``import wfops`` stays cheap for commands that
    never touch Orquesta. ``done()`` says whether there is nothing left to apply."""

    def __init__(self, names, apply, done):
        self.names = frozenset(names)
        self.apply = apply
        self.done = done

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.names or self.done():
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        original_exec = spec.loader.exec_module
        apply = self.apply

        def exec_module(module):
            original_exec(module)
            apply()

        spec.loader.exec_module = exec_module
        return spec


def install_hook(names, apply, done) -> None:
    """Put an :class:`ApplyAfterImport` for ``apply`` first on ``sys.meta_path`` (once)."""
    import sys

    if not any(isinstance(f, ApplyAfterImport) and f.apply is apply for f in sys.meta_path):
        sys.meta_path.insert(0, ApplyAfterImport(names, apply, done))


def _loading_function_catalog() -> bool:
    """Whether Orquesta is building its expression-function catalog right now.

    It builds it under a plain lock while importing each function plugin, and wfops's
    StackStorm functions are plugins: importing one imports ``wfops``, which applies this
    layer. Importing ``orquesta.utils.parameters`` then would ask for the catalog again
    (through Orquesta's evaluators) and wait for that lock forever."""
    import sys

    catalog = sys.modules.get("orquesta.expressions.functions.base")
    return catalog is not None and catalog._EXP_FUNC_CATALOG_LOCK.locked()


def install() -> None:
    """Fix what is cheap now, and the rest as soon as Orquesta is imported."""
    import sys

    _fix_collections_aliases()
    if "orquesta" in sys.modules:
        apply()
    else:
        install_hook(("orquesta",), apply, lambda: _applied)


def apply() -> list[str]:
    """Apply every fix that this interpreter and these libraries need.

    Returns the names of the fixes applied by this call (empty when already applied or
    when nothing needed fixing).
    """
    global _applied
    if _applied:
        return []
    fixed = _fix_collections_aliases()
    fixed += _fix_networkx_node_view()
    import sys

    if "orquesta.utils.parameters" in sys.modules or not _loading_function_catalog():
        fixed += _fix_parameter_regexes()
    else:  # fixed as soon as Orquesta imports it, once its catalog is built
        install_hook(("orquesta.utils.parameters",), _fix_parameter_regexes, lambda: False)
    fixed += _fix_root_nodes()
    fixed += _serialise_yaql_parsing()
    _applied = True
    return fixed
