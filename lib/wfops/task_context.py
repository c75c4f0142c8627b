"""What a task saw and did (rule E8): status, inbound context, rendered input, result per
item, what it published, and the task executions that led to it. Read from the store, so
it works while the workflow runs, is paused, or has completed."""

from __future__ import annotations

from wfops import errors


def _visible_context(context: dict) -> dict:
    # Orquesta keeps its own bookkeeping under "__" keys; they are not the task's variables.
    return {k: v for k, v in (context or {}).items() if not k.startswith("__")}


def task_context(store, execution: dict, task: str, route: int | None = None,
                 item: int | None = None) -> dict:
    """The context view of ``task`` in ``execution``'s workflow: its latest task execution
    (on ``route`` when given), optionally one ``item`` of a with-items task."""
    wf_id = execution["context"].get("workflow_execution")
    if execution["runner_type"] != "orquesta" or not wf_id:
        raise errors.InvalidOperation(
            'Execution "%s" is not a workflow execution; only workflow tasks have a context.'
            % execution["id"]
        )
    records = [t for t in store.task_executions(wf_id) if t["task_id"] == task]
    if not records:
        wf = store.get_workflow_execution(wf_id)
        defined = task in (wf["definition"] or "")
        raise errors.NotFound(
            'Task "%s" %s in workflow execution "%s".'
            % (task, "has not run" if defined else "is not defined", execution["id"])
        )
    if route is not None:
        on_route = [t for t in records if t["route"] == route]
        if not on_route:
            routes = sorted({t["route"] for t in records})
            raise errors.NotFound(
                'Task "%s" did not run on route %d; it ran on route(s) %s.'
                % (task, route, ", ".join(str(r) for r in routes))
            )
        records = on_route
    record = max(records, key=lambda t: t["seq_index"])
    by_id = {t["id"]: t for t in store.task_executions(wf_id)}
    actions = store.executions_of_task(record["id"])
    items = _item_executions(store, records, record, actions)
    view = {
        "execution": execution["id"],
        "workflow_execution": wf_id,
        "task_execution": record["id"],
        "task": task,
        "route": record["route"],
        "status": record["status"],
        "skipped": bool(record["skipped"]),
        "start_timestamp": record["start_timestamp"],
        "end_timestamp": record["end_timestamp"],
        "context": _visible_context(record["context"]),
        "published": record["published"],
        "led_to_by": [
            {"task_execution": p, "task": by_id[p]["task_id"], "route": by_id[p]["route"],
             "status": by_id[p]["status"]}
            for p in record["prev"] if p in by_id
        ],
    }
    if items:
        per_item = [
            {"item": i, "execution": a["id"], "status": a["status"], "input": a["parameters"],
             "result": a["result"]}
            for i, a in sorted(items.items())
        ]
        if item is not None:
            chosen = [p for p in per_item if p["item"] == item]
            if not chosen:
                raise errors.NotFound(
                    'Task "%s" has no item %d; its items are 0 to %d.' % (task, item, max(items))
                )
            per_item = chosen
        view["items"] = per_item
        view["result"] = record["result"]
    else:
        if item is not None:
            raise errors.InvalidOperation('Task "%s" is not a with-items task; it has no items to show.' % task)
        latest_action = actions[-1] if actions else None
        view["input"] = latest_action["parameters"] if latest_action else None
        view["action_execution"] = latest_action["id"] if latest_action else None
        view["result"] = record["result"] if record["result"] is not None else (
            latest_action["result"] if latest_action else None)
    return view


def _item_executions(store, records: list[dict], record: dict, actions: list[dict]) -> dict[int, dict]:
    """The latest action execution of each item of ``record`` (a with-items task
    execution): an item selection or a no-reset re-run runs some items again in a new
    task execution, and the others keep their status and result from the earlier
    attempts of the same task and route, as its result list does. O(attempts + items)."""
    latest: dict[int, dict] = {}
    if not any(a["item_id"] is not None for a in actions):
        return latest
    count = len(record["result"]) if isinstance(record["result"], list) else None
    attempts = sorted((t for t in records if t["route"] == record["route"] and t["seq_index"] <= record["seq_index"]),
                      key=lambda t: t["seq_index"])
    for attempt in attempts:
        own = actions if attempt is record else store.executions_of_task(attempt["id"])
        for action in own:
            if action["item_id"] is not None and (count is None or action["item_id"] < count):
                latest[action["item_id"]] = action
    return latest
