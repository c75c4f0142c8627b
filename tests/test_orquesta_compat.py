"""The Orquesta compatibility layer (``wfops.orquesta_compat``).

The proof: Orquesta 1.2.0's own unit tests (875 of them, shipped in the wheel without
their fixtures) pass on this interpreter and these libraries once ``wfops`` is imported.
The fixtures come from ``$WFOPS_SHARED/orquesta-fixtures`` or
``<repo>/../shared/orquesta-fixtures`` and are copied into the installed package's
``orquesta/tests/fixtures/`` (missing files only). Without them that test skips.
"""

from __future__ import annotations

import collections
import collections.abc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import networkx as nx
import pytest

import wfops
from wfops import orquesta_compat

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORQUESTA_TEST_COUNT = 875


def _shared_fixtures():
    shared = os.environ.get("WFOPS_SHARED") or os.path.join(os.path.dirname(REPO), "shared")
    path = os.path.join(shared, "orquesta-fixtures")
    return os.path.abspath(path) if os.path.isdir(path) else None


def _child_env(**extra):
    # The outer pytest's settings (xdist worker ids, addopts) must not leak into the inner one.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env.update(extra)
    return env


def _python(code, **env):
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tempfile.gettempdir(),
        env=_child_env(**env),
    )


def _copy_missing(src_root, dst_root):
    """Copy every file of src_root missing under dst_root; atomic per file, so that
    concurrent test sessions never see a half-written fixture. Returns the count copied."""
    copied = 0
    for dirpath, _, filenames in os.walk(src_root):
        dst_dir = os.path.join(dst_root, os.path.relpath(dirpath, src_root))
        os.makedirs(dst_dir, exist_ok=True)
        for name in filenames:
            dst = os.path.join(dst_dir, name)
            if os.path.exists(dst):
                continue
            fd, tmp = tempfile.mkstemp(dir=dst_dir, prefix=".%s." % name)
            os.close(fd)
            try:
                shutil.copyfile(os.path.join(dirpath, name), tmp)
                os.replace(tmp, dst)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            copied += 1
    return copied


def _orquesta_with_fixtures(fixtures, scratch):
    """Return the PYTHONPATH entry (or None) under which `orquesta.tests` has its fixtures.

    Normally the fixtures go into the installed package. When that is not writable, a copy
    of the package is made in scratch and put first on the path instead.
    """
    import orquesta

    package_dir = os.path.dirname(os.path.abspath(orquesta.__file__))
    installed = os.path.join(package_dir, "tests", "fixtures")
    assert os.path.isfile(os.path.join(installed, "loader.py")), "orquesta's wheel has no fixtures loader"
    try:
        _copy_missing(fixtures, installed)
        return None
    except OSError:
        copy_root = os.path.join(scratch, "site")
        shutil.copytree(package_dir, os.path.join(copy_root, "orquesta"))
        _copy_missing(fixtures, os.path.join(copy_root, "orquesta", "tests", "fixtures"))
        return copy_root


@pytest.mark.slow
@pytest.mark.timeout(900)  # the inner run's own limit; plain Orquesta's tests are slow on a loaded machine
@pytest.mark.parametrize("speed", ["compat-only", "speed-patches-verified"])
def test_orquesta_own_unit_tests_pass(tmp_path, speed):
    """With the compatibility layer alone (``WFOPS_ORQUESTA_SPEED=0``), and with the speed
    patches of ``wfops.orquesta_speed`` too, each of their indexed answers checked against
    Orquesta's own (``WFOPS_ORQUESTA_SPEED_VERIFY=1``)."""
    fixtures = _shared_fixtures()
    if fixtures is None:
        pytest.skip(
            "Orquesta's test fixtures are not here: set WFOPS_SHARED or put the shared folder "
            "at <repo>/../shared (CI has it; a plain checkout does not)"
        )
    pythonpath = _orquesta_with_fixtures(fixtures, str(tmp_path))
    if speed == "compat-only":
        env = {"WFOPS_ORQUESTA_SPEED": "0"}
    else:
        env = {"WFOPS_ORQUESTA_SPEED": "1", "WFOPS_ORQUESTA_SPEED_VERIFY": "1"}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, os.environ.get("PYTHONPATH")) if p)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    code = (
        "import sys, wfops, pytest\n"
        "from wfops import orquesta_speed\n"
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', '--pyargs', 'orquesta.tests', '-n', '0'])\n"
        "print('speed patches applied: %s' % orquesta_speed.is_applied())\n"
        "sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=str(run_dir),
        env=_child_env(**env),
    )
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
    assert proc.returncode == 0, tail
    summary = re.search(r"(\d+) passed", proc.stdout)
    assert summary and int(summary.group(1)) == ORQUESTA_TEST_COUNT, tail
    assert re.search(r"\b%d passed\b" % ORQUESTA_TEST_COUNT, proc.stdout), tail
    assert not re.search(r"\b(failed|error|errors)\b", proc.stdout.splitlines()[-2]), tail
    assert proc.stdout.splitlines()[-1] == "speed patches applied: %s" % (speed != "compat-only"), tail


