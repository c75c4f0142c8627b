"""Requests, and the rounds of re-runs they drive.

A request is drawn before the first run, as plain choices (small integers), then resolved
against what ran: "the k-th task that ran" is ``names[k % len(names)]``. The choices do
not depend on the run, so hypothesis' replays and mutations never go invalid, and
shrinking moves each choice towards the first (simplest) option.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from wfops import statuses as s
from wfops.engine import reruns

from .check import conform
from .host import Host, run_first
from .notes import event, note
from .shapes import ITEMS, Shape


def ran_tasks(state: dict) -> dict[str, dict[int, str]]:
    """task -> {route: status of its latest execution}."""
    out: dict[str, dict[int, str]] = {}
    for key, index in (state.get("tasks") or {}).items():
        task, _, route = key.rpartition("__r")
        out.setdefault(task, {})[int(route)] = state["sequence"][index].get("status")
    return out


def _pick(options: list, k: int):
    return options[k % len(options)] if options else None


PICK = st.integers(0, 7)
# A rare option: about one draw in ten, and never the boundary values hypothesis favours
# (it draws the ends of a range far more often than their share); shrinks to "no".
RARE = st.integers(0, 99)


def rare(value: int) -> bool:
    return value % 10 == 7
# kind of a --tasks entry: 0-11 a task that ran, 12 name[route], 13 a task that never ran
# (if any), 14 a name not in the workflow.
TASK_CHOICE = st.tuples(st.integers(0, 14), PICK, PICK)


def resolve_tasks(choices, shape: Shape, ran: dict) -> list[str]:
    names, never = sorted(ran), sorted(set(shape.tasks) - set(ran))
    tasks = []
    for kind, k, r in choices:
        if kind == 13 and never:
            tasks.append(_pick(never, k))
        elif kind == 14 or not names:
            tasks.append("nosuchtask")
        else:
            name = _pick(names, k)
            tasks.append("%s[%d]" % (name, _pick(sorted(ran[name]), r)) if kind == 12 else name)
    return tasks


rerun_choices = st.fixed_dictionaries({
    "tasks": st.lists(TASK_CHOICE, max_size=3),
    "failed": st.booleans(),
    "no_reset": st.lists(PICK, max_size=2),
    "no_reset_outside": RARE,  # also name a task outside --tasks (R5)
    "force": st.integers(0, 99),  # --force when % 4 == 3
})


def rerun_request(choices: dict, shape: Shape, state: dict) -> dict:
    """Issue 4: --tasks (names, name[route], duplicates, bad names), --no-reset, --failed,
    --force."""
    ran = ran_tasks(state)
    tasks = resolve_tasks(choices["tasks"], shape, ran)
    if not tasks and not choices["failed"]:
        tasks = resolve_tasks([(0, 0, 0)], shape, ran)  # no tasks, no --failed: a re-run from the beginning
    failed = choices["failed"]
    candidates = {t.split("[")[0] for t in tasks} & shape.items
    if failed:
        candidates |= {t for t in shape.items if t in ran}
    no_reset = list(dict.fromkeys(_pick(sorted(candidates), k) for k in choices["no_reset"])) if candidates else []
    if rare(choices["no_reset_outside"]):
        no_reset.append(_pick(shape.tasks, choices["no_reset"][0] if choices["no_reset"] else 0))
    return {"tasks": tasks, "no_reset": no_reset, "failed": failed, "force": choices["force"] % 4 == 3}


extras_choices = st.fixed_dictionaries({
    "tasks": st.lists(TASK_CHOICE, max_size=2),
    # (which task, which items, rarely: add an index out of range)
    "items": st.lists(st.tuples(PICK, st.sets(st.integers(0, ITEMS - 1), min_size=1), RARE), max_size=2),
    # (which failed task, how: 0 --result, 1 --publish, 2 both, 3 neither)
    "skips": st.lists(st.tuples(PICK, st.integers(0, 3)), max_size=2),
    "skip_other": RARE,  # also skip a task that did not fail (E6)
    "context": st.tuples(st.booleans(), PICK),
})


def extras_request(choices: dict, shape: Shape, state: dict) -> dict:
    """Issue 5: --items selections, --skip with --result / --publish, --context, mixed
    with --tasks in one request."""
    ran = ran_tasks(state)
    tasks = resolve_tasks(choices["tasks"], shape, ran)
    item_tasks = sorted(t for t in shape.items if t in ran)
    items: dict[str, list[int]] = {}
    for k, indices, out_of_range in choices["items"] if item_tasks else []:
        items.setdefault(_pick(item_tasks, k), sorted(indices) + ([ITEMS] if rare(out_of_range) else []))
    failed_tasks = sorted(t for t, routes in ran.items() if any(x in s.ABENDED for x in routes.values()))
    skips: list[str] = []
    results: dict[str, Any] = {}
    publish: dict[str, dict] = {}
    hows = [(_pick(failed_tasks, k), how) for k, how in choices["skips"]] if failed_tasks else []
    if rare(choices["skip_other"]):
        hows.append((_pick(shape.tasks, len(hows)), 0))
    for task, how in hows:
        if task in skips:
            continue
        skips.append(task)
        if how in (0, 2):
            results[task] = {"stdout": "result-" + task}
        if how in (1, 2):
            publish[task] = {"p_" + task: "published-" + task}
    context = {}
    targets = sorted({t.split("[")[0] for t in tasks} | set(items))
    if targets and choices["context"][0]:
        target = _pick(targets, choices["context"][1])
        context[target] = {"override": "value-" + target}
    payload: dict[str, Any] = {"tasks": tasks, "items": items, "skip": skips, "result": results,
                               "publish": publish, "context": context}
    if not (tasks or items or skips):
        # Nothing drawn applies: skip a failed task, or select an item, or --failed.
        if failed_tasks:
            payload.update(skip=[failed_tasks[0]], result={failed_tasks[0]: {"stdout": "result"}})
        elif item_tasks:
            payload["items"] = {item_tasks[0]: [0]}
        else:
            payload["tasks"] = resolve_tasks([(0, 0, 0)], shape, ran)
    return payload


def two_rounds(host: Host, shape: Shape, choices: dict, make_request) -> None:
    """Run the workflow, re-run it as ``choices["first"]`` asks, and, when that re-run was
    applied and ``choices["second"]`` is given, re-run again (from the first re-run's
    execution or from the original one): the second plan reads a state that records an
    attempt, with branches a re-run replaced."""
    record, state = run_first(host)
    event("first run " + record["status"])
    outcome = conform(host, record, state, make_request(choices["first"], shape, state))
    event("1st re-run: " + outcome)
    if outcome != "applied" or not choices["do_second"]:
        return
    latest = host.store.get_execution(host.store.get_workflow_execution(
        record["context"]["workflow_execution"])["action_execution"])
    target = record if choices["second_on_original"] else latest
    state = reruns.state_for(host.store, target)
    note("Second re-run, on the %s execution" % ("original" if target is record else "latest"))
    event("2nd re-run: " + conform(host, target, state, make_request(choices["second"], shape, state)))


def rounds(request_choices):
    """The choices of :func:`two_rounds`: a first request, and maybe a second one."""
    return st.fixed_dictionaries({
        "first": request_choices,
        "second": request_choices,
        "do_second": st.booleans(),
        "second_on_original": st.booleans(),
    })


paused_choices = st.fixed_dictionaries({
    "pause_after": st.integers(0, 3),  # actions completed after the first failure
    # (which failed task, how: 0 --result, 1 --publish, 2 both, 3 neither)
    "skips": st.lists(st.tuples(PICK, st.integers(0, 3)), min_size=1, max_size=2),
    "skip_other": RARE,  # also skip a task that did not fail (E6)
    "with_tasks": RARE,  # also --tasks: refused on a paused workflow
})


def paused_request(choices: dict, shape: Shape, state: dict) -> dict:
    """Skips (with --result / --publish) of failed tasks of a paused workflow; rarely a
    skip of another task or a --tasks part, which are refused."""
    ran = ran_tasks(state)
    failed_tasks = sorted(t for t, routes in ran.items() if any(x in s.ABENDED for x in routes.values()))
    hows = [(_pick(failed_tasks, k), how) for k, how in choices["skips"]] if failed_tasks else []
    if rare(choices["skip_other"]) or not hows:
        hows.append((_pick(sorted(ran) or shape.tasks, len(hows)), 0))
    payload: dict[str, Any] = {"skip": [], "result": {}, "publish": {}}
    for task, how in hows:
        if task in payload["skip"]:
            continue
        payload["skip"].append(task)
        if how in (0, 2):
            payload["result"][task] = {"stdout": "result-" + task}
        if how in (1, 2):
            payload["publish"][task] = {"p_" + task: "published-" + task}
    if rare(choices["with_tasks"]):
        payload["tasks"] = resolve_tasks([(0, 0, 0)], shape, ran)
    return payload
