"""Seed workflows (StackStorm's "Workflow Operations" page) and a few more shapes."""

SEQUENTIAL = """
version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task2
  task2:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task3
  task3:
    action: core.noop
"""

SEQUENTIAL_ITEMS = """
version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task2
  task2:
    with: x in <% range(4) %>
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task3
  task3:
    with: x in <% range(3) %>
    action: core.noop
"""

PARALLEL_JOIN = """
version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task2, task3
  task2:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task4
  task3:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task4
  task4:
    join: all
    action: core.noop
"""

PARALLEL_JOIN_ITEMS = """
version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task2, task3
  task2:
    with: x in <% range(4) %>
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task4
  task3:
    with: x in <% range(4) %>
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task4
  task4:
    join: all
    action: core.noop
"""

# Two branches of two tasks each into a join: a failure early in one branch leaves the
# branch's last task never run.
LONG_BRANCHES_JOIN = """
version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task2, task4
  task2:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task3
  task3:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task6
  task4:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task5
  task5:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task6
  task6:
    join: all
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task7
  task7:
    action: core.noop
"""

JOIN_COUNT = """
version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task2, task3, task4
  task2:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task5
  task3:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task5
  task4:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task5
  task5:
    join: 2
    action: core.noop
"""

# task4 is reached from two tasks without a join: Orquesta runs it once per branch, on
# routes 1 and 2.
SPLIT = """
version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task2, task3
  task2:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task4
  task3:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task4
  task4:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task5
  task5:
    action: core.noop
"""

# A loop: "step" runs three times on route 0, then "last".
LOOP = """
version: 1.0
vars:
  - count: 0
tasks:
  init:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: step
  step:
    action: core.noop
    next:
      - when: <% succeeded() and ctx(count) < 2 %>
        publish: count=<% ctx(count) + 1 %>
        do: step
      - when: <% succeeded() and ctx(count) >= 2 %>
        do: last
  last:
    action: core.noop
"""

# task2's failure is handled by a failure transition to "notify": the workflow goes on (and
# can be paused with task2 failed) instead of failing.
HANDLED_FAILURE = """
version: 1.0
tasks:
  task1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: task2
  task2:
    action: core.noop
    next:
      - when: <% succeeded() %>
        publish: token=<% result().ok %>
        do: task3
      - when: <% failed() %>
        do: notify
  notify:
    action: core.noop
  task3:
    action: core.noop
"""

# t2 is reached from t0 and from t1 (a split, one route each): t0 -> t1 -> t2, t0 -> t2.
SPLIT_CHAIN = """
version: 1.0
tasks:
  t0:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: t1, t2
  t1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: t2
  t2:
    action: core.noop
"""

# The same with a with-items t2.
SPLIT_CHAIN_ITEMS = SPLIT_CHAIN.replace(
    "  t2:\n    action: core.noop\n", "  t2:\n    with: x in <% range(3) %>\n    action: core.noop\n"
)

# t0's success and its failure both lead into the join t2 (through t1 on failure).
JOIN_AFTER_FAILURE = """
version: 1.0
tasks:
  t0:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: t2
      - when: <% failed() %>
        do: t1
  t1:
    action: core.noop
    next:
      - when: <% succeeded() %>
        do: t2
  t2:
    join: all
    action: core.noop
"""

# One with-items task of four items.
WITH_ITEMS = """
version: 1.0
tasks:
  task1:
    with: x in <% range(4) %>
    action: core.noop
"""
