"""YAQL's parse tables come from a cache file after the first process (wfops.yaql_tables)
and parse every expression as the tables PLY computes do."""

from __future__ import annotations

import json
import os
import subprocess
import sys

EXPRESSIONS = [
    "$.a + 2 * len($.b)", "ctx(x).where($ > 1).select($ * 2)", "not $.a or ($.b and $.c = 3)",
    "$.items.orderBy($.name).take(2)", "dict(a => 1, b => [1, 2, 3])", "$.s in list(1, 2) and -$.n < 0",
    "task(x).result.stdout.split(',')[0]", "let(a => 1) -> $a + 1", "$.x ?? 'default'",
    "[1, 2, 3].aggregate($1 + $2, 0)", "succeeded() and $.i mod 2 != 0", "'a' + str(1.5e3) =~ 'a.*'",
    "$.a.b.c[1][2]", "#1 + {x => 1}.get(x)", "$.a(", "1 +* 2",
]

# Parse each expression with Orquesta's YAQL engine; print each tree (or the error).
_PARSE = (
    "import json, sys\n"
    "import wfops\n"
    "from orquesta.expressions import yql\n"
    "from yaql._ply import yacc\n"
    "out = []\n"
    "for text in json.loads(sys.argv[1]):\n"
    "    try:\n"
    "        out.append(str(yql.YAQLEvaluator._engine(text).expression))\n"
    "    except Exception as e:\n"
    "        out.append('%s: %s' % (type(e).__name__, e))\n"
    "print(json.dumps({'trees': out, 'cached': getattr(yacc.LRTable.lr_parse_table, 'wfops_cached', False)}))\n"
)


def parse(cache_dir, speed: str = "1") -> dict:
    env = dict(os.environ, WFOPS_CACHE_DIR=str(cache_dir), WFOPS_ORQUESTA_SPEED=speed)
    done = subprocess.run([sys.executable, "-c", _PARSE, json.dumps(EXPRESSIONS)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tables_from_the_cache_parse_as_computed_ones(tmp_path):
    plain = parse(tmp_path / "unused", speed="0")  # PLY's own tables, no cache
    assert not plain["cached"] and not (tmp_path / "unused").exists()
    first = parse(tmp_path / "cache")
    files = list((tmp_path / "cache").glob("yaql-lr-*.json"))
    assert len(files) == 1  # computed and stored
    stamp = files[0].stat().st_mtime_ns
    second = parse(tmp_path / "cache")
    assert files[0].stat().st_mtime_ns == stamp  # read, not computed again
    assert first["cached"] and second["cached"]
    assert first["trees"] == plain["trees"] == second["trees"]
    assert any(t.startswith("YaqlGrammarException") for t in plain["trees"])  # errors too


def test_a_damaged_cache_file_is_computed_again(tmp_path):
    parse(tmp_path)
    (path,) = tmp_path.glob("yaql-lr-*.json")
    path.write_text('{"action": {"0": {"x": "not a number"}}}')
    assert parse(tmp_path)["trees"] == parse(tmp_path / "fresh", speed="0")["trees"]
    assert json.loads(path.read_text())["goto"]  # rewritten whole
