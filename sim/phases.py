"""The step: initialisation (R0) and the eight phases, each a compiled function of the run's state
(``sim.state``), and their order, written once as data (:data:`STEP`).

A phase gets its step's random keys (D-RNG), visits the agents in index order calling the
per-agent rules of ``sim.rules`` on their rows, and calls the organisation-level rule sets (stage
gate, March's code, turbulence, measurement). Synchronous phases plan every agent from the state
the previous phase left, then apply (read step t, write step t+1). The Mesa model
(``sim.model``) runs the same list, visiting its agents one by one, so the two formulations differ
only in the visiting order, which tests/test_mesa_equivalence.py checks.
"""

from __future__ import annotations

from enum import IntEnum

from sim.enums import Count, FunnelRule, Platform, Shows
from sim.jit import njit
from sim.landscape import fitness_of
from sim.measure import measure
from sim.metrics import Tally
from sim.params import Const, Mech
from sim.rng import Stream, step_key
from sim.rules.advocates import is_advocate
from sim.rules.beliefs import KNOWN_SLOT, random_known, random_solution
from sim.rules.culture import empower, learn, submit
from sim.rules.market import adoption_share, apply_adoption, plan_adoption, turbulence
from sim.rules.process import march_code, stage_gate
from sim.rules.search import apply_search, feed_pool, plan_search
from sim.rules.technology import apply_platform, plan_platform
from sim.rules.ties import refresh_ties


class Phase(IntEnum):
    """The phases of a step (ODD section 3)."""

    PLATFORM = 1  # R1: platform adoption
    EMPOWER = 2  # R2a, R2b: empowerment
    SEARCH = 3  # R3: search (look and copy, or explore) and sharing
    SUBMIT = 4  # R4: submission
    FUNNEL = 5  # R5: organisational learning by the rule set (stage gate, March's code, none)
    LEARN = 6  # R6: socialization and turnover
    MARKET = 7  # R7: customers, then turbulence
    MEASURE = 8  # the step's metrics


STEP = (Phase.PLATFORM, Phase.EMPOWER, Phase.SEARCH, Phase.SUBMIT, Phase.FUNNEL, Phase.LEARN,
        Phase.MARKET, Phase.MEASURE)


@njit(cache=True)
def initialise(s):
    """R0: each employee's first beliefs and solution; the deployed solution is one more random
    solution, and the code starts as it or blank (every belief undecided, March)."""
    key = step_key(s.seed, Stream.INIT_SOLUTION, 0)
    nk_n = s.dep.shape[0]
    n_emp = s.solution.shape[0]
    for i in range(n_emp):
        s.known[i] = random_known(nk_n, s.const[Const.P_BELIEF], key, i, KNOWN_SLOT)
        s.solution[i] = random_solution(nk_n, key, i, 0) & s.known[i]
        s.fitness[i] = fitness_of(s, s.solution[i])
    s.deployed = random_solution(nk_n, key, n_emp, 0)
    s.deployed_fitness = fitness_of(s, s.deployed)
    s.code = 0 if s.code_blank else s.deployed
    s.code_known = 0 if s.code_blank else (1 << nk_n) - 1
    s.code_fitness = fitness_of(s, s.code)
    s.initial_fitness = s.deployed_fitness
    s.tally[Tally.INITIAL_DEPLOYED] = s.deployed_fitness


@njit(cache=True)
def begin_step(s, t):
    """Start step ``t``: the step's counters at 0; the code as it stands now is what phase 6
    socializes toward; the ties as this step's share of platform ties makes them."""
    s.t = t
    refresh_ties(s)
    s.counts[:] = 0
    s.moved = False
    s.code_at_start = s.code
    s.code_known_at_start = s.code_known


@njit(cache=True)
def key(s, stream):
    """The counter-based key of ``stream`` at the current step (D-RNG)."""
    return step_key(s.seed, stream, s.t)


