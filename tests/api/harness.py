"""A real ``wfops serve`` subprocess on a free loopback port, driven with plain urllib and
with the real ``st2`` command line of st2client 3.9 (from the venv)."""

from __future__ import annotations

import json
import os
import pathlib
import re
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURE_PACKS = REPO / "tests" / "fixtures" / "packs"
API_PACKS = REPO / "tests" / "api" / "packs"
FUZZ_PACKS = REPO / "tests" / "api" / "fuzz_packs"
ST2 = pathlib.Path(sys.executable).parent / "st2"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Server:
    """``wfops serve --port 0`` with its own WFOPS_HOME."""

    def __init__(self, home: pathlib.Path, *, api_keys: str | None = None,
                 packs_path: str = "%s:%s" % (FIXTURE_PACKS, API_PACKS)):
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ)
        self.env["WFOPS_HOME"] = str(home)
        self.env["WFOPS_COMMAND_TIMEOUT"] = "30"
        self.env["WFOPS_PACKS_PATH"] = packs_path
        self.env.pop("WFOPS_URL", None)
        self.env.pop("WFOPS_API_KEYS", None)
        if api_keys:
            self.env["WFOPS_API_KEYS"] = api_keys
        self.log_path = home / "serve.log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    # -- process -----------------------------------------------------------------------

    def start(self, timeout: float = 30) -> "Server":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wfops.cli.main", "serve", "--port", "0"],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                line = self.proc.stdout.readline()
                break
            if self.proc.poll() is not None:
                break
        match = re.search(rb"listening on http://127\.0\.0\.1:(\d+)/api/v1", line)
        if not match:
            self.stop()
            raise AssertionError("wfops serve did not start: %r\n%s" % (line, self.log()))
        self.port = int(match.group(1))
        return self

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    @property
    def api_url(self) -> str:
        return "http://127.0.0.1:%d/api/v1" % self.port

    # -- HTTP ------------------------------------------------------------------------

    def request(self, method: str, path: str, body=None, *, raw: bytes | None = None,
                headers: dict | None = None, timeout: float = 60):
        """(status, parsed JSON or text, headers)."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.api_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text, response_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as e:
            status, text, response_headers = e.code, e.read(), e.headers
        content_type = response_headers.get("Content-Type", "")
        value = json.loads(text) if text and content_type.startswith("application/json") else text.decode()
        return status, value, response_headers

    def get(self, path: str, **kwargs):
        status, value, _ = self.request("GET", path, **kwargs)
        assert status == 200, (status, value)
        return value

    def launch(self, ref: str, parameters: dict, **kwargs) -> dict:
        status, value, _ = self.request("POST", "/executions", {"action": ref, "parameters": parameters}, **kwargs)
        assert status == 201, (status, value)
        return value

    def wait_status(self, execution_id: str, statuses, timeout: float = 30, **kwargs) -> dict:
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)
        deadline = time.monotonic() + timeout
        while True:
            view = self.get("/executions/%s" % execution_id, **kwargs)
            if view["status"] in statuses:
                return view
            if time.monotonic() > deadline:
                raise AssertionError("execution %s stayed %s, wanted %s" % (execution_id, view["status"], statuses))
            time.sleep(0.05)

    def wait_finished(self, execution_id: str, statuses, timeout: float = 30) -> dict:
        """Wait for ``statuses`` and for every task execution to have ended: a workflow
        that fails while other branches run shows failed before those branches end."""
        view = self.wait_status(execution_id, statuses, timeout)
        ended = {"succeeded", "failed", "timeout", "canceled", "abandoned"}
        wait_for(lambda: all(c["status"] in ended for c in self.get(
            "/executions/%s/children?depth=-1" % execution_id)), timeout=timeout)
        return view

    def total(self, **kwargs) -> int:
        status, _, headers = self.request("GET", "/executions?limit=1", **kwargs)
        assert status == 200
        return int(headers["X-Total-Count"])

    # -- the st2 command line --------------------------------------------------------

    def st2_env(self, api_key: str | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ST2_")}
        env.update({
            "ST2_API_URL": self.api_url,
            "ST2_BASE_URL": "http://127.0.0.1:%d" % self.port,
            "ST2_AUTH_URL": "http://127.0.0.1:%d/auth" % self.port,
            "ST2_STREAM_URL": "http://127.0.0.1:%d/stream/v1" % self.port,
            "ST2_CLI_SKIP_CONFIG": "1",
            "HOME": str(self.home),
            "TERM": "dumb",  # no colours
            "COLUMNS": "250",  # tables as wide as st2 wants them, whatever the terminal
        })
        if api_key:
            env["ST2_API_KEY"] = api_key
        return env

    def st2(self, *args: str, api_key: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        done = subprocess.run([str(ST2), *args], env=self.st2_env(api_key), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        done.stdout = ANSI.sub("", done.stdout)
        done.stderr = ANSI.sub("", done.stderr)
        return done


def field(output: str, name: str) -> str | None:
    """The value of ``name: value`` in st2's execution printout."""
    match = re.search(r"^%s: (.*)$" % re.escape(name), output, re.M)
    return match.group(1).strip() if match else None


def task_rows(output: str) -> list[tuple[str, str, str]]:
    """(id, status word, task) of each row of st2's task table."""
    rows = []
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[0-9a-f]{24}", cells[0].lstrip("+ ").strip()):
            rows.append((cells[0].lstrip("+ ").strip(), cells[1].split(" ")[0], cells[2]))
    return rows


def log_lines(path: pathlib.Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def wait_for(predicate, timeout: float = 30, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %s s" % timeout)
        time.sleep(interval)


class Lines:
    """The lines a running process prints, read as they come (on a thread)."""

    def __init__(self, proc: subprocess.Popen):
        import threading

        self.proc = proc
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(ANSI.sub("", line.rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 90) -> int:
        """The index of the first line containing ``text``, once printed."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index, line in enumerate(self.lines):
                    if text in line:
                        return index
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self._thread.is_alive()):
                    raise AssertionError("%r not printed within %s s; printed:\n%s"
                                         % (text, timeout, "\n".join(self.lines)))
                self._changed.wait(min(remaining, 0.2))

    def text(self) -> str:
        with self._changed:
            return "\n".join(self.lines)
