"""The plan predicts the host's re-runs of tasks: --tasks / --no-reset / --failed / --force,
in one or two rounds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from .choices import rerun_choices, rerun_request, rounds, two_rounds
from .host import host_for
from .notes import note
from .shapes import EXAMPLES, SETTINGS, shapes


@pytest.mark.timeout(900)  # a failure's shrinking is capped by hypothesis at 5 minutes
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(shape=shapes(), choices=rounds(rerun_choices))
def test_plan_predicts_host_rerun_from_tasks(pack_root, shape, choices):
    """Issue 4 item 5: --tasks / --no-reset / --failed / --force."""
    note("Workflow:\n" + shape.describe() + "\n" + shape.yaml())
    with host_for(pack_root, shape) as host:
        two_rounds(host, shape, choices, rerun_request)
