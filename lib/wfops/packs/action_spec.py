"""``ActionSpec``: one action's metadata, as loaded from its pack."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSpec:
    """An action, with its effective parameter schema.

    ``parameters`` is the runner type's parameters overlaid by the action's own (StackStorm
    semantics): name -> {type, required, default, immutable, secret, position, description,
    enum, ...}. ``entry_point`` is an absolute path resolved against ``<pack>/actions/``, or
    None for runners that take none.
    """

    ref: str
    pack: str
    name: str
    runner_type: str
    entry_point: str | None
    parameters: dict
    description: str
    enabled: bool
    pack_path: str
    metadata_file: str
