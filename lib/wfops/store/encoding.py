"""How records are stored: the JSON columns of each table, encoded and decoded."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

_JSON_COLUMNS = {
    "executions": ("parameters", "result", "context", "log"),
    "workflow_executions": ("input", "parent_context", "snapshot"),
    "task_executions": ("prev", "context", "result", "published"),
    "operations": ("request", "plan", "outcome"),
    "commands": ("payload", "response"),
}


# One encoder for every column: ``json.dumps`` with arguments builds a new one per call,
# a few microseconds of every value the host writes (several per action).
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)


def dumps(value: Any) -> str:
    """``value`` as compact JSON (what JSON cannot carry written as ``str()``), exactly as
    ``json.dumps(value, separators=(",", ":"), default=str)``. O(size)."""
    return _ENCODER.encode(value)


def decode_row(table: str, row: sqlite3.Row | None) -> dict | None:
    if row is None:
        return None
    record = dict(row)
    for column in _JSON_COLUMNS.get(table, ()):
        if column in record and record[column] is not None:
            record[column] = json.loads(record[column])
    return record


def encode_fields(table: str, fields: dict) -> dict:
    encoded = dict(fields)
    for column in _JSON_COLUMNS.get(table, ()):
        if column in encoded and encoded[column] is not None:
            encoded[column] = dumps(encoded[column])
    return encoded
