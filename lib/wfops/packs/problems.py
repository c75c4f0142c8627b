"""What pack loading reports instead of failing: one :class:`PackProblem` per file left out.

StackStorm's content registration logs a metadata file it cannot load and goes on with the
rest; wfops does the same and keeps the list, so that ``wfops pack list``, ``wfops action
list`` and (later) the API can show it as ``{file, pack, reason}`` records.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PackProblem:
    """A file (or pack directory) that was not loaded, and why.

    ``file``: absolute path of the metadata file, or of the pack directory when the whole
    pack is left out; ``pack``: the pack's ref when known; ``reason``: one or more
    sentences, ending with a period; ``action``: the ref the file would have defined, when
    its name could be read (used to explain a later "cannot be found").
    """

    file: str
    pack: str | None
    reason: str
    action: str | None = None

    def to_dict(self) -> dict:
        """The record as the API and ``--json`` output show it: ``{file, pack, reason}``."""
        return {"file": self.file, "pack": self.pack, "reason": self.reason}

    def __str__(self) -> str:
        return '"%s": %s' % (self.file, self.reason)


class MetadataProblem(Exception):
    """A file that cannot be used: ``path``, the ``reasons`` (fragments, without the final
    period) and, when known, the action ``ref`` it would define. ``str()`` is the message
    that names the file, as ``what "path": reason.``"""

    def __init__(self, path: str, reasons: list[str], *, what: str = "File",
                 ref: str | None = None):
        self.path = path
        self.reasons = list(reasons)
        self.what = what
        self.ref = ref
        super().__init__(str(self))

    @property
    def reason(self) -> str:
        if len(self.reasons) == 1:
            return self.reasons[0] + "."
        return "%d problems: %s." % (len(self.reasons), "; ".join(self.reasons))

    def __str__(self) -> str:
        return '%s "%s": %s' % (self.what, self.path, self.reason)

    def problem(self, pack: str | None) -> PackProblem:
        return PackProblem(file=self.path, pack=pack, reason=self.reason, action=self.ref)
