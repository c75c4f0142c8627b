"""wfops.status: an execution in short, with its failed tasks and how to re-run them;
with wait, once it has completed (or paused). Works on the wfops server and StackStorm.
"""

import os
import sys

# The pack's lib/ (wfops and its pack client), also when [packs] enable_common_libs is off.
_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from wfops.pack_client.action import WfopsAction  # noqa: E402


class StatusAction(WfopsAction):
    def run(self, id, wait=False, wait_timeout=540, interval=1.0):  # noqa: A002
        return self.perform(lambda backend: backend.status(
            id.strip(), wait=bool(wait), timeout=float(wait_timeout), interval=float(interval)))
