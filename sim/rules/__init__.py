"""Each behavioural rule written once, in the Numba subset.

Two kinds of function: scalar decisions (``platform_next``, ``submits``, ...) taking numbers and a
counter-based draw, and per-agent functions of (state, agent index) (``plan_platform``,
``best_visible``, ``submit``, ``learn``, ...) that read an agent's row and its neighbourhood in the
run's state (``sim.state``) and apply the decisions to it. The kernel's phases (``sim.phases``) and
the Mesa agents (``sim.agents``) both call the per-agent functions, so the two formulations make
the same decisions from the same draws. Grouped by the PACT lever that moves them; ``ties`` (R1a)
is read by several, ``beliefs`` holds initial beliefs, ``search`` and ``market`` the rules no lever
owns. Rule IDs (R1 ...) refer to docs/ODD.md section 7.
"""
