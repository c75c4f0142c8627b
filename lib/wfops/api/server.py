"""``wfops serve``: the engine loop and the REST API in one process.

The API (:func:`wfops.api.app.create_app`, behind the :class:`wfops.api.edge.Edge`
middleware) is served by uvicorn on the main thread; request handlers run on its thread
pool and hand everything that drives the engine to the one engine thread
(:mod:`wfops.api.engine_thread`). The API is served under ``/api/v1`` (as StackStorm behind
its proxy; ``/v1`` as well, as st2api on its own port), the event stream under
``/stream/v1`` (as st2stream).

Security: the default bind address is 127.0.0.1; API keys (``wfops.api.auth``) are
checked before anything else; request bodies are limited in size (413) and must be JSON
(400); secret parameters are masked in every response (``wfops.api.resources``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys

import uvicorn

from wfops.api.auth import ActionTokens, ApiKeys
from wfops.api.edge import Edge
from wfops.api.engine_thread import EngineThread

LOG = logging.getLogger("wfops.api")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9101
GRACEFUL_SHUTDOWN_SECONDS = 5


class _Server(uvicorn.Server):
    """uvicorn's server, stopped by SIGTERM/SIGINT without re-raising the signal after the
    shutdown (``wfops serve`` then exits 0), and ending open event streams first."""

    def __init__(self, config: uvicorn.Config, on_stop):
        super().__init__(config)
        self._on_stop = on_stop

    @contextlib.contextmanager
    def capture_signals(self):
        def stop(signum, frame):
            self._on_stop()
            self.should_exit = True

        previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def serve(session, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve until SIGTERM or SIGINT. Returns the exit status."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from wfops.api.app import create_app

    keys = ApiKeys.load(session.home, ActionTokens(session.home, session.store))
    engine_thread = EngineThread(session)
    app = create_app(session, engine_thread)
    try:
        sock = _listen(host, port)
    except OSError as e:
        print("ERROR: cannot listen on %s:%s: %s" % (host, port, e.strerror or e), file=sys.stderr)
        return 1
    engine_thread.start()
    engine_thread.started_ok.wait()
    if engine_thread.start_error is not None:
        sock.close()
        print("ERROR: the engine did not start: %s" % engine_thread.start_error, file=sys.stderr)
        return 1
    bound_host, bound_port = sock.getsockname()[:2]
    shown = bound_host if ":" not in bound_host else "[%s]" % bound_host
    # Python actions reach the API the way StackStorm's do: through ST2_ACTION_API_URL.
    os.environ.setdefault("ST2_ACTION_API_URL", "http://%s:%d/api/v1" % (shown, bound_port))
    if not keys.enabled and not _is_loopback(host):
        print("WARNING: listening on %s without API keys: anyone who can reach this port can run "
              "actions. Set WFOPS_API_KEYS or write %s." % (host, os.path.join(session.home, "api_keys")),
              file=sys.stderr)
    config = uvicorn.Config(Edge(app, keys, app.state.public_paths), http="h11", lifespan="off",
                            log_config=None, access_log=True, server_header=False,
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    server = _Server(config, on_stop=app.state.service.stopping.set)
    print("wfops serve: listening on http://%s:%d/api/v1 (stream http://%s:%d/stream/v1; engine %s, home %s, "
          "API keys %s)" % (shown, bound_port, shown, bound_port, engine_thread.engine_id, session.home,
                            "required" if keys.enabled else "off"), flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        app.state.service.stopping.set()
        sock.close()
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
