"""Rules of the market no lever moves directly: customer adoption (R7a, R7w), turbulence (R7b)."""

from numba import njit

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
