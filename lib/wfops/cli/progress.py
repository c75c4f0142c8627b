"""Live progress of ``wfops run`` (and re-runs) on a terminal: a table of the tasks, each
row updated as its task starts and ends, drawn on stderr with ``rich``. Only when stderr is
a terminal and ``--json`` is not given; otherwise nothing is drawn, as before."""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.table import Table

STYLES = {"running": "cyan", "succeeded": "green", "failed": "red", "timeout": "red",
          "abandoned": "red", "canceled": "yellow", "canceling": "yellow", "paused": "yellow",
          "pausing": "yellow", "delayed": "magenta"}


class TaskBoard:
    """The tasks of one execution's tree and their latest statuses (a rich Live table)."""

    def __init__(self, execution_id: str, console: Console | None = None):
        self.execution_id = execution_id
        self.rows: dict[str, dict] = {}   # execution id -> {label, status, since}
        self.console = console or Console(stderr=True)
        # Live redraws ``self`` (its __rich__) several times a second: running times advance.
        self.live = Live(self, console=self.console, refresh_per_second=8, transient=False)

    def __enter__(self) -> "TaskBoard":
        self.live.start()
        return self

    def __exit__(self, *exc) -> None:
        self.live.refresh()
        self.live.stop()

    def task(self, label: str, status: str, execution_id: str) -> None:
        """Record that the task execution ``execution_id`` (``label``) is now ``status``."""
        row = self.rows.setdefault(execution_id, {"label": label, "status": None, "since": time.monotonic()})
        if row["status"] != status:
            row["status"] = status
            if status == "running":
                row["since"] = time.monotonic()
            elif status in ("succeeded", "failed", "timeout", "abandoned", "canceled"):
                row["took"] = time.monotonic() - row["since"]
            self.live.refresh()

    def __rich__(self) -> Table:
        table = Table(title="execution %s" % self.execution_id, title_justify="left", expand=False)
        for column in ("task", "status", "id", "time"):
            table.add_column(column)
        now = time.monotonic()
        for execution_id, row in self.rows.items():
            took = row.get("took", now - row["since"])
            status = row["status"] or ""
            table.add_row(row["label"], "[%s]%s[/]" % (STYLES.get(status, "white"), status) if status else "",
                          execution_id, "%.1fs" % took)
        return table
