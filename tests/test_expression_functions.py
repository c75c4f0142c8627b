"""StackStorm's expression functions in Orquesta's real YAQL and Jinja evaluators, loaded
through the ``orquesta.expressions.functions`` entry points.

Each case is an example StackStorm documents ("Jinja" reference page, Orquesta's
"StackStorm Runtime" page) or one of its own example workflows
(``examples.orquesta-test-{yaql,jinja}-*-functions``) with StackStorm 3.9's result.
``task()`` and ``st2kv()`` need a running workflow: tests/test_workflow_functions.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from orquesta.expressions import jinja, yql
from orquesta.expressions.functions import base as catalog

import wfops  # noqa: F401 - applies the Orquesta compatibility layer
from wfops.engine.definitions import known_functions, load_spec
from wfops.expressions.data import NONE_MAGIC_VALUE

STACKSTORM_FUNCTIONS = (
    "json_parse json_dump yaml_parse yaml_dump to_json_string from_json_string to_yaml_string "
    "from_yaml_string json_escape jsonpath_query use_none regex_match regex_replace regex_search "
    "regex_substring basename dirname to_human_time_from_seconds version_compare version_more_than "
    "version_less_than version_equal version_match version_bump_major version_bump_minor "
    "version_bump_patch version_strip_patch task st2kv"
).split()

OBJ = {"foo": {"bar": "foobar"}}
JSON_TEXT = '{"foo": {"bar": "foobar"}}'
YAML_TEXT = "foo:\n  bar: foobar\n"
ANIMALS = {"animals": ["bird", "rabbit", "cat", "dog", "cow"]}
SHEEP = {"animals": ["bird", "rabbit", "cat", "dog", "sheep"]}
PEOPLE = {"people": [{"first": "James", "last": "d"}, {"first": "Jacob", "last": "e"},
                     {"first": "Jayden", "last": "f"}]}
HOSTS = {"hosts": {"server.domain.tld": {"uptime": 9999}, "client.domain.tld": {"uptime": 12}}}

# (YAQL expression, Jinja expression, context, StackStorm's result)
CASES = [
    # data: StackStorm's orquesta-test-*-data-functions workflows
    ('<% from_json_string(ctx(v)) %>', '{{ from_json_string(ctx("v")) }}', {"v": JSON_TEXT}, OBJ),
    ('<% json_parse(ctx(v)) %>', '{{ json_parse(ctx("v")) }}', {"v": JSON_TEXT}, OBJ),
    ('<% to_yaml_string(ctx(v)) %>', '{{ to_yaml_string(ctx("v")) }}', {"v": OBJ}, YAML_TEXT),
    ('<% yaml_dump(ctx(v)) %>', '{{ yaml_dump(ctx("v")) }}', {"v": OBJ}, YAML_TEXT),
    ('<% from_yaml_string(ctx(v)) %>', '{{ from_yaml_string(ctx("v")) }}', {"v": YAML_TEXT}, OBJ),
    ('<% yaml_parse(ctx(v)) %>', '{{ yaml_parse(ctx("v")) }}', {"v": YAML_TEXT}, OBJ),
    ('<% to_json_string(ctx(v)) %>', '{{ to_json_string(ctx("v")) }}', {"v": OBJ}, JSON_TEXT),
    ('<% json_dump(ctx(v)) %>', '{{ json_dump(ctx("v")) }}', {"v": OBJ}, JSON_TEXT),
    ('<% jsonpath_query(ctx(v), "$.foo.bar") %>', '{{ jsonpath_query(ctx("v"), "$.foo.bar") }}',
     {"v": OBJ}, ["foobar"]),
    ('<% use_none(ctx(v)) %>', '{{ use_none(ctx("v")) }}', {"v": None}, NONE_MAGIC_VALUE),
    ('<% use_none("foobar") %>', '{{ use_none("foobar") }}', {}, "foobar"),
    ('<% to_yaml_string(ctx(v)) %>', '{{ to_yaml_string(ctx("v")) }}',
     {"v": [{"a": 1, "b": 2}, {"x": 3, "y": 4}]}, "- a: 1\n  b: 2\n- x: 3\n  y: 4\n"),
    (None, '{{ ctx("v") | from_json_string() | to_yaml_string() | from_yaml_string() | to_json_string() }}',
     {"v": JSON_TEXT}, JSON_TEXT),
    # to_json_string's documented options; StackStorm 3.9 separates items with "," alone
    ('<% to_json_string(ctx(v), sortKeys => true) %>', '{{ ctx("v") | to_json_string(sort_keys=True) }}',
     {"v": {"b": 1, "a": 2}}, '{"a": 2,"b": 1}'),
    ('<% to_json_string(ctx(v), indent => null) %>', '{{ ctx("v") | to_json_string(indent=None) }}',
     {"v": {"b": [1, 2]}}, '{"b": [1,2]}'),
    # jsonpath_query: every example of the Jinja page
    ('<% jsonpath_query(ctx(v), "a.b.c") %>', '{{ ctx("v") | jsonpath_query("a.b.c") }}',
     {"v": {"a": {"b": {"c": 1234}}}}, [1234]),
    ('<% jsonpath_query(ctx(v), "animals[1]") %>', '{{ ctx("v") | jsonpath_query("animals[1]") }}',
     {"v": ANIMALS}, ["rabbit"]),
    ('<% jsonpath_query(ctx(v), "animals[*]") %>', '{{ ctx("v") | jsonpath_query("animals[*]") }}',
     {"v": ANIMALS}, ["bird", "rabbit", "cat", "dog", "cow"]),
    ('<% jsonpath_query(ctx(v), "animals[1:3]") %>', '{{ ctx("v") | jsonpath_query("animals[1:3]") }}',
     {"v": SHEEP}, ["rabbit", "cat"]),
    ('<% jsonpath_query(ctx(v), "animals[:2]") %>', '{{ ctx("v") | jsonpath_query("animals[:2]") }}',
     {"v": SHEEP}, ["bird", "rabbit"]),
    ('<% jsonpath_query(ctx(v), "animals[2:]") %>', '{{ ctx("v") | jsonpath_query("animals[2:]") }}',
     {"v": SHEEP}, ["cat", "dog", "sheep"]),
    ('<% jsonpath_query(ctx(v), "people[*].first") %>', '{{ ctx("v") | jsonpath_query("people[*].first") }}',
     {"v": PEOPLE}, ["James", "Jacob", "Jayden"]),
    ("<% jsonpath_query(ctx(v), \"hosts.'server.domain.tld'\") %>",
     "{{ ctx('v') | jsonpath_query(\"hosts.'server.domain.tld'\") }}", {"v": HOSTS}, [{"uptime": 9999}]),
    ('<% jsonpath_query(ctx(v), "nothing.here") %>', '{{ ctx("v") | jsonpath_query("nothing.here") }}',
     {"v": OBJ}, None),
    # json_escape: StackStorm's escapes
    ('<% json_escape(ctx(v)) %>', '{{ ctx("v") | json_escape }}', {"v": 'foo """ bar'}, 'foo \\"\\"\\" bar'),
    ('<% json_escape(ctx(v)) %>', '{{ ctx("v") | json_escape }}', {"v": "foo \\ bar"}, "foo \\\\ bar"),
    ('<% json_escape(ctx(v)) %>', '{{ ctx("v") | json_escape }}', {"v": "foo \n bar\t\r\b\f"},
     "foo \\n bar\\t\\r\\b\\f"),
    # regex: the example workflows and the Jinja page
    ('<% regex_match("xyz", "x") %>', '{{ regex_match("xyz", "x") }}', {}, True),
    ('<% regex_match("xyz", "y") %>', '{{ "xyz" | regex_match("y") }}', {}, False),
    ('<% regex_match(ctx(v), "^v(\\\\d+\\\\.)?(\\\\d+\\\\.)?(\\\\*|\\\\d+)$") %>',
     '{{ ctx("v") | regex_match("^v(\\\\d+\\\\.)?(\\\\d+\\\\.)?(\\\\*|\\\\d+)$") }}', {"v": "v0.10.1"}, True),
    ('<% regex_replace("xyz", "x", "wx") %>', '{{ regex_replace("xyz", "x", "wx") }}', {}, "wxyz"),
    ('<% regex_replace(ctx(v), "(blue|white|red)", "beautiful color \\\\1") %>',
     '{{ ctx("v") | regex_replace("(blue|white|red)", "beautiful color \\\\1") }}',
     {"v": "blue socks and red shoes"}, "beautiful color blue socks and beautiful color red shoes"),
    ('<% regex_search("xyz", "y") %>', '{{ regex_search("xyz", "y") }}', {}, True),
    ('<% regex_search("xyz", "w") %>', '{{ "xyz" | regex_search("w") }}', {}, False),
    ('<% regex_substring("I live at 668 Infinite Dr", "([0-9]{3} \\w+ (?:Ave|St|Dr))") %>',
     '{{ regex_substring("I live at 668 Infinite Dr", "([0-9]{3} \\\\w+ (?:Ave|St|Dr))") }}', {},
     "668 Infinite Dr"),
    ('<% regex_substring(ctx(v), "([0-9]{3} \\w+ (?:Ave|St|Dr))", 1) %>',
     '{{ ctx("v") | regex_substring("([0-9]{3} \\\\w+ (?:Ave|St|Dr))", 1) }}',
     {"v": "My address is 567 Elsewhere Dr, my other address is 123 Somewhere Ave."}, "123 Somewhere Ave"),
    ('<% regex_match("XYZ", "x", ignorecase => true) %>', '{{ "XYZ" | regex_match("x", ignorecase=True) }}',
     {}, True),
    # path
    ('<% basename("/path/to/some/file.txt") %>', '{{ basename("/path/to/some/file.txt") }}', {}, "file.txt"),
    ('<% dirname("/path/to/some/file.txt") %>', '{{ dirname("/path/to/some/file.txt") }}', {}, "/path/to/some"),
    # time
    ('<% to_human_time_from_seconds(12345) %>', '{{ 12345 | to_human_time_from_seconds }}', {}, "3h25m45s"),
    ('<% to_human_time_from_seconds(0) %>', '{{ 0 | to_human_time_from_seconds }}', {}, "0s"),
    ('<% to_human_time_from_seconds(277206) %>', '{{ to_human_time_from_seconds(277206) }}', {}, "3d5h0m6s"),
    ('<% to_human_time_from_seconds(60) %>', '{{ to_human_time_from_seconds(60) }}', {}, "1m0s"),
    # version: the example workflows and the Jinja page
    ('<% version_compare("0.10.0", "0.10.0") %>', '{{ version_compare("0.10.0", "0.10.0") }}', {}, 0),
    ('<% version_compare("0.10.0", "0.10.1") %>', '{{ version_compare("0.10.0", "0.10.1") }}', {}, -1),
    ('<% version_compare("0.10.1", "0.10.0") %>', '{{ "0.10.1" | version_compare("0.10.0") }}', {}, 1),
    ('<% version_equal("0.10.0", "0.10.0") %>', '{{ "0.10.0" | version_equal("0.10.0") }}', {}, True),
    ('<% version_more_than("0.9.0", "0.10.0") %>', '{{ version_more_than("0.9.0", "0.10.0") }}', {}, False),
    ('<% version_more_than("1.6.0", "1.7.0") %>', '{{ "1.6.0" | version_more_than("1.7.0") }}', {}, False),
    ('<% version_more_than("0.10.1", "0.10.0") %>', '{{ "0.10.1" | version_more_than("0.10.0") }}', {}, True),
    ('<% version_less_than("0.10.0", "0.9.0") %>', '{{ version_less_than("0.10.0", "0.9.0") }}', {}, False),
    ('<% version_less_than("1.6.0", "1.7.0") %>', '{{ "1.6.0" | version_less_than("1.7.0") }}', {}, True),
    ('<% version_match("0.10.1", ">0.10.0") %>', '{{ "0.10.1" | version_match(">0.10.0") }}', {}, True),
    ('<% version_match("2.0.0", ">=1.0.0") %>', '{{ "2.0.0" | version_match(">=1.0.0") }}', {}, True),
    ('<% version_match("0.9.0", ">0.10.0") %>', '{{ "0.9.0" | version_match(">0.10.0") }}', {}, False),
    ('<% version_bump_major("0.10.0") %>', '{{ "0.10.0" | version_bump_major }}', {}, "1.0.0"),
    ('<% version_bump_minor("0.10.0") %>', '{{ "0.10.0" | version_bump_minor }}', {}, "0.11.0"),
    ('<% version_bump_patch("0.10.0") %>', '{{ "0.10.0" | version_bump_patch }}', {}, "0.10.1"),
    ('<% version_strip_patch("0.10.0") %>', '{{ "0.10.0" | version_strip_patch }}', {}, "0.10"),
]


