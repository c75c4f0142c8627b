"""Masking of secret parameter values (``secret: true`` in the action metadata).

As StackStorm, a parameter may be secret as a whole, or an object/array parameter may mark
secrets among its ``properties`` / ``items``; those nested values are masked too.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # wfops.packs loads YAML machinery: not needed to mask a record
    from wfops.packs.action_spec import ActionSpec

__all__ = ["MASKED_ATTRIBUTE_VALUE", "mask_secrets", "secret_parameter_names"]

# StackStorm's MASKED_ATTRIBUTE_VALUE.
MASKED_ATTRIBUTE_VALUE = "********"


def secret_parameter_names(action: ActionSpec) -> list[str]:
    """Names of the action's parameters that are secret as a whole, sorted."""
    return sorted(name for name, meta in action.parameters.items() if (meta or {}).get("secret"))


def mask_secrets(action: ActionSpec, parameters: dict) -> dict:
    """A deep copy of ``parameters`` with every secret value replaced by ``********``.

    Parameters not in the action's schema are copied unchanged.
    """
    result = {}
    for name, value in (parameters or {}).items():
        meta = action.parameters.get(name)
        result[name] = _mask(value, meta) if meta else copy.deepcopy(value)
    return result


def _has_nested_secret(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("secret"):
        return True
    properties = schema.get("properties")
    if isinstance(properties, dict) and any(_has_nested_secret(s) for s in properties.values()):
        return True
    return _has_nested_secret(schema.get("items"))


def _mask(value: Any, schema: Any) -> Any:
    if not isinstance(schema, dict):
        return copy.deepcopy(value)
    if schema.get("secret"):
        return MASKED_ATTRIBUTE_VALUE
    if not _has_nested_secret(schema):
        return copy.deepcopy(value)
    properties = schema.get("properties") or {}
    items = schema.get("items")
    if isinstance(value, dict) and properties:
        return {k: _mask(v, properties.get(k)) for k, v in value.items()}
    if isinstance(value, list) and isinstance(items, dict):
        return [_mask(v, items) for v in value]
    # The value does not have the shape the schema describes: mask it whole rather than
    # risk showing the secret inside it.
    return MASKED_ATTRIBUTE_VALUE
