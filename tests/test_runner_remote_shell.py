"""The remote-shell-cmd and remote-shell-script runners, against a real sshd on a loopback
port with keys generated for it (skipped with the reason when sshd is not installed)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from wfops.packs import ActionRegistry
from wfops.packs import registry as registry_module
from wfops.parameters import validate_parameters
from wfops.runners import RunContext, get_runner
from wfops.runners.remote_shell import remote_command

ST2_SHAPED = Path(__file__).parent / "fixtures" / "st2_shaped"
CORE = (registry_module.BUILTIN_CORE_PACK, "core")
EXECUTION_ID = "0123456789abcdef01234567"


@pytest.fixture(scope="module")
def registry() -> ActionRegistry:
    return ActionRegistry.from_paths([str(ST2_SHAPED)], [CORE])


def run(registry, ref, params, execution_id=EXECUTION_ID):
    action = registry.get(ref)
    ctx = RunContext(execution_id=execution_id, env={"ST2_ACTION_EXECUTION_ID": execution_id,
                                                     "ST2_ACTION_PACK_NAME": action.pack})
    return get_runner(action.runner_type).run(action, validate_parameters(action, params), ctx)


def is_running(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid) as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


# --- remote-shell-cmd ---------------------------------------------------------------------


def test_command_result_per_host_as_st2(registry, sshd):
    outcome = run(registry, "core.remote", sshd.params(cmd="echo out; echo err >&2; whoami"))

    assert outcome.status == "succeeded", outcome.result
    assert outcome.result == {"127.0.0.1": {
        "stdout": "out\n%s" % sshd.user, "stderr": "err", "return_code": 0,
        "succeeded": True, "failed": False,
    }}


def test_non_zero_exit_fails_and_json_output_is_parsed(registry, sshd):
    outcome = run(registry, "core.remote", sshd.params(cmd='echo \'{"a": [1, 2]}\'; exit 3'))
    assert outcome.status == "failed"
    host = outcome.result["127.0.0.1"]
    assert (host["stdout"], host["return_code"], host["succeeded"], host["failed"]) == ({"a": [1, 2]}, 3, False, True)


def test_every_host_gets_its_entry(registry, sshd):
    outcome = run(registry, "core.remote", sshd.params(hosts="127.0.0.1, localhost", cmd="echo hi"))
    assert outcome.status == "succeeded"
    assert sorted(outcome.result) == ["127.0.0.1", "localhost"]
    assert all(r["stdout"] == "hi" for r in outcome.result.values())


def test_hosts_with_their_own_port_and_a_host_that_fails(registry, sshd):
    from fixtures.local_servers import free_port

    closed = free_port()
    params = sshd.params(hosts="127.0.0.1:%d,localhost:%d" % (sshd.port, closed), cmd="echo hi")
    del params["port"]
    outcome = run(registry, "core.remote", params)

    assert outcome.status == "failed"
    assert outcome.result["127.0.0.1"]["stdout"] == "hi"
    bad = outcome.result["localhost"]
    assert (bad["succeeded"], bad["failed"], bad["timeout"], bad["return_code"]) == (False, True, False, 255)
    assert bad["error"].startswith('Cannot connect to host "localhost" port %d as user "%s": ' % (closed, sshd.user))


def test_no_host_reachable_fails_with_every_reason(registry, sshd):
    outcome = run(registry, "core.remote", sshd.params(username="nobody-wfops", cmd="echo hi"))
    assert outcome.status == "failed"
    assert set(outcome.result) == {"error"}
    assert outcome.result["error"].startswith("Unable to connect to any one of the hosts: Cannot connect to "
                                              'host "127.0.0.1" port %d as user "nobody-wfops": ' % sshd.port)
    assert "authentication failed" in outcome.result["error"].lower()


def test_environment_and_working_directory(registry, sshd, tmp_path):
    outcome = run(registry, "core.remote", sshd.params(
        cmd='echo "$GREETING|$ST2_ACTION_EXECUTION_ID|$(pwd)"', cwd=str(tmp_path),
        env={"GREETING": "it's a 'quoted' $value"}))
    assert outcome.result["127.0.0.1"]["stdout"] == "it's a 'quoted' $value|%s|%s" % (EXECUTION_ID, tmp_path)


def test_key_material_and_a_key_with_a_passphrase(registry, sshd):
    from fixtures.local_servers import KEY_PASSPHRASE

    material = sshd.key.read_text()
    assert run(registry, "core.remote", sshd.params(private_key=material, cmd="echo m")).status == "succeeded"

    locked = sshd.params(private_key=str(sshd.key_with_passphrase), cmd="echo p")
    assert run(registry, "core.remote", dict(locked, passphrase=KEY_PASSPHRASE)).status == "succeeded"
    refused = run(registry, "core.remote", locked)
    assert refused.status == "failed"
    assert "Unable to connect" in refused.result["error"]


def test_wrong_password_is_an_authentication_failure(registry, sshd):
    outcome = run(registry, "core.remote", sshd.params(private_key=None, password="not-the-password",
                                                        cmd="echo hi"))
    assert outcome.status == "failed"
    assert "authentication failed" in outcome.result["error"].lower()


def test_a_canceled_execution_stops_the_remote_command_and_its_children(registry, sshd, tmp_path):
    pid_file = tmp_path / "pids"
    action = registry.get("core.remote")
    stop = threading.Event()
    ctx = RunContext(execution_id=EXECUTION_ID, env={}, stop=stop)
    params = validate_parameters(action, sshd.params(
        cmd="echo started; sleep 60 & echo $! > %s; echo $$ >> %s; wait" % (pid_file, pid_file)))
    threading.Timer(1.5, stop.set).start()
    started = time.monotonic()
    outcome = get_runner(action.runner_type).run(action, params, ctx)

    assert time.monotonic() - started < 15
    host = outcome.result["127.0.0.1"]
    assert host["stdout"] == "started" and "was canceled; the command was stopped" in host["error"]
    pids = [int(p) for p in pid_file.read_text().split()]
    deadline = time.monotonic() + 5
    while any(is_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(is_running(p) for p in pids), "the remote command was left running"


def test_timeout_stops_the_remote_command_and_its_children(registry, sshd, tmp_path):
    pid_file = tmp_path / "pids"
    started = time.monotonic()
    outcome = run(registry, "core.remote", sshd.params(
        cmd="echo started; sleep 60 & echo $! > %s; echo $$ >> %s; wait" % (pid_file, pid_file), timeout=2))

    assert time.monotonic() - started < 15
    assert outcome.status == "timeout"
    host = outcome.result["127.0.0.1"]
    assert (host["timeout"], host["return_code"], host["succeeded"]) == (True, -9, False)
    assert host["stdout"] == "started"
    assert "did not finish in 2 seconds and was stopped" in host["error"]
    pids = [int(p) for p in pid_file.read_text().split()]
    deadline = time.monotonic() + 5
    while any(is_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(is_running(p) for p in pids), "the remote command was left running"


def test_a_host_that_times_out_next_to_one_that_does_not_fails(registry, sshd, tmp_path):
    # The first host to run takes the lock and sleeps past the timeout; the other answers.
    lock = tmp_path / "lock"
    outcome = run(registry, "core.remote", sshd.params(
        hosts="127.0.0.1,localhost", cmd="if mkdir %s; then sleep 30; fi; echo quick" % lock, timeout=2))
    assert outcome.status == "failed"  # StackStorm: timeout only when every host timed out
    assert sorted(r.get("timeout", False) for r in outcome.result.values()) == [False, True]
    assert sorted(r["succeeded"] for r in outcome.result.values()) == [False, True]


def intervals(log: Path) -> list[tuple[float, float]]:
    return sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())


def test_parallel_runs_hosts_at_once(registry, sshd, tmp_path):
    # StackStorm runs a third of the hosts at a time (plus one): 3 hosts, 2 at once.
    hosts = "127.0.0.1,localhost,127.0.0.1:%d" % sshd.port
    cmd = 's=$(date +%%s.%%N); sleep 1; echo "$s $(date +%%s.%%N)" >> %s'
    outcome = run(registry, "examples.uptime_remote_parallel",
                  sshd.params(hosts=hosts, cmd=cmd % (tmp_path / "parallel")))
    assert outcome.status == "succeeded", outcome.result
    assert sorted(outcome.result) == ["127.0.0.1", "127.0.0.1:%d" % sshd.port, "localhost"]
    spans = intervals(tmp_path / "parallel")
    assert len(spans) == 3 and any(b[0] < a[1] for a, b in zip(spans, spans[1:]))

    run(registry, "core.remote", sshd.params(hosts=hosts, cmd=cmd % (tmp_path / "serial")))
    spans = intervals(tmp_path / "serial")
    assert len(spans) == 3 and all(b[0] >= a[1] for a, b in zip(spans, spans[1:]))


def test_bastion_host(registry, sshd):
    from fixtures.local_servers import free_port

    outcome = run(registry, "core.remote", sshd.params(
        hosts="localhost", bastion_host="127.0.0.1:%d" % sshd.port, cmd="echo via the bastion"))
    assert outcome.status == "succeeded", outcome.result
    assert outcome.result["localhost"]["stdout"] == "via the bastion"

    closed = free_port()
    unreachable = run(registry, "core.remote", sshd.params(
        hosts="localhost", bastion_host="127.0.0.1:%d" % closed, cmd="echo never"))
    assert unreachable.status == "failed"
    assert 'Cannot connect to host "127.0.0.1" port %d' % closed in unreachable.result["error"]


def test_an_entry_point_on_remote_shell_cmd_is_refused_as_st2_does(sshd, tmp_path):
    pack = tmp_path / "p"
    (pack / "actions").mkdir(parents=True)
    (pack / "pack.yaml").write_text("ref: p\n")
    (pack / "actions" / "r.yaml").write_text("name: r\nrunner_type: remote-shell-cmd\nentry_point: r.sh\n")
    registry = ActionRegistry.from_paths([str(tmp_path)])
    outcome = run(registry, "p.r", sshd.params(cmd="true"))
    assert outcome.status == "failed"
    assert outcome.result["error"] == ('Action "p.r" specified "entry_point" attribute. Perhaps wanted to use '
                                       '"remote-shell-script" runner?')


def test_sudo_command_lines_are_st2s():
    assert remote_command("id", {"B": "2", "A": "x y"}, None, {}, quote_cwd=False) == \
        "export A='x y' B=2 && cd /tmp && id"
    assert remote_command("id", {}, "~/w", {"sudo": True}, quote_cwd=False) == \
        "sudo -E -- bash -c 'cd ~/w && id'"
    line = remote_command("id", {}, "/w", {"sudo": True, "sudo_password": "pw"}, quote_cwd=True)
    assert line == ("set +o history ; echo -e 'pw\n' | sudo -S -E -- bash -c "
                    "'export HISTFILE=/dev/null HISTSIZE=0 && cd /w && id'")


@pytest.mark.skipif(not shutil.which("sudo"), reason="sudo is not installed (.ci/run installs it)")
def test_sudo_runs_the_command_as_root(registry, sshd, tmp_path):
    action = registry.get("core.remote")
    params = dict(validate_parameters(action, sshd.params(cmd="id -u; echo to-stderr >&2")), sudo=True)
    outcome = get_runner(action.runner_type).run(action, params, RunContext(execution_id=EXECUTION_ID))
    assert outcome.status == "succeeded", outcome.result
    # On a pty (as StackStorm runs sudo), stderr comes with stdout.
    assert outcome.result["127.0.0.1"]["stdout"].split("\n") == ["0", "to-stderr"]


# --- remote-shell-script ------------------------------------------------------------------


def test_script_is_copied_with_its_lib_run_with_arguments_and_removed(registry, sshd, tmp_path):
    remote_dir = tmp_path / "remote"
    remote_dir.mkdir()
    outcome = run(registry, "examples.count_words_remote", sshd.params(
        text="one two three", label="count", dir=str(remote_dir), cwd=str(tmp_path)))

    assert outcome.status == "succeeded", outcome.result
    assert outcome.result["127.0.0.1"]["stdout"] == {
        "count": 3, "dir": str(remote_dir / EXECUTION_ID), "cwd": str(tmp_path)}
    assert os.listdir(remote_dir) == []  # the copy is removed afterwards


def test_script_failing_to_copy_is_that_hosts_error(registry, sshd, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    outcome = run(registry, "examples.count_words_remote", sshd.params(text="a", dir=str(blocker)))
    assert outcome.status == "failed"
    assert outcome.result["127.0.0.1"]["error"].startswith('Cannot create "%s/%s" on host "127.0.0.1"'
                                                          % (blocker, EXECUTION_ID))
