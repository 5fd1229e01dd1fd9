"""Each behavioural rule written once, as a small pure function in the Numba subset.

The kernel (``sim.kernel``) and the Mesa agents (``sim.agents``) both call these compiled functions,
so the two formulations make the same decisions from the same counter-based draws. Grouped by the
PACT lever that moves them; ``search`` and ``market`` hold the rules no lever owns. Rule IDs (R1 ...)
refer to docs/ODD.md section 7.
"""
