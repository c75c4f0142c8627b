"""The REST API of ``wfops serve``: StackStorm's ``/api/v1`` for the ``st2`` CLI, plus
wfops's extras (re-run extras, audit, task context), st2stream's event stream, and an
OpenAPI document generated from the route declarations.

- :mod:`wfops.api.server`: ``serve()`` (uvicorn) ; :mod:`wfops.api.app`: the FastAPI app
- :mod:`wfops.api.routes`: the routes, declared once each; :mod:`wfops.api.models`: bodies
- :mod:`wfops.api.edge`: API keys, body limits, HEAD, trailing slashes (ASGI middleware)
- :mod:`wfops.api.faults`: StackStorm's status codes and faultstrings for every error
- :mod:`wfops.api.service`: what routes share (session, engine thread, paging, who acts)
- :mod:`wfops.api.engine_thread`: the one thread that drives the engine
- :mod:`wfops.api.resources`, :mod:`wfops.api.content_docs`: st2's JSON documents
- :mod:`wfops.api.events`: the event stream, from the store's change cursor
- :mod:`wfops.api.auth`: optional API keys
"""
