"""wfops.skip: record a failed task as succeeded (and skipped) with a given result, then
let the workflow go on from it (E4-E6). Needs the wfops server: StackStorm cannot skip.
"""

import os
import sys

# The pack's lib/ (wfops and its pack client), also when [packs] enable_common_libs is off.
_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from wfops.pack_client.action import WfopsAction  # noqa: E402
from wfops.pack_client.options import RerunOptions  # noqa: E402


class SkipAction(WfopsAction):
    def run(self, id, task, result=None, publish=None, tasks=None, force=False, dry_run=False,  # noqa: A002
            comment=None):
        return self.perform(lambda backend: backend.rerun(RerunOptions.build(
            id, skip=task, result=result, publish=publish, tasks=tasks, force=force,
            dry_run=dry_run, comment=comment,
        )))
