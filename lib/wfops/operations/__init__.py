"""The operations on executions, for every front end: the ``wfops`` command line (local
mode), the REST API's routes, and through the API the pack's actions and ChatOps.

Each operation takes a typed request (:class:`wfops.rerun_request.RerunRequest` for
re-runs and skips), checks it once (every problem at once, before anything changes), sends
it to the engine that owns the execution (:mod:`wfops.operations.routing`) and is audited
once, there. Front ends parse their own input into the request and render the answer and
the errors (:mod:`wfops.errors`, each with its HTTP status) in their own words
(:mod:`wfops.request_terms`).
"""

from wfops.operations.host import Operations

__all__ = ["Operations"]
