"""StackStorm's expression functions for Orquesta's YAQL and Jinja evaluators.

Each function here is registered under StackStorm's name in the
``orquesta.expressions.functions`` entry-point group (``pyproject.toml``), which Orquesta
reads once per process to build the function catalog both evaluators use. In Jinja they
are callable as functions and, for those without a ``context`` argument, as filters
(``{{ x | to_json_string }}``), as on StackStorm.

Modules: ``data`` (JSON, YAML, JSONPath, ``use_none``), ``regex``, ``paths``,
``durations``, ``versions``, ``task`` (the task execution record) and ``datastore``
(``st2kv``); ``host`` finds the embedded host's store a running workflow belongs to.
"""
