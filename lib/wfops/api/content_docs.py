"""StackStorm's JSON for the loaded packs' content: PackAPI, ActionAliasAPI,
SensorTypeAPI and RuleAPI documents (st2common/models/api), from
:func:`wfops.packs.content.load_content`'s entries, and st2's filters on them."""

from __future__ import annotations

import copy
import os
from typing import Any, Callable

from wfops.api.resources import pseudo_id


def pack_doc(entry: dict) -> dict[str, Any]:
    ref = entry["ref"]
    return {
        "id": pseudo_id("pack", ref),
        "uid": "pack:%s" % ref,
        "ref": ref,
        "name": str(entry.get("name") or ref),
        "description": str(entry.get("description") or ""),
        "keywords": list(entry.get("keywords") or []),
        "version": str(entry.get("version") or ""),
        "stackstorm_version": entry.get("stackstorm_version"),
        "python_versions": list(entry.get("python_versions") or []),
        "author": str(entry.get("author") or ""),
        "email": entry.get("email"),
        "contributors": list(entry.get("contributors") or []),
        "files": [],
        "dependencies": list(entry.get("dependencies") or []),
        "system": dict(entry.get("system") or {}),
        "path": entry["pack_path"],
    }


def _identity(kind: str, pack: str, name: str) -> dict[str, str]:
    """st2's ``id``, ``uid`` and ``ref`` of a pack's resource."""
    ref = "%s.%s" % (pack, name)
    return {"id": pseudo_id(kind, ref), "uid": "%s:%s:%s" % (kind, pack, name), "ref": ref}


def alias_doc(entry: dict) -> dict[str, Any]:
    pack, name = entry["pack"], str(entry["name"])
    return {
        **_identity("action_alias", pack, name),
        "name": name,
        "pack": pack,
        "description": entry.get("description"),
        "enabled": bool(entry.get("enabled", True)),
        "action_ref": str(entry["action_ref"]),
        "formats": copy.deepcopy(entry.get("formats") or []),
        "ack": copy.deepcopy(entry.get("ack") or {}),
        "result": copy.deepcopy(entry.get("result") or {}),
        "extra": copy.deepcopy(entry.get("extra") or {}),
        "immutable_parameters": copy.deepcopy(entry.get("immutable_parameters") or {}),
        "metadata_file": entry["metadata_file"],
    }


def _trigger_ref(pack: str, trigger_type: Any) -> str:
    name = trigger_type.get("name") if isinstance(trigger_type, dict) else trigger_type
    name = str(name)
    return name if "." in name else "%s.%s" % (pack, name)


def sensor_doc(entry: dict) -> dict[str, Any]:
    pack, class_name = entry["pack"], str(entry["class_name"])
    entry_point = str(entry.get("entry_point") or "")
    module = os.path.splitext(entry_point)[0].replace(os.sep, ".")
    return {
        **_identity("sensor_type", pack, class_name),
        "name": class_name,
        "class_name": class_name,
        "pack": pack,
        "description": str(entry.get("description") or ""),
        "artifact_uri": "file://%s" % os.path.join(entry["pack_path"], "sensors", entry_point),
        "entry_point": "%s.%s" % (module, class_name) if module else class_name,
        "enabled": bool(entry.get("enabled", True)),
        "trigger_types": [_trigger_ref(pack, t) for t in entry.get("trigger_types") or []],
        "poll_interval": entry.get("poll_interval"),
        "metadata_file": entry["metadata_file"],
    }


def rule_doc(entry: dict) -> dict[str, Any]:
    pack, name = entry["pack"], str(entry["name"])
    trigger = dict(entry.get("trigger") or {})
    action = dict(entry.get("action") or {})
    return {
        **_identity("rule", pack, name),
        "name": name,
        "pack": pack,
        "description": str(entry.get("description") or ""),
        "type": {"ref": "standard", "parameters": {}},
        "trigger": {"type": trigger.get("type"), "parameters": trigger.get("parameters") or {},
                    "ref": trigger.get("type")},
        "criteria": copy.deepcopy(entry.get("criteria") or {}),
        "action": {"ref": action.get("ref"), "parameters": copy.deepcopy(action.get("parameters") or {})},
        "enabled": bool(entry.get("enabled", False)),
        "context": {},
        "tags": list(entry.get("tags") or []),
        "metadata_file": entry["metadata_file"],
    }


def find(docs: list[dict], ref_or_id: str) -> dict | None:
    """The document whose ref (or id, or name for packs) is ``ref_or_id``."""
    for doc in docs:
        if ref_or_id in (doc["ref"], doc["id"]):
            return doc
    return None


def truthy(text: str | None) -> bool | None:
    """st2's boolean filters (``enabled=True``): None when not given."""
    if text is None or text == "":
        return None
    return text.strip().lower() in ("true", "1", "yes", "y", "on")


def matching(docs: list[dict], **wanted: Any) -> list[dict]:
    """The documents whose (dotted) attributes equal each given, non-None filter value."""

    def value(doc: dict, path: str) -> Any:
        for part in path.split("__"):
            doc = doc.get(part) if isinstance(doc, dict) else None
        return doc

    tests: list[Callable[[dict], bool]] = [
        (lambda d, k=k, v=v: value(d, k) == v) for k, v in wanted.items() if v is not None]
    return [d for d in docs if all(t(d) for t in tests)]
