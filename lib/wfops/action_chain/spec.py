"""Reading an action-chain definition (StackStorm's ``chain``/``default``/``vars`` file)
and checking it as StackStorm does before the chain runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NODE_KEYS = frozenset(["name", "ref", "params", "parameters", "on-success", "on-failure", "publish",
                       "notify"])
CHAIN_KEYS = frozenset(["chain", "default", "vars"])


class ChainError(Exception):
    """A chain definition that cannot run; the message says why."""


@dataclass(frozen=True)
class Node:
    """One node of a chain: the action it runs and where it goes next."""

    name: str
    ref: str
    parameters: dict = field(default_factory=dict)
    on_success: str = ""
    on_failure: str = ""
    publish: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ChainSpec:
    nodes: tuple[Node, ...]
    default: str | None
    vars: dict

    def node(self, name: str | None) -> Node | None:
        """The node called ``name`` (None for none or an empty name). O(nodes)."""
        if not name:
            return None
        return next((n for n in self.nodes if n.name == name), None)


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _node(index: int, raw: Any) -> tuple[Node | None, list[str]]:
    where = "chain[%d]" % index
    if not isinstance(raw, dict):
        return None, ["%s: a node must be a mapping, not %s." % (where, type(raw).__name__)]
    unexpected = ["%s: unexpected key %r (a node takes %s)." % (where, k, ", ".join(sorted(NODE_KEYS)))
                  for k in raw if k not in NODE_KEYS]
    problems: list[str] = []
    for key in ("name", "ref"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            problems.append("%s: %r is required and must be a string." % (where, key))
    for key in ("params", "parameters", "publish"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            problems.append("%s: %r must be a mapping." % (where, key))
    for key in ("on-success", "on-failure"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            problems.append("%s: %r must be a node name." % (where, key))
    if raw.get("params") and raw.get("parameters"):
        problems.append('%s: Either "params" or "parameters" attribute needs to be provided, but not both.'
                        % where)
    if problems:
        return None, unexpected + problems
    # With unexpected keys only, the node is still read, so that its transitions are checked too.
    return Node(raw["name"], raw["ref"], dict(raw.get("parameters") or raw.get("params") or {}),
                raw.get("on-success") or "", raw.get("on-failure") or "", dict(raw.get("publish") or {})), unexpected


def default_node(nodes: tuple[Node, ...]) -> str | None:
    """StackStorm's choice when ``default`` is not given: the first node no other node
    names in on-success or on-failure, else the first node. O(nodes)."""
    if not nodes:
        return None
    referenced = {n.on_success for n in nodes} | {n.on_failure for n in nodes}
    return next((n.name for n in nodes if n.name not in referenced), nodes[0].name)


def parse_chain(data: Any) -> ChainSpec:
    """The chain of a loaded definition file; raises ChainError listing every problem
    (unknown keys, missing names and refs, transitions or ``default`` naming no node;
    names given as expressions are checked when they are reached, as in StackStorm).
    O(nodes)."""
    if not isinstance(data, dict):
        raise ChainError("An action chain definition must be a mapping with a 'chain' list.")
    problems = ["unexpected key %r (a chain takes chain, default, vars)." % k for k in data if k not in CHAIN_KEYS]
    raw_nodes = data.get("chain")
    if not isinstance(raw_nodes, list):
        problems.append("'chain' is required and must be a list of nodes.")
        raw_nodes = []
    if data.get("vars") is not None and not isinstance(data["vars"], dict):
        problems.append("'vars' must be a mapping.")
    nodes = []
    for index, raw in enumerate(raw_nodes):
        node, node_problems = _node(index, raw)
        problems += node_problems
        if node is not None:
            nodes.append(node)
    names = {n.name for n in nodes}
    for node in nodes:
        for key, target in (("on-success", node.on_success), ("on-failure", node.on_failure)):
            if target and not is_expression(target) and target not in names:
                problems.append('Unable to find node with name "%s" referenced in "%s" in task "%s".'
                                % (target, key, node.name))
    default = data.get("default")
    if default and not is_expression(default) and default not in names:
        problems.append('Unable to find node with name "%s" referenced in "default".' % default)
    if problems:
        raise ChainError(" ".join(problems))
    nodes_t = tuple(nodes)
    return ChainSpec(nodes_t, default or default_node(nodes_t), dict(data.get("vars") or {}))


def load_chain(path: str) -> ChainSpec:
    """The chain in the file at ``path``; raises ChainError (unreadable, malformed YAML,
    or :func:`parse_chain`'s problems), worded as StackStorm's pre-run error."""
    from wfops.yaml_loading import safe_load

    try:
        with open(path, encoding="utf-8") as handle:
            data = safe_load(handle.read())
    except Exception as e:  # OSError, YAML errors: one message, no traceback
        raise ChainError('Failed to parse action chain definition from "%s": %s' % (path, e)) from None
    return parse_chain(data)
