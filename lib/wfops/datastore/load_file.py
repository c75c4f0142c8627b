"""The files ``wfops key load`` / ``st2 key load`` read: JSON or YAML, one item or a list
of items, each ``{name, value[, scope, user, secret, encrypted, ttl, description]}``.

As ``st2 key load``: a value that is not a string is refused unless ``convert`` is asked,
which stores it as its JSON text; an empty file loads nothing.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from wfops import errors
from wfops.datastore.naming import DatastoreError

FIELDS = ("name", "value", "scope", "user", "secret", "encrypted", "ttl", "description")


def item_label(position: int, item: Any) -> str:
    """How errors name the ``position``-th item (from 1): ``item 2 ("token")``."""
    named = isinstance(item, dict) and item.get("name") is not None
    return "item %d%s" % (position, ' ("%s")' % item["name"] if named else "")


def shape_problems(position: int, item: Any) -> list[str]:
    """What is wrong with the shape of a load item: not a mapping, a missing name or
    value, fields StackStorm's keys do not have. Empty when it is well formed."""
    label = item_label(position, item)
    if not isinstance(item, dict):
        return ["%s: an item must be a mapping with a name and a value." % label]
    missing = [f for f in ("name", "value") if f not in item]
    unknown = sorted(set(item) - set(FIELDS))
    if not (missing or unknown):
        return []
    return ["%s: %s." % (label, "; ".join((["missing %s" % ", ".join(missing)] if missing else [])
                                          + (["unknown field(s) %s" % ", ".join(unknown)] if unknown else [])))]


def parse_items(text: str, source: str) -> list:
    """The items of a load file's ``text`` (``source`` names it in errors)."""
    try:
        data = json.loads(text) if source.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        kind = "JSON" if source.endswith(".json") else "YAML"
        raise DatastoreError("%s is not valid %s: %s" % (source, kind, str(e).replace("\n", " "))) from None
    if data is None:
        return []
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return data
    raise DatastoreError("%s must hold a key (a mapping with name and value) or a list of them." % source)


def convert_values(items: list, convert: bool) -> list:
    """Items whose values are all strings: non-string values as JSON text with
    ``convert``; without it, DatastoreError naming every such item."""
    problems, out = [], []
    for item in items:
        if isinstance(item, dict) and "value" in item and not isinstance(item["value"], str):
            if not convert:
                problems.append(
                    "Item '%s' has a value that is not a string. Either pass in the -c/--convert "
                    "option to convert non-string types to JSON strings automatically, or convert "
                    "the data to a string in the file" % item.get("name"))
                continue
            item = dict(item, value=json.dumps(item["value"]))
        out.append(item)
    errors.collect(problems, DatastoreError)
    return out


def read_items(path: str, convert: bool = False) -> list:
    """The items of the load file at ``path``, values converted as :func:`convert_values`."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as e:
        raise DatastoreError("Cannot read %s: %s." % (path, getattr(e, "strerror", None) or e)) from None
    return convert_values(parse_items(text, path), convert)
