"""wfops_examples.flaky: a python-script action that fails while a marker file exists.

It appends ``task`` to the log file, sleeps ``sleep`` seconds, then returns
``(False, {...})`` (st2's way for a Python action to fail with a result) while
``<dir>/fail.<task>`` exists, else ``(True, {...})``.
"""

import os
import time

from st2common.runners.base_action import Action


class FlakyAction(Action):
    def run(self, log, dir, task="flaky", sleep=0):  # noqa: A002 - st2 parameter name
        with open(log, "a") as fd:
            fd.write("%s\n" % task)
        if sleep:
            time.sleep(sleep)
        marker = os.path.join(dir, "fail.%s" % task)
        if os.path.exists(marker):
            return (False, {"task": task, "error": "failure marker fail.%s exists" % task})
        return (True, {"task": task})
