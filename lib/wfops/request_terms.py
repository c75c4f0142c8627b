"""How messages name the parts of a re-run request, so that each front end shows its own
names for them.

The planner and the rules never name a command-line option. They write a part of the
request as :func:`term` makes it: the request's own field name (the API's body and the
pack actions' parameter names) and what it is given, in backticks -- ```tasks task3```,
```no_reset t0```, ```publish task2 token=VALUE```, ```force```. API and pack users read
that as it is. A front end with other names renders each term with :func:`render` and a
vocabulary of its own (the ``wfops`` command line: ``--tasks task3``; its ``skip``
command: ``--publish token=VALUE``). Messages cross process and HTTP boundaries as text,
so the terms are rendered where the text is shown, in whichever process that is.
"""

from __future__ import annotations

import re
from typing import Callable, Optional

PARTS = ("tasks", "no_reset", "failed", "force", "items", "context", "skip", "result", "publish", "fingerprint",
         "delay")

_TERM = re.compile(r"`(%s)((?: [^`]*)?)`" % "|".join(PARTS))

# A vocabulary renders (part, task or None, the rest or None) as a front end names it.
Vocabulary = Callable[[str, Optional[str], Optional[str]], str]


def term(part: str, *words: object) -> str:
    """The request part ``part`` (one of :data:`PARTS`) and what it is given, as a term
    of a message: ``term("tasks", "task3")`` -> ```tasks task3```. O(len(words))."""
    if part not in PARTS:
        raise ValueError("not a part of a re-run request: %r" % (part,))
    return "`%s`" % " ".join([part] + [str(w) for w in words])


def render(text: str, vocabulary: Vocabulary) -> str:
    """``text`` with each term rendered by ``vocabulary(part, task, rest)`` (``task``
    the first word after the part, ``rest`` what follows it; None when absent).
    O(len(text))."""

    def one(match: re.Match) -> str:
        words = match.group(2).strip().split(" ", 1) if match.group(2).strip() else []
        task = words[0] if words else None
        rest = words[1] if len(words) > 1 else None
        return vocabulary(match.group(1), task, rest)

    return _TERM.sub(one, text)


def option_words(option: str, task: Optional[str], rest: Optional[str]) -> str:
    """``option`` followed by what the term gave it: ``--tasks task3``."""
    return " ".join(w for w in (option, task, rest) if w)


def command_line(part: str, task: Optional[str], rest: Optional[str]) -> str:
    """The ``wfops execution re-run`` vocabulary: ``--`` and the part's name with
    dashes, then its words (``--no-reset t0``, ``--items t0 I,J``); the fingerprint of a
    previewed plan is given with ``--plan``."""
    option = "--plan" if part == "fingerprint" else "--" + part.replace("_", "-")
    return option_words(option, task, rest)
