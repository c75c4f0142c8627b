"""WorkflowWatchSensor: dispatches wfops.workflow_failed and wfops.workflow_paused once for
every top-level workflow execution that failed (failed, timeout, abandoned) or paused,
with its failed tasks and the command that re-runs them.

It polls the executions API of the StackStorm (or wfops server) the pack config names
(api_url), else of the StackStorm that runs it (ST2_API_URL, which st2's sensor container
sets). Which executions were reported is kept in the datastore (key "cursor", local to the
sensor). See wfops.pack_client.watch for the details.
"""

import os
import sys

# The pack's lib/ (wfops and its pack client), also when [packs] enable_common_libs is off.
_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

try:
    from st2reactor.sensor.base import PollingSensor
except ImportError:  # outside StackStorm (tests): the same contract, minimal

    class PollingSensor(object):
        def __init__(self, sensor_service, config=None, poll_interval=5):
            self._sensor_service = self.sensor_service = sensor_service
            self._config = self.config = config or {}
            self._poll_interval = poll_interval

        def run(self):
            import time

            while True:
                self.poll()
                time.sleep(self._poll_interval)

        def get_poll_interval(self):
            return self._poll_interval

        def set_poll_interval(self, poll_interval):
            self._poll_interval = poll_interval


from wfops.pack_client.backends import connect  # noqa: E402
from wfops.pack_client.watch import WorkflowWatch  # noqa: E402


class WorkflowWatchSensor(PollingSensor):
    def __init__(self, sensor_service, config=None, poll_interval=30):
        super(WorkflowWatchSensor, self).__init__(
            sensor_service=sensor_service, config=config, poll_interval=poll_interval
        )
        self._logger = sensor_service.get_logger(__name__)
        self._watch = None

    def setup(self):
        try:
            self._connect()
        except Exception as e:  # noqa: BLE001 - the API may come up later: poll() retries
            self._logger.warning("Cannot reach the executions API yet: %s", e)

    def _connect(self):
        backend = connect(self._config or {})
        self._watch = WorkflowWatch(
            backend,
            get_value=lambda name: self._sensor_service.get_value(name=name, local=True),
            set_value=lambda name, value: self._sensor_service.set_value(name=name, value=value, local=True),
            logger=self._logger,
        )
        self._logger.info("Watching the workflow executions of %s (%s API)", backend.api.url, backend.name)

    def poll(self):
        try:
            if self._watch is None:
                self._connect()
            found = self._watch.poll()
        except Exception as e:  # noqa: BLE001 - a poll that fails is retried at the next one
            self._logger.warning("Polling the executions failed: %s", e)
            return
        for trigger, payload in found:
            self._sensor_service.dispatch(trigger=trigger, payload=payload)

    def cleanup(self):
        self._watch = None

    def add_trigger(self, trigger):
        pass

    def update_trigger(self, trigger):
        pass

    def remove_trigger(self, trigger):
        pass
