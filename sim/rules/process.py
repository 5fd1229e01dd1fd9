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
def act(sol, known, nk_n, key, agent):
    """R5n: an employee acts on its beliefs and flips a coin where undecided (March 1991); the
    superior group are those whose action scores beat the code's expected score
    (``sim.landscape.expected_fitness``). Slot = bit; no draw where every bit is decided."""
    undecided = ((1 << nk_n) - 1) & ~known
    if undecided == 0:
        return sol
    out = sol & known
    for b in range(nk_n):
        if (undecided >> b) & 1 and uniform(key, agent, b) < 0.5:
            out |= 1 << b
    return out


@njit(cache=True)
def code_learn(code, code_known, ones, n_superior, nk_n, p_learn, key):
    """R5m: March (1991): on each bit, the code moves to the superior group's majority action with
    probability 1 - (1 - p_learn) ** k: where the code holds a belief, k = (superior disagreeing) -
    (agreeing); where it is undecided, k = the majority's margin. ``ones[b]`` counts superior
    actions with 1 at bit b. Returns (code, decided mask). Draw: agent 0, slot = bit."""
    for b in range(nk_n):
        n1 = ones[b]
        n0 = n_superior - n1
        if (code_known >> b) & 1:
            bit = (code >> b) & 1
            k = (n0 - n1) if bit == 1 else (n1 - n0)
            new = 1 - bit
        else:
            k = abs(n1 - n0)
            new = 1 if n1 > n0 else 0
        if k > 0 and uniform(key, 0, b) < 1.0 - (1.0 - p_learn) ** k:
            code = (code & ~(1 << b)) | (new << b)
            code_known |= 1 << b
    return code, code_known


@njit(cache=True)
def code_knowledge(code, code_known, optimum, nk_n):
    """March's knowledge of the code: (beliefs agreeing with the optimum - disagreeing) / nk_n;
    undecided bits count 0."""
    agree = 0
    for b in range(nk_n):
        if (code_known >> b) & 1:
            agree += 1 if ((code ^ optimum) >> b) & 1 == 0 else -1
    return agree / nk_n
