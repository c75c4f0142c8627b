"""One SSH connection to one host, on paramiko: connect, run a command with a time limit,
upload files. Used by the remote shell runners (:mod:`wfops.runners.remote_shell`).

Connections follow StackStorm's remote runner: host keys are accepted without checking
(paramiko's ``AutoAddPolicy``), a password wins over a key, a key is the key itself or the
path of its file, and with neither the user's SSH agent and ``~/.ssh`` keys are tried.

A command that runs out of time is stopped on the remote host, not only abandoned:
StackStorm closes the channel and the remote command may run on. The remote shell first
reports its process id (a marker line on stderr, removed from the output), and on timeout a
second channel kills that process's session and process group.
"""

from __future__ import annotations

import io
import logging
import os
import posixpath
import re
import secrets
import shlex
import socket
import threading
import time
from dataclasses import dataclass

import paramiko

DEFAULT_PORT = 22
CONNECT_TIMEOUT = 30.0
EXIT_DRAIN_SECONDS = 0.5  # after the exit status, how long to wait for the output's end
_POLL_SECONDS = 0.02
_READ_SIZE = 65536
_KEY_MATERIAL_MARK = "private key-----"  # as StackStorm tells key material from a path

# paramiko logs connection failures from its own threads; the runner reports them in the
# result, so they must not also reach the terminal through logging's last-resort handler.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Target:
    """A host to connect to; ``label`` keys its result (the host name, as StackStorm)."""

    label: str
    hostname: str
    port: int


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str | None = None
    private_key: str | None = None  # key material, or the path of a key file
    passphrase: str | None = None


@dataclass
class CommandOutput:
    stdout: str
    stderr: str
    exit_code: int


class SessionError(Exception):
    """Connecting, authenticating or transferring failed; the message says which and why."""


class CommandTimeout(Exception):
    """The command did not finish in time (it was stopped); carries the output so far."""

    def __init__(self, message: str, stdout: str, stderr: str):
        super().__init__(message)
        self.stdout = stdout
        self.stderr = stderr


