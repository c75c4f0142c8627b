"""wfops.rerun: re-run a workflow execution from the beginning or from tasks (R1-R13),
with the resume extras on the wfops server (E2-E4).

The result holds the new execution, the plan it applied (also as text) and any warnings;
with dry_run, only the plan (nothing changes).
"""

import os
import sys

# The pack's lib/ (wfops and its pack client), also when [packs] enable_common_libs is off.
_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from wfops.pack_client.action import WfopsAction  # noqa: E402
from wfops.pack_client.options import RerunOptions  # noqa: E402


class RerunAction(WfopsAction):
    def run(self, id, tasks=None, no_reset=None, failed=False, parameters=None, items=None,  # noqa: A002
            context=None, skip=None, result=None, publish=None, force=False, dry_run=False,
            comment=None, delay=0):
        return self.perform(lambda backend: backend.rerun(RerunOptions.build(
            id, tasks=tasks, no_reset=no_reset, failed=failed, parameters=parameters, items=items,
            context=context, skip=skip, result=result, publish=publish, force=force,
            dry_run=dry_run, comment=comment, delay=delay,
        )))
