"""The ChatOps aliases of the wfops pack (aliases/*.yaml).

Every example command below must match exactly one representation across ALL the pack's
aliases (as StackStorm requires: a command that matches two is refused as ambiguous) and
yield the intended action parameters, after StackStorm's casting of alias parameters and
the alias's immutable parameters.

The matcher follows StackStorm's documented alias grammar (st2common's
``action_alias_utils`` and ``actionalias_matching``), written here from its rules:

- ``{{param}}`` is a required parameter and ``{{param=default}}`` an optional one (the
  default may be quoted); a value may be quoted (``"..."``, ``'...'``) or a ``{...}``
  object, else it is the shortest text that lets the rest match;
- everything else in a representation is a regular expression (so ``( from {{tasks}})?``
  is an optional part), anchored with ``^\\s*`` and ``\\s*$`` unless it has anchors;
- ``key=value`` pairs at the end of the command are extra parameters;
- parameters are then cast by the action's parameter types as the alias execution API
  does: arrays split on commas, booleans from ``true``/``false``, objects from JSON.
"""

from __future__ import annotations

import ast
import glob
import json
import os
import re
import sys

import jinja2
import pytest
import yaml

if sys.version_info >= (3, 11):
    from re import _parser as sre_parse  # type: ignore[attr-defined]
else:  # pragma: no cover
    import sre_parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALIASES_DIR = os.path.join(REPO, "aliases")
ACTIONS_DIR = os.path.join(REPO, "actions")


# ======================================================================================
# StackStorm's alias grammar
# ======================================================================================

class NoMatch(Exception):
    pass


_KEY = r"\s*(\S+?)\s*"
_VALUE = r"""""|''|"(.+?)"|'(.+?)'|({.+?})|(\S+)"""
_LOOSE_VALUE = r"""""|''|"(.+?)"|'(.+?)'|({.+?})|(.+?)"""
_PAIR = r"(?:^|\s+)" + _KEY + "=(" + _VALUE + ")"
_TRAILING_PAIRS = r".*?((" + _PAIR + r"\s*)*)$"
_OPTIONAL = r"{{" + _KEY + r"\s*=\s*(?:" + _LOOSE_VALUE + r")\s*}}"
_REQUIRED = r"{{" + _KEY + r"}}"
# What a parameter's value looks like in the command.
_CAPTURE = r"""\1["']?(?P<\2>(?:(?<=').+?(?=')|(?<=").+?(?=")|{.+?}|.+?))["']?"""


def _has_anchor(tokens, wanted) -> bool:
    """Whether the parsed regex has one of ``wanted`` at its top level, in a group or in
    a branch (as StackStorm looks for anchors)."""
    for op, arg in tokens:
        if op is sre_parse.SUBPATTERN and _has_anchor(arg[-1], wanted):
            return True
        if op is sre_parse.BRANCH and any(_has_anchor(b, wanted) for b in arg[1]):
            return True
        if op is sre_parse.AT and arg in wanted:
            return True
    return False


def alias_regex(representation: str) -> re.Pattern:
    pattern = re.sub(r"(\s*)" + _OPTIONAL, "(?:" + _CAPTURE + ")?", representation)
    pattern = re.sub(r"(\s*)" + _REQUIRED, _CAPTURE, pattern)
    tokens = list(sre_parse.parse(pattern, re.DOTALL))
    if not _has_anchor(tokens, (sre_parse.AT_BEGINNING, sre_parse.AT_BEGINNING_STRING)):
        pattern = r"^\s*" + pattern
    if not _has_anchor(list(reversed(tokens)), (sre_parse.AT_END, sre_parse.AT_END_STRING)):
        pattern = pattern + r"\s*$"
    return re.compile(pattern, re.DOTALL)


