"""The runner types wfops knows and the parameters each runner contributes to an action.

Every runner type of StackStorm 3.9 is here, with the parameter names, types, defaults and
flags of its ``runner.yaml``, so that an action written for StackStorm (which may override
attributes of these parameters) loads unchanged. Whether wfops can also *run* a type is
the runners' business (:mod:`wfops.runners`); a type it cannot run still loads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

NOOP = "noop"
LOCAL_SHELL_CMD = "local-shell-cmd"
LOCAL_SHELL_SCRIPT = "local-shell-script"
PYTHON_SCRIPT = "python-script"
ORQUESTA = "orquesta"
HTTP_REQUEST = "http-request"
REMOTE_SHELL_CMD = "remote-shell-cmd"
REMOTE_SHELL_SCRIPT = "remote-shell-script"
WINRM_CMD = "winrm-cmd"
WINRM_PS_CMD = "winrm-ps-cmd"
WINRM_PS_SCRIPT = "winrm-ps-script"
ACTION_CHAIN = "action-chain"
INQUIRER = "inquirer"
ANNOUNCEMENT = "announcement"

# Attributes of a runner parameter an action may change (as StackStorm allows); changing any
# other attribute, such as ``type``, is refused when the pack is loaded.
OVERRIDABLE_ATTRIBUTES = frozenset(["default", "description", "enum", "immutable", "required"])


def _param(kind: str, description: str, **attributes) -> dict:
    return {"description": description, "type": kind, **attributes}


def _secret(description: str, **attributes) -> dict:
    return _param("string", description, secret=True, required=False, **attributes)


_DEBUG = _param("boolean", "Enable runner debug mode.", required=False, default=False)
_CONTENT_VERSION = _param(
    "string", "Git revision of the pack content (accepted for compatibility, ignored).",
    required=False,
)
_ENV = _param("object", "Environment variables available to the command.")
_KWARG_OP = _param("string", 'Operator put in front of keyword arguments, i.e. "--" or "-".',
                   default="--")

_LOCAL_COMMON = {
    "cwd": _param("string", "Working directory where the command is run."),
    "env": _ENV,
    "kwarg_op": _KWARG_OP,
    "sudo": _param("boolean", "Run the command with sudo (not supported by wfops: refused).",
                   default=False),
    "sudo_password": _secret("Sudo password (not supported by wfops).", default=None),
    "timeout": _param("integer", "Seconds after which the command is killed.", default=60),
}

_REMOTE_COMMON = {
    "bastion_host": _param(
        "string", "Host the SSH connections go through (reached with the same credentials).",
        required=False,
    ),
    "cwd": _param("string", "Working directory on the remote hosts.", default="/tmp"),
    "dir": _param("string", "Remote directory the script is copied to.", default="/tmp"),
    "env": _ENV,
    "hosts": _param(
        "string", "Comma-separated hosts to run on, each optionally with :port "
        "(e.g. web1,web2:2222,[::1]:22).", required=True,
    ),
    "kwarg_op": _KWARG_OP,
    "parallel": _param("boolean", "Run on several hosts at once.", default=False, immutable=True),
    "passphrase": _secret("Passphrase of the private key."),
    "password": _secret("Password to log in with (else the private key is used)."),
    "port": _param("integer", "SSH port for hosts that name none (default 22).", required=False),
    "private_key": _secret("Private key to log in with: the key itself or the path of its file."),
    "sudo": _param("boolean", "Run the command with sudo on the remote hosts.", default=False),
    "sudo_password": _secret("Sudo password, when passwordless sudo is not allowed.",
                             default=None),
    "timeout": _param("integer", "Seconds after which the command is stopped.", default=60),
    "username": _param("string", "User to log in as (default: the user wfops runs as).",
                       required=False),
}

_WINRM_COMMON = {
    "cwd": _param("string", "Working directory on the Windows host."),
    "env": _ENV,
    "host": _param("string", "Windows host to connect to.", required=True),
    "kwarg_op": dict(_KWARG_OP, default="-"),
    "password": _param("string", "Password to log in with.", required=True, secret=True),
    "port": _param("integer", "WinRM port.", default=5986, required=False),
    "scheme": _param("string", "WinRM scheme (http or https).", default="https", required=False),
    "timeout": _param("integer", "Seconds after which the command is stopped.", default=60),
    "transport": _param(
        "string", "WinRM transport.", default="ntlm", required=False,
        enum=["basic", "certificate", "credssp", "kerberos", "ntlm", "plaintext", "ssl"],
    ),
    "username": _param("string", "User to log in as.", required=True),
    "verify_ssl_cert": _param("boolean", "Verify the host's certificate.", default=True),
}

_HOST_LIST = {"type": "string"}

_HTTP = {
    "allow_redirects": _param("boolean", "Follow redirects.", default=False),
    "cookies": _param("object", "Cookies sent with the request."),
    "headers": _param("object", "HTTP headers of the request."),
    "http_proxy": _param("string", "Proxy for http:// URLs (e.g. http://10.10.1.10:3128)."),
    "https_proxy": _param("string", "Proxy for https:// URLs (e.g. http://10.10.1.10:3128)."),
    "password": _param("string", "Password for basic authentication.", secret=True),
    "url": _param("string", "URL of the HTTP endpoint.", required=True),
    "username": _param("string", "User name for basic authentication."),
    "verify_ssl_cert": _param(
        "boolean", "Verify the server's certificate (false: do not).", default=True
    ),
    "url_hosts_blacklist": _param(
        "array", "Hosts the request may not go to.", required=False, items=_HOST_LIST
    ),
    "url_hosts_whitelist": _param(
        "array", "The only hosts the request may go to.", required=False, items=_HOST_LIST
    ),
}

_INQUIRY_SCHEMA = {
    "title": "response_data",
    "type": "object",
    "properties": {
        "continue": {
            "type": "boolean",
            "description": "Would you like to continue the workflow?",
            "required": True,
        }
    },
}


@dataclass(frozen=True)
class RunnerType:
    """A runner type: its name, the parameters it contributes, whether its actions need an
    entry point (which must then exist), and a one-line description."""

    name: str
    parameters: dict = field(default_factory=dict)
    needs_entry_point: bool = False
    description: str = ""


RUNNER_TYPES: dict[str, RunnerType] = {
    runner.name: runner
    for runner in [
        RunnerType(NOOP, {}, description="Does nothing and succeeds."),
        RunnerType(
            LOCAL_SHELL_CMD,
            {"cmd": _param("string", "Linux command run on this host."), **_LOCAL_COMMON},
            description="Runs a shell command on this host.",
        ),
        RunnerType(
            LOCAL_SHELL_SCRIPT,
            {"debug": _DEBUG, "content_version": _CONTENT_VERSION, **_LOCAL_COMMON},
            needs_entry_point=True,
            description="Runs the action's script on this host.",
        ),
        RunnerType(
            PYTHON_SCRIPT,
            {
                "debug": _DEBUG,
                "content_version": _CONTENT_VERSION,
                "env": _param("object", "Environment variables available to the script."),
                "timeout": _param("integer", "Seconds after which the action is killed.",
                                  default=600),
                "log_level": _param(
                    "string", "Log level of the action's logger.", default="DEBUG",
                    enum=["AUDIT", "CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
                ),
            },
            needs_entry_point=True,
            description="Runs the action's Python class in a child process.",
        ),
        # StackStorm's orquesta runner has a `notify` parameter; wfops does not send
        # notifications, so workflow actions take only their own parameters (the input).
        RunnerType(ORQUESTA, {}, needs_entry_point=True,
                   description="Runs an Orquesta workflow."),
        RunnerType(HTTP_REQUEST, _HTTP, description="Sends an HTTP request."),
        RunnerType(
            REMOTE_SHELL_CMD,
            {
                **_REMOTE_COMMON,
                "cmd": _param("string", "Linux command run on the remote hosts."),
                "dir": dict(_REMOTE_COMMON["dir"], immutable=True),
            },
            description="Runs a shell command on remote hosts over SSH.",
        ),
        RunnerType(
            REMOTE_SHELL_SCRIPT,
            _REMOTE_COMMON,
            needs_entry_point=True,
            description="Copies the action's script to remote hosts over SSH and runs it.",
        ),
        RunnerType(
            WINRM_CMD,
            {**_WINRM_COMMON, "cmd": _param("string", "Command Prompt command to run.")},
            description="Runs a Command Prompt command on a Windows host over WinRM.",
        ),
        RunnerType(
            WINRM_PS_CMD,
            {**_WINRM_COMMON, "cmd": _param("string", "PowerShell command to run.")},
            description="Runs a PowerShell command on a Windows host over WinRM.",
        ),
        RunnerType(
            WINRM_PS_SCRIPT,
            _WINRM_COMMON,
            needs_entry_point=True,
            description="Runs the action's PowerShell script on a Windows host over WinRM.",
        ),
        RunnerType(
            ACTION_CHAIN,
            {
                "display_published": _param("boolean", "Show the published variables in the "
                                            "result.", default=True),
                "skip_notify": _param("array", "Tasks that send no notification.", default=[]),
            },
            needs_entry_point=True,
            description="Runs an action chain (StackStorm's older workflow format).",
        ),
        RunnerType(
            INQUIRER,
            {
                "schema": _param("object", "JSON schema the response must match.",
                                 default=_INQUIRY_SCHEMA, required=True),
                "route": _param("string", "A value rules can route notifications by.",
                                default="", required=False),
                "roles": _param("array", "Roles that may respond (all when empty).",
                                default=[], required=False),
                "users": _param("array", "Users that may respond (all when empty).",
                                default=[], required=False),
                "ttl": _param("integer", "Minutes before an unanswered inquiry times out.",
                              default=1440, required=True),
            },
            description="Asks a question and waits for a response (an inquiry).",
        ),
        RunnerType(
            ANNOUNCEMENT,
            {
                "experimental": _param("boolean", "Acknowledge that the runner is "
                                       "experimental.", default=False, required=True),
                "route": _param("string", "Route of the announcement.", default="general",
                                maxLength=255, minLength=1),
            },
            description="Publishes an announcement on the message bus.",
        ),
    ]
}


def runner_parameters(runner_type: str) -> dict:
    """A copy of the parameter schemas a runner type contributes (``{}`` if unknown)."""
    known = RUNNER_TYPES.get(runner_type)
    return copy.deepcopy(known.parameters) if known else {}


def runner_parameter_names(runner_type: str) -> frozenset[str]:
    """Names of the parameters that belong to the runner rather than to the action."""
    known = RUNNER_TYPES.get(runner_type)
    return frozenset(known.parameters) if known else frozenset()