def _ids():
    return ["%d-%s" % (i, (y or j).split("(")[0].strip("<%{ ").replace("ctx", "")) for i, (y, j, _, _) in
            enumerate(CASES)]


@pytest.mark.parametrize("yaql_expr, jinja_expr, data, expected", CASES, ids=_ids())
def test_documented_examples_in_yaql_and_jinja(yaql_expr, jinja_expr, data, expected):
    if yaql_expr is not None:
        assert yql.YAQLEvaluator.evaluate(yaql_expr, data) == expected
    assert jinja.JinjaEvaluator.evaluate(jinja_expr, data) == expected


def test_every_function_is_loaded_from_the_entry_points_into_both_evaluators():
    loaded = catalog.load()
    for name in STACKSTORM_FUNCTIONS:
        assert loaded[name].__module__.startswith("wfops.expressions."), name
        assert name in jinja.JinjaEvaluator._custom_functions, name
        assert name in yql.YAQLEvaluator._custom_functions, name
    assert set(STACKSTORM_FUNCTIONS) <= known_functions()


def test_the_definition_check_accepts_them_and_still_refuses_unknown_functions():
    calls = " and ".join('%s(1)' % name for name in STACKSTORM_FUNCTIONS)
    text = "version: 1.0\ntasks:\n  t1:\n    action: core.noop\n    next:\n      - when: <%% %s %%>\n" % calls
    load_spec(text, "all_functions.yaml")  # no "is not a defined function" problem
    with pytest.raises(Exception) as refused:
        load_spec(text.replace("use_none(1)", "use_nothing(1)"), "one_unknown.yaml")
    assert 'calls "use_nothing", which is not a defined function' in str(refused.value)
    assert str(refused.value).count("not a defined function") == 1


