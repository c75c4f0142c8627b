"""Copies of a spec without building it again (a patch of ``orquesta.specs.base.Spec.copy``).

``WorkflowConductor.get_task`` copies the task's spec for every task it returns (once per
task execution scheduled, and per ``get_next_tasks`` that renders a staged task), and
Orquesta's ``Spec.copy`` is ``deserialize(serialize())``: the spec object is built again
from its source dict, with every nested spec (transitions, retry, with-items ...) and the
schema walks and inline-parameter parsing of each constructor. That is O(size of the task),
not O(N), but with a large constant: about a fifth of the conductor's time per task of a
chain.

The patch builds that copy Orquesta's way once per spec object (the *template*, which
nothing else ever sees), and answers each ``copy()`` with a structural clone of the
template: a new object of the same class for every spec in it, new lists and dicts for
every container among their attributes, and the same leaves (strings, numbers). Like
Orquesta's copy, the clone shares the source dict (``spec``) with the original, and the
class schemas (``_schema``, ``_meta_schema``, merged once per class by
:mod:`.graph_index`).

What is kept identical: a copy has the class, attributes and values Orquesta's copy has,
because the template *is* Orquesta's copy, and nothing can change the template. It does
not follow changes made to a spec's source dict after its first copy (neither Orquesta nor
wfops changes one; wfops's skip replaces a transition's ``publish`` attribute for the time
of one call, which Orquesta's copy, built from the source dict, does not see either).
With ``WFOPS_ORQUESTA_SPEED_VERIFY=1`` every clone is compared with Orquesta's copy.
"""

from __future__ import annotations

import weakref
from typing import Any

from wfops.orquesta_speed import Patch, uses, verifying

# Attributes a copy shares with its original, as Orquesta's copy does.
_SHARED = frozenset(("spec", "_schema", "_meta_schema"))

_templates: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


def _clone(value: Any, spec_class: type) -> Any:
    """A structural copy of ``value``: new spec objects (``spec_class`` instances) and
    containers, the same leaves; the attributes in ``_SHARED`` shared. O(size)."""
    if isinstance(value, spec_class):
        clone = object.__new__(type(value))
        clone.__dict__.update({k: v if k in _SHARED else _clone(v, spec_class)
                               for k, v in value.__dict__.items()})
        return clone
    if isinstance(value, list):
        return [_clone(v, spec_class) for v in value]
    if isinstance(value, dict):
        return {k: _clone(v, spec_class) for k, v in value.items()}
    return value


def shape(value: Any, spec_class: type) -> Any:
    """What two copies must have in common: classes, attributes and values, spec by
    spec (for the verification and the tests). O(size)."""
    if isinstance(value, spec_class):
        return (type(value), {k: shape(v, spec_class) for k, v in sorted(value.__dict__.items())})
    if isinstance(value, list):
        return [shape(v, spec_class) for v in value]
    if isinstance(value, dict):
        return {k: shape(v, spec_class) for k, v in value.items()}
    return value


def patches() -> list[Patch]:
    from orquesta.specs import base

    spec_class = base.Spec
    plain_copy = spec_class.__dict__["copy"]

    def copy(self):
        try:
            template = _templates.get(self)
        except TypeError:  # not weakly referable: Orquesta's own copy
            return plain_copy(self)
        if template is None:
            template = _templates[self] = plain_copy(self)
        clone = _clone(template, spec_class)
        if verifying():
            expected = plain_copy(self)
            assert shape(clone, spec_class) == shape(expected, spec_class), \
                "Spec.copy: the clone of %r differs from Orquesta's copy" % (self,)
        return clone

    return [Patch(spec_class, "copy", copy, uses("deserialize", "serialize"))]
