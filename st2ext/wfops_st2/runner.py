"""The ``wfops-operation`` runner (entry point ``st2common.runners.runner``): one wfops
operation per execution, carried out inside st2actionrunner with StackStorm's
persistence. Imports st2common; the planner comes from the installed wfops pack's lib/."""

from __future__ import annotations

import os
import sys
import uuid

from st2common import log as logging
from st2common.constants import action as ac_const
from st2common.runners.base import ActionRunner
from st2common.util import date as date_utils

from wfops_st2.metadata import runner_metadata

LOG = logging.getLogger(__name__)
PACK = "wfops"


def _pack_lib() -> None:
    """Put the wfops pack's lib/ on sys.path (the planner), unless wfops is importable."""
    try:
        import wfops.planner  # noqa: F401
        return
    except ImportError:
        pass
    path = os.environ.get("WFOPS_PACK_LIB")
    if not path:
        from st2common.content.utils import get_pack_base_path

        path = os.path.join(get_pack_base_path(PACK), "lib")
    sys.path.insert(0, path)


class WfopsOperationRunner(ActionRunner):
    def run(self, action_parameters):
        _pack_lib()
        from wfops_st2 import operations
        from wfops_st2.st2_records import St2Records

        records = St2Records()
        operation = action_parameters.get("operation")
        target = action_parameters.get("id")
        request = dict(action_parameters.get("request") or {})
        comment = action_parameters.get("comment")
        user = (self.context or {}).get("user")
        now = date_utils.get_datetime_utc_now().isoformat()
        own_id = str(self.execution_id)
        try:
            if operation in ("rerun", "skip"):
                result = operations.rerun(records, target, request, user, now, own_id, comment)
            elif operation == "task_context":
                result = operations.task_context(records, target, request.get("task"), request.get("route"),
                                                 request.get("item"))
            elif operation == "audit":
                result = {"entries": operations.audit(records, target)}
            elif operation in ("pause", "resume", "cancel"):
                result = operations.lifecycle(records, operation, target, user, now, own_id, comment)
            else:
                raise operations.OperationError("Unknown operation %r." % operation)
        except operations.OperationError as e:
            return ac_const.LIVEACTION_STATUS_FAILED, {"error": e.message, "status": e.status}, None
        return ac_const.LIVEACTION_STATUS_SUCCEEDED, result, None


def get_runner():
    return WfopsOperationRunner(str(uuid.uuid4()))


def get_metadata():
    return runner_metadata()
