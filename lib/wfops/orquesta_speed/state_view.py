"""``__state`` as a view of the workflow state, not a copy (patches of ``orquesta.conducting``).

1. ``WorkflowConductor.get_task``, ``make_task_context`` and ``render_workflow_output``
   put ``{"__state": self.workflow_state.serialize()}`` into the expression context: a
   deep copy of the whole workflow state (every task execution, every context, every
   staged item) for every task scheduled and every task completed, O(N) per event; YAQL
   then converted that copy again for every expression evaluated with it, and each
   with-items item got a deep copy of the context holding it. Expressions reach
   ``__state`` through the workflow functions (``succeeded()``, ``task_status()``,
   StackStorm's ``task()``), which read ``tasks``, ``sequence[i]`` and ``routes``.
   The patch runs Orquesta's own methods with ``serialize()`` answering, that one time,
   a :class:`StateView`: a read-only mapping of the live state, O(1) to make.

   What stays identical: the functions read the same values. Between the making of such
   a context and its last use (rendering one task, evaluating one completed task's
   retry and transitions) Orquesta adds no task execution and changes no task status;
   it appends routes, and the view shows the routes there were when it was made. Code
   that copies the context from outside (``copy.deepcopy``, ``ujson``), compares it, or
   reads it as a whole gets ``serialize()`` of the state at that moment.

   Where an expression could read the state itself, the patch stands aside and Orquesta
   copies as before: when the workflow definition mentions ``__state`` or ``__vars``
   anywhere (``$__state``, ``{{ __vars }}``), when a transition's ``publish`` was
   replaced with such a text (wfops's skip), or when a context to be merged already has
   a ``__state`` key (Orquesta would merge the copy into it).

2. ``orquesta.utils.jsonify.deepcopy`` of a context holding a view (``deepcopy(current_ctx)``
   for each transition, ``set_current_item`` for each item, ``finalize_context``) copies
   everything but the view, which the copy shares: a view is read-only, so sharing it is
   what a copy of a snapshot would be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wfops.orquesta_speed import Patch, uses

_STATE_KEYS = ("contexts", "routes", "sequence", "staged", "status", "tasks")
_MENTIONS_KEY = "_wfops_speed_mentions_state"
_PRIVATE_NAMES = ("__state", "__vars")


class RoutesPrefix(Sequence):
    """The first ``size`` routes of a (growing) routes list, read-only."""

    __slots__ = ("_routes", "_size")

    def __init__(self, routes: list, size: int):
        self._routes = routes
        self._size = size

    def __len__(self) -> int:
        return min(self._size, len(self._routes))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._routes[: len(self)][index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("list index out of range")
        return self._routes[index]

    def __eq__(self, other) -> bool:
        return list(self) == (list(other) if isinstance(other, RoutesPrefix) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


class StateView(Mapping):
    """A read-only mapping with the keys of ``WorkflowState.serialize()``, read from the
    live state (no copy). Whole-value uses (deep copy, ujson, ``==``, ``repr``) get
    ``serialize()`` of the state as it is then, with the routes the view was made with.
    """

    __slots__ = ("_state", "_routes")

    def __init__(self, state):
        self._state = state
        self._routes = len(state.routes)

    def _keys(self) -> tuple:
        return _STATE_KEYS + (("reruns",) if self._state.reruns else ())

    def __getitem__(self, key):
        state = self._state
        if key == "routes":
            return RoutesPrefix(state.routes, self._routes)
        if key in _STATE_KEYS or (key == "reruns" and state.reruns):
            return getattr(state, key)
        raise KeyError(key)

    def __iter__(self):
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __contains__(self, key) -> bool:
        return key in self._keys()

    def materialize(self) -> dict:
        """``serialize()`` of the state now (Orquesta's deep copy), routes as when made."""
        state = self._state
        data = type(state).serialize(state)
        data["routes"] = data["routes"][: self._routes]
        return data

    def __eq__(self, other) -> bool:
        if isinstance(other, StateView):
            other = other.materialize()
        return self.materialize() == other

    __hash__ = None  # type: ignore[assignment]

    def __deepcopy__(self, memo) -> dict:
        return self.materialize()

    def __copy__(self) -> dict:
        return self.materialize()

    def __reduce__(self):
        return (dict, (list(self.materialize().items()),))

    def toDict(self) -> dict:  # noqa: N802 (ujson calls an object's toDict())
        return self.materialize()

    def __repr__(self) -> str:
        return repr(self.materialize())


def mentions_private_names(value: Any) -> bool:
    """Whether any string in ``value`` (nested dicts, lists, keys too) contains
    ``__state`` or ``__vars``. O(size of value)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any(name in item for name in _PRIVATE_NAMES):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def _spec_mentions_private_names(spec) -> bool:
    cached = spec.__dict__.get(_MENTIONS_KEY)
    if cached is None:
        cached = spec.__dict__[_MENTIONS_KEY] = mentions_private_names(getattr(spec, "spec", None))
    return cached


def _contexts_have_state(state, indices) -> bool:
    contexts = state.contexts
    return any("__state" in contexts[i] for i in indices)


def _view_allowed(conductor, indices=None, task_id=None) -> bool:
    """Whether an expression context of ``conductor`` may carry a view: see (1) above.
    ``indices``: the contexts that will be merged into it (None: all of them)."""
    try:
        if _spec_mentions_private_names(conductor.spec):
            return False
        state = conductor.workflow_state
        if indices is None:
            indices = range(len(state.contexts))
        if _contexts_have_state(state, indices):
            return False
        if task_id is not None:
            task_spec = conductor.spec.tasks.get_task(task_id)
            for transition in getattr(task_spec, "next", None) or []:
                if mentions_private_names(vars(transition).get("publish")):
                    return False
        return True
    except Exception:  # anything unusual: Orquesta's own way decides (and raises)
        return False


def _task_context_indices(conductor, task_id, route) -> list:
    """The contexts ``get_task`` merges for a task (as ``get_task_initial_context``)."""
    state = conductor.workflow_state
    staged = state.get_staged_task(task_id, route)
    if staged:
        return staged["ctxs"]["in"]
    entry = conductor.get_task_state_entry(task_id, route)
    if entry:
        return entry["ctxs"]["in"]
    return [0]


class _SerializeOnceAsView:
    """Installed on a WorkflowState instance: its next ``serialize()`` returns a view,
    and later ones are Orquesta's again."""

    def __init__(self, state):
        self.state = state

    def __call__(self):
        self.remove()
        return StateView(self.state)

    def install(self):
        self.state.__dict__["serialize"] = self

    def remove(self):
        if self.state.__dict__.get("serialize") is self:
            del self.state.__dict__["serialize"]


def _run_with_view(conductor, plain, *args, **kwargs):
    shim = _SerializeOnceAsView(conductor.workflow_state)
    shim.install()
    try:
        return plain(conductor, *args, **kwargs)
    finally:
        shim.remove()


def _patched_conductor_methods(conducting) -> dict[str, Any]:
    plain = {name: conducting.WorkflowConductor.__dict__[name]
             for name in ("get_task", "make_task_context", "render_workflow_output")}

    def get_task(self, task_id, route):
        try:
            indices = _task_context_indices(self, task_id, route)
        except Exception:
            indices = None
        if indices is None or not _view_allowed(self, indices):
            return plain["get_task"](self, task_id, route)
        return _run_with_view(self, plain["get_task"], task_id, route)

    def make_task_context(self, task_state_entry, task_result=None):
        try:
            indices, task_id = task_state_entry["ctxs"]["in"], task_state_entry["id"]
        except Exception:
            indices = task_id = None
        if indices is None or not _view_allowed(self, indices, task_id):
            return plain["make_task_context"](self, task_state_entry, task_result=task_result)
        return _run_with_view(self, plain["make_task_context"], task_state_entry, task_result=task_result)

    def render_workflow_output(self):
        if not _view_allowed(self):
            return plain["render_workflow_output"](self)
        return _run_with_view(self, plain["render_workflow_output"])

    return {"get_task": get_task, "make_task_context": make_task_context,
            "render_workflow_output": render_workflow_output}


def _patched_deepcopy(jsonify):
    plain = jsonify.deepcopy

    def deepcopy(value):
        if type(value) is not dict or not isinstance(value.get("__state"), StateView):
            return plain(value)
        copied = plain({k: v for k, v in value.items() if k != "__state"})
        if len(copied) != len(value) - 1:   # keys that collided once made JSON keys
            return plain(value)
        result, rest = {}, iter(copied.items())
        for key in value:
            if key == "__state":
                result[key] = value[key]
            else:
                copied_key, copied_value = next(rest)
                result[copied_key] = copied_value
        return result

    return deepcopy


def patches() -> list[Patch]:
    from orquesta import conducting
    from orquesta.utils import jsonify

    methods = _patched_conductor_methods(conducting)
    return [
        Patch(conducting.WorkflowConductor, name, methods[name], uses("serialize"))
        for name in ("get_task", "make_task_context", "render_workflow_output")
    ] + [Patch(jsonify, "deepcopy", _patched_deepcopy(jsonify), uses("ujson"))]