def extract(representation: str, command: str) -> dict:
    """The parameters ``command`` gives through ``representation`` (strings, or None for
    an optional part that is absent and has no default); NoMatch when it does not match."""
    stream = command
    extras = []
    trailing = re.match(_TRAILING_PAIRS, stream, re.DOTALL)
    if trailing and trailing.group(1):
        extras = re.findall(_PAIR, trailing.group(1), re.DOTALL)
        stream = stream.replace(trailing.group(1), "")
    stream = " %s " % stream
    match = alias_regex(representation).search(stream)
    if not match:
        raise NoMatch('"%s" does not match "%s"' % (command, representation))
    values = match.groupdict()
    for optional in re.findall(_OPTIONAL, representation, re.DOTALL):
        name, default = optional[0], "".join(optional[1:])
        values[name] = values.get(name) or default
    for pair in extras:
        values[pair[0]] = "".join(pair[2:])
    if representation and not (stream.strip() or any(values.values())):
        raise NoMatch("No value supplied and no default value found.")
    return values


# StackStorm's casts of alias parameters (the alias execution API overrides the array cast).
def _cast_array(value):
    if isinstance(value, list):
        return value
    return [v.strip() for v in value.split(",")]


def _cast_object(value):
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return ast.literal_eval(value)


def _cast_boolean(value):
    if isinstance(value, str):
        return ast.literal_eval(value.capitalize())
    return value


CASTS = {
    "array": _cast_array,
    "object": _cast_object,
    "boolean": _cast_boolean,
    "integer": int,
    "number": float,
    "string": lambda v: v,
}


# ======================================================================================
# The pack's aliases and actions
# ======================================================================================

def _load(path):
    with open(path) as fd:
        return yaml.safe_load(fd)


ALIASES = {a["name"]: a for a in (_load(p) for p in sorted(glob.glob(os.path.join(ALIASES_DIR, "*.yaml"))))}
ACTIONS = {"wfops.%s" % a["name"]: a for a in (_load(p) for p in sorted(glob.glob(os.path.join(ACTIONS_DIR, "*.yaml"))))}
RUNNER_PARAMETERS = {"python-script": {"timeout": "integer", "env": "object", "log_level": "string", "debug": "boolean"}}


def representations():
    """(alias name, representation) for every format of every alias."""
    out = []
    for name, alias in ALIASES.items():
        for fmt in alias["formats"]:
            if isinstance(fmt, str):
                out.append((name, fmt))
            else:
                reps = fmt.get("representation") or []
                out += [(name, r) for r in ([reps] if isinstance(reps, str) else reps)]
    return out


def parameter_types(action_ref: str) -> dict[str, str]:
    action = ACTIONS[action_ref]
    types = dict(RUNNER_PARAMETERS.get(action["runner_type"], {}))
    types.update({k: v["type"] for k, v in (action.get("parameters") or {}).items()})
    return types


def execution_parameters(alias_name: str, values: dict) -> dict:
    """What the alias execution API hands the action: the alias's immutable parameters
    added, every value cast by the action's parameter type."""
    alias = ALIASES[alias_name]
    immutable = alias.get("immutable_parameters") or {}
    overridden = sorted(set(immutable) & set(values))
    assert not overridden, "immutable parameters overridden: %s" % overridden
    values = {**values, **immutable}
    types = parameter_types(alias["action_ref"])
    out = {}
    for name, value in values.items():
        assert name in types, 'alias %s gives "%s", which action %s does not take' % (
            alias_name, name, alias["action_ref"])
        assert not (value is None and types[name] in ("array", "integer", "number")), (
            'alias %s leaves %s "%s" None: StackStorm cannot cast it; give it a default'
            % (alias_name, types[name], name))
        out[name] = value if value is None else CASTS[types[name]](value)
    return out


def match(command: str) -> list[tuple[str, str, dict]]:
    found = []
    for name, representation in representations():
        try:
            found.append((name, representation, extract(representation, command)))
        except NoMatch:
            continue
    return found


