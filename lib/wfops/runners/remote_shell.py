"""The ``remote-shell-cmd`` and ``remote-shell-script`` runners (StackStorm's remote runner),
over SSH (:mod:`wfops.runners.ssh_session`).

The command line each host runs is StackStorm's: ``export K=V ... && cd CWD && COMMAND``,
wrapped as ``sudo -E -- bash -c '...'`` (on a pty) with ``sudo``, the password piped in
with ``sudo_password``. A script action's file (and the ``lib`` directory beside it, if
any) is copied to ``<dir>/<execution id>/`` on each host first and removed afterwards.

The result has one entry per host, keyed by host name: ``{stdout, stderr, return_code,
succeeded, failed}`` (stdout and stderr lose one trailing newline and are parsed as JSON
when they are JSON), plus ``timeout``, ``error`` and ``traceback`` for a host where the
command could not run or ran out of time (``return_code`` 255, or -9 on timeout). The
action succeeds when every host succeeded, ends ``timeout`` when every host ran out of
time, and fails otherwise; when no host can be connected to at all, it fails with one
``error`` naming each host's problem, as StackStorm does.

With ``parallel`` (immutable false in StackStorm's metadata) hosts are run a third at a time
(at most 50); else one after the other. On timeout, and when the execution is canceled
(``ctx.stop``), the command is stopped on the host.
"""

from __future__ import annotations

import getpass
import os
import posixpath
import shlex
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from wfops import statuses
from wfops.packs.action_spec import ActionSpec
from wfops.runners.base import ActionOutcome, RunContext, error_outcome, split_parameters
from wfops.runners.local_shell import output_value, script_arguments, strip_shell_chars
from wfops.runners.ssh_session import (
    CONNECT_TIMEOUT,
    CommandOutput,
    CommandTimeout,
    Credentials,
    SessionError,
    SSHSession,
    Target,
    parse_hosts,
)

DEFAULT_TIMEOUT = 60
DEFAULT_REMOTE_DIR = "/tmp"
MAX_CONCURRENCY = 50  # StackStorm's ssh_runner.max_parallel_actions default
SCRIPT_MODE = 0o744
LIBS_DIR = "lib"
TIMEOUT_RETURN_CODE = -9
ERROR_RETURN_CODE = 255

HostJob = Callable[[SSHSession], CommandOutput]


class RemoteShellCommandRunner:
    """``remote-shell-cmd``: runs the ``cmd`` parameter on every host."""

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        runner_params, _ = split_parameters(action, parameters)
        if action.entry_point:
            return error_outcome('Action "%s" specified "entry_point" attribute. Perhaps wanted '
                                 'to use "remote-shell-script" runner?' % action.ref)
        cmd = runner_params.get("cmd")
        if not cmd:
            return error_outcome(
                'Action "%s" has no command to run: parameter "cmd" is empty.' % action.ref)
        command = remote_command(cmd, remote_env(runner_params, ctx),
                                 runner_params.get("cwd"), runner_params, quote_cwd=False)

        def job(session: SSHSession) -> CommandOutput:
            return _run(session, command, runner_params, ctx)

        return run_on_hosts(action, runner_params, job)


class RemoteShellScriptRunner:
    """``remote-shell-script``: copies the entry point to every host and runs it there."""

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        runner_params, action_params = split_parameters(action, parameters)
        if not action.entry_point:
            return error_outcome('Action "%s" is missing "entry_point" attribute. Perhaps '
                                 'wanted to use "remote-shell-cmd" runner?' % action.ref)
        remote_dir = posixpath.join(runner_params.get("dir") or DEFAULT_REMOTE_DIR,
                                    str(ctx.execution_id))
        script = posixpath.join(remote_dir, os.path.basename(action.entry_point))
        arguments = script_arguments(action, action_params,
                                     runner_params.get("kwarg_op") or "--")
        invocation = " ".join(p for p in (shlex.quote(script), arguments) if p)
        command = remote_command(invocation, remote_env(runner_params, ctx),
                                 runner_params.get("cwd"), runner_params, quote_cwd=True)
        libs = os.path.join(os.path.dirname(action.entry_point), LIBS_DIR)

        def job(session: SSHSession) -> CommandOutput:
            session.make_dir(remote_dir)
            try:
                session.upload(action.entry_point, script, SCRIPT_MODE)
                if os.path.isdir(libs):
                    session.upload_tree(libs, posixpath.join(remote_dir, LIBS_DIR))
                return _run(session, command, runner_params, ctx)
            finally:
                try:
                    session.run("rm -rf -- %s" % shlex.quote(remote_dir), DEFAULT_TIMEOUT)
                except (SessionError, CommandTimeout, OSError):
                    pass

        return run_on_hosts(action, runner_params, job)


def remote_env(runner_params: dict, ctx: RunContext) -> dict[str, str]:
    """What the remote command gets exported: the ST2_ACTION_* variables of ``ctx.env``,
    then the ``env`` parameter (None drops a name)."""
    env = dict(ctx.env or {})
    for key, value in (runner_params.get("env") or {}).items():
        if value is None:
            env.pop(str(key), None)
        else:
            env[str(key)] = value if isinstance(value, str) else str(value)
    return env


