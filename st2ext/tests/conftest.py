"""The extension's core tests run on the records a real StackStorm 3.9.0 stored for the
seed scenarios, without StackStorm (see captures.py)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from captures import load  # noqa: E402


@pytest.fixture
def capture(request):
    return load(request.param)
