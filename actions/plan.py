"""wfops.plan: what a re-run would do, and every reason it would be refused (R13).

A dry run of wfops.rerun: the plan (also as text) is returned and nothing changes.
"""

import os
import sys

# The pack's lib/ (wfops and its pack client), also when [packs] enable_common_libs is off.
_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from wfops.pack_client.action import WfopsAction  # noqa: E402
from wfops.pack_client.options import RerunOptions  # noqa: E402


class PlanAction(WfopsAction):
    def run(self, id, tasks=None, no_reset=None, failed=False, parameters=None, items=None,  # noqa: A002
            context=None, skip=None, result=None, publish=None, force=False):
        return self.perform(lambda backend: backend.rerun(RerunOptions.build(
            id, tasks=tasks, no_reset=no_reset, failed=failed, parameters=parameters, items=items,
            context=context, skip=skip, result=result, publish=publish, force=force, dry_run=True,
        )))
