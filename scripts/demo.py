"""A guided run of the seed scenarios on the embedded host, as an operator would type them.

Every step is a real `wfops` command in a fresh state directory; the workflows are the
bundled `wfops_examples` pack, whose shell tasks append their names to a log file and fail while
a marker file `<dir>/fail.<task>` exists (so "fixing the environment" is deleting it), and
wait while `<dir>/hold.<task>` exists (so a pause or cancel lands while a task runs).
"""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile
import time

BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


class Demo:
    def __init__(self, root: pathlib.Path):
        self.root = root
        self.env = dict(os.environ, WFOPS_HOME=str(root / "home"))
        self.failures = 0

    def say(self, text: str) -> None:
        print("\n%s== %s%s" % (BOLD, text, RESET), flush=True)

    def wfops(self, *args: str, show: bool = True, check: int | None = None) -> subprocess.CompletedProcess:
        command = ["wfops", *args]
        print("%s$ %s%s" % (DIM, " ".join(shlex.quote(a) for a in command), RESET), flush=True)
        done = subprocess.run([sys.executable, "-m", "wfops.cli.main", *args], env=self.env,
                              capture_output=True, text=True)
        if show:
            sys.stdout.write(done.stdout)
            sys.stdout.write(done.stderr)
        if check is not None and done.returncode != check:
            self.failures += 1
            print("!! expected exit status %d, got %d" % (check, done.returncode))
        return done

    def background(self, *args: str) -> subprocess.Popen:
        print("%s$ wfops %s &%s" % (DIM, " ".join(shlex.quote(a) for a in args), RESET), flush=True)
        return subprocess.Popen([sys.executable, "-m", "wfops.cli.main", *args], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def workspace(self, name: str) -> tuple[pathlib.Path, pathlib.Path]:
        d = self.root / name
        d.mkdir()
        return d, d / "log"

    def hold(self, d: pathlib.Path, task: str) -> pathlib.Path:
        """A hold marker: the task waits while it exists (no sleeping, whatever the load)."""
        marker = d / ("hold.%s" % task)
        marker.touch()
        return marker

    def release(self, marker: pathlib.Path) -> None:
        marker.unlink()

    def wait_log(self, path: pathlib.Path, lines: list[str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.log(path) != lines and time.monotonic() < deadline:
            time.sleep(0.05)

    def newest(self) -> str:
        listed = json.loads(self.wfops("execution", "list", "-n", "1", "--json", show=False).stdout)
        return listed[0]["id"]

    def log(self, path: pathlib.Path) -> list[str]:
        return path.read_text().split() if path.exists() else []

    def expect(self, what: str, actual, wanted) -> None:
        ok = actual == wanted
        self.failures += 0 if ok else 1
        print("   %s %s: %s" % ("ok " if ok else "!! ", what, actual if ok else "%r, wanted %r" % (actual, wanted)))

    def run_json(self, *args: str) -> dict:
        done = self.wfops(*args, "--json", show=False)
        view = json.loads(done.stdout)
        print("   -> execution %s %s" % (view["id"], view["status"]))
        return view

    def wait(self, execution_id: str, statuses: set[str], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = subprocess.run([sys.executable, "-m", "wfops.cli.main", "execution", "get", execution_id, "--json"],
                                  env=self.env, capture_output=True, text=True)
            status = json.loads(done.stdout)["status"]
            if status in statuses:
                return status
            time.sleep(0.2)
        return "timeout"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="wfops-demo-") as tmp:
        demo = Demo(pathlib.Path(tmp))

        demo.say("1. Run the sequential workflow task1 -> task2 -> task3")
        d, log = demo.workspace("seq")
        demo.wfops("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d, check=0)
        demo.expect("tasks run", demo.log(log), ["task1", "task2", "task3"])

        demo.say("2. task2 fails; fix the environment and re-run from task2 only")
        d, log = demo.workspace("fix")
        (d / "fail.task2").touch()
        first = demo.run_json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
        (d / "fail.task2").unlink()
        second = demo.run_json("execution", "re-run", first["id"], "--tasks", "task2")
        demo.expect("tasks run", demo.log(log), ["task1", "task2", "task2", "task3"])
        demo.expect("context.re-run", second["context"]["re-run"]["ref"], first["id"])

        demo.say("3. The plan, checked before anything changes: --tasks task1 task2 after task3 failed")
        print("   (upstream Orquesta 1.2.0 re-runs task1 AND task2 here; wfops drops task2)")
        d, log = demo.workspace("chain")
        (d / "fail.task3").touch()
        first = demo.run_json("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
        (d / "fail.task3").unlink()
        demo.wfops("execution", "re-run", first["id"], "--tasks", "task1", "task2", "--dry-run", check=0)
        demo.run_json("execution", "re-run", first["id"], "--tasks", "task1", "task2")
        demo.expect("task2 ran exactly once more", demo.log(log).count("task2"), 2)

        demo.say("4. Parallel join: task2 and task3 both failed")
        d, log = demo.workspace("join")
        (d / "fail.task2").touch()
        (d / "fail.task3").touch()
        first = demo.run_json("run", "wfops_examples.parallel_join", "log=%s" % log, "dir=%s" % d)
        (d / "fail.task2").unlink()
        (d / "fail.task3").unlink()
        print("   re-running task2 alone cannot let the join run; wfops says so:")
        demo.wfops("execution", "re-run", first["id"], "--tasks", "task2", check=1)
        demo.run_json("execution", "re-run", first["id"], "--tasks", "task2", "task3")
        demo.expect("the join ran once", demo.log(log).count("task4"), 1)

        demo.say("5. With-items: re-run only the failed items (--no-reset)")
        d, log = demo.workspace("items")
        (d / "fail.task1.1").touch()
        (d / "fail.task1.4").touch()
        first = demo.run_json("run", "wfops_examples.with_items", "log=%s" % log, "dir=%s" % d)
        for marker in ("fail.task1.1", "fail.task1.4"):
            (d / marker).unlink()
        second = demo.run_json("execution", "re-run", first["id"], "--tasks", "task1", "--no-reset", "task1")
        demo.expect("items re-run", sorted(demo.log(log)[6:]), ["task1:1", "task1:4"])
        demo.expect("result list complete", second["result"]["output"]["results"], [0, 1, 2, 3, 4, 5])

        demo.say("6. Pause from a second terminal while a task runs, then resume")
        d, log = demo.workspace("pause")
        hold = demo.hold(d, "task1")
        runner = demo.background("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
        demo.wait_log(log, ["task1"])
        execution_id = demo.newest()
        demo.wfops("execution", "pause", execution_id, "--comment", "maintenance window", check=0)
        demo.expect("status while task1 is held", demo.wait(execution_id, {"pausing"}), "pausing")
        demo.release(hold)
        demo.expect("status once task1 finished", demo.wait(execution_id, {"paused"}), "paused")
        demo.expect("tasks run while paused", demo.log(log), ["task1"])
        runner.wait()
        demo.wfops("execution", "resume", execution_id, check=0)
        demo.expect("status", demo.wait(execution_id, {"succeeded", "failed"}), "succeeded")
        demo.expect("tasks run", demo.log(log), ["task1", "task2", "task3"])
        demo.wfops("execution", "audit", execution_id, check=0)

        demo.say("7. Cancel: the running task finishes, nothing new starts")
        d, log = demo.workspace("cancel")
        hold = demo.hold(d, "task1")
        runner = demo.background("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
        demo.wait_log(log, ["task1"])
        execution_id = demo.newest()
        demo.wfops("execution", "cancel", execution_id, check=0)
        demo.expect("status while task1 is held", demo.wait(execution_id, {"canceling"}), "canceling")
        demo.release(hold)
        demo.expect("status", demo.wait(execution_id, {"canceled"}), "canceled")
        runner.wait()
        demo.expect("tasks run", demo.log(log), ["task1"])

        demo.say("8. A killed process loses nothing: the next engine carries on")
        d, log = demo.workspace("crash")
        hold = demo.hold(d, "task2")
        runner = demo.background("run", "wfops_examples.sequential", "log=%s" % log, "dir=%s" % d)
        demo.wait_log(log, ["task1", "task2"])
        execution_id = demo.newest()
        runner.kill()
        runner.wait()
        print("   (killed the process running the workflow while task2 ran)")
        demo.release(hold)
        demo.wfops("engine", "--until-idle", check=0)
        demo.wfops("execution", "get", execution_id, "--show-tasks", check=0)
        view = json.loads(demo.wfops("execution", "get", execution_id, "--show-tasks", "--json", show=False).stdout)
        demo.expect("status", view["status"], "failed")
        demo.expect("task statuses", [(c["context"]["orquesta"]["task_name"], c["status"]) for c in view["children"]],
                    [("task1", "succeeded"), ("task2", "abandoned")])
        demo.wfops("execution", "re-run", execution_id, "--tasks", "task2", check=0)
        demo.expect("tasks run", demo.log(log), ["task1", "task2", "task2", "task3"])

        print()
        if demo.failures:
            print("%d expectation(s) not met." % demo.failures)
            return 1
        print("All scenarios behaved as expected.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
