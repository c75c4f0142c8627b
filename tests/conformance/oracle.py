"""The oracle: what a re-run plan implies the host does, once the conditions of the
transitions are known."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from wfops import statuses as s

from .shapes import ITEMS, KO, OK, Shape


@dataclass
class Prediction:
    rerun: dict[tuple[str, int], set[int] | None]  # (task, route) -> items that run (None: no items)
    skipped: set[tuple[str, int]]
    outcomes: dict[str, list[str]]  # task -> outcome of each new task execution, sorted
    counts: Counter
    unhandled_failure: bool = False
    notes: list[str] = field(default_factory=list)


def _children_index(sequence: list[dict]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for i, entry in enumerate(sequence):
        for parent in (entry.get("prev") or {}).values():
            children.setdefault(parent, []).append(i)
    return children


def _descendants(children: dict[int, list[int]], sources) -> set[int]:
    seen: set[int] = set()
    stack = list(sources)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _attempts(sequence: list[dict], indices) -> set[int]:
    """``indices`` and every other attempt at the same position: the same task reached
    through the same chain of transitions from the start (an earlier run of it that a
    re-run replaced). What a re-run replaces includes what those attempts triggered."""
    position: list[tuple] = []
    for entry in sequence:
        parents = tuple(sorted((key, position[p]) for key, p in (entry.get("prev") or {}).items()))
        position.append((entry["id"], parents))
    wanted = {position[i] for i in indices}
    return {i for i, pos in enumerate(position) if pos in wanted}


def predict(shape: Shape, state: dict, plan) -> Prediction:
    """What the host must do with ``plan``: every re-run entry once with its items; then,
    in topological order, each task runs once per arriving transition (a split) or once
    when every inbound branch can count (a join); a branch counts when it arrives in the
    re-run or when its old execution, left in place by the re-run, took its transition
    into the join. Continuing tasks (R8) arrive too."""
    sequence = state["sequence"]
    latest = {}
    for key, index in (state.get("tasks") or {}).items():
        task, _, route = key.rpartition("__r")
        latest[(task, int(route))] = index
    old_items = {int(k): list(v) for k, v in (state.get("items") or {}).items()}
    selections = {(x.task, x.route): set(x.indices) for x in getattr(plan, "item_selections", [])}
    skipped = {(x.task, x.route) for x in getattr(plan, "skips", [])}
    rerun_index = {r.sequence_index for r in plan.rerun}
    replaced = _descendants(_children_index(sequence), _attempts(sequence, rerun_index))

    prediction = Prediction({}, skipped, {}, Counter())

    def outcome(task: str, ran: set[int] | None, prior: list[str] | None) -> str:
        if task not in shape.items:
            return KO if task in shape.refail else OK
        final = list(prior) if prior else [OK] * ITEMS
        for i in ran or ():
            final[i] = KO if "%s.%d" % (task, i) in shape.refail else OK
        return KO if any(x in s.ABENDED for x in final) else OK

    def handled(task: str, result: str) -> bool:
        # Orquesta counts a failed task as remediated when a transition it took staged a
        # task that is ready. A join is ready only once its other branches arrived, which
        # depends on the order the actions end in: a failure whose only transitions lead
        # into joins may fail the workflow. Then only an upper bound is predicted.
        return result == OK or any(c not in shape.joins for c in shape.children(task, KO))

    new: dict[str, list[str]] = {t: [] for t in shape.tasks}
    arriving_continuing = Counter(t for c in plan.continuing for t in c.pending)
    for task in shape.tasks:  # parents come before children
        for r in (r for r in plan.rerun if r.task == task):
            key = (r.task, r.route)
            if key in skipped:
                prediction.rerun[key] = set()
                new[task].append(OK)
                continue
            if key in selections:
                ran = selections[key]
            elif r.items == "all":
                ran = set(range(ITEMS))
            elif r.items == "abended":
                ran = set(r.item_indices or ())
            else:
                ran = None
            prediction.rerun[key] = ran
            new[task].append(outcome(task, ran, old_items.get(r.sequence_index)))
        arrivals = arriving_continuing[task] + sum(
            1 for p, on in shape.inbound.get(task, []) for result in new[p] if result == on
        )
        if task in shape.joins:
            if arrivals and not any(r.task == task for r in plan.rerun):
                branches = []
                for p, on in shape.inbound[task]:
                    old = latest.get((p, 0))
                    arrived = any(result == on for result in new[p])
                    kept = (
                        old is not None
                        and old not in replaced
                        and old not in rerun_index
                        and any(
                            k.rpartition("__t")[0] == task and v
                            for k, v in (sequence[old].get("next") or {}).items()
                        )
                    )
                    branches.append(arrived or kept)
                if all(branches):
                    new[task].append(outcome(task, set(range(ITEMS)), None))
                else:
                    prediction.notes.append("join %s cannot run: branches %s" % (
                        task, dict(zip(shape.parents(task), branches))))
        else:
            new[task].extend([outcome(task, set(range(ITEMS)), None)] * arrivals)
        for result in new[task]:
            if not handled(task, result):
                prediction.unhandled_failure = True
    prediction.outcomes = {t: sorted(v) for t, v in new.items() if v}
    prediction.counts = Counter({t: len(v) for t, v in new.items() if v})
    return prediction
