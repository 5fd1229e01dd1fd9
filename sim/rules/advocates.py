"""Rules moved by Advocates: who is an advocate (R1b), their weight in adoption (R1w),
sponsorship of ideas (R5s)."""

from sim.enums import EdgeKind, Shows
from sim.jit import njit
from sim.params import Mech
from sim.rules.ties import tie_active


@njit(cache=True)
def is_advocate(rank, n_advocates):
    """R1b: the ``n_advocates`` best-ranked employees (by centrality or at random) are advocates."""
    return rank < n_advocates


@njit(cache=True)
def tie_weight(neighbour_is_advocate, w_advocate):
    """R1w: weight of a colleague in one's adoption decision (advocates count more)."""
    return w_advocate if neighbour_is_advocate else 1.0


@njit(cache=True)
def stage_duration(duration, sponsored, sponsor_speed):
    """R5s: steps an idea spends in a stage; a sponsored idea saves ``sponsor_speed`` of it."""
    return duration * (1.0 - sponsor_speed) if sponsored else duration


@njit(cache=True)
def idea_priority(sponsored, t_submit, idea, n_ideas):
    """R5p: review order key (lower first): sponsored ideas, then the oldest, then by id."""
    return (0 if sponsored else 1) * 1_000_000_000 * n_ideas + t_submit * n_ideas + idea


@njit(cache=True, inline="always")
def sponsored(s, i):
    """R5s: is employee ``i``'s idea backed by an advocate: its own, or a colleague's over a usable
    tie (CSR order, the first found)?"""
    n_advocates = s.mech[s.t, Mech.N_ADVOCATES]
    if is_advocate(s.adv_rank[i], n_advocates):
        return True
    for e in range(s.indptr[i], s.indptr[i + 1]):
        if s.tie_kind[e] >= EdgeKind.EMP_CUST:
            break
        shows_j = s.shows[s.nbr[e]]
        if (shows_j & Shows.ADVOCATE) and tie_active(s.tie_kind[e], s.shows[i], shows_j):
            return True
    return False
