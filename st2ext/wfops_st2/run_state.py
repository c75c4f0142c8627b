"""The planner's run state of a workflow execution, from the records StackStorm stores.

StackStorm keeps the Orquesta conductor serialized in ``WorkflowExecutionDB.state``
(``contexts``, ``sequence``, ``staged``, ``tasks``, ``routes``, ``reruns``, ``status``) and
one ``TaskExecutionDB`` per task the conductor handed out (``task_id``, ``task_route``,
``itemized``, ``status``, ``result.items`` as ``{status, result}`` or ``None``,
``start_timestamp``). The planner reads Orquesta's state as it is, plus
``items: {sequence index: [item status, ...]}`` for with-items executions, which only the
task execution records hold.

Matching records to sequence entries: both are made in order per (task, route), so the
n-th record of a task and route is taken for its n-th sequence entry. A no-reset re-run
by StackStorm itself leaves ``None`` for the items it did not run; those keep the status
they had in the task's previous record (as Orquesta carries them over in its staged
entry). Orquesta 1.6 also records the ``continue`` / ``noop`` / ``fail`` commands as
sequence entries; they are left out of the planner's view, with the links through them.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

ENGINE_COMMANDS = frozenset(["continue", "fail", "noop"])

RecordKey = Tuple[str, int]


def records_by_entry(sequence: Sequence[Mapping], records: Sequence[Mapping]) -> Dict[int, Mapping]:
    """``{sequence index: task execution record}``: the n-th record of each (task, route),
    by start time, for the n-th sequence entry of it. Entries without a record (engine
    commands, tasks StackStorm completed without a record) are absent. O(V + R log R)."""
    queues: Dict[RecordKey, List[Mapping]] = {}
    for record in sorted(records, key=lambda r: str(r.get("start_timestamp") or "")):
        queues.setdefault((record["task_id"], int(record.get("task_route") or 0)), []).append(record)
    found: Dict[int, Mapping] = {}
    for index, entry in enumerate(sequence):
        queue = queues.get((entry["id"], int(entry.get("route") or 0)))
        if queue:
            found[index] = queue.pop(0)
    return found


def item_statuses(records: Mapping[int, Mapping], sequence: Sequence[Mapping]) -> Dict[int, List[Optional[str]]]:
    """``{sequence index: [item status or None, ...]}`` for the itemized records; a
    ``None`` item takes the status of the same item in the previous record of that task
    and route (kept by a no-reset re-run). O(items)."""
    result: Dict[int, List[Optional[str]]] = {}
    previous: Dict[RecordKey, List[Optional[str]]] = {}
    for index in sorted(records):
        record = records[index]
        if not record.get("itemized"):
            continue
        items = ((record.get("result") or {}).get("items")) or []
        key = (sequence[index]["id"], int(sequence[index].get("route") or 0))
        before = previous.get(key) or []
        statuses = []
        for i, item in enumerate(items):
            status = item.get("status") if isinstance(item, Mapping) else None
            if status is None and i < len(before):
                status = before[i]
            statuses.append(status)
        result[index] = statuses
        previous[key] = statuses
    return result


def run_state(state: Mapping[str, Any], records: Sequence[Mapping]) -> dict:
    """The planner's run state: a copy of the stored conductor ``state`` with engine
    command entries taken out (indices renumbered, links through them dropped) and
    ``items`` from the task execution ``records``. O(V + R log R + items)."""
    sequence = state.get("sequence") or []
    by_entry = records_by_entry(sequence, records)
    items = item_statuses(by_entry, sequence)
    keep = [i for i, entry in enumerate(sequence) if entry["id"] not in ENGINE_COMMANDS]
    renumber = {old: new for new, old in enumerate(keep)}
    new_sequence = []
    for old in keep:
        entry = copy.deepcopy(sequence[old])
        entry["prev"] = {k: renumber[v] for k, v in (entry.get("prev") or {}).items() if v in renumber}
        new_sequence.append(entry)
    tasks = {key: renumber[index] for key, index in (state.get("tasks") or {}).items() if index in renumber}
    return {
        "status": state.get("status"),
        "sequence": new_sequence,
        "tasks": tasks,
        "staged": copy.deepcopy(state.get("staged") or []),
        "routes": copy.deepcopy(state.get("routes") or []),
        "reruns": [[renumber[i] for i in rerun if i in renumber] for rerun in state.get("reruns") or []],
        "contexts": state.get("contexts") or [],
        "items": {renumber[i]: statuses for i, statuses in items.items() if i in renumber},
    }
