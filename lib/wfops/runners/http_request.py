"""The ``http-request`` runner (StackStorm's http runner, behind ``core.http``), on requests.

Runner parameters (``url``, ``headers``, ``cookies``, ``username``/``password``,
``verify_ssl_cert``, ``allow_redirects``, ``http_proxy``/``https_proxy``, the host allow
and deny lists) and action parameters (``method``, ``body``, ``params``, ``timeout``,
``auth``, the ``file_*`` upload) are StackStorm's. So is the result: ``{status_code, body,
parsed, headers}``, where ``body`` is the parsed JSON value when the response says it is
``application/json`` (``parsed`` tells). As on StackStorm, the action succeeds only for a
status from 200 to 206; a request that times out ends ``timeout`` with ``{"error": ...}``.

A request in progress cannot be cancelled (the engine has no way to stop a running action
yet); ``timeout`` bounds how long it can take.
"""

from __future__ import annotations

import ast
import json
import os
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import HTTPBasicAuth

from wfops import statuses
from wfops.packs.action_spec import ActionSpec
from wfops.runners.base import ActionOutcome, RunContext, error_outcome, split_parameters

DEFAULT_TIMEOUT = 60.0
SUCCESS_STATUS_CODES = range(200, 207)  # StackStorm's: 200..206 succeed, anything else fails
USER_AGENT = "wfops (StackStorm http-request runner)"
_JSON = "application/json"


class RequestProblem(Exception):
    """A request that cannot be sent as given (the message says why)."""


class HttpRequestRunner:
    """Sends one HTTP request and returns StackStorm's result for it."""

    def run(self, action: ActionSpec, parameters: dict, ctx: RunContext) -> ActionOutcome:
        runner_params, action_params = split_parameters(action, parameters)
        problem = None
        try:
            request = build_request(action, runner_params, action_params)
        except RequestProblem as exc:
            problem = str(exc)
        if problem is not None:  # (outside the handler: a refusal carries no traceback)
            return error_outcome(problem)
        try:
            response = requests.request(**request)
        except requests.exceptions.Timeout as exc:
            return ActionOutcome(status=statuses.TIMEOUT, result={"error": str(exc)})
        except (requests.exceptions.RequestException, ValueError, OSError) as exc:
            return error_outcome('The HTTP request to "%s" failed: %s' % (request["url"], exc))
        with response:
            result = response_result(response)
        ok = result["status_code"] in SUCCESS_STATUS_CODES
        return ActionOutcome(status=statuses.SUCCEEDED if ok else statuses.FAILED, result=result)


def build_request(action: ActionSpec, runner_params: dict, action_params: dict) -> dict:
    """The keyword arguments of ``requests.request`` for the parameters, as StackStorm's
    runner builds them; raises RequestProblem for a request that cannot be sent."""
    url = runner_params.get("url")
    if not url:
        raise RequestProblem('Action "%s" has no URL: parameter "url" is empty.' % action.ref)
    _check_host_lists(url, runner_params)

    headers = {str(k): v if isinstance(v, str) else str(v)
               for k, v in (runner_params.get("headers") or {}).items()}
    lowered = {k.lower() for k in headers}
    if "user-agent" not in lowered:
        headers["User-Agent"] = USER_AGENT
    headers["X-Stanley-Action"] = action.name

    files = _files(action_params)
    body = action_params.get("body")
    if _media_type(headers) == _JSON and body not in (None, ""):
        body = json.dumps(_as_object(body))
    if isinstance(body, str):
        body = body.encode("utf-8")
    method = action_params.get("method") or ("POST" if body or files else "GET")

    username, password = runner_params.get("username"), runner_params.get("password")
    auth = None
    if username or password:
        auth = HTTPBasicAuth(username or "", password or "")
    elif action_params.get("auth"):
        raise RequestProblem(
            'Action "%s": parameter "auth" cannot be used (StackStorm\'s http runner fails with '
            'it too). For basic authentication give "username" and "password"; for a token, put '
            'it in "headers".' % action.ref
        )
    proxies = {scheme: runner_params.get("%s_proxy" % scheme)
               for scheme in ("http", "https") if runner_params.get("%s_proxy" % scheme)}
    timeout = action_params.get("timeout")
    verify = runner_params.get("verify_ssl_cert")
    return {
        "method": str(method).upper(),
        "url": url,
        "params": action_params.get("params") or None,
        "data": body if body not in (None, "") else None,
        "headers": headers,
        "cookies": runner_params.get("cookies") or None,
        "auth": auth,
        "timeout": float(DEFAULT_TIMEOUT if timeout is None else timeout),
        "allow_redirects": bool(runner_params.get("allow_redirects")),
        "proxies": proxies or None,
        "files": files,
        "verify": True if verify is None else bool(verify),
    }


def response_result(response: requests.Response) -> dict:
    """StackStorm's result for a response: ``{status_code, body, parsed, headers}``."""
    headers = dict(response.headers)
    body: Any = response.text or ""
    parsed = False
    if _media_type(headers) == _JSON:
        try:
            body = json.loads(body)
            parsed = True
        except ValueError:
            pass
    return {"status_code": response.status_code, "body": body, "parsed": parsed,
            "headers": headers}


def _media_type(headers: dict) -> str:
    """The Content-Type of ``headers`` without its parameters (``charset=...``), lowercased."""
    for key, value in headers.items():
        if key.lower() == "content-type":
            return str(value).split(";")[0].strip().lower()
    return ""


def _as_object(body: Any) -> Any:
    """A JSON request body as a value: a string is read as JSON, else as a Python literal
    (as StackStorm does, so that ``{'a': 1}`` works too)."""
    if not isinstance(body, str):
        return body
    try:
        return json.loads(body)
    except ValueError:
        pass
    try:
        return ast.literal_eval(body)
    except (ValueError, SyntaxError):
        raise RequestProblem(
            "The request body %r cannot be parsed as JSON, which its Content-Type "
            "(application/json) says it is." % body
        ) from None


def _files(action_params: dict) -> dict | None:
    """The upload of ``file_name``/``file_content`` (or the file at ``file_path``), if any."""
    name, content = action_params.get("file_name"), action_params.get("file_content")
    path = action_params.get("file_path")
    if path and not content:
        try:
            with open(path, "rb") as stream:
                content = stream.read()
        except OSError as exc:
            raise RequestProblem('The file to upload, "%s", cannot be read: %s' % (path, exc)) \
                from None
        name = name or os.path.basename(path)
    if not (name and content):
        return None
    content_type = action_params.get("file_content_type")
    return {name: (name, content, content_type) if content_type else (name, content)}


def _check_host_lists(url: str, runner_params: dict) -> None:
    denied = runner_params.get("url_hosts_blacklist") or []
    allowed = runner_params.get("url_hosts_whitelist") or []
    if denied and allowed:
        raise RequestProblem('"url_hosts_blacklist" and "url_hosts_whitelist" parameters are '
                             "mutually exclusive. Only one should be provided.")
    host = urlsplit(url).hostname or ""
    if denied and host in denied:
        raise RequestProblem('URL "%s" is blacklisted' % url)
    if allowed and host not in allowed:
        raise RequestProblem('URL "%s" is not whitelisted' % url)
