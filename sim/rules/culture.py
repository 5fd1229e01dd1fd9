"""Rules moved by Culture: empowerment (R2a), sharing (R3s), submission (R4), tolerance of
exploration (R3e), and the organisational learning no lever moves: socialization and turnover (R6)."""

from numba import njit

from sim.rng import uniform

HERO = 0
LOCKED_DOWN = 1
ROGUE = 2
DISENFRANCHISED = 3


@njit(cache=True)
def group(empowered, resourceful):
    """Forrester's HERO Index group of an employee."""
    if empowered:
        return HERO if resourceful else LOCKED_DOWN
    return ROGUE if resourceful else DISENFRANCHISED


@njit(cache=True)
def empowered_next(empowered, p_empower, key, agent):
    """R2a: a non-empowered employee becomes empowered with p_empower (slot 0)."""
    if empowered:
        return True
    return uniform(key, agent, 0) < p_empower


@njit(cache=True)
def shares_next(is_hero, p_share, rel_share_hero, key, agent):
    """R3s: is the employee's solution visible next step? HEROes share rel_share_hero times more."""
    p = p_share * rel_share_hero if is_hero else p_share
    return uniform(key, agent, 0) < p


@njit(cache=True)
def keeps_worse(empowered, p_accept_worse, key, agent, slot):
    """R3e: an empowered employee keeps a non-improving exploratory change with p_accept_worse."""
    return empowered and uniform(key, agent, slot) < p_accept_worse


@njit(cache=True)
def submits(grp, fit, deployed_fit, p_submit, rel_hero, rel_locked, rel_rogue, rel_dis, key, agent):
    """R4: an employee whose solution beats the deployed one submits it as an idea with
    p_submit times its group's multiplier."""
    if fit <= deployed_fit:
        return False
    if grp == HERO:
        rel = rel_hero
    elif grp == LOCKED_DOWN:
        rel = rel_locked
    elif grp == ROGUE:
        rel = rel_rogue
    else:
        rel = rel_dis
    return uniform(key, agent, 0) < p_submit * rel


ADOPT = 0
MARCH = 1


@njit(cache=True)
def socialize(sol, known, code, code_known, nk_n, p_socialize, rule, key, agent):
    """R6a: on each bit where the code holds a belief and the employee's belief differs from it (or
    is undecided), with p_socialize (March's p1): rule ``adopt`` takes the code's value; rule
    ``march`` takes it only if undecided, and an opposite belief becomes undecided (March 1991).
    Returns (values, decided mask); undecided bits have value 0. Slot = bit."""
    todo = code_known & ((sol ^ code) | ~known)
    if todo == 0 or p_socialize <= 0.0:
        return sol, known
    for b in range(nk_n):
        if (todo >> b) & 1 and uniform(key, agent, b) < p_socialize:
            bit = 1 << b
            if rule == ADOPT or (known & bit) == 0:
                sol = (sol & ~bit) | (code & bit)
                known |= bit
            else:
                known &= ~bit
                sol &= ~bit
    return sol, known


@njit(cache=True)
def leaves(p_turnover, key, agent):
    """R6b: the employee is replaced by a newcomer this step (March's p3). Slot 0."""
    return uniform(key, agent, 0) < p_turnover


@njit(cache=True)
def newcomer_flags(share_hero, share_locked, share_rogue, key, agent):
    """R6c: a newcomer's (empowered, resourceful) flags, drawn from the HERO Index shares. Slot 1."""
    u = uniform(key, agent, 1)
    if u < share_hero:
        return True, True
    if u < share_hero + share_locked:
        return True, False
    if u < share_hero + share_locked + share_rogue:
        return False, True
    return False, False
