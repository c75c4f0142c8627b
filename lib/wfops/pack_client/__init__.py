"""The client side of the wfops StackStorm pack: what its actions and sensor share.

- :mod:`.settings`: API URL and credentials from the pack config or StackStorm's environment;
- :mod:`.api`: requests through the shared HTTP client (:mod:`wfops.api_client`);
- :mod:`.backends`: the wfops server and a real StackStorm behind one interface
  (:func:`connect`);
- :mod:`.st2_state`: the planner's run state rebuilt from StackStorm's executions;
- :mod:`.options`: the actions' parameters as one checked request;
- :mod:`.summary`: executions, failed tasks and suggested re-runs in short;
- :mod:`.action`: the actions' base class.

Nothing here imports ``st2common``; the planner is imported only to plan against a real
StackStorm.
"""

from wfops.pack_client.api import ApiClient, ApiError
from wfops.pack_client.backends import (
    STACKSTORM,
    WFOPS,
    Backend,
    BackendError,
    StackStormBackend,
    Unsupported,
    WfopsBackend,
    connect,
    detect,
    render_plan,
)
from wfops.pack_client.options import OptionError, RerunOptions, split_list
from wfops.pack_client.settings import ConnectionSettings, SettingsError

__all__ = [
    "STACKSTORM",
    "WFOPS",
    "ApiClient",
    "ApiError",
    "Backend",
    "BackendError",
    "ConnectionSettings",
    "OptionError",
    "RerunOptions",
    "SettingsError",
    "StackStormBackend",
    "Unsupported",
    "WfopsBackend",
    "connect",
    "detect",
    "render_plan",
    "split_list",
]
