"""What the command line's handlers act through: a :class:`Backend`.

Two implementations: :class:`LocalBackend` works on the local store through a
:class:`wfops.session.Session` (the embedded host: this process runs what it launches),
and :class:`wfops.cli.remote.RemoteBackend` works on a ``wfops serve`` server through its
REST API (``--url`` / ``WFOPS_URL``). The handlers in :mod:`wfops.cli.main` print the same
output and exit with the same status whichever backend they are given.

Records and views:

- a *record* (``get_execution``, ``wait``) is the stored execution as a dict with at
  least ``id``, ``action_ref``, ``runner_type``, ``status``, ``parameters``, ``context``,
  ``parent``; it is passed back to the backend, which may keep more in it;
- a *view* (``execution_view``, ``list_executions``) is StackStorm's execution JSON as
  :func:`wfops.views.execution_view` builds it.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from wfops import statuses as s


class Backend(Protocol):
    user: str

    def close(self) -> None: ...

    # -- reading -------------------------------------------------------------------------
    def get_execution(self, execution_id: str) -> dict:
        """The execution named by id or unique id prefix; raises ExecutionNotFound."""

    def execution_view(self, record: dict, *, tasks: bool) -> dict:
        """The view of ``record``; with ``tasks``, its children in full, recursively."""

    def operations(self, execution_id: str) -> list[dict]:
        """The audit entries of an execution, oldest first."""

    def list_executions(self, *, status: str | None, action: str | None, limit: int) -> list[dict]:
        """Views of the top-level executions, newest first (``limit`` < 0: all)."""

    def task_context(self, record: dict, task: str, route: int | None, item: int | None) -> dict: ...

    def get_action(self, ref: str):
        """The :class:`wfops.packs.ActionSpec` of ``ref``; raises ActionNotFound."""

    def list_actions(self, pack: str | None) -> list: ...

    def pack_report(self):
        """``(loaded packs, problems)``: :class:`wfops.packs.registry.LoadedPack` and
        :class:`wfops.packs.problems.PackProblem` lists."""

    # -- running -------------------------------------------------------------------------
    def launch(self, ref: str, parameters: dict, *, detached: bool) -> str:
        """Check and start an execution; returns its id. ``detached``: it runs on without
        this process (``--async``)."""

    def wait(self, execution_id: str, *, progress=None) -> dict:
        """Wait until the execution is out of ``statuses.WAITING``; returns its record.
        ``progress`` (a :class:`wfops.cli.progress.TaskBoard`): told each task status change."""

    def events(self, execution_id: str):
        """StackStorm's stream events of the execution's tree, from its start until it is
        out of ``statuses.WAITING`` (:mod:`wfops.cli.tail`)."""

    # -- operations ----------------------------------------------------------------------
    def lifecycle(self, operation: str, execution_id: str, *, comment: str | None) -> dict:
        """pause / resume / cancel: ``{"id", "status", "changed"}``; raises the refusal."""

    def plan(self, request):
        """The plan of a re-run request (a dry run): a planner plan (from tasks) or a
        :class:`wfops.operations.plans.BeginningPlan`; raises PlanError listing every problem."""

    def rerun(self, request, *, detached: bool) -> str:
        """Carry a re-run request out; returns the id of the execution that runs it."""

    def render_dot(self, request, plan) -> str: ...


class LocalBackend:
    """The local store, through a :class:`wfops.session.Session` (today's behaviour)."""

    def __init__(self, session):
        from wfops.operations import Operations

        self.session = session
        self.ops = Operations(session)
        self.user = session.user
        self._launched: set[str] = set()

    def close(self) -> None:
        self.session.close()

    @property
    def store(self):
        return self.session.store

    # -- reading -------------------------------------------------------------------------

    def get_execution(self, execution_id: str) -> dict:
        return self.ops.execution(execution_id)

    def execution_view(self, record: dict, *, tasks: bool) -> dict:
        from wfops.views import execution_view

        return execution_view(self.store, _RegistryOnDemand(self.session), record, tasks=tasks)

    def operations(self, execution_id: str) -> list[dict]:
        return self.ops.audit(execution_id)

    def list_executions(self, *, status: str | None, action: str | None, limit: int) -> list[dict]:
        from wfops.views import execution_view

        records, _total = self.store.list_executions(
            status=status, action=action, top_level_only=True, limit=limit
        )
        registry = _RegistryOnDemand(self.session)
        return [execution_view(self.store, registry, r) for r in records]

    def task_context(self, record: dict, task: str, route: int | None, item: int | None) -> dict:
        return self.ops.task_context(record["id"], task, route=route, item=item)

    def get_action(self, ref: str):
        return self.session.registry.get(ref)

    def list_actions(self, pack: str | None) -> list:
        return self.session.registry.list(pack=pack)

    def pack_report(self):
        registry = self.session.registry
        return registry.loaded_packs(), registry.problems()

    # -- running -------------------------------------------------------------------------

    def launch(self, ref: str, parameters: dict, *, detached: bool) -> str:
        from wfops.operations import routing

        routing.adopt_orphans_in_background(self.session)
        execution_id = self.ops.launch(ref, parameters, detached=detached)["id"]
        if not detached:
            self._launched.add(execution_id)
        return execution_id

    def _runs_here(self, execution_id: str) -> bool:
        session = self.session
        return execution_id in self._launched or (
            session.current_engine is not None and execution_id in session.engine.by_execution)

    def wait(self, execution_id: str, *, progress=None) -> dict:
        session = self.session
        if self._runs_here(execution_id):
            # This process's engine runs it: run until it settles.
            from wfops.engine import loop

            if progress is not None:
                session.engine.progress = _progress_reporter(progress)
                for record in session.store.tree_executions(session.store.get_execution(execution_id)["root"]):
                    if task_label(record) is not None:  # what happened before the board was there
                        progress.task(task_label(record), record["status"], record["id"])
            try:
                return loop.run_until_settled(session.engine, execution_id)
            finally:
                session.engine.progress = None
        while session.store.get_execution(execution_id)["status"] in s.WAITING:
            time.sleep(0.1)
        return session.store.get_execution(execution_id)

    def events(self, execution_id: str):
        from wfops.cli.tail import local_events

        return local_events(self.session, execution_id, runs_here=self._runs_here(execution_id))

    # -- operations ----------------------------------------------------------------------

    def lifecycle(self, operation: str, execution_id: str, *, comment: str | None) -> dict:
        return self.ops.lifecycle(operation, execution_id, comment=comment)

    def plan(self, request):
        return self.ops.plan(request)

    def rerun(self, request, *, detached: bool) -> str:
        # Not detached: an unowned workflow is adopted here, and this process runs what
        # the re-run starts (`wfops execution re-run` waits for it, as `wfops run` does).
        outcome = self.ops.rerun(request, run_here=not detached, detached=detached)
        if request.from_beginning and not detached:
            self._launched.add(outcome.execution_id)
        return outcome.execution_id

    def render_dot(self, request, plan) -> str:
        return self.ops.render_dot(request, plan)


class _RegistryOnDemand:
    """The session's registry, loaded only if a view needs an action's metadata (to mask
    secret parameters): listing executions without parameters reads no pack file."""

    def __init__(self, session):
        self._session = session

    def get(self, ref: str):
        return self._session.registry.get(ref)


def task_label(record: dict | None) -> str | None:
    """A task's action execution (record or view) named as ``--tasks`` names it, with
    its item apart: ``task``, ``task[route]`` on a route other than 0, then ``item N``
    for an item of a with-items task (``task2[1] item 3``); None for an execution that
    is not a workflow task."""
    orquesta = (record.get("context") or {}).get("orquesta") if record else None
    if not orquesta:
        return None
    task = orquesta.get("task_name")
    if orquesta.get("task_route"):
        task = "%s[%s]" % (task, orquesta["task_route"])
    if orquesta.get("item_id") is not None:
        task = "%s item %s" % (task, orquesta["item_id"])
    return task


def _progress_reporter(board):
    """The engine's progress callback that tells ``board`` each task status change."""

    def report(event: dict[str, Any]) -> None:
        task = task_label(event["record"])
        if task is not None:
            board.task(task, event["status"], event["execution"])

    return report
