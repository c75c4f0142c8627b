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


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


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
