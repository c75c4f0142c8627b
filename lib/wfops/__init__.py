"""wfops: trustworthy operations on Orquesta workflow runs."""

from wfops import orquesta_compat as _orquesta_compat

_orquesta_compat.install()

__version__ = "0.1.0"
