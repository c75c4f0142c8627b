"""What a failing example prints: hypothesis' notes and events, and ``NOTES``, where the
explicit examples (outside ``@given``) collect the notes for their failure message."""

from __future__ import annotations

from hypothesis import event as _event
from hypothesis import note as _note


def note(text: str) -> None:
    """hypothesis' note inside a property; collected for the message in explicit examples."""
    try:
        _note(text)
    except Exception:
        NOTES.append(text)


def event(text: str) -> None:
    try:
        _event(text)
    except Exception:
        pass


NOTES: list[str] = []
