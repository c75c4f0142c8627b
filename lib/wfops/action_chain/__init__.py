"""StackStorm's ``action-chain`` runner as a pure core: the chain definition
(:mod:`.spec`), the Jinja rendering of its values (:mod:`.rendering`) and what the ended
nodes of a run leave -- results, variables, the next node, the chain's status
(:mod:`.progress`). The engine (``wfops.engine.chains``) runs the nodes as child
executions and calls these functions with what the store holds.
"""
