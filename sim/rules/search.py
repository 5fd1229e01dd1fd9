"""Search on the landscape (R3): copy the best visible solution or explore locally.

Slots of the SEARCH stream per employee and step: 0 works this step, 1 keeps a worse change,
2 number of bits a HERO flips, 3..26 the bits flipped, 32.. the bits copied.
"""

from numba import njit

from sim.enums import EdgeKind, Group, Platform
from sim.landscape import fitness_of
from sim.params import Const, Mech
from sim.rng import randint, uniform
from sim.rules.culture import group, keeps_worse, shares_next
from sim.rules.technology import sees_feed
from sim.rules.ties import tie_usable

SLOT_FLIP = 3
SLOT_COPY = 32


@njit(cache=True)
def works(velocity, key, agent):
    """R3w: does the employee work on the problem this step? (slot 0)"""
    return uniform(key, agent, 0) < velocity


@njit(cache=True, inline="always")
def copy_bits(own, src, nk_n, copy_error, key, agent):
    """R3c: copy ``src``: each differing bit is taken with accuracy 1 - copy_error."""
    diff = own ^ src
    out = own
    for b in range(nk_n):
        if (diff >> b) & 1 and uniform(key, agent, SLOT_COPY + b) >= copy_error:
            out ^= 1 << b
    return out


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def search(sol, fit, best_sol, best_fit, is_hero, empowered, n_flip_hero, copy_error,
           p_accept_worse, land, key, agent):
    """R3: one search step of a working employee. Returns (solution, fitness, copied).

    If the best visible solution is better, copy it (with copy errors) and keep the copy when it
    improves on one's own; otherwise flip one bit (a HERO flips 1..n_flip_hero: resourcefulness)
    and keep the change if it is better, or (empowered, with p_accept_worse) even if not. ``land``:
    the landscape (``sim.landscape.fitness_of``).
    """
    nk_n = land.dep.shape[0]
    if best_fit > fit:
        cand = copy_bits(sol, best_sol, nk_n, copy_error, key, agent)
        cfit = fitness_of(land, cand)
        if cfit > fit:
            return cand, cfit, True
        return sol, fit, False
    n_flip = 1 + randint(key, agent, 2, n_flip_hero) if is_hero else 1
    cand = sol ^ explore_mask(nk_n, n_flip, key, agent)
    cfit = fitness_of(land, cand)
    if cfit > fit or (cand != sol and keeps_worse(empowered, p_accept_worse, key, agent, 1)):
        return cand, cfit, False
    return sol, fit, False


@njit(cache=True, inline="always")
def feed_source(s):
    """R3f: the employee whose shared solution the feed shows (the best shared by an active user;
    the lowest index wins ties), or -1."""
    feed = -1
    for i in range(s.solution.shape[0]):
        if s.shared[i] and s.platform[i] == Platform.ACTIVE and better_source(
                s.fitness[i], feed >= 0, s.fitness[feed]):
            feed = i
    return feed


@njit(cache=True, inline="always")
def best_visible(s, i, feed, key_feed):
    """R3v: the best source employee ``i`` sees (-1: none): shared solutions of colleagues over
    usable ties in CSR order, then the feed (``feed``, if ``i`` sees it this step)."""
    best = -1
    for e in range(s.indptr[i], s.indptr[i + 1]):
        if s.kind[e] >= EdgeKind.EMP_CUST:
            break
        j = s.nbr[e]
        if s.shared[j] and better_source(s.fitness[j], best >= 0, s.fitness[best]) \
                and tie_usable(s, i, e):
            best = j
    if feed >= 0 and feed != i and sees_feed(s.platform[i], s.mech[s.t, Mech.P_FEED], key_feed, i):
        if better_source(s.fitness[feed], best >= 0, s.fitness[best]):
            best = feed
    return best


@njit(cache=True, inline="always")
def plan_search(s, i, feed, key, key_feed, key_share):
    """R3w, R3, R3o, R3s for employee ``i``: write its next solution, fitness, origin and sharing
    into the ``*_next`` rows; the bits search changes become decided (its own row, at once)."""
    sol, fit = s.solution[i], s.fitness[i]
    hero = group(s.empowered[i], s.resourceful[i]) == Group.HERO
    s.solution_next[i] = sol
    s.fitness_next[i] = fit
    s.origin_next[i] = s.origin[i]
    if works(s.const[Const.VELOCITY], key, i):
        best = best_visible(s, i, feed, key_feed)
        best_sol = sol if best < 0 else s.solution[best]
        best_fit = -1.0 if best < 0 else s.fitness[best]
        s2, f2, copied = search(sol, fit, best_sol, best_fit, hero, s.empowered[i],
                                int(s.const[Const.N_FLIP_HERO]), s.mech[s.t, Mech.COPY_ERROR],
                                s.mech[s.t, Mech.P_ACCEPT_WORSE], s, key, i)
        s.solution_next[i] = s2
        s.fitness_next[i] = f2
        s.known[i] |= s2 ^ sol
        s.origin_next[i] = origin_after_search(s.origin[i], s.origin[best], s.unit[i], copied,
                                               s2 != sol)
    s.shared_next[i] = shares_next(hero, s.mech[s.t, Mech.P_SHARE],
                                   s.const[Const.REL_SHARE_HERO], key_share, i)


@njit(cache=True, inline="always")
def apply_search(s, i):
    """Take employee ``i``'s planned solution, fitness, origin and sharing."""
    s.solution[i] = s.solution_next[i]
    s.fitness[i] = s.fitness_next[i]
    s.origin[i] = s.origin_next[i]
    s.shared[i] = s.shared_next[i]
