"""The cyclic garbage collector as the engine loop wants it.

A run's live data (the conductor's task sequence and item statuses, the records in
memory) grows with the run, and CPython's collector traverses it again and again: with
its default first-generation threshold (700 allocations) a with-items run of 10,000 items
spends about a quarter of its CPU time in collections that find nothing (the engine and
Orquesta make few reference cycles). Once per process, when the loop first runs:

- ``gc.freeze()``: what exists by then (imported modules, the pack registry, the store)
  moves to the permanent generation, which collections no longer traverse;
- a first-generation threshold of ``YOUNG_THRESHOLD`` allocations, so collections come
  about 70 times less often; each still finds every unreachable cycle, only later.

Nothing here changes what is collected, only when: objects are freed by reference counting
as before, and cycles by the next collection. ``WFOPS_GC_DEFAULTS=1`` leaves the
collector as Python set it (for comparisons).
"""

from __future__ import annotations

import gc
import os

YOUNG_THRESHOLD = 50000

_tuned = False


def tune() -> None:
    """Freeze what exists and raise the first-generation threshold, once per process;
    a no-op with ``WFOPS_GC_DEFAULTS=1``. O(objects alive), once."""
    global _tuned
    if _tuned or os.environ.get("WFOPS_GC_DEFAULTS") == "1":
        return
    _tuned = True
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, int(os.environ.get("WFOPS_GC_YOUNG", YOUNG_THRESHOLD))), middle, old)
