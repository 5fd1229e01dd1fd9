"""Rules moved by Technology: the platform's reach and adoption (R1, R1r), reading the feed (R3f),
tools that make users resourceful (R2b). Platform ties (R1a) are in ``sim.rules.ties``; what the
feed shows and copy fidelity (R3c) in ``sim.rules.search``."""

import numpy as np

from sim.enums import AdoptionRule, Count, EdgeKind, Platform, Shows
from sim.jit import njit
from sim.params import Const, Mech
from sim.rng import Stream, step_key, uniform
from sim.rules.advocates import is_advocate, tie_weight
from sim.rules.ties import tie_active


@njit(cache=True)
def platform_next(rule, state, share, p_ext, q_adopt, threshold, p_lapse, key, agent):
    """R1: next platform state from the weighted share of adopting colleagues.

    bass: a non-user (or lapsed user) adopts with probability p_ext + q * share (Bass 1969);
    threshold: adopts when share reaches its threshold (Watts 2002), or by the external push.
    An active user lapses with probability p_lapse (Culture sets it). One draw, slot 0.
    """
    u = uniform(key, agent, 0)
    if state == Platform.ACTIVE:
        return Platform.LAPSED if u < p_lapse else Platform.ACTIVE
    if rule == AdoptionRule.BASS:
        p = p_ext + q_adopt * share
        return Platform.ACTIVE if u < p else state
    if (share > 0.0 and share >= threshold) or u < p_ext:
        return Platform.ACTIVE
    return state


@njit(cache=True)
def share_decides(rule, p_ext, q_adopt, key, agent):
    """R1: can the adopting share change a non-user's decision this step (:func:`platform_next`,
    its draw at slot 0)? Not when the draw alone decides: below p_ext it adopts whatever the share
    (the external push), and under Bass at or above p_ext + q_adopt it cannot adopt (the share is
    at most 1, and q_adopt >= 0: rounding is monotone, so p_ext + q_adopt * share is at most
    p_ext + q_adopt as computed). Then the share need not be summed: a share of 0 gives the same
    decision."""
    u = uniform(key, agent, 0)
    if u < p_ext:
        return False
    return rule != AdoptionRule.BASS or u < p_ext + q_adopt


@njit(cache=True, inline="always")
def adopting_share(s, i):
    """R1, R1w: the weighted share of active users among employee ``i``'s usable colleague ties
    (advocates weigh more); 0 without usable ties. Summed in CSR order."""
    w_active = 0.0
    w_total = 0.0
    shows_i = s.shows[i]
    for e in range(s.indptr[i], s.indptr[i + 1]):
        if s.tie_kind[e] >= EdgeKind.EMP_CUST:
            break  # a row is sorted by kind: colleagues come first
        shows_j = s.shows[s.nbr[e]]
        if not tie_active(s.tie_kind[e], shows_i, shows_j):
            continue
        w = tie_weight((shows_j & Shows.ADVOCATE) != 0, s.mech[s.t, Mech.W_ADVOCATE])
        w_total += w
        if shows_j & Shows.ACTIVE:
            w_active += w
    return w_active / w_total if w_total > 0.0 else 0.0


@njit(cache=True)
def access_draws(seed, n_emp):
    """R1r: each seat's fixed draw (ACCESS stream, step 0, slot 0), drawn once per run: the
    platform reaches a seat whose draw falls below the Technology-set reach."""
    key = step_key(seed, Stream.ACCESS, 0)
    out = np.empty(n_emp)
    for i in range(n_emp):
        out[i] = uniform(key, i, 0)
    return out


@njit(cache=True)
def reached(access, reach):
    """R1r: does the platform reach this employee? Its seat's fixed draw ``access``
    (:func:`access_draws`) falls below the reach, so a larger reach adds seats and keeps the old."""
    return access < reach


@njit(cache=True, inline="always")
def plan_platform(s, i, key):
    """R1, R1r, R1c for employee ``i``: write its next platform state into ``s.platform_next[i]``;
    an employee the platform does not reach cannot adopt it, and an advocate it reaches adopts it
    at once (R1c: advocates champion the platform, so their weight in colleagues' decisions is
    the weight of an adopter)."""
    state = np.int64(s.platform[i])  # the row is int8; the rule returns Platform values (int64)
    if state != Platform.ACTIVE:
        if not reached(s.access[i], s.mech[s.t, Mech.REACH]):
            s.platform_next[i] = state
            return
        if is_advocate(s.adv_rank[i], s.mech[s.t, Mech.N_ADVOCATES]):
            s.platform_next[i] = Platform.ACTIVE
            return
    # an active user's decision does not depend on the share, nor a non-user's whose draw decides
    p_ext, q_adopt = s.mech[s.t, Mech.P_EXT], s.const[Const.Q_ADOPT]
    share = 0.0
    if state != Platform.ACTIVE and share_decides(s.adoption_rule, p_ext, q_adopt, key, i):
        share = adopting_share(s, i)
    s.platform_next[i] = platform_next(s.adoption_rule, state, share, p_ext, q_adopt,
                                       s.threshold[i], s.mech[s.t, Mech.P_LAPSE], key, i)


@njit(cache=True, inline="always")
def apply_platform(s, i):
    """Take employee ``i``'s planned platform state; count a lapse."""
    if s.platform[i] == Platform.ACTIVE and s.platform_next[i] == Platform.LAPSED:
        s.counts[Count.LAPSES] += 1
    s.platform[i] = s.platform_next[i]


@njit(cache=True)
def threshold_of(phi, spread, key, agent):
    """R1t: an employee's adoption threshold, uniform in [phi - spread, phi + spread], clipped."""
    x = phi + spread * (2.0 * uniform(key, agent, 0) - 1.0)
    return min(1.0, max(0.0, x))


@njit(cache=True)
def resourceful_next(resourceful, state, p_resourceful, key, agent):
    """R2b: an active platform user who is not resourceful becomes so with p_resourceful (slot 1)."""
    return resourceful | ((state == Platform.ACTIVE) & (uniform(key, agent, 1) < p_resourceful))


@njit(cache=True)
def sees_feed(state, p_feed, key, agent):
    """R3f: an active user reads the feed this step with p_feed (slot 0)."""
    return state == Platform.ACTIVE and uniform(key, agent, 0) < p_feed
