"""wfops.task_context: what a task execution saw and did (E8): its status, inbound
context, rendered input, result, what it published and which task executions led to it.
Needs the wfops server: StackStorm's API has no such endpoint.
"""

import os
import sys

# The pack's lib/ (wfops and its pack client), also when [packs] enable_common_libs is off.
_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from wfops.pack_client.action import WfopsAction  # noqa: E402


class TaskContextAction(WfopsAction):
    def run(self, id, task):  # noqa: A002
        return self.perform(lambda backend: backend.task_context(id.strip(), task.strip()))
