"""Conformance of the re-run plan with the embedded host (issue 4 item 5, issue 5 item 8).

For random workflow shapes (chains, splits, ``join: all`` joins, with-items tasks, failure
branches), random failures and random re-run requests, the plan computed by
``wfops.engine.reruns.plan_for`` must predict what the REAL host then does when the same
request is applied with ``wfops.engine.commands.execute``:

- each task execution of ``plan.rerun`` runs again exactly once, on its route, with exactly
  the items the plan names (all, the abended ones for no-reset, the selected ones for
  ``--items``); a skipped task runs no action, is recorded succeeded and ``skipped`` and
  publishes what the plan computed (E4);
- every other task that runs is in ``plan.downstream`` and runs afresh with all its items
  (R7); how many times each task runs is what the plan implies once the conditions of the
  transitions are known (the plan's downstream is spec-graph reachability: a failure
  branch is "downstream" but runs only if its task fails). The oracle (``oracle.py``) reads the
  plan's re-run entries, its continuing tasks (R8) and the old run's join branches;
- a task runs after the task executions that lead to it (all of them for a join);
- the original execution keeps its status and children (R10);
- a request the planner refuses (``PlanError``) is refused by the host too and changes
  nothing (executions, statuses, task executions, journal, side effects);
- skips on a *paused* workflow (its failed tasks handled by failure transitions) are taken
  in place: the paused execution keeps its children, takes the skipped task executions
  and resumes, and what then runs is what the plan implies, as above.

The host runs in-process: ``Session(home=<fresh dir>)``, a generated pack whose workflow
tasks are ``core.local`` commands appending ``<task>`` / ``<task>:<item>`` to a log file and
failing while a marker file ``fail.<task>`` / ``fail.<task>.<item>`` exists. The engine gets
one worker (``WFOPS_WORKERS=1``) so that a run is deterministic for a given shape: actions
run one at a time in the order Orquesta schedules them, which keeps hypothesis' replays
and shrinking exact.

On a failure, hypothesis prints (``note``) the shrunk workflow as a compact shape and as
YAML, the failure markers, the request and the plan.

The package: ``shapes`` (the random workflows), ``host`` (the host, in-process),
``oracle`` (what a plan implies), ``check`` (what the host did, and :func:`conform`),
``choices`` (the requests), ``notes`` (what a failure prints), ``conftest`` (the generated
pack); one test module per group of rules.
"""