# examples: (command, alias, the parameters the action receives)
ID = "6b0287f646040c1795d845d0"
ID2 = "6b0287f746040c1795d845d6"
EXAMPLES = [
    ("wfops pause %s" % ID, "wfops_pause", {"ids": [ID], "comment": ""}),
    ("wfops pause %s,%s" % (ID, ID2), "wfops_pause", {"ids": [ID, ID2], "comment": ""}),
    ("wfops pause %s, %s comment deploy window" % (ID, ID2), "wfops_pause",
     {"ids": [ID, ID2], "comment": "deploy window"}),
    ("wfops resume %s" % ID, "wfops_resume", {"ids": [ID], "comment": ""}),
    ("wfops resume %s comment fixed the disk" % ID, "wfops_resume", {"ids": [ID], "comment": "fixed the disk"}),
    ("wfops cancel %s,%s" % (ID, ID2), "wfops_cancel", {"ids": [ID, ID2], "comment": ""}),
    ("wfops rerun %s" % ID, "wfops_rerun",
     {"id": ID, "tasks": [""], "no_reset": [""], "items": {}, "context": {}, "comment": ""}),
    ("wfops rerun %s from task2" % ID, "wfops_rerun",
     {"id": ID, "tasks": ["task2"], "no_reset": [""], "items": {}, "context": {}, "comment": ""}),
    ("wfops rerun %s from task2,task3 no-reset task3" % ID, "wfops_rerun",
     {"id": ID, "tasks": ["task2", "task3"], "no_reset": ["task3"], "items": {}, "context": {}, "comment": ""}),
    ("wfops rerun %s from task2[1] comment after the fix" % ID, "wfops_rerun",
     {"id": ID, "tasks": ["task2[1]"], "no_reset": [""], "items": {}, "context": {}, "comment": "after the fix"}),
    ('wfops rerun %s items {"task1": [0, 3, 5]}' % ID, "wfops_rerun",
     {"id": ID, "tasks": [""], "no_reset": [""], "items": {"task1": [0, 3, 5]}, "context": {}, "comment": ""}),
    ('wfops rerun %s from task2 context {"task2": {"target": "good"}} comment retry with good' % ID, "wfops_rerun",
     {"id": ID, "tasks": ["task2"], "no_reset": [""], "items": {}, "context": {"task2": {"target": "good"}},
      "comment": "retry with good"}),
    ("wfops rerun %s from task2,task3 force=true dry_run=true" % ID, "wfops_rerun",
     {"id": ID, "tasks": ["task2", "task3"], "no_reset": [""], "items": {}, "context": {}, "comment": "",
      "force": True, "dry_run": True}),
    ("wfops retry %s" % ID, "wfops_retry", {"id": ID, "no_reset": [""], "comment": "", "failed": True}),
    ("wfops retry %s no-reset task1 comment flaky network" % ID, "wfops_retry",
     {"id": ID, "no_reset": ["task1"], "comment": "flaky network", "failed": True}),
    ("wfops plan %s from task1,task2" % ID, "wfops_plan",
     {"id": ID, "tasks": ["task1", "task2"], "no_reset": [""], "items": {}, "context": {}}),
    ("wfops plan %s from task2 task3" % ID, "wfops_plan",
     {"id": ID, "tasks": ["task2 task3"], "no_reset": [""], "items": {}, "context": {}}),
    ("wfops plan %s from task3 failed=true force=true" % ID, "wfops_plan",
     {"id": ID, "tasks": ["task3"], "no_reset": [""], "items": {}, "context": {}, "failed": True, "force": True}),
    ("wfops skip %s task2" % ID, "wfops_skip",
     {"id": ID, "task": "task2", "result": "null", "publish": {}, "comment": ""}),
    ('wfops skip %s task2 result {"ok": true} publish {"token": "abc"}' % ID, "wfops_skip",
     {"id": ID, "task": "task2", "result": '{"ok": true}', "publish": {"token": "abc"}, "comment": ""}),
    ("wfops skip %s task2 result 42 comment known bad host" % ID, "wfops_skip",
     {"id": ID, "task": "task2", "result": "42", "publish": {}, "comment": "known bad host"}),
    ("wfops context %s task2" % ID, "wfops_task_context", {"id": ID, "task": "task2"}),
    ("wfops context %s task4[1]" % ID, "wfops_task_context", {"id": ID, "task": "task4[1]"}),
    ("wfops audit %s" % ID, "wfops_audit", {"id": ID}),
    ("wfops status %s" % ID, "wfops_status", {"id": ID}),
    ("wfops retry-until-success %s" % ID, "wfops_rerun_until_succeeded",
     {"id": ID, "max_attempts": 3, "delay": 30}),
    ("wfops retry-until-success %s max 5 delay 10" % ID, "wfops_rerun_until_succeeded",
     {"id": ID, "max_attempts": 5, "delay": 10}),
]