def parse_hosts(hosts: str, default_port: int | None) -> list[Target]:
    """The targets of StackStorm's ``hosts`` parameter: comma-separated ``host``,
    ``host:port``, ``[ipv6]`` or ``[ipv6]:port`` (a bare IPv6 address takes no port).

    Raises ValueError naming an entry whose port is not a number. O(len(hosts)).
    """
    targets = []
    for entry in (h.strip() for h in (hosts or "").split(",")):
        if not entry:
            continue
        hostname, port = entry, None
        if entry.startswith("["):
            hostname, _, rest = entry[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else None
        elif entry.count(":") == 1:
            hostname, port = entry.split(":")
        if port is not None and not port.isdigit():
            raise ValueError('Host "%s" has an invalid port "%s".' % (entry, port))
        targets.append(Target(hostname, hostname, int(port) if port else default_port or DEFAULT_PORT))
    return targets


class SSHSession:
    """A connected SSH client to one target (optionally through a bastion host)."""

    def __init__(self, target: Target, credentials: Credentials, *,
                 bastion: Target | None = None, connect_timeout: float = CONNECT_TIMEOUT):
        self.target = target
        self._credentials = credentials
        self._timeout = connect_timeout
        self._bastion_client: paramiko.SSHClient | None = None
        if bastion is not None:
            self._bastion_client = self._connect(bastion, None)
            try:
                channel = self._bastion_client.get_transport().open_channel(
                    "direct-tcpip", (target.hostname, target.port), ("", 0),
                    timeout=connect_timeout)
            except (paramiko.SSHException, OSError) as exc:
                self.close()
                raise SessionError('Cannot reach host "%s" port %d through the bastion host '
                                   '"%s": %s' % (target.hostname, target.port,
                                                 bastion.hostname, exc)) from None
            self._client = self._connect(target, channel)
        else:
            self._client = self._connect(target, None)

    def _connect(self, target: Target, sock) -> paramiko.SSHClient:
        creds = self._credentials
        options = {
            "hostname": target.hostname, "port": target.port, "username": creds.username,
            "timeout": self._timeout, "banner_timeout": self._timeout,
            "auth_timeout": self._timeout, "allow_agent": False, "look_for_keys": False,
        }
        if sock is not None:
            options["sock"] = sock
        if creds.password:
            options["password"] = creds.password
        elif creds.private_key and _KEY_MATERIAL_MARK in creds.private_key.lower():
            options["pkey"] = _key_from_material(creds.private_key, creds.passphrase)
        elif creds.private_key:
            options["key_filename"] = os.path.expanduser(creds.private_key)
            options["passphrase"] = creds.passphrase
        else:
            options.update(allow_agent=True, look_for_keys=True)
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # as StackStorm
        try:
            client.connect(**options)
        except (paramiko.SSHException, OSError, socket.timeout, ValueError) as exc:
            client.close()
            raise SessionError('Cannot connect to host "%s" port %d as user "%s": %s'
                               % (target.hostname, target.port, creds.username,
                                  _describe(exc))) from None
        return client

    def run(self, command: str, timeout: float | None, *, use_pty: bool = False,
            kill_prefix: str = "", stop: threading.Event | None = None) -> CommandOutput:
        """Run ``command`` (stdin closed) until it exits; raise CommandTimeout after
        ``timeout`` seconds (None or 0: no limit) or once ``stop`` is set (the execution
        was canceled), having stopped it. ``kill_prefix`` goes in front of the commands
        that stop it (``sudo -n `` for a command run with sudo)."""
        token = secrets.token_hex(8)
        marker = re.compile(r"wfops-pid-%s:(\d+)\r?\n" % token)
        try:
            channel = self._client.get_transport().open_session(timeout=self._timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise SessionError('Cannot open a session on host "%s": %s'
                               % (self.target.hostname, _describe(exc))) from None
        try:
            if use_pty:
                channel.get_pty()
            channel.exec_command("printf '%%s\\n' \"wfops-pid-%s:$$\" >&2; %s" % (token, command))
            channel.shutdown_write()
            out, err = bytearray(), bytearray()
            deadline = time.monotonic() + timeout if timeout else None
            drain_until = None
            while True:
                got = _read_ready(channel, out, err)
                pending = channel.recv_ready() or channel.recv_stderr_ready()
                finished = channel.exit_status_ready()
                if not pending and (channel.closed or (finished and channel.eof_received)):
                    break
                now = time.monotonic()
                if finished and drain_until is None:
                    drain_until = now + EXIT_DRAIN_SECONDS
                if drain_until is not None and now >= drain_until:
                    break  # a background process holds the output open: do not wait for it
                canceled = stop is not None and stop.is_set()
                if drain_until is None and (canceled or (deadline is not None and now >= deadline)):
                    self._stop(marker, out, err, kill_prefix)
                    raise CommandTimeout(
                        "The execution was canceled; the command was stopped." if canceled else
                        "The command did not finish in %s seconds and was stopped." % timeout,
                        _decode(marker, out), _decode(marker, err))
                if not got:
                    time.sleep(_POLL_SECONDS)
            exit_code = channel.recv_exit_status()
            return CommandOutput(_decode(marker, out), _decode(marker, err), exit_code)
        finally:
            channel.close()

    def _stop(self, marker: re.Pattern, out: bytearray, err: bytearray, kill_prefix: str) -> None:
        found = marker.search(err.decode("utf-8", "replace")) or marker.search(
            out.decode("utf-8", "replace"))
        if not found:
            return  # the shell never started; closing the channel is all there is to do
        pid = found.group(1)
        kill = "{p}pkill -KILL -s {pid} 2>/dev/null; {p}kill -KILL -- -{pid} 2>/dev/null; true"
        try:
            self.run(kill.format(p=kill_prefix, pid=pid), 10)
        except (CommandTimeout, paramiko.SSHException, OSError):
            pass

    def upload(self, local_path: str, remote_path: str, mode: int | None = None) -> None:
        """Copy one file; ``mode``: the remote file's permissions."""
        try:
            sftp = self._client.open_sftp()
            try:
                sftp.put(local_path, remote_path)
                if mode is not None:
                    sftp.chmod(remote_path, mode)
            finally:
                sftp.close()
        except (paramiko.SSHException, OSError) as exc:
            raise SessionError('Cannot copy "%s" to "%s" on host "%s": %s' % (
                local_path, remote_path, self.target.hostname, _describe(exc))) from None

    def upload_tree(self, local_dir: str, remote_dir: str) -> None:
        """Copy the directory ``local_dir`` to ``remote_dir`` (created), keeping file modes."""
        try:
            sftp = self._client.open_sftp()
            try:
                for here, _dirs, files in os.walk(local_dir):
                    relative = os.path.relpath(here, local_dir)
                    there = posixpath.normpath(posixpath.join(remote_dir, relative.replace(os.sep, "/")))
                    sftp.mkdir(there)
                    for name in files:
                        source = os.path.join(here, name)
                        sftp.put(source, posixpath.join(there, name))
                        sftp.chmod(posixpath.join(there, name), os.stat(source).st_mode & 0o7777)
            finally:
                sftp.close()
        except (paramiko.SSHException, OSError) as exc:
            raise SessionError('Cannot copy "%s" to "%s" on host "%s": %s' % (
                local_dir, remote_dir, self.target.hostname, _describe(exc))) from None

    def make_dir(self, remote_dir: str) -> None:
        output = self.run("mkdir -p -- %s" % shlex.quote(remote_dir), self._timeout)
        if output.exit_code != 0:
            raise SessionError('Cannot create "%s" on host "%s": %s' % (
                remote_dir, self.target.hostname, output.stderr.strip()))

    def close(self) -> None:
        for client in (getattr(self, "_client", None), self._bastion_client):
            if client is not None:
                client.close()


def _read_ready(channel, out: bytearray, err: bytearray) -> bool:
    got = False
    while channel.recv_ready():
        out += channel.recv(_READ_SIZE)
        got = True
    while channel.recv_stderr_ready():
        err += channel.recv_stderr(_READ_SIZE)
        got = True
    return got


def _decode(marker: re.Pattern, data: bytearray) -> str:
    """Output as text: the pid marker line removed, and a pty's \\r\\n made \\n."""
    text = marker.sub("", data.decode("utf-8", errors="replace"), count=1)
    return text.replace("\r\n", "\n") if "\r\n" in text else text


def _key_from_material(material: str, passphrase: str | None) -> paramiko.PKey:
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(material), password=passphrase)
        except paramiko.PasswordRequiredException:
            raise SessionError("The private key is protected by a passphrase: give "
                               '"passphrase".') from None
        except (paramiko.SSHException, ValueError):
            continue
    raise SessionError("The private key cannot be read (%s)."
                       % ("wrong passphrase, or not a supported key" if passphrase
                          else "not an RSA, ECDSA or Ed25519 private key"))


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, paramiko.AuthenticationException):
        if text.lower().rstrip(".") == "authentication failed":
            return "authentication failed (check the username and the key or password)"
        return "authentication failed (%s)" % text
    return text
