"""Fixtures of the REST API tests: one ``wfops serve`` per module (tests use their own
work directories, so they do not see each other's side effects)."""

from __future__ import annotations

import pytest

from .harness import ST2, Server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not ST2.exists():
        pytest.skip("the st2 command line (st2client) is not installed in this environment")
    srv = Server(tmp_path_factory.mktemp("serve") / "home").start()
    yield srv
    code = srv.stop()
    assert code == 0, "wfops serve exited with %s\n%s" % (code, srv.log())


@pytest.fixture
def work(tmp_path):
    """A directory for markers and the side-effect log: (dir, log path)."""
    d = tmp_path / "work"
    d.mkdir()
    yield d, d / "log.txt"
    for hold in d.glob("hold.*"):  # never leave a held task waiting after a failed test
        hold.unlink()
