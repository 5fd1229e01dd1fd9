"""The Numba kernel: the run as one compiled loop over the steps and their phases (ODD section 3).

All the work is in ``sim.phases``; this loop only counts the steps and stops at the horizon, or at
March's equilibrium when the scenario asks for it.
"""

from __future__ import annotations

from sim.jit import njit
from sim.metrics import Series
from sim.phases import STEP, begin_step, run_phase
from sim.state import borrow


@njit(cache=True)
def run_kernel(state):
    """Run the steps of ``state`` (``state.series.shape[0]`` at most), filling its outputs."""
    s = borrow(state)
    for t in range(s.series.shape[0]):
        begin_step(s, t)
        for phase in STEP:
            run_phase(s, phase)
        if s.stop_converged and s.series[t, Series.CONVERGED] == 1.0:
            break
