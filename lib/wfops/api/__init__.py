"""The REST API of ``wfops serve``: StackStorm's ``/api/v1`` for the ``st2`` CLI, plus
wfops's extras (re-run extras, audit, task context), and an OpenAPI document.

- :mod:`wfops.api.server`: the HTTP server and ``serve()``
- :mod:`wfops.api.app`: routes and handlers (``Api.handle(Request) -> Response``)
- :mod:`wfops.api.engine_thread`: the one thread that drives the engine
- :mod:`wfops.api.resources`: st2's JSON documents, masking, projections
- :mod:`wfops.api.schemas`: request body schemas; :mod:`wfops.api.openapi`: the document
- :mod:`wfops.api.auth`: optional API keys
"""
