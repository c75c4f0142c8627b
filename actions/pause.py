"""wfops.pause: Pause running workflow executions (L1, L2).

One result per id (an execution summary, or the refusal), as the st2 pack's
executions actions; the action fails when any id was refused.
"""

import os
import sys

# The pack's lib/ (wfops and its pack client), also when [packs] enable_common_libs is off.
_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from wfops.pack_client.action import WfopsAction  # noqa: E402
from wfops.pack_client.summary import execution_summary  # noqa: E402


class PauseAction(WfopsAction):
    def run(self, ids, comment=None):
        return self.each_execution(
            ids, lambda backend, execution_id: execution_summary(backend.pause(execution_id, comment=comment))
        )
