"""Packs: discovery of packs and their action metadata (see :mod:`wfops.packs.registry`)."""

from wfops.packs.registry import ActionRegistry, ActionSpec, load_registry

__all__ = ["ActionRegistry", "ActionSpec", "load_registry"]