# Commands that no alias may take.
NOT_COMMANDS = [
    "wfops",
    "wfops pause",
    "wfops rerunX %s" % ID,
    "please wfops pause %s" % ID,
    "wfops frobnicate %s" % ID,
    "wfops context %s" % ID,
]


# ======================================================================================
# Tests
# ======================================================================================

@pytest.mark.parametrize("command,alias,expected", EXAMPLES, ids=[e[0][:60] for e in EXAMPLES])
def test_example_matches_exactly_one_format(command, alias, expected):
    found = match(command)
    assert len(found) == 1, "%r matched %s" % (command, [(n, r) for n, r, _ in found] or "nothing")
    name, _, values = found[0]
    assert name == alias
    assert execution_parameters(name, values) == expected


@pytest.mark.parametrize("command", NOT_COMMANDS)
def test_other_commands_match_nothing(command):
    assert match(command) == []


def test_every_alias_has_an_example():
    assert set(ALIASES) == {alias for _, alias, _ in EXAMPLES}


def test_every_action_has_an_alias():
    assert set(ACTIONS) == {a["action_ref"] for a in ALIASES.values()}


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_alias_shape(name):
    alias = ALIASES[name]
    assert alias["action_ref"] in ACTIONS, alias["action_ref"]
    assert alias.get("pack") == "wfops"
    for fmt in alias["formats"]:
        assert isinstance(fmt, dict) and fmt.get("display") and fmt.get("representation"), fmt
        # The display names every parameter the representation takes.
        for representation in fmt["representation"]:
            for param in re.findall(r"{{\s*(\w+)", representation):
                assert param in parameter_types(alias["action_ref"]), param
    assert "ack" in alias and "result" in alias and alias["result"].get("format")
    # Every required parameter of the action comes from the command or the alias.
    action = ACTIONS[alias["action_ref"]]
    required = {k for k, v in (action.get("parameters") or {}).items() if v.get("required")}
    for fmt in alias["formats"]:
        for representation in fmt["representation"]:
            given = set(re.findall(r"{{\s*(\w+)", representation)) | set(alias.get("immutable_parameters") or {})
            assert required <= given, (representation, required - given)


# -- the templates render -----------------------------------------------------------------

def _execution(name: str, status: str, result) -> dict:
    alias = ALIASES[name]
    example = next(e for e in EXAMPLES if e[1] == name)
    parameters = execution_parameters(name, extract(
        next(r for n, r in representations() if n == name), example[0]))
    return {"id": ID2, "status": status, "parameters": parameters, "result": result,
            "action": {"ref": alias["action_ref"]}}


SUCCESS_RESULTS = {
    "wfops.pause": {ID: {"id": ID, "status": "pausing"}},
    "wfops.resume": {ID: {"id": ID, "status": "resuming"}},
    "wfops.cancel": {ID: {"id": ID, "status": "canceling"}, ID2: 'Unable to cancel execution "x".'},
    "wfops.rerun": {"dry_run": False, "execution": {"id": ID2, "status": "running"},
                    "plan_text": "Re-run:\n  task2[0]", "warnings": ["careful"]},
    "wfops.plan": {"dry_run": True, "plan_text": "Re-run:\n  task2[0]", "warnings": []},
    "wfops.skip": {"dry_run": False, "execution": {"id": ID2, "status": "running"}, "plan_text": "..."},
    "wfops.task_context": {"task": "task2", "status": "failed", "context": {"log": "/tmp/x"}},
    "wfops.audit": {"id": ID, "entries": [{"timestamp": "t", "user": "u", "operation": "pause",
                                            "comment": "why"}]},
    "wfops.status": {"id": ID, "action": "wfops_examples.sequential", "status": "failed",
                     "failed_tasks": [{"task": "task2", "route": 0, "status": "failed", "items": [1]}],
                     "suggested_rerun": {"chatops": "wfops rerun %s from task2" % ID}},
}


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_templates_render(name):
    alias = ALIASES[name]
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    ref = alias["action_ref"]
    if ref == "wfops.rerun_until_succeeded":
        ok = {"output": {"execution": ID2, "status": "succeeded", "attempts": 2}}
        bad = {"output": {"execution": ID2, "status": "failed", "attempts": 3}}
        cases = [("succeeded", ok, "after 2 re-run(s)"), ("failed", bad, "did not succeed")]
    else:
        ok = {"result": SUCCESS_RESULTS[ref], "exit_code": 0, "stdout": "", "stderr": ""}
        bad = {"result": {"error": "Refused for a reason.", "status": 400}, "exit_code": 0}
        cases = [("succeeded", ok, None), ("failed", bad, "Refused for a reason.")]
    for status, result, expected in cases:
        text = env.from_string(alias["result"]["format"]).render(execution=_execution(name, status, result))
        assert text.strip(), name
        if expected:
            assert expected in text, text
    if alias["ack"].get("enabled", True) and alias["ack"].get("format"):
        text = env.from_string(alias["ack"]["format"]).render(
            execution=_execution(name, "requested", None), actionalias=alias)
        assert ID in text


