"""Which ties can be used at a step (R1a): moved by Technology (platform ties) and Advocates
(advocates' extra ties); read by adoption (R1), search (R3v) and sponsorship (R5s)."""

from sim.enums import EdgeKind, Platform
from sim.jit import njit
from sim.params import Mech


@njit(cache=True)
def tie_active(kind, eu, state_i, state_j, rank_i, rank_j, n_advocates, platform_ties):
    """R1a: is an employee-employee tie usable at this step?

    Intra- and inter-unit ties always are; a latent platform tie exists when its draw ``eu`` falls
    below the Technology-set share of ties and is active while both ends are active users; an
    advocate's extra tie is active while one end is an advocate.
    """
    # bitwise, not short-circuit: the scans over ties call this for each tie, and a branch on a
    # colleague's row waits for that row (bench_pairs.py, kernel cost against the branches:
    # 0.974 at 1,000 employees and 1.006 at 100,000 alone; 0.94 and 0.98-1.00 with
    # sim.rules.search.best_visible's mask)
    always = (kind == EdgeKind.INTRA) | (kind == EdgeKind.INTER)
    platform = (kind == EdgeKind.PLATFORM) & (eu < platform_ties) & \
        (state_i == Platform.ACTIVE) & (state_j == Platform.ACTIVE)
    advocate = (kind == EdgeKind.ADVOCATE) & ((rank_i < n_advocates) | (rank_j < n_advocates))
    return always | platform | advocate


@njit(cache=True, inline="always")
def tie_usable(s, i, e):
    """R1a for employee ``i``'s CSR entry ``e`` (a colleague) in state ``s`` at step ``s.t``."""
    j = s.nbr[e]
    return tie_active(s.kind[e], s.eu[e], s.platform[i], s.platform[j], s.adv_rank[i],
                      s.adv_rank[j], s.mech[s.t, Mech.N_ADVOCATES], s.mech[s.t, Mech.PLATFORM_TIES])