def test_copy_missing_keeps_existing_files(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "workflows" / "native").mkdir(parents=True)
    (src / "workflows" / "native" / "a.yaml").write_text("new")
    (src / "loader.py").write_text("theirs")
    dst.mkdir()
    (dst / "loader.py").write_text("ours")
    assert _copy_missing(str(src), str(dst)) == 1
    assert (dst / "loader.py").read_text() == "ours"
    assert (dst / "workflows" / "native" / "a.yaml").read_text() == "new"
    assert _copy_missing(str(src), str(dst)) == 0
    assert not [p for p in dst.rglob(".*")]


# --------------------------------------------------------------------------------------
# apply()
# --------------------------------------------------------------------------------------


def test_importing_wfops_then_orquesta_applies_the_layer():
    """`import wfops` installs the layer; it is applied when Orquesta is first imported."""
    proc = _python(
        "import sys, json, collections\n"
        "import wfops\n"
        "from wfops import orquesta_compat as c\n"
        "before = ('orquesta' in sys.modules, c._applied, hasattr(collections, 'Mapping'))\n"
        "from orquesta.utils import parameters\n"
        "from orquesta import graphing\n"
        "import networkx as nx\n"
        "g = nx.MultiDiGraph(); g.add_node('a')\n"
        "print(json.dumps([before, c._applied, parameters.parse_inline_params('a=true'),\n"
        "                  graphing.WorkflowGraph.get_root_nodes(g)]))\n"
    )
    assert proc.returncode == 0, proc.stderr
    before, applied, params, roots = json.loads(proc.stdout)
    assert before == [False, False, True]  # import wfops alone stays cheap
    assert applied is True
    assert params == [{"a": True}]
    assert roots == [{"id": "a", "name": "a"}]


def test_layer_is_applied_in_this_process():
    import orquesta  # noqa: F401

    assert orquesta_compat._applied is True
    assert wfops.__version__


def test_apply_again_is_a_no_op():
    import orquesta  # noqa: F401

    assert orquesta_compat.apply() == []
    assert orquesta_compat.apply() == []


def test_apply_does_nothing_when_the_fixes_are_present(monkeypatch):
    """Even with the applied flag reset, every fix sees its problem solved and stays away."""
    from orquesta import graphing
    from orquesta.utils import parameters
    from yaql.language.factory import YaqlEngine

    def state():
        return (
            parameters.REGEX_INLINE_PARAMS,
            list(parameters.REGEX_INLINE_PARAM_VARIATIONS),
            graphing.WorkflowGraph.__dict__["get_root_nodes"],
            nx.Graph.__dict__.get("node"),
            collections.Mapping,
            YaqlEngine.__call__,
        )

    before = state()
    monkeypatch.setattr(orquesta_compat, "_applied", False)
    assert orquesta_compat.apply() == []
    assert orquesta_compat._applied is True
    assert state() == before


