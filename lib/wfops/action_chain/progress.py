"""What the ended nodes of a chain run leave: each node's result, the variables (``vars``
and what nodes published), the ``tasks`` of the chain's result, the next node to run and
the chain's status so far -- as StackStorm's action-chain runner decides them.

Pure: the same definition, parameters and ended nodes give the same answer, so the
engine keeps no chain state of its own; it folds the chain's child executions, as the
store holds them, each time a node ends (O(nodes) per node).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wfops import statuses as s
from wfops.action_chain.rendering import RenderError, render_values
from wfops.action_chain.spec import ChainSpec, Node

RESULTS_KEY = "__results"
# A node that ended in one of these goes on by its on-failure (StackStorm's failed states).
FAILED_STATES = frozenset([s.FAILED, s.TIMEOUT, s.ABANDONED])


@dataclass(frozen=True)
class Ended:
    """A node's execution that has ended (or, ``status`` paused, stopped in a pause)."""

    name: str
    execution_id: str
    status: str
    result: Any
    created_at: str
    updated_at: str


@dataclass
class Progress:
    results: dict = field(default_factory=dict)     # node name -> its execution's result
    vars: dict = field(default_factory=dict)        # vars, then what nodes published
    published: dict = field(default_factory=dict)   # what nodes published
    tasks: list = field(default_factory=list)       # the result's ``tasks`` entries
    next: Node | None = None                        # the node to run next
    status: str = s.SUCCEEDED                       # the chain's status if it ended now
    error: str | None = None                        # a top-level error: the chain ends failed


def render_context(params: dict, results: dict, chain_vars: dict, chain_context: dict | None = None) -> dict:
    """The names a node's values see: the chain's parameters, every earlier node's result
    by node name, the variables, ``__results`` and ``action_context``. O(names)."""
    context = dict(params)
    context.update(results)
    context.update(chain_vars)
    context[RESULTS_KEY] = results
    if chain_context is not None:
        context["action_context"] = chain_context
    return context


def task_entry(node: Ended) -> dict:
    """The entry of ``node`` in the chain result's ``tasks`` (StackStorm's fields)."""
    return {"id": node.name, "name": node.name, "execution_id": node.execution_id,
            "liveaction_id": node.execution_id, "workflow": None, "created_at": node.created_at,
            "updated_at": node.updated_at, "state": node.status, "result": node.result}


def _follow(spec: ChainSpec, node: Node, target: str, state: Progress) -> None:
    if not target:
        state.next = None
        return
    state.next = spec.node(target)
    if state.next is None:
        state.error = 'Failed to get next node "%s". Unable to find node with name "%s".' % (node.name, target)
        state.status = s.FAILED


def progress(spec: ChainSpec, params: dict, ended: list[Ended], names: dict | None = None) -> Progress:
    """Fold ``ended`` (in the order they ran) over the chain: the state after them and
    the node to run next (None: the chain ends with ``status``). ``names``: more names
    ``vars`` and ``publish`` see (the engine's datastore lookups). O(nodes + rendering)."""
    state = Progress()
    names = names or {}
    try:
        state.vars = render_values(spec.vars, dict(names, **params)) if spec.vars else {}
    except RenderError as e:
        state.status, state.error = s.FAILED, "Failed initializing ``vars`` in chain. %s" % e.reason
        return state
    if not ended:
        state.next = spec.node(spec.default)
        state.status = s.SUCCEEDED
        return state
    for done in ended:
        node = spec.node(done.name)
        state.results[done.name] = done.result
        state.tasks.append(task_entry(done))
        if node is None:  # the definition changed under a running chain
            state.next, state.status = None, s.FAILED
            state.error = 'Unable to find node with name "%s".' % done.name
            return state
        if done.status == s.SUCCEEDED and node.publish:
            context = render_context(params, state.results, state.vars)
            context.update(names)
            context[node.name] = done.result
            try:
                published = render_values(node.publish, context)
            except RenderError as e:
                state.next, state.status = None, s.FAILED
                state.error = ('Failed rendering value for publish parameter "%s" in task "%s" '
                               "(template string=%s): %s" % (e.key, node.name, e.template, e.reason))
                return state
            state.vars.update(published)
            state.published.update(published)
        if done.status == s.SUCCEEDED:
            state.status = s.SUCCEEDED
            _follow(spec, node, node.on_success, state)
        elif done.status == s.CANCELED:
            state.next, state.status = None, s.CANCELED
        elif done.status in FAILED_STATES:
            state.status = s.TIMEOUT if done.status == s.TIMEOUT else s.FAILED
            _follow(spec, node, node.on_failure, state)
        else:  # paused (the engine resumes it before going on)
            state.next, state.status = node, done.status
        if state.error:
            return state
    return state


def node_parameters(node: Node, params: dict, state: Progress, chain_context: dict,
                    datastore: dict | None = None) -> dict:
    """``node``'s parameters rendered against the state so far, and ``datastore``'s names
    (``st2kv``, ``system``: lookups the engine gives); raises RenderError."""
    context = render_context(params, state.results, state.vars, chain_context)
    context.update(datastore or {})
    return render_values(node.parameters, context)


def parameter_error(node: Node, error: RenderError) -> str:
    return ('Failed to run task "%s". Parameter rendering failed. Failed rendering value for action '
            'parameter "%s" in task "%s" (template string=%s): %s'
            % (node.name, error.key, node.name, error.template, error.reason))


def chain_result(state: Progress, display_published: bool = True) -> dict:
    """The chain execution's result: ``tasks``, ``published`` (unless the runner
    parameter ``display_published`` is false) and a top-level ``error``."""
    result: dict[str, Any] = {"tasks": list(state.tasks)}
    if display_published:
        result["published"] = dict(state.published)
    if state.error:
        result["error"] = state.error
    return result
