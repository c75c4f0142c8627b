"""YAML parsing with libyaml when PyYAML was built with it (``yaml.CSafeLoader``, about 10x
faster than the pure-Python ``SafeLoader``), else the pure-Python loader. Both build the
same Python values from the same text (the safe schema); their error messages differ in
wording only. ``yaml`` is imported on first use: commands that parse no YAML never load it.
"""

from __future__ import annotations

from typing import IO, Any


def safe_load(source: str | bytes | IO) -> Any:
    """The value of one YAML document (text or an open file), as ``yaml.safe_load`` gives
    it. Raises ``yaml.YAMLError`` for malformed YAML, the pure-Python loader's (its
    messages are the ones users know). O(len(source))."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return yaml.load(source, Loader=yaml.SafeLoader)
    text = source if isinstance(source, (str, bytes)) else source.read()
    try:
        return yaml.load(text, Loader=fast)
    except yaml.YAMLError:
        return yaml.load(text, Loader=yaml.SafeLoader)  # raises, with the familiar wording
