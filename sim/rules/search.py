"""Search on the landscape (R3): look at others' solutions and copy the best one, or explore.

Slots of the SEARCH stream per employee and step: 0 looks at others this step, 1 keeps a worse
change, 2 number of bits a HERO flips, 3..26 the bits flipped, 28 works this step, 32.. the bits
copied. The FEED stream: slot 0 reads the feed, 1 which post, 2 (per post) the recent feed's
order among equals. The JUDGE stream: the error of employee i's estimate of a visible solution,
slot 0 for the feed's post, 1 + k for its k-th colleague tie (CSR order).
"""

import numpy as np

from sim.bits import lowest_bit, popcount
from sim.enums import FeedRule, Group, Platform, SearchRule, Shows
from sim.jit import njit
from sim.landscape import fitness_of
from sim.params import Const, Mech
from sim.rng import normal, randint, uniform
from sim.rules.advocates import is_advocate
from sim.rules.culture import group, keeps_worse, shares_next
from sim.rules.technology import sees_feed
from sim.rules.ties import tie_active

SLOT_FLIP = 3
SLOT_WORK = 28
SLOT_COPY = 32


@njit(cache=True)
def works(p_work, key, agent):
    """R3w: does the employee work on the problem this step (its share of working time)? One
    that works looks at others or explores (R3l); one that does not leaves its solution as it is.
    Slot 28."""
    return uniform(key, agent, SLOT_WORK) < p_work


@njit(cache=True)
def looks(velocity, key, agent):
    """R3l: does the employee look at others' solutions this step (Lazer & Friedman's velocity)?
    One that does not explores on its own. Slot 0."""
    return uniform(key, agent, 0) < velocity


@njit(cache=True, inline="always")
def copy_bits(own, src, copy_error, key, agent):
    """R3c: copy ``src``: each differing bit is taken with accuracy 1 - copy_error."""
    diff = own ^ src
    out = own
    while diff:  # the differing bits, lowest first (a draw each)
        b = lowest_bit(diff)
        diff &= diff - 1
        if uniform(key, agent, SLOT_COPY + b) >= copy_error:
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
def search(sol, fit, best_sol, best_seen, is_hero, empowered, n_flip_hero, copy_error,
           p_accept_worse, land, key, agent):
    """R3: one search step. Returns (solution, fitness, copied).

    ``best_seen``: the estimated fitness of the best visible solution (-1 when the employee did not
    look or saw none). If it beats one's own fitness, copy it (each differing bit taken with
    accuracy 1 - copy_error) and keep the copy as made: the employee meant to take the other's
    solution and does not test its bits one by one, so copy errors cost and never search.
    Otherwise flip one bit (a HERO flips 1..n_flip_hero: resourcefulness) and keep the change if it
    is better, or (empowered, with p_accept_worse) even if not. ``land``: the landscape
    (``sim.landscape.fitness_of``).
    """
    nk_n = land.dep.shape[0]
    if best_seen > fit:
        cand = copy_bits(sol, best_sol, copy_error, key, agent)
        if cand == sol:
            return sol, fit, False
        return cand, fitness_of(land, cand), True
    n_flip = 1 + randint(key, agent, 2, n_flip_hero) if is_hero else 1
    cand = sol ^ explore_mask(nk_n, n_flip, key, agent)
    cfit = fitness_of(land, cand)
    if cfit > fit or (cand != sol and keeps_worse(empowered, p_accept_worse, key, agent, 1)):
        return cand, cfit, False
    return sol, fit, False


_SELECT_MAX = 64  # a feed window up to this many posts is selected by insertion, a larger one sorted


@njit(cache=True, inline="always")
def _feed_key(s, j, recent, key_feed):
    """R3f: what the feed orders post ``j`` by (higher first): the step its solution changed plus
    a draw in [0, 1) (recent: random order among equals), or its fitness."""
    return s.t_changed[j] + uniform(key_feed, j, 2) if recent else s.fitness[j]


