"""The datastore values one conductor call read, kept with its journal entry and given back
when the entry is replayed.

The host records each conductor call (an action's outcome, ``get_next_tasks`` ...) as a
journal entry and rebuilds a conductor after a crash or a rolled-back transaction by
replaying the entries since its last snapshot. A call evaluates expressions, and
``st2kv()`` reads the datastore, which may have changed since: replayed with today's
values, a publish or a transition condition could come out otherwise than it did, and the
conductor would no longer match the task records and actions that followed from it. So
the engine records, around each call it journals (:func:`recording`), what ``st2kv()``
found for each key, and replays the call with those answers (:func:`replaying`).

An answer is what the datastore row held: its value as stored (a secret's ciphertext, so
the journal holds no plaintext; it is decrypted again on replay when the expression asks
for ``decrypt``), or that the key did not exist (with the message). Within one recorded
call, a key read twice gives its first answer both times, as the replay will.

Per thread (a ``ContextVar``): the engine's loop and an API thread evaluating expressions
for a view do not see each other's recordings. O(1) per read.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Callable, Iterator

# read_key(user, key) -> {"value": as stored, "secret": bool, "name": str} or {"missing": message}
Answers = dict

_recording: ContextVar[Answers | None] = ContextVar("wfops_kv_recording", default=None)
_replaying: ContextVar[Answers | None] = ContextVar("wfops_kv_replaying", default=None)


def read_key(user: str, key: str) -> str:
    """How an answer is filed: the user the key was read for and the key as written."""
    return "%s\n%s" % (user, key)


@contextlib.contextmanager
def recording(earlier: Answers | None = None) -> Iterator[Answers]:
    """Keep every ``st2kv()`` answer found inside the block in the dict yielded (empty
    when the block read no key), which starts as a copy of ``earlier`` (answers the same
    entry must hold, found before the call: Orquesta renders a workflow's input and vars
    when its state is first read)."""
    answers: Answers = dict(earlier or {})
    token = _recording.set(answers)
    try:
        yield answers
    finally:
        _recording.reset(token)


@contextlib.contextmanager
def replaying(answers: Answers | None) -> Iterator[None]:
    """Inside the block, ``st2kv()`` answers from ``answers`` (a :func:`recording`'s) for
    the keys it holds; other keys are read from the datastore."""
    token = _replaying.set(answers or None)
    try:
        yield
    finally:
        _replaying.reset(token)


def answer(filed: str, read: Callable[[], Answers]) -> Answers:
    """The answer for ``filed`` (a :func:`read_key`): the replayed one, else the one
    already recorded in this call, else ``read()`` (recorded when recording)."""
    replayed = _replaying.get()
    if replayed is not None and filed in replayed:
        return replayed[filed]
    recorded = _recording.get()
    if recorded is not None and filed in recorded:
        return recorded[filed]
    found = read()
    if recorded is not None:
        recorded[filed] = found
    return found
