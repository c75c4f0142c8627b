"""Several processes opening the same new database at once (an engine starting a run
while the CLI lists executions on a fresh ``WFOPS_HOME``) each get a working store:
SQLite answers ``database is locked`` at once, without its busy timeout, to a process
reading the journal mode while another turns the new file to WAL."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_OPENER = textwrap.dedent(
    """
    import os, sys
    from wfops.store.database import Store
    failures = 0
    for i in range(int(sys.argv[2])):
        path = os.path.join(sys.argv[1], "w%d" % i, "wfops.db")
        try:
            store = Store(path)
            with store.transaction():
                pass
            store.close()
        except Exception as error:
            failures += 1
            print(repr(error), file=sys.stderr)
    print(failures)
    """
)


def test_processes_opening_the_same_new_database_at_once_all_succeed(tmp_path):
    databases = 300
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER, str(tmp_path), str(databases)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(4)
    ]
    outcomes = [opener.communicate(timeout=120) for opener in openers]
    assert [int(out) for out, _ in outcomes] == [0, 0, 0, 0], [err for _, err in outcomes]
    assert len(list(tmp_path.glob("w*/wfops.db"))) == databases
