"""Phase 8: the step's metrics into ``series[t]`` (ODD section 7.8), and the convergence check.

Counts are summed in employee order, so both formulations produce the same floating-point sums.
"""

import numpy as np

from sim.enums import Count, Group, Platform, Stage
from sim.jit import njit
from sim.metrics import Series, Tally
from sim.params import Mech
from sim.rules.culture import group
from sim.rules.process import code_knowledge

_N_GROUPS, _N_PLATFORM = len(Group), len(Platform)
_N_STAGES = len(Stage) - 1  # Stage.NONE (-1) is not counted


@njit(cache=True)
def converged(s):
    """March's equilibrium: every employee's beliefs equal the code's."""
    for i in range(s.known.shape[0]):
        if s.known[i] != s.code_known or (s.solution[i] ^ s.code) & s.code_known != 0:
            return False
    return True


@njit(cache=True)
def measure(s):
    """Write the state after step ``s.t`` into ``s.series[s.t]``; count the step as run."""
    n_emp = s.solution.shape[0]
    n_group = np.zeros(_N_GROUPS, np.int64)
    n_platform = np.zeros(_N_PLATFORM, np.int64)
    n_stage = np.zeros(_N_STAGES, np.int64)
    n_ever = 0
    best = max(s.deployed_fitness, s.code_fitness)
    total_fit = 0.0
    for i in range(n_emp):
        best = max(best, s.fitness[i])
        total_fit += s.fitness[i]
        n_group[group(s.empowered[i], s.resourceful[i])] += 1
        n_platform[s.platform[i]] += 1
        if s.idea_stage[i] != Stage.NONE:
            n_stage[s.idea_stage[i]] += 1
        n_ever += s.ever_submitted[i]
    row = s.series[s.t]
    row[Series.DEPLOYED_FITNESS] = s.deployed_fitness
    row[Series.BEST_FITNESS] = best
    row[Series.CODE_FITNESS] = s.code_fitness
    row[Series.MEAN_FITNESS] = total_fit / n_emp
    row[Series.IDEAS_SCREEN] = n_stage[Stage.SCREEN]
    row[Series.IDEAS_DEVELOP] = n_stage[Stage.DEVELOP]
    row[Series.IDEAS_PILOT] = n_stage[Stage.PILOT]
    row[Series.SUBMISSIONS] = s.counts[Count.SUBMISSIONS]
    row[Series.LAUNCHES] = s.counts[Count.LAUNCHES]
    row[Series.PLATFORM_USERS] = n_platform[Platform.ACTIVE] / n_emp
    row[Series.LAPSES] = s.counts[Count.LAPSES]
    row[Series.HERO_SHARE] = n_group[Group.HERO] / n_emp
    row[Series.PARTICIPATION] = n_ever / n_emp
    row[Series.CUSTOMER_ADOPTION] = s.adopted_share  # counted by phase 7 (R7s)
    row[Series.ADVOCATES] = min(s.mech[s.t, Mech.N_ADVOCATES], n_emp)
    row[Series.TURBULENCE] = 1.0 if s.moved else 0.0
    row[Series.LOCKED_SHARE] = n_group[Group.LOCKED_DOWN] / n_emp
    row[Series.ROGUE_SHARE] = n_group[Group.ROGUE] / n_emp
    row[Series.DISENFRANCHISED_SHARE] = n_group[Group.DISENFRANCHISED] / n_emp
    row[Series.LAPSED_USERS] = n_platform[Platform.LAPSED] / n_emp
    row[Series.NON_USERS] = n_platform[Platform.NON_USER] / n_emp
    row[Series.CODE_KNOWLEDGE] = code_knowledge(s.code, s.code_known, s.optimum, s.dep.shape[0])
    row[Series.CONVERGED] = 1.0 if converged(s) else 0.0
    s.tally[Tally.STEPS_RUN] = s.t + 1
