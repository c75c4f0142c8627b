"""Orquesta 1.2.0 at O(1) work per workflow event.

Orquesta 1.2.0 does O(N) work for every event of a workflow run (N: tasks run so far, or
items of a with-items task), so a run costs O(N^2). These patches take that work away and
keep every result Orquesta computes the same. They are applied like the compatibility
layer (:mod:`wfops.orquesta_compat`): ``import wfops`` installs an import hook, and the
patches are applied once Orquesta's conductor or native spec module is imported.

The patches, one module each (every module documents, per patch, what Orquesta does, why
it is O(N), and what the patch keeps identical):

- :mod:`.state_view`: expression contexts carry a read-only view of the workflow state as
  ``__state`` instead of a deep copy (``serialize()`` in ``get_task``,
  ``make_task_context`` and ``render_workflow_output``), and conductor-internal copies of
  such a context keep the view (``deepcopy(current_ctx)`` per transition, per item);
- :mod:`.expressions`: YAQL converts a context's values when an expression reads them,
  not the whole context for every evaluation; parsed YAQL and compiled Jinja expressions
  are reused;
- :mod:`.graph_index`: a spec's transitions both ways, start tasks and cycle membership
  are computed once per spec / graph; transitions between two tasks are looked up in the
  graph's adjacency, not by scanning every edge; spec class schemas are merged once;
- :mod:`.task_index`: the statuses of the workflow's latest task executions and of a
  with-items task's items are kept as counts, updated by the entry each event changes
  (``get_tasks_by_status``, ``has_active_tasks`` ... and
  ``add_context_to_task_item_event`` were scans of the whole sequence / item list);
- :mod:`.queues`: single-thread FIFO queues where Orquesta made a thread-safe
  ``queue.Queue`` per event (a constant, not a complexity);
- :mod:`.inspection`: workflow inspection (once per launch) without its quadratic
  membership tests against the list of tasks walked;
- :mod:`.spec_copies`: ``Spec.copy`` (a task's spec, copied by ``get_task`` for every
  task it returns) clones a template built Orquesta's way once, instead of building the
  spec again from its source (a constant, not a complexity).

Each patch is applied only where Orquesta has the O(N) code it replaces (checked on the
function's code), and only on Orquesta 1.2.0, whose behaviour the patches reproduce; on
any other version nothing is patched.

Switches (environment):

- ``WFOPS_ORQUESTA_SPEED=0``: :func:`install` does nothing (plain Orquesta, with only the
  compatibility layer); used to run an unpatched conductor beside a patched one;
- ``WFOPS_ORQUESTA_SPEED_VERIFY=1``: every indexed answer is also computed Orquesta's way
  and compared (an ``AssertionError`` names a mismatch); slow, for tests.

:func:`revert` restores every patched attribute (and :func:`disabled` does so for a
``with`` block), so the same process can run a conductor both ways.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Callable, Iterator

ORQUESTA_VERSION = "1.2.0"
ENV_SWITCH = "WFOPS_ORQUESTA_SPEED"
ENV_VERIFY = "WFOPS_ORQUESTA_SPEED_VERIFY"

# Importing either of these means a conductor or a native spec is about to be used.
_TRIGGERS = ("orquesta.conducting", "orquesta.specs.native")

_MISSING = object()
_applied: list[tuple[Any, str, Any]] = []   # (owner, attribute, what it was) in apply order
_applying = False
_verify = False


def enabled_by_environment() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def verifying() -> bool:
    """Whether the patches check their answers against Orquesta's (read at :func:`apply`)."""
    return _verify


def set_verifying(flag: bool) -> bool:
    """Turn the checking of indexed answers on or off (tests); returns the former setting."""
    global _verify
    former, _verify = _verify, bool(flag)
    return former


def is_applied() -> bool:
    return bool(_applied)


