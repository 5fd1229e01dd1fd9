"""Rules moved by Process: review capacity (R5c), gates (R5g), absorption of launches into the
organisational code (R5a), and March's code learning (R5m)."""

import math

from numba import njit

from sim.rng import normal, uniform


@njit(cache=True)
def reviews_allowed(capacity, step):
    """R5c: ideas a stage may review at ``step``: fractional capacity accumulates over steps."""
    return int(math.floor(capacity * (step + 1)) - math.floor(capacity * step))


@njit(cache=True)
def withdrawn(idea_fit, deployed_fit):
    """R5w: an idea that no longer beats the deployed solution is withdrawn before review (its
    submitter saw the release); it uses no review capacity."""
    return idea_fit <= deployed_fit


@njit(cache=True)
def gate_passes(gain, noise_sd, contacts, rel_contact, bar, key, idea, stage):
    """R5g: a gate passes an idea when its estimated gain (true gain plus noise, the noise
    shrinking with the submitter's customer contacts) exceeds the bar."""
    sd = noise_sd / (1.0 + rel_contact * contacts)
    return gain + sd * normal(key, idea, stage) > bar


@njit(cache=True)
def absorb(code, sol, nk_n, p_absorb, key, agent):
    """R5a: the code takes each bit in which a launched idea differs with p_absorb."""
    diff = code ^ sol
    out = code
    for b in range(nk_n):
        if (diff >> b) & 1 and uniform(key, agent, b) < p_absorb:
            out ^= 1 << b
    return out


@njit(cache=True)
def code_learn(code, ones, n_superior, nk_n, p_learn, key):
    """R5m: March (1991): on each bit, if k = (superior disagreeing) - (agreeing) > 0, the code
    takes the superior group's majority value with probability 1 - (1 - p_learn) ** k.
    ``ones[b]`` counts superior employees holding 1 at bit b. Draw: agent 0, slot = bit."""
    out = code
    for b in range(nk_n):
        bit = (code >> b) & 1
        agree = ones[b] if bit == 1 else n_superior - ones[b]
        k = n_superior - 2 * agree
        if k > 0 and uniform(key, 0, b) < 1.0 - (1.0 - p_learn) ** k:
            out ^= 1 << b
    return out
