"""The plan predicts the host's re-runs with extras: item selections, skips with --result /
--publish, context overrides, mixed with re-run tasks, in one or two rounds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from .choices import extras_choices, extras_request, rounds, two_rounds
from .host import host_for
from .notes import note
from .shapes import EXAMPLES, SETTINGS, shapes


@pytest.mark.timeout(900)
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(shape=shapes(max_tasks=6, fail_odds=2), choices=rounds(extras_choices))
def test_plan_predicts_host_resume_extras(pack_root, shape, choices):
    """Issue 5 item 8: item selections, skips with --result / --publish, context overrides,
    mixed with re-run tasks (and, in a second round, with --tasks / --failed requests)."""
    note("Workflow:\n" + shape.describe() + "\n" + shape.yaml())
    with host_for(pack_root, shape) as host:
        two_rounds(host, shape, choices, extras_request)
