"""``wfops serve``: the engine loop and the REST API in one process.

HTTP with the standard library's ``ThreadingHTTPServer``: one thread per connection for
the requests, one engine thread for everything that drives the engine
(:mod:`wfops.api.engine_thread`). The API is served under ``/api/v1`` (as StackStorm behind
its proxy; ``/v1`` as well, as st2api on its own port).

Security: the default bind address is 127.0.0.1; API keys (``wfops.api.auth``) are
checked before anything else; request bodies are limited in size (413) and must be JSON
(400); secret parameters are masked in every response (``wfops.api.resources``).
"""

from __future__ import annotations

import http.server
import logging
import os
import signal
import socket
import sys
import threading
from urllib.parse import parse_qs, urlsplit

from wfops.api.app import Api, Request, Response, fault
from wfops.api.auth import ApiKeys
from wfops.api.engine_thread import EngineThread

LOG = logging.getLogger("wfops.api")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9101
MAX_BODY_BYTES = int(os.environ.get("WFOPS_API_MAX_BODY", str(1024 * 1024)))
MAX_DRAIN_BYTES = 16 * 1024 * 1024
PREFIXES = ("/api/v1", "/v1")
# Reachable without an API key: nothing in them is private.
PUBLIC_PATHS = ("", "/openapi.json")
SOCKET_TIMEOUT_SECONDS = 60


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wfops"
    timeout = SOCKET_TIMEOUT_SECONDS
    api: Api
    keys: ApiKeys

    def __getattr__(self, name: str):
        # http.server calls do_<METHOD>. Every method goes to the API, so that one it does
        # not route (TRACE, CONNECT, an extension method) gets its 405 with an Allow header
        # and a faultstring, not http.server's HTML 501.
        if name.startswith("do_"):
            method = name[3:]
            return lambda: self._serve(method)
        raise AttributeError(name)

    # ------------------------------------------------------------------------------

    def _serve(self, method: str) -> None:
        try:
            response = self._respond(method)
        except Exception:  # noqa: BLE001 - a bug must not kill the connection silently
            LOG.exception("%s %s failed", method, self.path)
            self.close_connection = True  # its body may be unread
            response = fault(500, "Internal Server Error")
        try:
            self._send(method, response)
        except OSError as e:  # the client went away
            LOG.info("%s %s: the answer could not be sent: %s", method, self.path, e)
            self.close_connection = True

    def _respond(self, method: str) -> Response:
        parts = urlsplit(self.path)
        path = parts.path
        for prefix in PREFIXES:
            if path == prefix or path.startswith(prefix + "/"):
                path = path[len(prefix):]
                break
        else:
            self._discard_body_or_close()
            return fault(404, "The resource could not be found.")
        try:
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
        except ValueError:
            query = {}
        header_key = self.headers.get("St2-Api-Key")
        query_key = (query.get("st2-api-key") or [None])[-1]
        if path.rstrip("/") not in PUBLIC_PATHS:
            refusal = self.keys.check(header_key, query_key)
            if refusal is not None:
                self._discard_body_or_close()
                return fault(401, refusal)
        body, refusal = self._read_body()
        if refusal is not None:
            return refusal
        request = Request(method=method, path=path, query=query,
                          headers={k: v for k, v in self.headers.items()}, body=body,
                          key_user=self.keys.user_for(header_key, query_key))
        return self.api.handle(request)

    def _read_body(self) -> tuple[bytes, Response | None]:
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            self.close_connection = True
            return b"", fault(411, "Chunked request bodies are not supported: send a Content-Length.")
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b"", None
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError(length_text)
        except ValueError:
            self.close_connection = True
            return b"", fault(400, 'Invalid Content-Length header "%s".' % length_text)
        if length > MAX_BODY_BYTES:
            # Drained (up to a bound) rather than left unread, so that the client, still
            # sending, gets the answer instead of a reset connection; never kept.
            if length <= MAX_DRAIN_BYTES:
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            self.close_connection = True
            return b"", fault(413, "Request body too large: %d bytes; the limit is %d bytes."
                              % (length, MAX_BODY_BYTES))
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return b"", fault(400, "The request body ended before Content-Length bytes.")
        return body, None

    def _discard_body_or_close(self) -> None:
        """Before answering a request early, consume its (small) body so that the next
        request on the connection is read correctly; close the connection otherwise."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if self.headers.get("Transfer-Encoding") or length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
        elif length:
            self.rfile.read(length)

    def _send(self, method: str, response: Response) -> None:
        data = response.encoded()
        self.send_response(response.status)
        content_type = response.content_type
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        LOG.info("%s %s", self.address_string(), format % args)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def make_server(host: str, port: int, api: Api, keys: ApiKeys) -> _Server:
    handler = type("Handler", (_Handler,), {"api": api, "keys": keys})
    server_class = _Server
    if ":" in host:
        server_class = type("Server6", (_Server,), {"address_family": socket.AF_INET6})
    return server_class((host, port), handler)


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def serve(session, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve until SIGTERM or SIGINT. Returns the exit status."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from wfops.api.openapi import document

    keys = ApiKeys.load(session.home)
    engine_thread = EngineThread(session)
    spec = document()
    api = Api(session, engine_thread, openapi=lambda: spec)
    try:
        server = make_server(host, port, api, keys)
    except OSError as e:
        print("ERROR: cannot listen on %s:%s: %s" % (host, port, e.strerror or e), file=sys.stderr)
        return 1
    engine_thread.start()
    engine_thread.started_ok.wait()
    if engine_thread.start_error is not None:
        server.server_close()
        print("ERROR: the engine did not start: %s" % engine_thread.start_error, file=sys.stderr)
        return 1

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    bound_host, bound_port = server.server_address[:2]
    # Python actions reach the API the way StackStorm's do: through ST2_ACTION_API_URL.
    os.environ.setdefault(
        "ST2_ACTION_API_URL",
        "http://%s:%d/api/v1" % (bound_host if ":" not in bound_host else "[%s]" % bound_host, bound_port),
    )
    if not keys.enabled and not _is_loopback(host):
        print("WARNING: listening on %s without API keys: anyone who can reach this port can run "
              "actions. Set WFOPS_API_KEYS or write %s." % (host, os.path.join(session.home, "api_keys")),
              file=sys.stderr)
    print("wfops serve: listening on http://%s:%d/api/v1 (engine %s, home %s, API keys %s)"
          % (bound_host if ":" not in bound_host else "[%s]" % bound_host, bound_port,
             engine_thread.engine_id, session.home, "required" if keys.enabled else "off"),
          flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        server.server_close()
        engine_thread.stop()
        engine_thread.join(timeout=30)
    if engine_thread.left_running:
        # The action threads of the engine's pool would keep the interpreter alive until
        # their actions end; their trees are the next engine's to adopt.
        print("wfops serve: stopped with %d action(s) still running; the next wfops engine "
              "adopts their executions." % engine_thread.left_running, file=sys.stderr)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0