def remote_command(command: str, env: dict[str, str], cwd: str | None, runner_params: dict,
                   *, quote_cwd: bool) -> str:
    """The line a host runs, by StackStorm's rules (see the module docstring).

    StackStorm leaves the working directory of ``remote-shell-cmd`` unquoted (so ``~``
    expands) and quotes that of ``remote-shell-script``; ``quote_cwd`` says which.
    """
    sudo = bool(runner_params.get("sudo"))
    sudo_password = runner_params.get("sudo_password") if sudo else None
    if sudo_password:
        env = dict(env, HISTFILE="/dev/null", HISTSIZE="0")
    cwd = cwd or DEFAULT_REMOTE_DIR
    steps = []
    if env:
        steps.append("export " + " ".join(
            "%s=%s" % (shlex.quote(k), shlex.quote(v)) for k, v in sorted(env.items())))
    steps.append("cd %s" % (shlex.quote(cwd) if quote_cwd else cwd))
    steps.append(command)
    line = " && ".join(steps)
    if not sudo:
        return line
    flags = "-S -E" if sudo_password else "-E"
    line = "sudo %s -- bash -c %s" % (flags, shlex.quote(line))
    if sudo_password:
        line = "set +o history ; echo -e %s | %s" % (shlex.quote(sudo_password + "\n"), line)
    return line


def _run(session: SSHSession, command: str, runner_params: dict, ctx: RunContext) -> CommandOutput:
    timeout = runner_params.get("timeout")
    sudo = bool(runner_params.get("sudo"))
    return session.run(command, DEFAULT_TIMEOUT if timeout is None else timeout,
                       use_pty=sudo, kill_prefix="sudo -n " if sudo else "", stop=ctx.stop)


def run_on_hosts(action: ActionSpec, runner_params: dict, job: HostJob) -> ActionOutcome:
    """Connect to every host, run ``job`` there, and make StackStorm's outcome of it all."""
    targets, problem = [], None
    try:
        targets = parse_hosts(runner_params.get("hosts") or "", runner_params.get("port"))
    except ValueError as exc:
        problem = str(exc)
    if problem is not None:  # (outside the handler: a refusal carries no traceback)
        return error_outcome(problem)
    if not targets:
        return error_outcome('Action "%s" has no host to run on: parameter "hosts" is empty.'
                             % action.ref)
    credentials = Credentials(
        username=runner_params.get("username") or getpass.getuser(),
        password=runner_params.get("password"),
        private_key=runner_params.get("private_key"),
        passphrase=runner_params.get("passphrase"),
    )
    bastion = None
    if runner_params.get("bastion_host"):
        try:
            bastion = parse_hosts(runner_params["bastion_host"], None)[0]
        except (ValueError, IndexError):
            problem = 'Bastion host "%s" is not a host.' % runner_params["bastion_host"]
        if problem is not None:
            return error_outcome(problem)
    timeout = runner_params.get("timeout")
    connect_timeout = min(CONNECT_TIMEOUT, timeout) if timeout else CONNECT_TIMEOUT
    concurrency = min(len(targets) // 3 + 1, MAX_CONCURRENCY) if runner_params.get("parallel") else 1

    def on_host(target: Target) -> tuple[dict, bool]:
        """(the host's result, whether the connection succeeded)."""
        try:
            session = SSHSession(target, credentials, bastion=bastion, connect_timeout=connect_timeout)
        except SessionError as exc:
            return _error_result(str(exc), timed_out=False), False
        try:
            return _host_result(job(session)), True
        except CommandTimeout as exc:
            return _error_result('Failed executing the command on host "%s": %s'
                                 % (target.hostname, exc), timed_out=True,
                                 stdout=exc.stdout, stderr=exc.stderr), True
        except SessionError as exc:
            return _error_result(str(exc), timed_out=False), True
        except (OSError, EOFError) as exc:
            return _error_result('Failed executing the command on host "%s": %s'
                                 % (target.hostname, exc), timed_out=False,
                                 trace=traceback.format_exc()), True
        finally:
            session.close()

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(on_host, targets))
    if not any(connected for _, connected in outcomes):
        return error_outcome("Unable to connect to any one of the hosts: %s." % "; ".join(
            result["error"] for result, _ in outcomes))
    result = _by_label(targets, [r for r, _ in outcomes])
    return ActionOutcome(status=_status(result.values()), result=result)


def _host_result(output: CommandOutput) -> dict:
    succeeded = output.exit_code == 0
    return {
        "stdout": output_value(strip_shell_chars(output.stdout)),
        "stderr": output_value(strip_shell_chars(output.stderr)),
        "return_code": output.exit_code,
        "succeeded": succeeded,
        "failed": not succeeded,
    }


def _error_result(message: str, *, timed_out: bool, stdout: str = "", stderr: str = "",
                  trace: str = "") -> dict:
    return {
        "failed": True,
        "succeeded": False,
        "timeout": timed_out,
        "return_code": TIMEOUT_RETURN_CODE if timed_out else ERROR_RETURN_CODE,
        "stdout": strip_shell_chars(stdout),
        "stderr": strip_shell_chars(stderr),
        "error": message,
        "traceback": trace,
    }


def _by_label(targets: list[Target], results: list[dict]) -> dict:
    """Results keyed by host name, as StackStorm; a name given twice (other ports) is keyed
    ``host:port`` from its second time on, so that no host's result is lost."""
    keyed: dict[str, dict] = {}
    for target, result in zip(targets, results, strict=True):
        key = target.label
        if key in keyed:
            key = "%s:%d" % (target.hostname, target.port)
        keyed[key] = result
    return keyed


def _status(results) -> str:
    results = list(results)
    if all(r.get("succeeded") for r in results):
        return statuses.SUCCEEDED
    if all(r.get("timeout") for r in results):
        return statuses.TIMEOUT
    return statuses.FAILED