@njit(cache=True)
def feed_pool(s, key_feed):
    """R3f: the feed's posts this step, into ``s.pool[:s.pool_size]``: the solutions shared by
    active users, ordered by the feed rule: latest changed first, in random order among those
    changed at the same step (recent; a draw per post, FEED stream slot 2: employees are numbered
    by unit, so an order by index would show the first units only), best first (best, diverse;
    the lower index first among equals), or by employee (random).

    Only the first ``feed_window`` posts (two at least: best reads the second when the first is
    the reader's own) are ever read, so only they are put in order: the same posts in the same
    order as a stable sort of the whole pool, selected in one pass."""
    n = 0
    for i in range(s.solution.shape[0]):  # without a branch: whether i posts is a coin flip
        s.pool[n] = i  # n <= i: the slot is a later post's or past the pool's end
        n += s.shared[i] & (s.platform[i] == Platform.ACTIVE)
    s.pool_size = n
    if n < 2 or s.feed_rule == FeedRule.RANDOM:
        return
    recent = s.feed_rule == FeedRule.RECENT
    w = min(n, max(2, int(s.const[Const.FEED_WINDOW])))
    if w > _SELECT_MAX:
        stamp = np.empty(n)
        for r in range(n):
            stamp[r] = _feed_key(s, s.pool[r], recent, key_feed)
        top = s.pool[np.argsort(-stamp, kind="mergesort")[:w]]
        s.pool[:w] = top
        return
    top = np.empty(w, np.int64)
    top_key = np.empty(w)
    m = 0
    for r in range(n):
        j = s.pool[r]
        # a recent post's key is below its step + 1: skip the draw of one that cannot enter
        if m == w and recent and s.t_changed[j] + 1.0 <= top_key[w - 1]:
            continue
        v = _feed_key(s, j, recent, key_feed)
        if m == w and v <= top_key[w - 1]:
            continue  # not above the last of the window (an equal post comes later)
        p = m if m < w else w - 1  # the first place whose key is below v: after every equal
        while p > 0 and top_key[p - 1] < v:
            p -= 1
        last = m if m < w else w - 1
        for q in range(last, p, -1):
            top[q] = top[q - 1]
            top_key[q] = top_key[q - 1]
        top[p] = j
        top_key[p] = v
        if m < w:
            m += 1
    s.pool[:w] = top


@njit(cache=True)
def _post(s, r):
    """The feed's ``r``-th post. A function of its own: feed_post reads the pool in several
    branches, and a field array read in a branch costs an atomic increment and decrement that
    Numba's pruning misses (see ``sim.landscape.fitness_of``)."""
    return s.pool[r]


@njit(cache=True, inline="always")
def feed_post(s, i, key_feed):
    """R3f: the post employee ``i`` reads in the feed (-1: none); its own post is skipped.
    recent: one of the ``feed_window`` latest at random; best: the best; random: any post at
    random; diverse: the best of the ``feed_window`` best that differs from the reader's solution
    in at least a quarter of the bits. Slot 1 of the FEED stream."""
    n = s.pool_size
    if n == 0:
        return -1
    rule = s.feed_rule
    window = min(n, int(s.const[Const.FEED_WINDOW]))
    if rule == FeedRule.BEST:
        j = _post(s, 0)
        if j == i:
            return _post(s, 1) if n > 1 else -1
        return j
    if rule == FeedRule.DIVERSE:
        need = (s.dep.shape[0] + 3) // 4
        for r in range(window):
            j = _post(s, r)
            if j != i and popcount(s.solution[i] ^ s.solution[j]) >= need:
                return j
        return -1
    width = window if rule == FeedRule.RECENT else n
    r = randint(key_feed, i, 1, width)
    j = _post(s, r)
    if j == i:
        return _post(s, (r + 1) % width) if width > 1 else -1
    return j


@njit(cache=True, inline="always")
def seen(s, i, j, sd, key_judge, slot):
    """R3j: employee ``i``'s estimate of ``j``'s fitness: true fitness plus a normal error of
    std. dev. ``sd`` (none when 0)."""
    if sd <= 0.0:
        return s.fitness[j]
    return s.fitness[j] + sd * normal(key_judge, i, slot)


