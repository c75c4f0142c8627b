"""The loaded packs' content through the real st2 CLI: ``st2 pack list|get``,
``st2 action-alias list|get``, ``st2 sensor list|get`` and ``st2 rule list|get`` show the
rows of the packs ``wfops serve`` loaded (st2client shows a 404 on a list as an empty table,
so each test asserts on real rows)."""

from __future__ import annotations

import pathlib

import yaml

from .harness import REPO


def _rows(output: str) -> list[list[str]]:
    """The cells of each table row that starts a record (its first cell is not empty)."""
    rows = []
    for line in output.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0] and cells[0] not in ("ref", "Property"):
                rows.append(cells)
    return rows


def _names(folder: str, key: str) -> list[str]:
    return sorted(yaml.safe_load(p.read_text())[key] for p in (REPO / folder).glob("*.yaml"))


def test_pack_list_and_get(server):
    listed = server.st2("pack", "list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    refs = [r[0] for r in _rows(listed.stdout)]
    assert {"wfops", "wfops_examples", "core", "apitest", "fixturepack"} <= set(refs), listed.stdout
    wfops_row = next(r for r in _rows(listed.stdout) if r[0] == "wfops")
    meta = yaml.safe_load((REPO / "pack.yaml").read_text())
    assert wfops_row[3] == meta["version"] and wfops_row[4] == meta["author"]

    got = server.st2("pack", "get", "wfops")
    assert got.returncode == 0, got.stdout + got.stderr
    properties = {r[0]: r[1] for r in _rows(got.stdout) if len(r) == 2}
    assert properties["name"] == "wfops" and properties["version"] == meta["version"]
    assert properties["email"] == meta["email"]
    missing = server.st2("pack", "get", "nosuchpack")
    assert missing.returncode == 1 and 'Pack "nosuchpack" is not found.' in missing.stdout


def test_action_alias_list_and_get(server):
    listed = server.st2("action-alias", "list", "-p", "wfops")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert sorted(r[0] for r in _rows(listed.stdout)) == ["wfops.%s" % n for n in _names("aliases", "name")]
    assert all(r[1] == "wfops" and r[3] == "True" for r in _rows(listed.stdout))
    got = server.st2("action-alias", "get", "wfops.wfops_audit", "-j")
    assert got.returncode == 0, got.stdout + got.stderr
    assert '"action_ref": "wfops.audit"' in got.stdout and "wfops audit {{id}}" in got.stdout
    assert server.st2("action-alias", "list", "-p", "core").stdout.count("wfops.") == 0


def test_sensor_list_and_get(server):
    listed = server.st2("sensor", "list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert [r[:2] for r in _rows(listed.stdout)] == [["wfops.WorkflowWatchSensor", "wfops"]]
    got = server.st2("sensor", "get", "wfops.WorkflowWatchSensor")
    assert got.returncode == 0, got.stdout + got.stderr
    assert "workflow_watch.WorkflowWatchSensor" in got.stdout and "wfops.workflow_failed" in got.stdout


def test_rule_list_and_get(server):
    listed = server.st2("rule", "list", "--iftt")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    rows = _rows(listed.stdout)
    rules = {yaml.safe_load(p.read_text())["name"]: yaml.safe_load(p.read_text())
             for p in pathlib.Path(REPO / "rules").glob("*.yaml")}
    assert sorted(r[0] for r in rows) == sorted("wfops.%s" % n for n in rules)
    for ref, trigger, action, enabled in rows:
        rule = rules[ref.split(".", 1)[1]]
        assert (trigger, action, enabled) == (rule["trigger"]["type"], rule["action"]["ref"],
                                              str(rule.get("enabled", False)))
    assert _rows(server.st2("rule", "list", "--enabled").stdout) == []   # every wfops rule ships disabled
    got = server.st2("rule", "get", "wfops.rerun_failed_once", "-j")
    assert got.returncode == 0 and '"ref": "wfops.rerun"' in got.stdout, got.stdout + got.stderr


def test_listings_over_http_filter_and_count(server):
    status, rules, headers = server.request("GET", "/rules/?limit=1&pack=wfops")
    assert status == 200 and len(rules) == 1 and int(headers["X-Total-Count"]) == len(_names("rules", "name"))
    assert server.get("/sensortypes?trigger=wfops.workflow_paused")[0]["ref"] == "wfops.WorkflowWatchSensor"
    assert server.get("/sensortypes?enabled=false") == []
    status, value, _ = server.request("GET", "/packs/nope")
    assert (status, value) == (404, {"faultstring": 'Resource with a reference or id "nope" not found'})
    pack = server.get("/packs/wfops")
    assert server.get("/packs/%s" % pack["id"])["ref"] == "wfops"