class Patch:
    """One attribute replaced on one owner (a class or a module).

    ``needed`` is a predicate on the current attribute: whether Orquesta has the O(N) code
    this patch replaces (a patch whose target does not need it is skipped). ``value`` is
    what is set: for a method, the function (wrapped as a classmethod/staticmethod/property
    when the original is one).
    """

    def __init__(self, owner: Any, name: str, value: Any, needed: Callable[[Any], bool] | None = None):
        self.owner = owner
        self.name = name
        self.value = value
        self.needed = needed

    def original(self) -> Any:
        return self.owner.__dict__.get(self.name, _MISSING) if hasattr(self.owner, "__dict__") else _MISSING

    def apply(self) -> bool:
        current = self.original()
        if self.needed is not None and not self.needed(_unwrap(current)):
            return False
        value = self.value
        if isinstance(current, classmethod) and not isinstance(value, classmethod):
            value = classmethod(value)
        elif isinstance(current, staticmethod) and not isinstance(value, staticmethod):
            value = staticmethod(value)
        setattr(self.owner, self.name, value)
        _applied.append((self.owner, self.name, current))
        return True


def _unwrap(value: Any) -> Any:
    if isinstance(value, (classmethod, staticmethod)):
        return value.__func__
    if isinstance(value, property):
        return value.fget
    return value


def uses(*names: str) -> Callable[[Any], bool]:
    """A ``needed`` predicate: the function's code refers to every one of ``names``."""

    def needed(function: Any) -> bool:
        code = getattr(function, "__code__", None)
        if code is None:
            return False
        referred = set(code.co_names) | set(code.co_varnames) | {
            c for c in code.co_consts if isinstance(c, str)
        }
        for const in code.co_consts:  # comprehensions and lambdas are nested code objects
            if hasattr(const, "co_names"):
                referred |= set(const.co_names) | set(const.co_varnames)
        return all(name in referred for name in names)

    return needed


def original(owner: Any, name: str) -> Any:
    """What ``owner.name`` was before this layer patched it (the attribute itself when it
    is not patched); for calling Orquesta's own implementation from a patch."""
    for patched_owner, patched_name, before in _applied:
        if patched_owner is owner and patched_name == name and before is not _MISSING:
            return _unwrap(before)
    return _unwrap(owner.__dict__[name])


def _orquesta_version() -> str | None:
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover - Python < 3.8
        return None
    try:
        return metadata.version("orquesta")
    except metadata.PackageNotFoundError:
        return None


def apply() -> list[str]:
    """Apply every patch this Orquesta needs. Returns the names patched by this call
    ("Owner.attribute"); empty when already applied, or on another Orquesta version."""
    global _applying, _verify
    if _applied or _applying:
        return []
    if _orquesta_version() != ORQUESTA_VERSION:
        return []
    _verify = _verify or os.environ.get(ENV_VERIFY, "").strip().lower() in ("1", "true", "yes", "on")
    _applying = True
    try:
        from wfops import orquesta_compat

        orquesta_compat.apply()
        from wfops.orquesta_speed import (
            expressions,
            graph_index,
            inspection,
            queues,
            spec_copies,
            state_view,
            task_index,
        )

        done = []
        for module in (graph_index, task_index, state_view, expressions, queues, inspection, spec_copies):
            for patch in module.patches():
                if patch.apply():
                    owner = getattr(patch.owner, "__name__", repr(patch.owner))
                    done.append("%s.%s" % (owner, patch.name))
        return done
    finally:
        _applying = False


def revert() -> list[str]:
    """Restore every attribute :func:`apply` replaced. Returns their names."""
    done = []
    while _applied:
        owner, name, before = _applied.pop()
        if before is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, before)
        done.append("%s.%s" % (getattr(owner, "__name__", repr(owner)), name))
    return done


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Run a block on plain Orquesta (the patches reverted), then re-apply them if they
    were applied before."""
    was_applied = is_applied()
    revert()
    try:
        yield
    finally:
        if was_applied:
            apply()


def install() -> None:
    """Apply now if Orquesta's conductor or specs are already imported, else on import;
    nothing when ``WFOPS_ORQUESTA_SPEED=0``."""
    if not enabled_by_environment():
        return
    if any(name in sys.modules for name in _TRIGGERS):
        apply()
    else:
        from wfops.orquesta_compat import install_hook

        install_hook(_TRIGGERS, apply, lambda: bool(_applied) or _applying)