@njit(cache=True, inline="always")
def best_visible(s, i, key_feed, key_judge):
    """R3v: the source employee ``i`` judges best and its estimated fitness ((-1, -1.0): none):
    shared solutions of colleagues over usable ties in CSR order, then the feed's post if ``i``
    reads the feed this step. The estimates carry the judging error (R3j), smaller for employees
    with customer ties; the first of equal estimates wins."""
    sd = s.const[Const.JUDGE_NOISE] / (1.0 + s.const[Const.REL_CONTACT] * s.contacts[i])
    best = -1
    best_v = -1.0
    first = s.indptr[i]
    shows_i = s.shows[i]
    end = s.indptr[i + 1] - s.contacts[i]  # a row's customers come last (sorted by kind)
    # in blocks of 64 colleagues: first which are visible, as a bit mask, with no branch on
    # their rows (so the reads of scattered rows overlap), then the visible ones in CSR order
    for base in range(first, end, 64):
        mask = np.uint64(0)
        for e in range(base, min(base + 64, end)):
            shows_j = s.shows[s.nbr[e]]
            visible = ((shows_j & Shows.SHARED) != 0) & tie_active(s.tie_kind[e], shows_i, shows_j)
            mask |= np.uint64(visible) << np.uint64(e - base)
        while mask:
            e = base + lowest_bit(mask)
            mask &= mask - np.uint64(1)
            j = s.nbr[e]
            v = seen(s, i, j, sd, key_judge, 1 + e - first)
            if better_source(v, best >= 0, best_v):
                best, best_v = j, v
    if sees_feed(s.platform[i], s.mech[s.t, Mech.P_FEED], key_feed, i):
        j = feed_post(s, i, key_feed)
        if j >= 0:
            v = seen(s, i, j, sd, key_judge, 0)
            if better_source(v, best >= 0, best_v):
                best, best_v = j, v
    return best, best_v


@njit(cache=True, inline="always")
def copy_error(s, i, j):
    """R3c: employee ``i``'s error copying ``j``'s solution: the behavioural rate, less the share
    Technology's fidelity avoids when both are active platform users (the solution is documented
    on the platform)."""
    err = s.const[Const.COPY_ERROR]
    if j >= 0 and s.platform[i] == Platform.ACTIVE and s.platform[j] == Platform.ACTIVE:
        err *= 1.0 - s.mech[s.t, Mech.FIDELITY]
    return err


@njit(cache=True, inline="always")
def plan_search(s, i, key, key_feed, key_share, key_judge):
    """R3w, R3l, R3v, R3, R3o, R3s for employee ``i``: write its next solution, fitness, origin and
    sharing into the ``*_next`` rows; the bits search changes become decided (its own row, at
    once)."""
    sol, fit = s.solution[i], s.fitness[i]
    hero = group(s.empowered[i], s.resourceful[i]) == Group.HERO
    best, best_v = -1, -1.0
    s2, f2, copied = sol, fit, False
    if s.search_rule == SearchRule.COPY_OR_EXPLORE and works(s.const[Const.P_WORK], key, i):
        if looks(s.const[Const.VELOCITY], key, i):
            best, best_v = best_visible(s, i, key_feed, key_judge)
        best_sol = sol if best < 0 else s.solution[best]
        s2, f2, copied = search(sol, fit, best_sol, best_v, hero, s.empowered[i],
                                int(s.const[Const.N_FLIP_HERO]), copy_error(s, i, best),
                                s.mech[s.t, Mech.P_ACCEPT_WORSE], s, key, i)
    s.solution_next[i] = s2
    if s2 != sol:  # an unchanged solution keeps its fitness and origin (apply_search)
        s.fitness_next[i] = f2
        s.known[i] |= s2 ^ sol
        s.origin_next[i] = origin_after_search(s.origin[i], s.origin[best] if copied else 0,
                                               s.unit[i], copied, True)
    s.shared_next[i] = shares_next(hero, is_advocate(s.adv_rank[i], s.mech[s.t, Mech.N_ADVOCATES]),
                                   s.mech[s.t, Mech.P_SHARE], s.const[Const.REL_SHARE_HERO],
                                   s.mech[s.t, Mech.REL_SHARE_ADVOCATE], key_share, i)


@njit(cache=True, inline="always")
def apply_search(s, i):
    """Take employee ``i``'s planned sharing and, if its solution changed, the solution, fitness
    and origin, stamped with the step (what the recent feed orders by). A search that leaves the
    solution as it was leaves its fitness and origin too (:func:`search`, :func:`origin_after_search`),
    so :func:`plan_search` plans those only for a changed solution."""
    s.shared[i] = s.shared_next[i]
    if s.solution_next[i] != s.solution[i]:
        s.t_changed[i] = s.t
        s.solution[i] = s.solution_next[i]
        s.fitness[i] = s.fitness_next[i]
        s.origin[i] = s.origin_next[i]
