"""The operations on the embedded host's executions (:class:`Operations`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from wfops import errors
from wfops.operations import routing

if TYPE_CHECKING:  # imported where a re-run needs them: reading commands start without them
    from wfops.operations.plans import BeginningPlan, RerunOutcome
    from wfops.rerun_request import RerunRequest

DELAY_NOT_A_WORKFLOW = (
    "`delay` (%s ms) delays the first tasks of a workflow; \"%s\" is not a workflow (runner type \"%s\"), "
    "so nothing was created. Submit the request without a delay (or with 0)."
)


class Operations:
    """Launch, pause/resume/cancel, re-run (from the beginning, or from tasks with the
    resume extras and skips), their plans, the task context and the audit trail, on a
    :class:`wfops.session.Session`'s store.

    ``serving``: this process serves executions (``wfops serve``): a tree no live engine
    owns is adopted here to carry an operation out. ``on_engine(fn)`` runs ``fn`` where
    this process's engine may be used (the API's engine thread); by default, in the
    caller's thread.
    """

    def __init__(self, session, *, serving: bool = False,
                 on_engine: Callable[[Callable[[], Any]], Any] | None = None):
        self.session = session
        self.store = session.store
        self.serving = serving
        self._on_engine = on_engine

    @property
    def user(self) -> str:
        return self.session.user

    def _engine_call(self, fn: Callable[[], Any]) -> Any:
        return self._on_engine(fn) if self._on_engine is not None else fn()

    # -- reading -------------------------------------------------------------------------

    def execution(self, execution_id: str) -> dict:
        """The execution named by id or unique id prefix; raises ExecutionNotFound."""
        return self.session.get_execution(execution_id)

    def audit(self, execution_id: str) -> list[dict]:
        """The audit entries of an execution, oldest first."""
        return self.store.operations(self.execution(execution_id)["id"])

    def task_context(self, execution_id: str, task: str, route: int | None = None,
                     item: int | None = None) -> dict:
        """What ``task`` saw, rendered and published (E8)."""
        from wfops.task_context import task_context

        return task_context(self.store, self.execution(execution_id), task, route=route, item=item)

    # -- running -------------------------------------------------------------------------

    def delay_seconds(self, ref: str, delay_ms: int | None) -> float:
        """A request's ``delay`` (st2's milliseconds) in seconds; refused for an action
        that is not a workflow (an unknown one is refused by the launch itself)."""
        if not delay_ms:
            return 0.0
        if delay_ms < 0:
            raise errors.ParameterError("`delay` must not be negative (milliseconds).")
        try:
            action = self.session.registry.get(ref)
        except errors.ActionNotFound:
            return 0.0
        if action.runner_type != "orquesta":
            raise errors.ParameterError(DELAY_NOT_A_WORKFLOW % (delay_ms, ref, action.runner_type))
        return delay_ms / 1000.0

    def launch(self, ref: str, parameters: dict, *, context: dict | None = None, user: str | None = None,
               delay: int = 0, detached: bool = False) -> dict:
        """Check and create an execution of ``ref``; returns its record as created
        (``requested``: this process's engine starts it once the creation has committed,
        or with ``detached`` a detached engine process)."""
        seconds = self.delay_seconds(ref, delay)
        context = dict(context or {})
        context.setdefault("user", user or self.user)
        if detached:
            return self.store.get_execution(self.session.launch_detached(ref, parameters, context))
        return self._engine_call(lambda: self.store.get_execution(self.session.engine.launch(
            ref, parameters, context=context, user=user or self.user, delay=seconds)))

    # -- pause, resume, cancel -------------------------------------------------------------

    def lifecycle(self, operation: str, execution_id: str, *, comment: str | None = None,
                  user: str | None = None) -> dict:
        """``pause`` / ``resume`` / ``cancel``: ``{"id", "status", "changed"}``; raises the
        owner's refusal (L1-L7)."""
        return routing.operate(self.session, operation, execution_id,
                               {"comment": comment, "user": user or self.user},
                               run_here=self.serving, on_engine=self._on_engine)

    # -- inquiries -------------------------------------------------------------------------

    def inquiries(self) -> list[dict]:
        """The inquiries waiting for a response, as st2's Inquiry documents, newest first."""
        from wfops import inquiries

        return [inquiries.inquiry_doc(r) for r in reversed(self.store.pending_inquiries())]

    def inquiry(self, inquiry_id: str) -> dict:
        """The execution of a pending inquiry; refused (st2's words) for an unknown id, an
        execution that is not an inquiry, or one answered or timed out."""
        from wfops import inquiries

        record = self.store.get_execution(inquiry_id)
        if record is None:
            raise errors.NotFound(inquiries.NOT_FOUND % inquiry_id)
        problem = inquiries.state_problem(record)
        if problem is not None:
            raise problem
        return record

    def respond(self, inquiry_id: str, response: dict, *, user: str | None = None) -> dict:
        """Answer a pending inquiry (checked against its users and schema); its workflow
        resumes. Carried out by the engine that owns the inquiry's tree."""
        self.inquiry(inquiry_id)
        return routing.operate(self.session, "respond", inquiry_id,
                               {"user": user or self.user, "response": response},
                               run_here=self.serving, on_engine=self._on_engine)

    # -- re-run --------------------------------------------------------------------------

    def _checked(self, request: RerunRequest) -> dict:
        """The original execution of ``request``. A re-run from the beginning is refused
        here for each of its problems; a re-run from tasks is refused by the planner,
        which lists the request's own problems with those of the run (all at once)."""
        if request.from_beginning:
            errors.collect(request.problems(), errors.PlanError)
        return self.execution(request.execution_id)

    def plan(self, request: RerunRequest):
        """The plan of ``request`` (a dry run: nothing changes): a
        :class:`wfops.planner.Plan` (re-run from tasks, planned on the stored state; a
        ``fingerprint`` is checked first) or a :class:`BeginningPlan`; raises PlanError
        listing every problem."""
        original = self._checked(request)
        if request.from_beginning:
            return self._beginning_plan(original, request)
        from wfops.engine import reruns

        return reruns.plan_for(self.store, original, request)

    def _beginning_plan(self, original: dict, request: RerunRequest) -> BeginningPlan:
        from wfops import masking
        from wfops.operations.plans import BeginningPlan

        action = self.session.registry.get(original["action_ref"])
        params = request.parameters_from(original["parameters"], action.parameters)
        self.delay_seconds(action.ref, request.delay)
        self._engine_call(lambda: self.session.engine.check_launch(action.ref, params))
        return BeginningPlan(original["id"], action.ref, original["runner_type"],
                             masking.mask_secrets(action, params))

    def rerun(self, request: RerunRequest, *, run_here: bool | None = None,
              detached: bool = False) -> RerunOutcome:
        """Carry ``request`` out (not a dry run: see :meth:`plan`).

        From the beginning: a new execution, launched and audited together. From tasks:
        planned here on the stored state first, so that every problem is reported before
        anything is sent or changed; then applied by the workflow's owning engine, which
        refuses the plan if the state changed meanwhile (R13). A request that names a
        previewed plan by its ``fingerprint`` is checked and planned by the owner.
        ``run_here`` (default: ``serving``): an unowned workflow is adopted by this
        process, which runs what the re-run starts."""
        from dataclasses import replace

        from wfops.operations.plans import RerunOutcome

        original = self._checked(request)
        if request.from_beginning:
            return self._rerun_from_beginning(original, request, detached)
        if not request.fingerprint:
            request = replace(request, fingerprint=self.plan(request).fingerprint)
        answer = routing.operate(self.session, "rerun", original["id"], request.to_payload(),
                                 run_here=self.serving if run_here is None else run_here,
                                 on_engine=self._on_engine)
        return RerunOutcome(answer["id"], answer.get("plan"), created=answer["id"] != original["id"])

    def _rerun_from_beginning(self, original: dict, request: RerunRequest, detached: bool) -> RerunOutcome:
        from wfops.engine.audit import audit
        from wfops.operations.plans import RerunOutcome

        session = self.session
        action = session.registry.get(original["action_ref"])
        params = request.parameters_from(original["parameters"], action.parameters)
        seconds = self.delay_seconds(action.ref, request.delay)
        user = request.user or self.user
        context = {"re-run": {"ref": original["id"]}, "user": user}

        def record(new_id: str) -> None:
            audit(self.store, original["id"], user, "re-run", request.audit_record(),
                  plan={"mode": "from_beginning", "parameters": params},
                  outcome={"execution": new_id}, comment=request.comment)

        from wfops import masking

        plan = {"mode": "from_beginning", "parameters": masking.mask_secrets(action, params)}
        if detached:
            new_id = session.launch_detached(action.ref, params, context)
            record(new_id)
            return RerunOutcome(new_id, plan, record=self.store.get_execution(new_id))

        def launch() -> dict:
            engine = session.engine
            with engine.transaction():  # the launch and its audit entry, or neither
                new_id = engine.launch(action.ref, params, context=context, user=user, delay=seconds)
                record(new_id)
            return self.store.get_execution(new_id)

        created = self._engine_call(launch)
        return RerunOutcome(created["id"], plan, record=created)

    def render_dot(self, request: RerunRequest, plan) -> str:
        """``plan``'s run graph in Graphviz's dot language (every task it runs, with a legend)."""
        from wfops import planner
        from wfops.engine import reruns

        return planner.render_dot(plan, reruns.state_for(self.store, self.execution(request.execution_id)))