def test_apply_in_a_fresh_interpreter_reports_its_fixes_once():
    # wfops installed and Orquesta imported: already applied, apply() has nothing to do.
    proc = _python(
        "import json, wfops, orquesta.conducting\n"
        "from wfops import orquesta_compat as c\n"
        "print(json.dumps([c.apply(), c.apply()]))\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[[], []]"

    # The module on its own (no import hook, Orquesta not imported): the first apply()
    # does every fix this stack needs, the second nothing.
    proc = _python(
        "import importlib.util, json\n"
        "spec = importlib.util.spec_from_file_location('compat', %r)\n"
        "c = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(c)\n"
        "first = c.apply()\n"
        "second = c.apply()\n"
        "from orquesta.utils import parameters\n"
        "print(json.dumps([first, second, parameters.parse_inline_params('b=False')]))\n"
        % orquesta_compat.__file__
    )
    assert proc.returncode == 0, proc.stderr
    first, second, params = json.loads(proc.stdout)
    assert second == [] and params == [{"b": False}]
    if sys.version_info >= (3, 11):
        assert "orquesta.utils.parameters inline flags" in first
    if int(nx.__version__.split(".")[0]) >= 2:
        assert "orquesta.graphing WorkflowGraph.get_root_nodes" in first
    assert "yaql YaqlEngine parsing serialised" in first
    if sys.version_info >= (3, 10):
        assert "collections.Mapping" in first


def test_apply_before_orquesta_is_imported_still_fixes_everything():
    proc = _python(
        "import wfops\n"
        "from wfops import orquesta_compat as c\n"
        "c.apply()\n"
        "import networkx as nx\n"
        "from orquesta.utils import parameters\n"
        "from orquesta import graphing\n"
        "g = nx.MultiDiGraph(); g.add_edge('a', 'b')\n"
        "assert parameters.parse_inline_params('a=true') == [{'a': True}]\n"
        "assert graphing.WorkflowGraph.get_root_nodes(g) == [{'id': 'a', 'name': 'a'}]\n"
        "assert c._applied and c.apply() == []\n"
    )
    assert proc.returncode == 0, proc.stderr


def test_without_the_layer_orquesta_1_2_breaks_here():
    """What the layer is for: plain Orquesta 1.2.0 fails on this Python / networkx."""
    proc = _python(
        "from orquesta.utils import parameters\n"
        "parameters.parse_inline_params('a=true b=False')\n"
    )
    if sys.version_info >= (3, 11):
        assert proc.returncode != 0 and "global flags" in proc.stderr, proc.stderr
    proc = _python(
        "import networkx as nx\n"
        "from orquesta import graphing\n"
        "g = nx.MultiDiGraph(); g.add_node('a')\n"
        "graphing.WorkflowGraph.get_root_nodes(g)\n"
    )
    if int(nx.__version__.split(".")[0]) >= 2:
        assert proc.returncode != 0 and "AttributeError" in proc.stderr, proc.stderr


# --------------------------------------------------------------------------------------
# The fixed behaviours
# --------------------------------------------------------------------------------------


def test_collections_aliases():
    for name in ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable"):
        assert getattr(collections, name) is getattr(collections.abc, name)


def test_parse_inline_params():
    from orquesta.utils import parameters

    assert parameters.parse_inline_params("a=true b=False") == [{"a": True}, {"b": False}]
    assert parameters.parse_inline_params("a=TRUE b=false", preserve_order=False) == {
        "a": True,
        "b": False,
    }
    parsed = parameters.parse_inline_params(
        "x=1 f=0.5 y=\"two words\" s='it' z=null w=[1, 2] e=<% ctx().e %>", preserve_order=False
    )
    assert parsed == {
        "x": 1,
        "f": 0.5,
        "y": "two words",
        "s": "it",
        "z": None,
        "w": [1, 2],
        "e": "<% ctx().e %>",
    }
    # The inline parameters of a task action, as Orquesta parses them.
    from orquesta.specs import native as native_specs

    spec = native_specs.WorkflowSpec(
        {"version": 1.0, "tasks": {"t": {"action": 'core.echo message="hi" flag=true'}}}
    )
    task = spec.tasks.get_task("t")
    assert task.action == "core.echo" and task.input == {"message": "hi", "flag": True}


def test_get_root_nodes_on_a_networkx_3_graph():
    from orquesta import graphing

    graph = nx.MultiDiGraph()
    graph.add_node("b", name="task b")
    graph.add_node("a")
    graph.add_node("c")
    graph.add_edge("a", "b")
    assert graphing.WorkflowGraph.get_root_nodes(graph) == [
        {"id": "a", "name": "a"},
        {"id": "c", "name": "c"},
    ]
    assert graphing.WorkflowGraph.get_root_nodes(nx.MultiDiGraph()) == []


def test_workflow_graph_roots_and_leaves():
    from orquesta import graphing

    wf_graph = graphing.WorkflowGraph()
    for task in ("task1", "task2", "task3", "task4"):
        wf_graph.add_task(task)
    wf_graph.add_transition("task1", "task2")
    wf_graph.add_transition("task1", "task3")
    wf_graph.add_transition("task2", "task4")
    wf_graph.add_transition("task3", "task4")
    assert [n["id"] for n in wf_graph.roots] == ["task1"]
    assert [n["id"] for n in wf_graph.leaves] == ["task4"]
    assert wf_graph.get_task("task2")["id"] == "task2"  # graph.node[...] -> graph.nodes[...]


def test_compose_and_conduct_a_workflow():
    from orquesta import conducting, events, statuses
    from orquesta.specs import native as native_specs

    spec = native_specs.WorkflowSpec(
        {
            "version": 1.0,
            "input": ["x"],
            "tasks": {
                "t1": {
                    "action": "core.noop",
                    "next": [{"when": "<% succeeded() %>", "publish": "y=<% ctx().x %>", "do": "t2"}],
                },
                "t2": {"action": 'core.echo message="{{ ctx().y }}"'},
            },
            "output": [{"y": "<% ctx().y %>"}],
        }
    )
    assert spec.inspect(app_ctx={}, raise_exception=False) == {}
    conductor = conducting.WorkflowConductor(spec, inputs={"x": "hello"})
    conductor.request_workflow_status(statuses.RUNNING)
    for expected in ("t1", "t2"):
        (task,) = conductor.get_next_tasks()
        assert task["id"] == expected
        conductor.update_task_state(expected, 0, events.ActionExecutionEvent(statuses.RUNNING))
        conductor.update_task_state(expected, 0, events.ActionExecutionEvent(statuses.SUCCEEDED, result={}))
    assert task["actions"][0]["input"] == {"message": "hello"}
    assert conductor.get_workflow_status() == statuses.SUCCEEDED
    conductor.render_workflow_output()  # the host's job in Orquesta 1.2.0 (st2 does it too)
    assert conductor.get_workflow_output() == {"y": "hello"}


def test_expressions_are_parsed_right_from_several_threads_at_once():
    """`wfops serve` inspects and renders workflows on its engine thread and on its request
    threads at once: each expression must parse as it does alone. (Without the layer's
    lock, the ply lexer and parser that Orquesta's YAQL evaluator shares mix the threads'
    expressions up: wrong trees, and valid workflows failing inspection with "Parse error:
    unexpected end of statement".) The interpreter switches threads every microsecond."""
    proc = _python(
        "import json, sys, threading, wfops\n"
        "from orquesta.expressions.yql import YAQLEvaluator\n"
        "engine = YAQLEvaluator._engine\n"
        "expressions = ['zip(range(len(ctx().items)), ctx().items)', 'ctx().a + 1',\n"
        "               'result().select($.stdout)', 'succeeded() and ctx(x) = 3']\n"
        "alone = {e: str(engine(e)) for e in expressions}\n"
        "wrong = []\n"
        "def parse(expression):\n"
        "    for _ in range(1000):\n"
        "        try:\n"
        "            if str(engine(expression)) != alone[expression]:\n"
        "                wrong.append('another tree')\n"
        "        except Exception as e:\n"
        "            wrong.append(type(e).__name__)\n"
        "sys.setswitchinterval(1e-6)\n"
        "threads = [threading.Thread(target=parse, args=(expressions[i % 4],)) for i in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(json.dumps(wrong))\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
