"""wfops-st2: the StackStorm runner extension of the wfops pack (runner type
``wfops-operation``). See docs/STACKSTORM.md in the wfops repository.

The core modules (``records``, ``run_state``, ``item_records``, ``audit``,
``task_context``, ``metadata``) import neither st2common nor Orquesta; ``conducting`` and
``operations`` import Orquesta and the wfops pack's ``lib/`` (the planner and
``wfops.corrections``); only ``runner`` and ``st2_records`` import st2common, inside
st2actionrunner.
"""

__version__ = "0.1.0"
RUNNER_TYPE = "wfops-operation"
