"""Rules of the market no lever moves directly: customer adoption (R7a, R7w), turbulence (R7b,
R7c)."""

import numpy as np

from sim.enums import EdgeKind
from sim.jit import njit
from sim.landscape import BLOCK_BITS, SUPER_BITS, fitness_of, flip_row, global_max_score, redraw_and_rescore
from sim.params import Const
from sim.rng import randint, uniform


@njit(cache=True)
def customer_adopts(p_value, rel_value, gain, q_wom, share, key, agent):
    """R7a: a non-adopting customer adopts the current release with probability
    p_value + rel_value * gain + q_wom * share (Bass 1969), gain = deployed fitness gain >= 0."""
    p = p_value + rel_value * max(gain, 0.0) + q_wom * share
    return uniform(key, agent, 0) < p


@njit(cache=True)
def wom_weight(is_influencer, rel_influencer):
    """R7w: weight of a contact in a customer's word of mouth (mass influencers count more)."""
    return rel_influencer if is_influencer else 1.0


@njit(cache=True, inline="always")
def adopted_share(s, c):
    """R7a, R7w: the weighted share of adopters among customer ``c``'s word-of-mouth contacts (mass
    influencers weigh more); 0 without contacts. Summed in CSR order."""
    n_emp = s.unit.shape[0]
    node = n_emp + c
    w_adopted = 0.0
    w_total = 0.0
    for e in range(s.indptr[node], s.indptr[node + 1]):
        if s.tie_kind[e] != EdgeKind.CUST_CUST:
            continue
        j = s.nbr[e] - n_emp
        w = wom_weight(s.influencer[j], s.const[Const.REL_INFLUENCER])
        w_total += w
        if s.adopted[j]:
            w_adopted += w
    return w_adopted / w_total if w_total > 0.0 else 0.0


@njit(cache=True, inline="always")
def plan_adoption(s, c, key):
    """R7a for customer ``c``: write whether it has adopted next step into ``s.adopted_next[c]``
    (adoption is for good; the gain is the deployed solution's since step 0). The share of
    adopters among its contacts is summed again only when one of them has adopted since
    (``s.wom_share``, ``s.wom_stale``): the same sum in the same order, skipped while it cannot
    change (the market phase, mostly these sums, was about a tenth of the kernel's time)."""
    if s.adopted[c]:
        s.adopted_next[c] = True
        return
    if s.wom_stale[c]:  # a contact adopted since the share was summed (adoption is for good)
        s.wom_share[c] = adopted_share(s, c)
        s.wom_stale[c] = False
    gain = s.deployed_fitness - s.initial_fitness
    s.adopted_next[c] = customer_adopts(s.const[Const.P_VALUE], s.const[Const.REL_VALUE], gain,
                                        s.const[Const.Q_WOM], s.wom_share[c], key, c)


@njit(cache=True, inline="always")
def apply_adoption(s, c):
    """Take customer ``c``'s planned adoption; one that adopts now makes its word-of-mouth
    contacts' share stale (their next plan sums it again: ties are symmetric)."""
    if s.adopted_next[c] and not s.adopted[c]:
        n_emp = s.unit.shape[0]
        node = n_emp + c
        for e in range(s.indptr[node], s.indptr[node + 1]):
            if s.tie_kind[e] == EdgeKind.CUST_CUST:
                s.wom_stale[s.nbr[e] - n_emp] = True
    s.adopted[c] = s.adopted_next[c]


@njit(cache=True)
def adoption_share(s):
    """R7s: the share of customers who have adopted, after this step's adoption: what the next
    step's pilots learn from (R5f). 0 without customers."""
    n = s.adopted.shape[0]
    count = 0
    for c in range(n):
        count += s.adopted[c]
    s.adopted_share = count / n if n > 0 else 0.0


@njit(cache=True)
def turbulence_row(p_turbulence, nk_n, key):
    """R7b: which bit's contributions the market redraws this step, or -1 (agent 0, slots 0-1)."""
    if uniform(key, 0, 0) < p_turbulence:
        return randint(key, 0, 1, nk_n)
    return -1


@njit(cache=True)
def reality_flips(p_turbulence, nk_n, key):
    """R7c: March's turbulence: each bit of reality flips with p_turbulence (agent 0, slot 64 + bit).
    Returns the mask of flipped bits."""
    mask = 0
    if p_turbulence <= 0.0:
        return mask
    for b in range(nk_n):
        if uniform(key, 0, 64 + b) < p_turbulence:
            mask |= 1 << b
    return mask


@njit(cache=True)
def own_landscape(s):
    """Before the market first moves: the run takes its own copy of the world's table and, with a
    memo, of the blocks' and superblocks' bounds, and room for the log of the moves, at most one
    per step (``sim.landscape.redraw_and_rescore``). The world's arrays are shared, by the runs
    of a sweep among others, and never written."""
    if s.own_landscape:
        return
    s.table = s.table.copy()
    if s.memo.shape[0] > 0:
        s.bound = s.bound.copy()
        s.sbound = s.sbound.copy()
        s.fresh = np.zeros(s.sbound.shape[0], np.int64)
        steps = s.series.shape[0]
        s.move_row = np.empty(steps, np.int64)
        s.move_delta = np.empty((steps, s.table.shape[1]))
        s.move_low = np.empty((steps, 1 << BLOCK_BITS), np.int64)
        s.move_sub = np.empty((steps, 1 << SUPER_BITS), np.int64)
        s.move_rise = np.empty((steps, s.table.shape[1]))
    s.own_landscape = True


@njit(cache=True)
def turbulence(s, key):
    """R7b (NK: maybe redraw one bit's contributions) or R7c (March's reality: each bit may flip);
    when the market moved, its new maximum and every fitness are recomputed. Sets ``s.moved``."""
    nk_n = s.dep.shape[0]
    p = s.const[Const.P_TURBULENCE]
    moved = False
    if s.reality:
        flips = reality_flips(p, nk_n, key)
        if flips != 0:
            own_landscape(s)
        for b in range(nk_n):
            if (flips >> b) & 1:
                flip_row(s.table, b)
        moved = flips != 0
        if moved:
            s.max_score, s.optimum = global_max_score(s.dep, s.table, s.memo, s.bound)
    else:
        row = turbulence_row(p, nk_n, key)
        if row >= 0:
            own_landscape(s)
            s.max_score, s.optimum = redraw_and_rescore(s, row, key)
            moved = True
    s.moved = moved
    if not moved:
        return
    for i in range(s.solution.shape[0]):
        s.fitness[i] = fitness_of(s, s.solution[i])
    s.deployed_fitness = fitness_of(s, s.deployed)
    s.code_fitness = fitness_of(s, s.code)
