"""Reading StackStorm's event stream (server-sent events) with plain urllib."""

from __future__ import annotations

import json
import socket
import time
import urllib.request


def read_events(url: str, until, timeout: float = 30, headers: dict | None = None):
    """(event name, data) of each event until ``until(name, data)`` is true or the server
    ends the stream; raises AssertionError on timeout."""
    request = urllib.request.Request(url, headers=headers or {})
    events = []
    deadline = time.monotonic() + timeout
    with urllib.request.urlopen(request, timeout=timeout) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        name = None
        while time.monotonic() < deadline:
            try:
                line = response.readline()
            except socket.timeout:
                break
            if not line:
                return events  # the server ended the stream
            text = line.decode("utf-8").rstrip("\n")
            if text.startswith("event: "):
                name = text[len("event: "):]
            elif text.startswith("data: "):
                events.append((name, json.loads(text[len("data: "):])))
                if until(*events[-1]):
                    return events
    raise AssertionError("the stream did not deliver what was awaited within %s s: %s" % (timeout, events))
