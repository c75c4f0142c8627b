"""What a selection of with-items items (rule E3) must be, whatever the run: a non-empty
list of distinct item indices. The re-run planner checks every request's selections with
:func:`item_selection_problems` (so the command line's, the API's and the pack actions' are
refused alike), then whether each index is below the task's item count, which only the run
knows.

Pure; runs on Python 3.8 (the StackStorm pack imports it without the planner).
"""

from __future__ import annotations

import json
from typing import Any


def item_selection_problems(task: str, indices: Any) -> list[str]:
    """What makes ``indices`` not a selection of items of ``task`` whatever the run: a
    selection is a non-empty list of distinct item indices (integers; whether each is in
    range depends on the run, see :func:`wfops.planner.extras.plan_with_extras`).
    O(len(indices))."""
    if not isinstance(indices, (list, tuple)):
        return ['The item selection of task "%s" must be a list of item indices, such as [0, 3, 5], '
                "not %s." % (task, short_json(indices))]
    if not indices:
        return ['The item selection of task "%s" is empty: name at least one item index, or '
                "re-run the whole task instead." % task]
    problems = []
    wrong, seen, twice = [], set(), []
    for index in indices:
        if isinstance(index, bool) or not isinstance(index, int):
            wrong.append(index)
        elif index in seen:
            if index not in twice:
                twice.append(index)
        else:
            seen.add(index)
    if wrong:
        problems.append('The item selection of task "%s": %s %s (0, 1, 2, ...).'
                        % (task, ", ".join(short_json(i) for i in wrong),
                           "is not an item index" if len(wrong) == 1 else "are not item indices"))
    if twice:
        problems.append('The item selection of task "%s" names %s %s more than once: name each item once.'
                        % (task, "item" if len(twice) == 1 else "items", ", ".join(str(i) for i in twice)))
    return problems


def short_json(value: Any) -> str:
    """``value`` as JSON for a message, cut to 60 characters. O(size of ``value``)."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
