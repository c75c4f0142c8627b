"""Plain FIFO queues where Orquesta uses thread-safe ones (patches of its ``queue`` imports).

``WorkflowConductor.update_task_state`` makes a ``queue.Queue`` (a lock and three
conditions) for its engine commands on every event, and graph composition and inspection
walk the task graph with one. Nothing else holds these queues: each lives inside one call
on one thread. The patch gives those modules a ``queue`` namespace whose ``Queue`` is a
deque with the same ``put`` / ``get`` / ``empty`` / ``qsize`` (FIFO, ``get`` on an empty
queue raises ``queue.Empty`` instead of blocking forever). A constant per event, not a
complexity: about a third of the time of an item event.
"""

from __future__ import annotations

import queue as _queue
import types
from collections import deque

from wfops.orquesta_speed import Patch


class SimpleQueue:
    """``queue.Queue``'s single-thread interface on a deque."""

    __slots__ = ("_items",)

    def __init__(self, maxsize: int = 0):
        self._items: deque = deque()

    def put(self, item, block: bool = True, timeout=None) -> None:
        self._items.append(item)

    put_nowait = put

    def get(self, block: bool = True, timeout=None):
        if not self._items:
            raise _queue.Empty
        return self._items.popleft()

    get_nowait = get

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


namespace = types.SimpleNamespace(Queue=SimpleQueue, Empty=_queue.Empty)


def patches() -> list[Patch]:
    from orquesta import conducting
    from orquesta.composers import native as native_composer
    from orquesta.specs.native.v1 import models

    def uses_queue(module_queue) -> bool:
        return getattr(module_queue, "Queue", None) is _queue.Queue

    return [Patch(module, "queue", namespace, uses_queue) for module in (conducting, models, native_composer)]
