"""Search on the landscape (R3): copy the best visible solution or explore locally.

Slots of the SEARCH stream per employee and step: 0 works this step, 1 keeps a worse change,
2 number of bits a HERO flips, 3..26 the bits flipped, 32.. the bits copied.
"""

from numba import njit

from sim.landscape import fitness
from sim.rng import randint, uniform
from sim.rules.culture import keeps_worse

SLOT_FLIP = 3
SLOT_COPY = 32
KNOWN_SLOT = 64  # first slot of a starting employee's decided-bit draws (INIT_SOLUTION stream)
NEWCOMER_SLOT = 8  # first slot of a newcomer's solution bits (TURNOVER stream; 0-1 are taken)
NEWCOMER_KNOWN_SLOT = 80  # first slot of a newcomer's decided-bit draws (TURNOVER stream)


@njit(cache=True)
def random_solution(nk_n, key, agent, slot0):
    """R0s: a uniformly random solution (one draw per bit, slots slot0 ...)."""
    s = 0
    for b in range(nk_n):
        if uniform(key, agent, slot0 + b) < 0.5:
            s |= 1 << b
    return s


@njit(cache=True)
def random_known(nk_n, p_belief, key, agent, slot0):
    """R0k: which bits a starting or newcomer employee holds a belief on (each with p_belief);
    every bit, without a draw, when p_belief is 1."""
    full = (1 << nk_n) - 1
    if p_belief >= 1.0:
        return full
    mask = 0
    for b in range(nk_n):
        if uniform(key, agent, slot0 + b) < p_belief:
            mask |= 1 << b
    return mask


@njit(cache=True)
def works(velocity, key, agent):
    """R3w: does the employee work on the problem this step? (slot 0)"""
    return uniform(key, agent, 0) < velocity


@njit(cache=True)
def copy_bits(own, src, nk_n, copy_error, key, agent):
    """R3c: copy ``src``: each differing bit is taken with accuracy 1 - copy_error."""
    diff = own ^ src
    out = own
    for b in range(nk_n):
        if (diff >> b) & 1 and uniform(key, agent, SLOT_COPY + b) >= copy_error:
            out ^= 1 << b
    return out


@njit(cache=True)
def explore_mask(nk_n, n_flip, key, agent):
    """R3x: the bits an exploration flips: ``n_flip`` draws (repeats collapse), as a mask."""
    mask = 0
    for f in range(n_flip):
        mask |= 1 << randint(key, agent, SLOT_FLIP + f, nk_n)
    return mask


@njit(cache=True)
def better_source(fit_source, have_best, fit_best):
    """R3v: does a visible solution replace the best one seen so far? Only when strictly better,
    so the first of equals wins (colleagues in CSR order, then the feed; the feed itself: the
    lowest node id)."""
    return not have_best or fit_source > fit_best


@njit(cache=True)
def origin_after_search(origin, source_origin, own_unit, copied, changed):
    """R3o: the unit a solution came from after a search: the source's after a copy, one's own
    unit after an own change, else unchanged."""
    if copied:
        return source_origin
    if changed:
        return own_unit
    return origin


@njit(cache=True)
def search(sol, fit, best_sol, best_fit, is_hero, empowered, n_flip_hero, copy_error,
           p_accept_worse, dep, table, max_score, exponent, key, agent):
    """R3: one search step of a working employee. Returns (solution, fitness, copied).

    If the best visible solution is better, copy it (with copy errors) and keep the copy when it
    improves on one's own; otherwise flip one bit (a HERO flips 1..n_flip_hero: resourcefulness)
    and keep the change if it is better, or (empowered, with p_accept_worse) even if not.
    """
    nk_n = dep.shape[0]
    if best_fit > fit:
        cand = copy_bits(sol, best_sol, nk_n, copy_error, key, agent)
        cfit = fitness(cand, dep, table, max_score, exponent)
        if cfit > fit:
            return cand, cfit, True
        return sol, fit, False
    n_flip = 1 + randint(key, agent, 2, n_flip_hero) if is_hero else 1
    cand = sol ^ explore_mask(nk_n, n_flip, key, agent)
    cfit = fitness(cand, dep, table, max_score, exponent)
    if cfit > fit or (cand != sol and keeps_worse(empowered, p_accept_worse, key, agent, 1)):
        return cand, cfit, False
    return sol, fit, False
