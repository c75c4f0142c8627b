"""wfops.audit: the operations recorded on an execution (E7): time, user, operation, the
request as given, the plan it resolved to and the comment. Needs the wfops server.
"""

import os
import sys

# The pack's lib/ (wfops and its pack client), also when [packs] enable_common_libs is off.
_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from wfops.pack_client.action import WfopsAction  # noqa: E402


class AuditAction(WfopsAction):
    def run(self, id):  # noqa: A002
        return self.perform(lambda backend: {"id": id.strip(), "entries": backend.audit(id.strip())})