@njit(cache=True)
def show_rows(s):
    """What each employee's row shows colleagues who scan their ties (``s.shows``, ``Shows``
    bits), as the rows stand now: the phases that scan ties (1, 3, and 4's sponsorship, which
    reads what phase 3 took: phases 3 and 4 change no platform state) read this one byte of a
    colleague instead of three rows, so more of them stay in the cache."""
    n_adv = s.mech[s.t, Mech.N_ADVOCATES]
    for i in range(s.shows.shape[0]):
        s.shows[i] = (Shows.ACTIVE * (s.platform[i] == Platform.ACTIVE)) | \
            (Shows.ADVOCATE * is_advocate(s.adv_rank[i], n_adv)) | (Shows.SHARED * s.shared[i])


@njit(cache=True, inline="always")
def adopt_platform(s):
    """Phase 1 (R1): every employee plans from the state at the start of the phase, then applies."""
    k = key(s, Stream.PLATFORM)
    show_rows(s)
    for i in range(s.platform.shape[0]):
        plan_platform(s, i, k)
    for i in range(s.platform.shape[0]):
        apply_platform(s, i)


@njit(cache=True, inline="always")
def empowerment(s):
    """Phase 2 (R2a, R2b): each employee's own flags."""
    k = key(s, Stream.EMPOWER)
    for i in range(s.empowered.shape[0]):
        empower(s, i, k)


@njit(cache=True, inline="always")
def search_and_share(s):
    """Phase 3 (R3, R3f, R3s): the feed's posts are fixed first; every employee plans, then
    applies."""
    k, k_feed, k_share = key(s, Stream.SEARCH), key(s, Stream.FEED), key(s, Stream.SHARE)
    feed_pool(s, k_feed)
    show_rows(s)
    k_judge = key(s, Stream.JUDGE)
    for i in range(s.solution.shape[0]):
        plan_search(s, i, k, k_feed, k_share, k_judge)
    for i in range(s.solution.shape[0]):
        apply_search(s, i)


@njit(cache=True, inline="always")
def submission(s):
    """Phase 4 (R4): ideas into the stage gate's slots."""
    k = key(s, Stream.SUBMIT)
    for i in range(s.idea_stage.shape[0]):
        submit(s, i, k)


@njit(cache=True)
def funnel(s):
    """Phase 5 (R5): the organisation learns by its rule set: the stage gate launches ideas, or
    March's code learns from the superior group, or nothing happens."""
    if s.funnel_rule == FunnelRule.STAGE_GATE:
        stage_gate(s, key(s, Stream.GATE), key(s, Stream.CODE))
    elif s.funnel_rule == FunnelRule.MARCH_CODE:
        march_code(s, key(s, Stream.ACT), key(s, Stream.CODE))
    s.tally[Tally.LAUNCHES] += s.counts[Count.LAUNCHES]


@njit(cache=True, inline="always")
def learning(s):
    """Phase 6 (R6a, R6b, R6c): each employee's own row."""
    k_soc, k_turn = key(s, Stream.SOCIALIZE), key(s, Stream.TURNOVER)
    for i in range(s.solution.shape[0]):
        learn(s, i, k_soc, k_turn)


@njit(cache=True, inline="always")
def market(s):
    """Phase 7 (R7a, R7s, then R7b/R7c): customers plan and apply adoption, then the market may
    move."""
    k = key(s, Stream.CUSTOMER)
    for c in range(s.adopted.shape[0]):
        plan_adoption(s, c, k)
    for c in range(s.adopted.shape[0]):
        apply_adoption(s, c)
    adoption_share(s)
    turbulence(s, key(s, Stream.TURBULENCE))


@njit(cache=True)
def run_phase(s, phase):
    """Run one phase of the current step on ``s``. The phases with loops over agents are inlined
    here (``inline="always"``): called as functions, the customers' loops of phase 7 took 8.8% of
    the kernel's cycles against 0.2% inlined (one measurement at 1,000 employees)."""
    if phase == Phase.PLATFORM:
        adopt_platform(s)
    elif phase == Phase.EMPOWER:
        empowerment(s)
    elif phase == Phase.SEARCH:
        search_and_share(s)
    elif phase == Phase.SUBMIT:
        submission(s)
    elif phase == Phase.FUNNEL:
        funnel(s)
    elif phase == Phase.LEARN:
        learning(s)
    elif phase == Phase.MARKET:
        market(s)
    else:
        measure(s)