def test_status_template_lists_failed_tasks():
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    result = {"result": SUCCESS_RESULTS["wfops.status"]}
    text = env.from_string(ALIASES["wfops_status"]["result"]["format"]).render(
        execution=_execution("wfops_status", "succeeded", result))
    assert "- task2 failed (items 1)" in text
    assert "wfops rerun %s from task2" % ID in text


# -- the grammar itself, on StackStorm's documented behaviour -------------------------------

@pytest.mark.parametrize(
    "representation,command,expected",
    [
        ("google {{query}}", "google hello world", {"query": "hello world"}),
        ("run {{cmd}} on {{hosts}}", "run date on web1,web2", {"cmd": "date", "hosts": "web1,web2"}),
        ("run {{cmd}} on {{hosts=localhost}}", "run date on", {"cmd": "date", "hosts": "localhost"}),
        ("say {{text}}", 'say "hello there"', {"text": "hello there"}),
        ("set {{data}}", 'set {"a": 1}', {"data": '{"a": 1}'}),
        ("deploy {{pack}}( to {{env=staging}})?", "deploy foo", {"pack": "foo", "env": "staging"}),
        ("deploy {{pack}}( to {{env=staging}})?", "deploy foo to prod", {"pack": "foo", "env": "prod"}),
        ("restart {{svc}}", "restart nginx timeout=30 force=true",
         {"svc": "nginx", "timeout": "30", "force": "true"}),
        # Explicit anchors are kept; the command is padded with a space on each side.
        (r"^\s*ping {{host}}\s*$", "ping db1", {"host": "db1"}),
    ],
)
def test_grammar(representation, command, expected):
    assert extract(representation, command) == expected


@pytest.mark.parametrize(
    "representation,command",
    [("google {{query}}", "bing hello"), ("run {{cmd}} on {{hosts}}", "run date"),
     ("status", "status of things"), ("^ping {{host}}$", "ping db1")],
)
def test_grammar_refuses(representation, command):
    with pytest.raises(NoMatch):
        extract(representation, command)


def _readme_examples() -> list[str]:
    """The ChatOps commands of the README's alias examples (without hubot's ``!`` and the
    ``  # ...`` comments)."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as fd:
        text = fd.read()
    block = text.split("<!-- alias-examples -->")[1].split("<!-- /alias-examples -->")[0]
    return [line.split("  #")[0].strip()[1:] for line in block.splitlines() if line.startswith("!")]


README_EXAMPLES = _readme_examples()


@pytest.mark.parametrize("command", README_EXAMPLES)
def test_readme_example_matches_exactly_one_alias(command):
    found = match(command)
    assert len(found) == 1, "README example %r matched %s" % (command, [(n, r) for n, r, _ in found] or "nothing")
    name, _, values = found[0]
    execution_parameters(name, values)  # the action takes every parameter, cast by its type


def test_readme_has_an_example_per_alias():
    shown = {match(command)[0][0] for command in README_EXAMPLES if len(match(command)) == 1}
    assert sorted(set(ALIASES) - shown) == [], "aliases without an example in README.md"