@pytest.mark.parametrize("expression, message", [
    ('<% version_compare("1.2", "1.3.0") %>', "1.2 is not valid SemVer string"),
    ('<% regex_substring("abc", "x") %>', 'the pattern "x" has 0 match(es) in "abc", so none at index 0'),
    ('<% to_human_time_from_seconds("soon") %>', "needs a number of seconds"),
    ('<% from_json_string("{nope") %>', "JSONDecodeError"),
    ('<% st2kv("system.x") %>', "has no ctx(st2) with a workflow_execution_id"),
    ('<% task("t1") %>', 'Unable to find task execution for "t1".'),
])
def test_bad_arguments_fail_the_expression_with_a_clear_reason(expression, message):
    with pytest.raises(yql.YaqlEvaluationException) as failed:
        yql.YAQLEvaluator.evaluate(expression, {})
    assert message in str(failed.value)


def test_json_escape_keeps_a_trailing_escaped_quote():
    # StackStorm strips every trailing quote and answers 'say \\"hi\\'; wfops keeps the escape whole.
    assert jinja.JinjaEvaluator.evaluate('{{ ctx("v") | json_escape }}', {"v": 'say "hi"'}) == 'say \\"hi\\"'


def test_human_time_counts_whole_months_of_days():
    # 40 days: StackStorm 3.9 counts days within a month and prints 10d0h0m0s.
    assert yql.YAQLEvaluator.evaluate("<% to_human_time_from_seconds(3456000) %>", {}) == "40d0h0m0s"
    assert yql.YAQLEvaluator.evaluate("<% to_human_time_from_seconds(31626061) %>", {}) == "1y1d1h1m1s"


def test_importing_orquesta_before_wfops_loads_the_functions_without_deadlock():
    """Orquesta builds its function catalog under a plain lock while importing the plugins;
    wfops's plugins import wfops, whose compatibility layer must not ask for the catalog
    again (it would wait for itself)."""
    code = (
        "from orquesta.expressions import jinja, yql\n"
        "from orquesta.utils import parameters\n"
        "print(yql.YAQLEvaluator.evaluate('<% version_bump_minor(\"0.10.0\") %>', {}),\n"
        "      jinja.JinjaEvaluator.evaluate('{{ \"a/b\" | basename }}', {}),\n"
        "      parameters.parse_inline_params('a=true'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "0.11.0 b [{'a': True}]"
