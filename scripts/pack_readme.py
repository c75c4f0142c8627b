"""The README's pack reference, generated from the pack's metadata.

The README holds blocks between ``<!-- pack-readme: NAME -->`` and ``<!-- /pack-readme -->``
(NAME: config, config_example, actions, aliases, triggers, rules); this renders each
one from config.schema.yaml, wfops.yaml.example, actions/*.yaml, aliases/*.yaml, sensors/*.yaml and rules/*.yaml, and
rewrites them in place (``--check``: only report the blocks that differ, exit 1).
tests/test_pack_readme.py fails when a block is out of date.

Run with a Python that has PyYAML (``.venv/bin/python scripts/pack_readme.py``).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import sys
from typing import Callable, Dict, List, Optional

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACK = "wfops"
BLOCK = re.compile(r"(<!-- pack-readme: (\w+) -->\n)(.*?)(<!-- /pack-readme -->)", re.S)


def metadata(repo: str, folder: str) -> List[dict]:
    """The YAML documents of ``repo/folder/*.yaml``, each with ``_file`` (its file name),
    sorted by file name. O(total size)."""
    documents = []
    for path in sorted(glob.glob(os.path.join(repo, folder, "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        document["_file"] = os.path.basename(path)
        documents.append(document)
    return documents


def _cell(text) -> str:
    """One Markdown table cell: a single line, pipes escaped."""
    return " ".join(str(text if text is not None else "").split()).replace("|", "\\|")


def _type(spec: dict) -> str:
    kind = spec.get("type", "")
    if kind == "array" and isinstance(spec.get("items"), dict) and spec["items"].get("type"):
        return "array of %s" % spec["items"]["type"]
    return " or ".join(kind) if isinstance(kind, list) else kind


def _table(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| %s |" % " | ".join(header), "|%s|" % "|".join("---" for _ in header)]
    lines.extend("| %s |" % " | ".join(row) for row in rows)
    return "\n".join(lines) + "\n"


def config_block(repo: str) -> str:
    """The pack config keys (config.schema.yaml). O(keys)."""
    with open(os.path.join(repo, "config.schema.yaml"), encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)
    rows = []
    for key, spec in schema.items():
        notes = []
        if "default" in spec:
            notes.append("default `%s`" % yaml.safe_dump(spec["default"]).splitlines()[0])
        if spec.get("secret"):
            notes.append("secret")
        if spec.get("required"):
            notes.append("required")
        rows.append(["`%s`" % key, _type(spec), _cell(", ".join(notes)), _cell(spec.get("description"))])
    return _table(["key", "type", "", "what it is"], rows)


def config_example_block(repo: str) -> str:
    """wfops.yaml.example, in a YAML code block. O(size of the file)."""
    with open(os.path.join(repo, "wfops.yaml.example"), encoding="utf-8") as handle:
        return "```yaml\n%s```\n" % handle.read()


def actions_block(repo: str) -> str:
    """The actions (actions/*.yaml): ref, runner, parameters (required in bold), what it
    does. O(actions x parameters)."""
    rows = []
    for action in sorted(metadata(repo, "actions"), key=lambda a: a["name"]):
        parameters = []
        for name, spec in (action.get("parameters") or {}).items():
            if (spec or {}).get("immutable"):
                continue
            parameters.append("**`%s`**" % name if (spec or {}).get("required") else "`%s`" % name)
        rows.append(["`%s.%s`" % (PACK, action["name"]), "`%s`" % action["runner_type"],
                     ", ".join(parameters), _cell(action.get("description"))])
    return _table(["action", "runner", "parameters (**required**)", "what it does"], rows)


def aliases_block(repo: str) -> str:
    """The ChatOps aliases (aliases/*.yaml): name, the commands as displayed, the action.
    O(aliases x formats)."""
    rows = []
    for alias in sorted(metadata(repo, "aliases"), key=lambda a: a["name"]):
        displays = []
        for entry in alias.get("formats") or []:
            text = (entry.get("display") or entry["representation"][0]) if isinstance(entry, dict) else entry
            displays.append("`%s`" % _cell(text))
        rows.append(["`%s`" % alias["name"], "<br>".join(displays), "`%s`" % alias["action_ref"],
                     _cell(alias.get("description"))])
    return _table(["alias", "command", "action", "what it does"], rows)


def triggers_block(repo: str) -> str:
    """The sensors' trigger types (sensors/*.yaml) with their payload fields.
    O(triggers x fields)."""
    parts = []
    for sensor in metadata(repo, "sensors"):
        for trigger in sensor.get("trigger_types") or []:
            parts.append("#### `%s.%s` (sensor `%s`)\n\n%s\n\n" % (
                PACK, trigger["name"], sensor["class_name"], _cell(trigger.get("description"))))
            rows = [["`%s`" % field, _cell(_type(spec)), _cell(spec.get("description"))]
                    for field, spec in (trigger.get("payload_schema") or {}).get("properties", {}).items()]
            parts.append(_table(["payload field", "type", "what it is"], rows) + "\n")
    return "".join(parts).rstrip("\n") + "\n"


def rules_block(repo: str) -> str:
    """The rules (rules/*.yaml): ref, trigger, action, enabled, what it does. O(rules)."""
    rows = [["`%s.%s`" % (PACK, rule["name"]), "`%s`" % rule["trigger"]["type"],
             "`%s`" % rule["action"]["ref"], "yes" if rule.get("enabled", True) else "no",
             _cell(rule.get("description"))]
            for rule in sorted(metadata(repo, "rules"), key=lambda r: r["name"])]
    return _table(["rule", "trigger", "action", "enabled", "what it does"], rows)


BLOCKS: Dict[str, Callable[[str], str]] = {
    "config": config_block,
    "config_example": config_example_block,
    "actions": actions_block,
    "aliases": aliases_block,
    "triggers": triggers_block,
    "rules": rules_block,
}


def render(readme: str, repo: str = REPO) -> str:
    """``readme`` with every pack-readme block regenerated. Unknown block names raise
    ValueError. O(size of the README + metadata)."""
    def replace(match: re.Match) -> str:
        name = match.group(2)
        if name not in BLOCKS:
            raise ValueError("README: unknown pack-readme block %r (known: %s)" % (name, ", ".join(BLOCKS)))
        return match.group(1) + BLOCKS[name](repo) + match.group(4)

    return BLOCK.sub(replace, readme)


def blocks(readme: str) -> Dict[str, str]:
    """The pack-readme blocks of ``readme``: {name: content}. O(size of the README)."""
    return {m.group(2): m.group(3) for m in BLOCK.finditer(readme)}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/pack_readme.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report out-of-date blocks, change nothing")
    parser.add_argument("--readme", default=os.path.join(REPO, "README.md"))
    args = parser.parse_args(argv)
    with open(args.readme, encoding="utf-8") as handle:
        current = handle.read()
    fresh = render(current)
    missing = sorted(set(BLOCKS) - set(blocks(current)))
    if missing:
        print("README: no pack-readme block for %s" % ", ".join(missing), file=sys.stderr)
        return 1
    stale = sorted(name for name, text in blocks(fresh).items() if blocks(current)[name] != text)
    if args.check:
        if stale:
            print("README: out of date: %s (run .venv/bin/python scripts/pack_readme.py)" % ", ".join(stale),
                  file=sys.stderr)
            return 1
        return 0
    if stale:
        with open(args.readme, "w", encoding="utf-8") as handle:
            handle.write(fresh)
    print("README: %s" % ("rewrote %s" % ", ".join(stale) if stale else "up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
