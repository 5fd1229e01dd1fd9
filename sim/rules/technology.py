"""Rules moved by Technology: platform adoption (R1), platform ties (R1a), the feed (R3f),
tools that make users resourceful (R2b)."""

from numba import njit

from sim.rng import uniform

NON_USER = 0
ACTIVE = 1
LAPSED = 2
BASS = 0
THRESHOLD = 1
# edge kinds (sim.graph.EdgeKind)
INTRA = 0
INTER = 1
PLATFORM = 2
ADVOCATE = 3


@njit(cache=True)
def tie_active(kind, eu, state_i, state_j, rank_i, rank_j, n_advocates, platform_ties):
    """R1a: is an employee-employee tie usable at this step?

    Intra- and inter-unit ties always are; a latent platform tie exists when its draw ``eu`` falls
    below the Technology-set share of ties and is active while both ends are active users; an
    advocate's extra tie is active while one end is an advocate.
    """
    if kind == INTRA or kind == INTER:
        return True
    if kind == PLATFORM:
        return eu < platform_ties and state_i == ACTIVE and state_j == ACTIVE
    if kind == ADVOCATE:
        return rank_i < n_advocates or rank_j < n_advocates
    return False


@njit(cache=True)
def platform_next(rule, state, share, p_ext, q_adopt, threshold, p_lapse, key, agent):
    """R1: next platform state from the weighted share of adopting colleagues.

    bass: a non-user (or lapsed user) adopts with probability p_ext + q * share (Bass 1969);
    threshold: adopts when share reaches its threshold (Watts 2002), or by the external push.
    An active user lapses with probability p_lapse (Culture sets it). One draw, slot 0.
    """
    u = uniform(key, agent, 0)
    if state == ACTIVE:
        return LAPSED if u < p_lapse else ACTIVE
    if rule == BASS:
        p = p_ext + q_adopt * share
        return ACTIVE if u < p else state
    if (share > 0.0 and share >= threshold) or u < p_ext:
        return ACTIVE
    return state


@njit(cache=True)
def threshold_of(phi, spread, key, agent):
    """R1t: an employee's adoption threshold, uniform in [phi - spread, phi + spread], clipped."""
    x = phi + spread * (2.0 * uniform(key, agent, 0) - 1.0)
    return min(1.0, max(0.0, x))


@njit(cache=True)
def resourceful_next(resourceful, state, p_resourceful, key, agent):
    """R2b: an active platform user who is not resourceful becomes so with p_resourceful (slot 1)."""
    if resourceful or state != ACTIVE:
        return resourceful
    return uniform(key, agent, 1) < p_resourceful


@njit(cache=True)
def sees_feed(state, p_feed, key, agent):
    """R3f: an active user sees the feed of the best shared solution with p_feed."""
    return state == ACTIVE and uniform(key, agent, 0) < p_feed
