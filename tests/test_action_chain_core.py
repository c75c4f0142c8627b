"""The action-chain core, pure (wfops.action_chain): reading a chain as StackStorm checks
it, its default node, StackStorm's Jinja rendering rules, and the fold of ended nodes
into the next node and the chain's status."""

from __future__ import annotations

import pytest

from wfops.action_chain.progress import Ended, chain_result, node_parameters, progress
from wfops.action_chain.rendering import RenderError, render_values
from wfops.action_chain.spec import ChainError, parse_chain


def chain(*nodes, **extra) -> dict:
    return {"chain": list(nodes), **extra}


def node(name, on_success="", on_failure="", **extra) -> dict:
    raw = {"name": name, "ref": "core.noop", **extra}
    if on_success:
        raw["on-success"] = on_success
    if on_failure:
        raw["on-failure"] = on_failure
    return raw


def ended(name, status="succeeded", result=None) -> Ended:
    return Ended(name, "id-" + name, status, result, "t0", "t1")


def test_every_problem_of_a_definition_is_reported():
    with pytest.raises(ChainError) as caught:
        parse_chain({"chain": [{"name": "a", "ref": "core.noop", "on-success": "nowhere", "when": 1},
                               {"ref": "core.noop"}], "default": "missing", "extra": 1})
    message = str(caught.value)
    assert "unexpected key 'extra'" in message
    assert "chain[0]: unexpected key 'when'" in message
    assert "chain[1]: 'name' is required" in message
    assert 'Unable to find node with name "nowhere" referenced in "on-success" in task "a".' in message
    assert 'Unable to find node with name "missing" referenced in "default".' in message
    with pytest.raises(ChainError, match="'chain' is required"):
        parse_chain({"vars": {}})


def test_the_default_node_is_the_first_that_nothing_names():
    spec = parse_chain(chain(node("b", "c"), node("a", "b"), node("c")))
    assert spec.default == "a"
    assert parse_chain(chain(node("x", "y"), node("y", "x"))).default == "x"  # a loop: the first
    assert parse_chain(chain(node("x"), node("y"), default="y")).default == "y"


def test_rendering_keeps_types_of_unchanged_values_and_reads_back_structures():
    rendered = render_values({"n": 3, "same": "plain", "s": "{{ x }}-1", "l": ["{{ x }}", 2],
                              "f": "{{ '{\"a\": 1}' | json_parse }}"}, {"x": "v"})
    assert rendered == {"n": 3, "same": "plain", "s": "v-1", "l": ["v", 2], "f": "{'a': 1}"}
    with pytest.raises(RenderError) as caught:
        render_values({"k": "{{ nowhere }}"}, {"x": 1})
    assert (caught.value.key, caught.value.reason) == ("k", "'nowhere' is undefined")


def test_the_fold_follows_success_failure_and_publishes():
    spec = parse_chain(chain(node("a", "b", "fix", publish={"got": "{{ a.out }}{{ sep }}"}),
                             node("b", parameters={"p": "{{ got }}|{{ __results.a.out }}|{{ top }}"}),
                             node("fix"), vars={"sep": "!"}))
    start = progress(spec, {"top": "T"}, [])
    assert start.next.name == "a" and start.status == "succeeded"

    after_a = progress(spec, {"top": "T"}, [ended("a", result={"out": "A"})])
    assert after_a.next.name == "b" and after_a.published == {"got": "A!"}
    assert node_parameters(after_a.next, {"top": "T"}, after_a, {}) == {"p": "A!|A|T"}

    failed = progress(spec, {}, [ended("a", "failed"), ended("fix")])
    assert failed.next is None and failed.status == "succeeded"   # handled: as the last node
    unhandled = progress(spec, {}, [ended("a", result={"out": "A"}), ended("b", "timeout")])
    assert unhandled.next is None and unhandled.status == "timeout"
    canceled = progress(spec, {}, [ended("a", "canceled")])
    assert canceled.next is None and canceled.status == "canceled"
    result = chain_result(after_a)
    assert result["published"] == {"got": "A!"} and [t["name"] for t in result["tasks"]] == ["a"]
    assert "published" not in chain_result(after_a, display_published=False)


def test_a_publish_or_vars_that_cannot_be_rendered_ends_the_chain_failed():
    spec = parse_chain(chain(node("a", "b", publish={"x": "{{ nope }}"}), node("b")))
    state = progress(spec, {}, [ended("a", result={})])
    assert state.next is None and state.status == "failed"
    assert state.error.startswith('Failed rendering value for publish parameter "x" in task "a"')
    bad_vars = progress(parse_chain(chain(node("a"), vars={"v": "{{ nope }}"})), {}, [])
    assert bad_vars.next is None and bad_vars.error.startswith("Failed initializing ``vars`` in chain.")
