"""The embedded host: drives Orquesta conductors and runs their actions.

One ``Engine`` per process. A single loop thread owns every conductor the process holds
(Orquesta is not thread-safe); actions run on a worker pool and post their outcomes to
the loop's queue. Each conductor call is journaled in the same SQLite transaction as the
execution records it produced (see ``wfops.engine.journal``).

Executions are owned per tree: the root action execution's ``owner`` column names the
engine that runs the tree. Other processes send operations through the ``commands``
table; an engine whose process died is detected by its pid and heartbeat, and its trees
are adopted by the next engine (running actions are then ``abandoned``).
"""

from __future__ import annotations

import concurrent.futures
import getpass
import heapq
import os
import queue
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from wfops.engine.journal import JournaledConductor

from wfops import errors, ids, lifecycle
from wfops import statuses as s
from wfops.timestamps import now_iso

HEARTBEAT_SECONDS = 1.0
DEAD_AFTER_SECONDS = 15.0
SNAPSHOT_MIN_ENTRIES = 256
OUTCOME_BATCH = 64  # outcomes delivered per transaction


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def engine_alive(store, engine_id: str | None) -> bool:
    """Whether the engine ``engine_id`` is still running (same machine: by pid)."""
    if not engine_id:
        return False
    engine = store.get_engine(engine_id)
    if engine is None:
        return False
    if engine["hostname"] == socket.gethostname():
        try:
            os.kill(engine["pid"], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    return time.time() - engine["heartbeat"] < DEAD_AFTER_SECONDS


@dataclass
class Outcome:
    """The end (or a status change) of an action execution, posted to the loop."""

    execution_id: str
    status: str
    result: Any


@dataclass
class LiveWorkflow:
    """What the loop keeps in memory for one workflow execution it owns."""

    wf_id: str
    execution_id: str          # the action execution currently attached to it
    root: str
    jc: "JournaledConductor"
    journal_seq: int
    snapshot_seq: int
    task_records: dict[int, dict]   # sequence index -> {"id", "status"}
    parent_task: dict | None       # for a sub-workflow: its own execution's task info


class Engine:
    """Runs workflow and action executions stored in ``store``."""

    def __init__(self, store, registry, *, workers: int | None = None, user: str | None = None):
        self.store = store
        self.registry = registry
        self.user = user or current_user()
        self.id = ids.new_id()
        self.pid = os.getpid()
        self.workers = workers or int(os.environ.get("WFOPS_WORKERS", "16"))
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.workers, thread_name_prefix="wfops-action"
        )
        self.outcomes: "queue.Queue[Outcome]" = queue.Queue()
        self.live: dict[str, LiveWorkflow] = {}          # wf_id -> LiveWorkflow
        self.by_execution: dict[str, str] = {}           # workflow action execution -> wf_id
        self.actions: dict[str, dict] = {}               # running action execution -> info
        self.timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = 0
        self._last_heartbeat = 0.0
        self._closed = False
        self.progress: Callable[[dict], None] | None = None
        store.register_engine(self.id, self.pid, socket.gethostname(), time.time())

    # ================================================================================
    # Launching
    # ================================================================================

    def check_launch(self, ref: str, parameters: dict):
        """Everything that can be refused before anything is created. Returns
        (action, validated parameters, spec or None)."""
        from wfops.parameters import validate_parameters

        action = self.registry.get(ref)
        if not action.enabled:
            raise errors.InvalidOperation('Unable to execute. Action "%s" is disabled.' % ref)
        params = validate_parameters(action, parameters)
        spec = None
        if action.runner_type == "orquesta":
            from wfops.engine import definitions

            spec = self._load_action_spec(action)
            problems = []
            for task, task_ref in sorted(definitions.action_references(spec).items()):
                try:
                    self.registry.get(task_ref)
                except errors.ActionNotFound:
                    problems.append(
                        'Task "%s" refers to action "%s", which cannot be found.' % (task, task_ref)
                    )
            errors.collect(problems, errors.WorkflowDefinitionError)
        return action, params, spec

    def _load_action_spec(self, action):
        from wfops.engine import definitions

        path = action.entry_point
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as e:
            raise errors.WorkflowDefinitionError(
                'The workflow definition of "%s" cannot be read: %s' % (action.ref, e)
            ) from None
        return definitions.load_spec(text, os.path.relpath(path))

    def launch(
        self,
        ref: str,
        parameters: dict,
        *,
        context: dict | None = None,
        user: str | None = None,
        execution_id: str | None = None,
    ) -> str:
        """Check, create and start an execution of ``ref``. Returns its id."""
        action, params, spec = self.check_launch(ref, parameters)
        execution_id = execution_id or ids.new_id()
        ctx = dict(context or {})
        ctx.setdefault("user", user or self.user)
        ctx.setdefault("pack", action.pack)
        with self.store.transaction():
            self._insert_execution(
                execution_id, action, params, ctx, parent=None, root=execution_id, owner=self.id
            )
            if spec is not None:
                self._start_workflow(execution_id, execution_id, action, params, spec, ctx, None)
            else:
                self._start_action(execution_id, action, params)
        return execution_id

    def _insert_execution(self, execution_id, action, params, context, *, parent, root, owner=None,
                          task_execution=None, item_id=None, status=s.REQUESTED, logged=()):
        """Insert an execution record in ``status``; ``logged``: earlier statuses it went
        through at once (its log lists them first). Returns the record."""
        now = now_iso()
        record = {
            "id": execution_id,
            "action_ref": action.ref,
            "runner_type": action.runner_type,
            "status": status,
            "parameters": params,
            "result": None,
            "context": context,
            "parent": parent,
            "root": root,
            "task_execution": task_execution,
            "item_id": item_id,
            "owner": owner,
            "start_timestamp": now,
            "end_timestamp": None,
            "log": [{"timestamp": now, "status": st} for st in (*logged, status)],
        }
        self.store.insert_execution(record)
        return record

    def _set_execution_status(self, execution_id: str, status: str, result: Any = None,
                              with_result: bool = False) -> None:
        record = self.store.get_execution(execution_id)
        if record is None:
            return
        fields: dict[str, Any] = {}
        if record["status"] != status:
            fields["status"] = status
            log = record["log"] + [{"timestamp": now_iso(), "status": status}]
            fields["log"] = log
            if status in s.COMPLETED:
                fields["end_timestamp"] = now_iso()
            elif record["end_timestamp"]:
                fields["end_timestamp"] = None
        if with_result:
            fields["result"] = result
        if fields:
            self.store.update_execution(execution_id, **fields)
            if self.progress and "status" in fields:
                self.progress({"execution": execution_id, "status": status, "record": record})

    # -- plain actions ----------------------------------------------------------------

    def _start_action(self, execution_id: str, action, params: dict, info: dict | None = None,
                      *, recorded_running: bool = False) -> None:
        """Run a plain action; ``recorded_running``: its record already says running."""
        from wfops.runners import RunContext, get_runner

        if not recorded_running:
            self._set_execution_status(execution_id, s.RUNNING)
        self.actions[execution_id] = info or {}
        runner = get_runner(action.runner_type)
        env = {
            "ST2_ACTION_EXECUTION_ID": execution_id,
            "ST2_ACTION_PACK_NAME": action.pack,
            "WFOPS_EXECUTION_ID": execution_id,
        }
        ctx = RunContext(execution_id=execution_id, env=env, work_dir=None)

        def work() -> None:
            try:
                outcome = runner.run(action, params, ctx)
                self.outcomes.put(Outcome(execution_id, outcome.status, outcome.result))
            except Exception as e:  # a runner bug must not lose the execution
                self.outcomes.put(
                    Outcome(execution_id, s.FAILED, {"error": str(e), "traceback": traceback.format_exc()})
                )

        if getattr(runner, "runs_inline", False):
            work()  # nothing to wait for: no thread hand-off; the outcome still queues
        else:
            self.pool.submit(work)

    # -- workflows --------------------------------------------------------------------

    def _start_workflow(self, execution_id, root, action, params, spec, context, parent_task):
        wf_id = ids.new_id()
        with open(action.entry_point, encoding="utf-8") as handle:
            definition = handle.read()
        parent_context = {
            "st2": {
                "action_execution_id": execution_id,
                "workflow_execution_id": wf_id,
                "user": context.get("user"),
                "pack": action.pack,
                "action": action.ref,
            }
        }
        if parent_task:
            parent_context["parent"] = parent_task.get("parent_context", {})
        now = now_iso()
        self.store.insert_workflow_execution(
            {
                "id": wf_id,
                "action_execution": execution_id,
                "action_ref": action.ref,
                "definition": definition,
                "status": s.REQUESTED,
                "input": params,
                "parent_context": parent_context,
                "snapshot": None,
                "snapshot_seq": 0,
                "journal_seq": 0,
                "created": now,
                "updated": now,
            }
        )
        record = self.store.get_execution(execution_id)
        ctx = dict(record["context"])
        ctx["workflow_execution"] = wf_id
        self.store.update_execution(execution_id, context=ctx)
        from wfops.engine.journal import JournaledConductor

        jc = JournaledConductor.new(spec, params, parent_context)
        live = LiveWorkflow(wf_id, execution_id, root, jc, 0, 0, {}, parent_task)
        self.live[wf_id] = live
        self.by_execution[execution_id] = wf_id
        self._journal(live, {"op": "status", "status": s.RUNNING})
        self._settle(live)

    def _journal(self, live: LiveWorkflow, entry: dict) -> Any:
        """Apply one conductor call and record it, with the task records it changes."""
        with self.store.transaction():
            value = live.jc.apply(entry)
            live.journal_seq += 1
            self.store.append_journal(live.wf_id, live.journal_seq, entry)
            self._sync_task_records(live, entry)
            if live.journal_seq - live.snapshot_seq >= max(
                SNAPSHOT_MIN_ENTRIES, 2 * len(live.jc.sequence)
            ):
                self._snapshot(live)
        return value

    def _snapshot(self, live: LiveWorkflow) -> None:
        self.store.write_snapshot(live.wf_id, live.journal_seq, live.jc.snapshot())
        live.snapshot_seq = live.journal_seq

    def _sync_task_records(self, live: LiveWorkflow, entry: dict) -> None:
        sequence = live.jc.sequence
        now = now_iso()
        for index in range(len(live.task_records), len(sequence)):
            task_state = sequence[index]
            prev_ids = [
                live.task_records[i]["id"]
                for i in sorted(set(task_state.get("prev", {}).values()))
                if i in live.task_records
            ]
            try:
                inbound = live.jc.conductor.get_task_context(task_state["ctxs"]["in"])
            except Exception:
                inbound = {}
            record = {
                "id": ids.new_id(),
                "workflow_execution": live.wf_id,
                "action_execution": live.execution_id,
                "task_id": task_state["id"],
                "route": task_state["route"],
                "seq_index": index,
                "status": task_state.get("status") or s.REQUESTED,
                "prev": prev_ids,
                "context": inbound,
                "result": None,
                "skipped": 0,
                "start_timestamp": now,
                "end_timestamp": None,
            }
            self.store.insert_task_execution(record)
            live.task_records[index] = {"id": record["id"], "status": record["status"]}
        if entry["op"] == "context":
            index = live.jc.conductor._get_task_state_idx(entry["task"], entry["route"])
            if index is not None and index in live.task_records:
                inbound = live.jc.conductor.get_task_context(sequence[index]["ctxs"]["in"])
                self.store.update_task_execution(live.task_records[index]["id"], context=inbound)
        if entry["op"] in ("task", "item", "status", "rerun", "skip"):
            for index, task_state in enumerate(sequence):
                known = live.task_records[index]
                status = task_state.get("status") or s.REQUESTED
                if known["status"] != status:
                    fields: dict[str, Any] = {"status": status}
                    if status in s.COMPLETED:
                        fields["end_timestamp"] = now
                        fields["published"] = self._published(live, task_state)
                        if task_state.get("skipped"):
                            fields["skipped"] = 1
                            fields["result"] = entry.get("result")
                        if entry["op"] == "item" and entry["task"] == task_state["id"]:
                            from wfops.engine.journal import items_key

                            fields["result"] = live.jc.items.get(
                                items_key(entry["task"], entry["route"])
                            )
                        elif entry["op"] == "task" and entry["task"] == task_state["id"]:
                            fields["result"] = entry.get("result")
                    self.store.update_task_execution(known["id"], **fields)
                    known["status"] = status

    @staticmethod
    def _published(live: LiveWorkflow, task_state: dict) -> dict:
        """What a completed task's transitions published (their new context entries)."""
        contexts = live.jc.conductor.workflow_state.contexts
        published: dict = {}
        for index in (task_state.get("ctxs", {}).get("out") or {}).values():
            if 0 <= index < len(contexts):
                published.update(contexts[index])
        return published

    def task_record_id(self, live: LiveWorkflow, task_id: str, route: int) -> str | None:
        index = live.jc.conductor._get_task_state_idx(task_id, route)
        if index is None or index not in live.task_records:
            return None
        return live.task_records[index]["id"]

    # -- moving a workflow forward --------------------------------------------------

    def _settle(self, live: LiveWorkflow) -> None:
        """After any change: mirror the workflow status, finish, or schedule next tasks."""
        status = live.jc.status
        if status in s.RUNNING_GROUP or (
            status == s.FAILED and live.jc.conductor.workflow_state.get_staged_tasks()
        ):
            self._schedule_next(live)
            status = live.jc.status
        self._mirror_status(live, status)

    def _mirror_status(self, live: LiveWorkflow, status: str) -> None:
        if self.store.get_workflow_status(live.wf_id) == status and status not in s.COMPLETED:
            return
        record = self.store.get_execution(live.execution_id)
        if status in s.COMPLETED and self._has_active_actions(live.wf_id):
            # Orquesta fails a workflow at once while other tasks still run; show the status
            # now, keep recording those tasks' outcomes, and finish when the last one ends.
            self.store.update_workflow_execution(live.wf_id, status=status, updated=now_iso())
            self._set_execution_status(live.execution_id, status)
            return
        if status in s.COMPLETED:
            if live.jc.conductor.get_workflow_output() is None:
                self._journal(live, {"op": "output"})
                status = live.jc.status
            result: dict[str, Any] = {"output": live.jc.conductor.get_workflow_output()}
            if live.jc.conductor.errors:
                result["errors"] = live.jc.conductor.errors
            self.store.update_workflow_execution(live.wf_id, status=status, updated=now_iso())
            self._snapshot(live)
            self._set_execution_status(live.execution_id, status, result, with_result=True)
            self._release_live(live)
            if live.parent_task:
                self._deliver(Outcome(live.execution_id, status, result))
            elif record and record["parent"] is None:
                self.store.release_root(live.root, self.id)
            return
        self.store.update_workflow_execution(live.wf_id, status=status, updated=now_iso())
        self._set_execution_status(live.execution_id, status)
        if status == s.PAUSED:
            self._snapshot(live)
        if live.parent_task and status in (s.PAUSED, s.RUNNING, s.CANCELING, s.PAUSING):
            # The parent's task for this sub-workflow follows its status (L3, L5).
            self._deliver(Outcome(live.execution_id, status, None), final=False)

    def _has_active_actions(self, wf_id: str) -> bool:
        return any(info.get("wf_id") == wf_id for info in self.actions.values())

    def _release_live(self, live: LiveWorkflow) -> None:
        self.live.pop(live.wf_id, None)
        self.by_execution.pop(live.execution_id, None)

    def _schedule_next(self, live: LiveWorkflow) -> None:
        next_tasks = self._journal(live, {"op": "next"})
        for task in next_tasks:
            if live.jc.stale_join(task["id"], task["route"]):
                self._journal(live, {"op": "drop", "task": task["id"], "route": task["route"]})
                continue
            self._schedule_task(live, task)

    def _schedule_task(self, live: LiveWorkflow, task: dict) -> None:
        task_id, route = task["id"], task["route"]
        has_items = "items_count" in task
        if has_items and task["items_count"] == 0:
            self._journal(live, {"op": "task", "task": task_id, "route": route, "status": s.RUNNING})
            self._journal(
                live, {"op": "task", "task": task_id, "route": route, "status": s.SUCCEEDED, "result": []}
            )
            self._settle(live)
            return
        delay = task.get("delay") or 0
        with self.store.transaction():  # one commit for all of a task's actions
            for action_spec in task["actions"]:
                item_id = action_spec.get("item_id") if has_items else None
                self._schedule_action(live, task, action_spec, item_id, delay)

    def _event_entry(self, live, task_id, route, item_id, count, status, result=None) -> dict:
        entry = {"op": "task", "task": task_id, "route": route, "status": status}
        if item_id is not None:
            entry = {"op": "item", "task": task_id, "route": route, "item": item_id,
                     "count": count, "status": status}
        if status in s.COMPLETED:
            entry["result"] = result
        return entry

    def _schedule_action(self, live, task, action_spec, item_id, delay) -> None:
        task_id, route = task["id"], task["route"]
        count = task.get("items_count")
        ref = action_spec["action"]
        problem = None
        action = None
        params: dict = {}
        try:
            from wfops.parameters import validate_parameters

            action = self.registry.get(ref)
            params = validate_parameters(action, action_spec.get("input") or {})
        except errors.WfopsError as e:
            problem = str(e)
        start_status = s.DELAYED if delay else s.RUNNING
        with self.store.transaction():
            self._journal(live, self._event_entry(live, task_id, route, item_id, count, start_status))
            task_execution = self.task_record_id(live, task_id, route)
            execution_id = ids.new_id()
            context = {
                "user": self.user,
                "parent": {"execution_id": live.execution_id},
                "orquesta": {
                    "workflow_execution_id": live.wf_id,
                    "task_execution_id": task_execution,
                    "task_id": task_execution,
                    "task_name": task_id,
                    "task_route": route,
                    "item_id": item_id,
                },
            }
            if action is None:
                from wfops.packs.action_spec import ActionSpec

                action = ActionSpec(
                    ref=ref, pack=ref.split(".")[0], name=ref.split(".")[-1],
                    runner_type="unknown", entry_point=None, parameters={}, description="",
                    enabled=True, pack_path="", metadata_file="",
                )
                params = action_spec.get("input") or {}
            # A plain action that starts now is recorded running at once (one write, not
            # an insert and an update); its log still shows scheduled, then running.
            starts_now = not delay and problem is None and action.runner_type != "orquesta"
            record = self._insert_execution(
                execution_id, action, params, context, parent=live.execution_id,
                root=live.root, task_execution=task_execution, item_id=item_id,
                status=s.DELAYED if delay else (s.RUNNING if starts_now else s.SCHEDULED),
                logged=(s.SCHEDULED,) if starts_now else (),
            )
        info = {"wf_id": live.wf_id, "task": task_id, "route": route, "item": item_id, "count": count}
        if problem is not None:
            self.actions[execution_id] = info
            self._deliver(Outcome(execution_id, s.FAILED, {"error": problem}))
            return
        if delay:
            self.actions[execution_id] = info
            self._add_timer(delay, lambda: self._start_delayed(execution_id, action, params, info, task))
            return
        if starts_now:
            if self.progress:
                self.progress({"execution": execution_id, "status": s.RUNNING, "record": record})
            self._start_action(execution_id, action, params, info, recorded_running=True)
            return
        self._start_task_action(live, execution_id, action, params, info, task)

    def _start_delayed(self, execution_id, action, params, info, task) -> None:
        live = self.live.get(info["wf_id"])
        if live is None:
            return
        record = self.store.get_execution(execution_id)
        if record["status"] != s.DELAYED:
            return
        if live.jc.status in (s.CANCELING, s.CANCELED):
            # Canceled while delayed: the action never starts.
            self._deliver(Outcome(execution_id, s.CANCELED, None))
            return
        # Running or pausing: a delayed task counts as active, so it runs like one.
        self._journal(live, self._event_entry(live, info["task"], info["route"], info["item"], info["count"], s.RUNNING))
        self._start_task_action(live, execution_id, action, params, info, task)

    def _start_task_action(self, live, execution_id, action, params, info, task) -> None:
        if action.runner_type == "orquesta":
            self._set_execution_status(execution_id, s.RUNNING)
            self.actions[execution_id] = info
            record = self.store.get_execution(execution_id)
            try:
                spec = self._load_action_spec(action)
            except errors.WfopsError as e:
                self._deliver(Outcome(execution_id, s.FAILED, {"error": str(e)}))
                return
            parent_task = dict(info)
            parent_task["parent_context"] = live.jc.conductor.get_workflow_parent_context()
            self._start_workflow(execution_id, live.root, action, params, spec, record["context"], parent_task)
            return
        self._start_action(execution_id, action, params, info)

    # -- outcomes ---------------------------------------------------------------------

    def _deliver(self, outcome: Outcome, final: bool = True) -> None:
        """Record an action's outcome and hand it to its workflow's conductor."""
        info = self.actions.get(outcome.execution_id)
        if final:
            self.actions.pop(outcome.execution_id, None)
            self._set_execution_status(outcome.execution_id, outcome.status, outcome.result, with_result=True)
        if not info:
            record = self.store.get_execution(outcome.execution_id)
            if record and record["parent"] is None and final:
                self.store.release_root(record["root"], self.id)
            return
        live = self.live.get(info["wf_id"])
        if live is None:
            return
        status = outcome.status
        if not final:
            # A sub-workflow's status change seen by its parent task.
            mapped = {s.PAUSED: s.PAUSED, s.RUNNING: s.RUNNING, s.CANCELING: s.CANCELING,
                      s.PAUSING: s.PAUSING}[status]
            task_state = live.jc.conductor.get_task_state_entry(info["task"], info["route"])
            if task_state is not None and task_state.get("status") == mapped:
                return
            status = mapped
        entry = self._event_entry(live, info["task"], info["route"], info["item"], info["count"],
                                  status, outcome.result)
        if entry["op"] == "task" and status not in s.COMPLETED:
            entry.pop("result", None)
        self._journal(live, entry)
        if entry["op"] == "item" and self._items_all_started(live, info["task"], info["route"]):
            # An item that leaves its task running stages nothing, and every item has
            # started: asking the conductor for next tasks would only re-render all N
            # items (O(N^2) in Orquesta 1.2.0) to find none.
            self._mirror_status(live, live.jc.status)
            return
        self._settle(live)

    @staticmethod
    def _items_all_started(live: LiveWorkflow, task_id: str, route: int) -> bool:
        """True when the with-items task is still running and none of its items is
        waiting to start (no ``concurrency`` left to fill)."""
        if live.jc.status != s.RUNNING:
            return False
        state = live.jc.conductor.workflow_state
        staged = state.get_staged_task(task_id, route)
        if staged is None or not staged.get("items"):
            return False
        task_state = live.jc.conductor.get_task_state_entry(task_id, route)
        if task_state is None or task_state.get("status") != s.RUNNING:
            return False
        items_spec = getattr(live.jc.conductor.spec.tasks.get_task(task_id), "with", None)
        if items_spec is not None and getattr(items_spec, "concurrency", None) is None:
            # Without a concurrency limit, each get_next_tasks() starts every waiting item.
            return True
        return all(item.get("status") != s.UNSET for item in staged["items"])

    # ================================================================================
    # Lifecycle (called in the owning engine)
    # ================================================================================

    def request_status(self, execution_id: str, operation: str) -> None:
        """Apply pause, resume or cancel to a workflow execution this engine owns,
        cascading as the lifecycle table says."""
        wf_id = self.by_execution.get(execution_id)
        if wf_id is None:
            record = self.store.get_execution(execution_id)
            if operation == "cancel" and record and record["runner_type"] != "orquesta":
                self._set_execution_status(execution_id, s.CANCELING)
            return
        live = self.live[wf_id]
        requested = lifecycle.OPERATIONS[operation]["requests"]
        if operation == "resume":
            # Resume cascades down first so the parent sees its children running.
            self._journal(live, {"op": "status", "status": requested})
            for child in self._child_workflows(live):
                if lifecycle.cascades_to(operation, live_status(self, child)):
                    self.request_status(child, operation)
            self._settle(live)
            return
        self._journal(live, {"op": "status", "status": requested})
        for child in self._child_workflows(live):
            if lifecycle.cascades_to(operation, live_status(self, child)):
                self.request_status(child, operation)
        for execution, info in list(self.actions.items()):
            if info.get("wf_id") == wf_id and operation == "cancel":
                record = self.store.get_execution(execution)
                if record and record["status"] == s.DELAYED:
                    self._deliver(Outcome(execution, s.CANCELED, None))
        self._settle(live)

    def _child_workflows(self, live: LiveWorkflow) -> list[str]:
        return [
            execution for execution, info in self.actions.items()
            if info.get("wf_id") == live.wf_id and execution in self.by_execution
        ]

    # ================================================================================
    # The loop
    # ================================================================================

    def _add_timer(self, delay: float, callback: Callable[[], None]) -> None:
        self._timer_seq += 1
        heapq.heappush(self.timers, (time.monotonic() + delay, self._timer_seq, callback))

    def has_work(self) -> bool:
        return bool(self.actions or self.timers or not self.outcomes.empty())

    def _deliver_batch(self, first: Outcome) -> None:
        """Deliver ``first`` and the outcomes already waiting, up to OUTCOME_BATCH of them
        in one transaction: one commit instead of one per outcome. A crash before the
        commit loses the batch as a whole, and those actions are then abandoned, as if
        the crash had come just before they finished."""
        with self.store.transaction():
            self._deliver(first)
            for _ in range(OUTCOME_BATCH - 1):
                try:
                    outcome = self.outcomes.get_nowait()
                except queue.Empty:
                    return
                self._deliver(outcome)

    def step(self, timeout: float = 0.05) -> None:
        """Process what is due: outcomes, timers, commands, heartbeat."""
        now = time.monotonic()
        wait = timeout
        if self.timers:
            wait = max(0.0, min(wait, self.timers[0][0] - now))
        try:
            outcome = self.outcomes.get(timeout=wait)
            self._deliver_batch(outcome)
        except queue.Empty:
            pass
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, callback = heapq.heappop(self.timers)
            callback()
        self._serve_commands()
        if time.time() - self._last_heartbeat >= HEARTBEAT_SECONDS:
            self._last_heartbeat = time.time()
            self.store.heartbeat(self.id, self._last_heartbeat)

    def _serve_commands(self) -> None:
        roots = self.store.owned_roots(self.id)
        pending = self.store.pending_commands(roots)
        for command in pending:
            from wfops.engine import commands

            commands.serve(self, command)
        if pending:
            for root in self.store.owned_roots(self.id):
                record = self.store.get_execution(root)
                if record["status"] in s.COMPLETED:
                    self.store.release_root(root, self.id)

    def run_until(self, done: Callable[[], bool], timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not done():
            if deadline is not None and time.monotonic() > deadline:
                return False
            self.step()
        return True

    def run_until_settled(self, execution_id: str, timeout: float | None = None) -> dict:
        """Run until ``execution_id`` is no longer in a status that ``wfops run`` waits on."""

        def settled() -> bool:
            record = self.store.get_execution(execution_id)
            return record["status"] not in s.WAITING

        self.run_until(settled, timeout)
        return self.store.get_execution(execution_id)

    def run_until_idle(self, timeout: float | None = None) -> bool:
        return self.run_until(lambda: not self.has_work() and not self._owned_active(), timeout)

    def _owned_active(self) -> bool:
        for root in self.store.owned_roots(self.id):
            record = self.store.get_execution(root)
            if record and record["status"] in s.ACTIVE:
                return True
        return False

    def close(self, wait: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        if wait:
            self.pool.shutdown(wait=True)
            while not self.outcomes.empty():
                self._deliver(self.outcomes.get_nowait())
        else:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.store.unregister_engine(self.id)

    # ================================================================================
    # Adoption: restoring conductors from the store
    # ================================================================================

    def load_workflow(self, wf_id: str, execution_id: str | None = None) -> LiveWorkflow:
        """Restore the conductor of ``wf_id`` into this engine (snapshot + journal)."""
        if wf_id in self.live:
            return self.live[wf_id]
        from wfops.engine.reruns import restore_conductor

        wf = self.store.get_workflow_execution(wf_id)
        jc = restore_conductor(self.store, wf)
        execution_id = execution_id or wf["action_execution"]
        record = self.store.get_execution(execution_id)
        records = {
            t["seq_index"]: {"id": t["id"], "status": t["status"]}
            for t in self.store.task_executions(wf_id)
        }
        parent_task = None
        if record["parent"] is not None:
            parent = self.store.get_execution(record["parent"])
            parent_wf = parent["context"].get("workflow_execution")
            orq = record["context"].get("orquesta", {})
            parent_task = {
                "wf_id": parent_wf or orq.get("workflow_execution_id"),
                "task": orq.get("task_name"),
                "route": orq.get("task_route"),
                "item": orq.get("item_id"),
                "count": None,
            }
        live = LiveWorkflow(
            wf_id, execution_id, record["root"], jc, wf["journal_seq"], wf["snapshot_seq"], records, parent_task
        )
        self.live[wf_id] = live
        self.by_execution[execution_id] = wf_id
        return live

    def adopt(self, root_id: str, expected_owner: str | None) -> bool:
        """Take over a tree whose engine is gone: restore its workflows, mark the actions
        that were running as abandoned, and carry on."""
        if not self.store.claim_root(root_id, self.id, expected_owner):
            return False
        tree = self.store.tree_executions(root_id)
        workflows = [r for r in tree if r["runner_type"] == "orquesta" and r["context"].get("workflow_execution")]
        # Load parents before children so that children can report to them.
        for record in workflows:
            wf = self.store.get_workflow_execution(record["context"]["workflow_execution"])
            if wf["action_execution"] != record["id"]:
                continue
            if record["status"] in s.COMPLETED and wf["status"] in s.COMPLETED:
                continue
            self.load_workflow(wf["id"], record["id"])
        for record in tree:
            if record["runner_type"] == "orquesta" and record["id"] in self.by_execution:
                if record["parent"] is not None:
                    orq = record["context"].get("orquesta", {})
                    self.actions[record["id"]] = self._info_for(record)
                continue
            if record["status"] in s.ACTIVE and record["status"] != s.DELAYED:
                info = self._info_for(record)
                self.actions[record["id"]] = info
                self._deliver(Outcome(record["id"], s.ABANDONED, {
                    "error": "The process running this action ended before it finished "
                             "(engine %s); the action was abandoned." % (expected_owner or "unknown"),
                }))
            elif record["status"] == s.DELAYED:
                info = self._info_for(record)
                self.actions[record["id"]] = info
                action = self.registry.get(record["action_ref"])
                self._add_timer(0, lambda r=record, a=action, i=info: self._start_delayed(r["id"], a, r["parameters"], i, None))
        for wf_id in list(self.live):
            live = self.live.get(wf_id)
            if live is not None and live.root == root_id:
                self._settle(live)
        return True

    def _info_for(self, record: dict) -> dict:
        orq = record["context"].get("orquesta")
        if not orq:
            return {}
        wf_id = orq.get("workflow_execution_id")
        count = None
        live = self.live.get(wf_id)
        if record["item_id"] is not None and live is not None:
            staged = live.jc.conductor.workflow_state.get_staged_task(orq["task_name"], orq["task_route"])
            if staged and staged.get("items"):
                count = len(staged["items"])
        return {"wf_id": wf_id, "task": orq["task_name"], "route": orq["task_route"],
                "item": record["item_id"], "count": count}

    def adopt_orphans(self) -> list[str]:
        """Adopt every tree whose owner is gone. Returns the roots adopted."""
        adopted = []
        candidates = self.store.roots_needing_engine(tuple(sorted(s.ACTIVE | {s.PENDING})))
        candidates += self.store.roots_with_pending_commands()
        seen = set()
        for root in candidates:
            if root["id"] in seen:
                continue
            seen.add(root["id"])
            owner = root["owner"]
            if owner == self.id or engine_alive(self.store, owner):
                continue
            if self.adopt(root["id"], owner):
                adopted.append(root["id"])
        return adopted


def live_status(engine: Engine, execution_id: str) -> str:
    wf_id = engine.by_execution.get(execution_id)
    if wf_id and wf_id in engine.live:
        return engine.live[wf_id].jc.status
    record = engine.store.get_execution(execution_id)
    return record["status"] if record else ""
