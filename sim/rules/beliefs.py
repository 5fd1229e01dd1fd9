"""What an employee believes when it starts or joins: a random solution (R0s) and the bits it
holds a belief on (R0k). Used at initialisation (R0) and for newcomers (R6c)."""

from sim.jit import njit
from sim.rng import uniform

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
