"""Which ties can be used at a step (R1a): moved by Technology (platform ties) and Advocates
(advocates' extra ties); read by adoption (R1), search (R3v) and sponsorship (R5s)."""

from sim.enums import EdgeKind, Shows
from sim.jit import njit
from sim.params import Mech

# a run's kind of a latent platform tie whose draw is at or above the share of ties that exist
# (``refresh_ties``): never usable, and below EdgeKind.EMP_CUST, so a row's colleagues still
# come first
ABSENT = -1


@njit(cache=True)
def tie_exists(eu, platform_ties):
    """R1a: does a latent platform tie with draw ``eu`` exist at the Technology-set share of
    ties ``platform_ties``?"""
    return eu < platform_ties


@njit(cache=True)
def tie_active(kind, shows_i, shows_j):
    """R1a: is an employee-employee tie usable at this step?

    ``kind``: the tie's kind as the run sees it (``refresh_ties``: a latent platform tie that does
    not exist is ABSENT); ``shows_i``, ``shows_j``: what the two ends' rows show (``Shows`` bits).
    Intra- and inter-unit ties are always usable; a platform tie that exists while both ends are
    active users; an advocate's extra tie while one end is an advocate.
    """
    # bitwise, not short-circuit: the scans over ties call this for each tie, and a branch on a
    # colleague's row waits for that row (bench_pairs.py, kernel cost against the branches:
    # 0.974 at 1,000 employees and 1.006 at 100,000 alone; 0.94 and 0.98-1.00 with
    # sim.rules.search.best_visible's mask)
    always = (kind == EdgeKind.INTRA) | (kind == EdgeKind.INTER)
    platform = (kind == EdgeKind.PLATFORM) & ((shows_i & shows_j & Shows.ACTIVE) != 0)
    advocate = (kind == EdgeKind.ADVOCATE) & (((shows_i | shows_j) & Shows.ADVOCATE) != 0)
    return always | platform | advocate


@njit(cache=True)
def refresh_ties(s):
    """R1a at the start of step ``s.t``: the run's kinds of ties (``s.tie_kind``) for this step's
    share of platform ties, rewritten only when the share changed since they were last written.
    The scans over ties read this one byte per tie, not the world's kind and draw (9 bytes)."""
    share = s.mech[s.t, Mech.PLATFORM_TIES]
    if share == s.ties_share:
        return
    s.ties_share = share
    for e in range(s.kind.shape[0]):
        if s.kind[e] == EdgeKind.PLATFORM:
            s.tie_kind[e] = EdgeKind.PLATFORM if tie_exists(s.eu[e], share) else ABSENT
