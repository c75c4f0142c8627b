"""wfops: trustworthy operations on Orquesta workflow runs."""

from wfops import orquesta_compat as _orquesta_compat
from wfops import orquesta_speed as _orquesta_speed

_orquesta_compat.install()
_orquesta_speed.install()
if _orquesta_speed.enabled_by_environment():
    from wfops import yaql_tables as _yaql_tables

    _yaql_tables.install()

__version__ = "0.1.0"
