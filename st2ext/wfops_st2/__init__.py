"""wfops-st2: the StackStorm runner extension of the wfops pack (runner type
``wfops-operation``). See docs/STACKSTORM.md in the wfops repository.

The core modules (``records``, ``run_state``, ``corrections``, ``audit``,
``task_context``, ``metadata``) import neither st2common nor Orquesta; only ``runner``
does, inside st2actionrunner.
"""

__version__ = "0.1.0"
RUNNER_TYPE = "wfops-operation"
