"""Rules moved by Culture: empowerment (R2a), sharing (R3s), submission (R4), tolerance of
exploration (R3e), conformity (the socialization rate of R6a); and turnover (R6b, R6c), which no
lever moves.

Per-agent functions of the state (``empower``, ``submit``, ``learn``) apply these rules to one
employee's row; the kernel and the Mesa agents both call them."""

from sim.bits import lowest_bit, popcount
from sim.enums import Count, FunnelRule, Group, Platform, SocializationRule, Stage
from sim.jit import njit
from sim.landscape import fitness_of
from sim.params import Const, Mech
from sim.rng import uniform
from sim.rules.advocates import sponsored
from sim.rules.beliefs import NEWCOMER_KNOWN_SLOT, NEWCOMER_SLOT, random_known, random_solution
from sim.rules.technology import resourceful_next


@njit(cache=True)
def group(empowered, resourceful):
    """Forrester's HERO Index group of an employee."""
    if empowered:
        return Group.HERO if resourceful else Group.LOCKED_DOWN
    return Group.ROGUE if resourceful else Group.DISENFRANCHISED


@njit(cache=True)
def empowered_next(empowered, p_empower, key, agent):
    """R2a: a non-empowered employee becomes empowered with p_empower (slot 0)."""
    return empowered | (uniform(key, agent, 0) < p_empower)  # no branch: a coin flip mispredicts


@njit(cache=True)
def shares_next(is_hero, is_adv, p_share, rel_share_hero, rel_share_advocate, key, agent):
    """R3s: is the employee's solution visible next step? HEROes share rel_share_hero times more,
    advocates rel_share_advocate times more (the two multiply)."""
    p = p_share * rel_share_hero if is_hero else p_share
    if is_adv:
        p *= rel_share_advocate
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
    if grp == Group.HERO:
        rel = rel_hero
    elif grp == Group.LOCKED_DOWN:
        rel = rel_locked
    elif grp == Group.ROGUE:
        rel = rel_rogue
    else:
        rel = rel_dis
    return uniform(key, agent, 0) < p_submit * rel


@njit(cache=True, inline="always")
def socialize(sol, known, code, code_known, stay, row, rule, key, agent):
    """R6a: on each bit where the code holds a belief and the employee's belief differs from it (or
    is undecided), with p_socialize (March's p1): rule ``adopt`` takes the code's value; rule
    ``march`` takes it only if undecided, and an opposite belief becomes undecided (March 1991).
    Returns (values, decided mask); undecided bits have value 0.

    ``stay[row, j]``: the chance that none of j bits is socialized, (1 - p_socialize)**j
    (``sim.params.socialization_table``). The bits are taken lowest first, each with p_socialize
    independently of the others; a draw gives how many of the bits left pass before the next one
    socialized, or that none is, so a step draws one number more than it socializes bits, not one
    per bit. Slot = the draw's number."""
    todo = code_known & ((sol ^ code) | ~known)
    m = popcount(todo)
    if m == 0 or stay[row, 1] >= 1.0:
        return sol, known
    draw = 0
    while m:
        u = uniform(key, agent, draw)
        draw += 1
        if u < stay[row, m]:
            break  # none of the m bits left
        skip = 0  # u >= stay[m]: the first socialized bit is the (skip + 1)-th, where
        while u < stay[row, skip + 1]:  # stay[skip + 1] <= u < stay[skip]
            skip += 1
        for _ in range(skip):
            todo &= todo - 1
        b = lowest_bit(todo)
        todo &= todo - 1
        m -= skip + 1
        bit = 1 << b
        if rule == SocializationRule.ADOPT or (known & bit) == 0:
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


@njit(cache=True, inline="always")
def empower(s, i, key):
    """R2a (Culture empowers) and R2b (platform tools make users resourceful) for employee ``i``:
    its own flags only, updated in place."""
    empowered = empowered_next(s.empowered[i], s.mech[s.t, Mech.P_EMPOWER], key, i)
    s.resourceful[i] = resourceful_next(s.resourceful[i], s.platform[i],
                                        s.mech[s.t, Mech.P_RESOURCEFUL], key, i)
    s.empowered[i] = empowered


@njit(cache=True, inline="always")
def submit(s, i, key):
    """R4 (stage-gate funnel only): employee ``i`` without an idea in the funnel may submit its
    solution (one that beats the deployed one) into its idea slot, sponsored if an advocate backs
    it (R5s); counts it."""
    if s.funnel_rule != FunnelRule.STAGE_GATE or s.idea_stage[i] != Stage.NONE:
        return  # ideas go to a stage gate only, one per employee at a time
    if not submits(group(s.empowered[i], s.resourceful[i]), s.fitness[i], s.deployed_fitness,
                   s.mech[s.t, Mech.P_SUBMIT], s.const[Const.REL_SUBMIT_HERO],
                   s.const[Const.REL_SUBMIT_LOCKED], s.const[Const.REL_SUBMIT_ROGUE],
                   s.const[Const.REL_SUBMIT_DISENFRANCHISED], key, i):
        return
    s.idea_sponsored[i] = sponsored(s, i)
    s.idea_stage[i] = Stage.SCREEN
    s.idea_solution[i] = s.solution[i]
    s.idea_t_submit[i] = s.t
    s.idea_t_stage[i] = s.t
    s.idea_origin[i] = s.origin[i]
    s.ever_submitted[i] = True
    s.counts[Count.SUBMISSIONS] += 1


@njit(cache=True, inline="always")
def learn(s, i, key_socialize, key_turnover):
    """R6a: employee ``i`` moves toward the code as it stood at the start of the step; R6b: it may
    leave, and a newcomer takes the seat (R6c: same unit, ties, contacts and socialization rate;
    an idea the predecessor left in the funnel stays there)."""
    nk_n = s.dep.shape[0]
    # conformity: Culture sets the rate (the step's row of the table); slow learners' seats keep
    # their own (the last row: March's mixed case)
    row = s.t
    if s.slow[i]:
        row = s.soc_stay.shape[0] - 1
    sol, known = socialize(s.solution[i], s.known[i], s.code_at_start, s.code_known_at_start,
                           s.soc_stay, row, s.soc_rule, key_socialize, i)
    s.known[i] = known
    if sol != s.solution[i]:
        s.solution[i] = sol
        s.fitness[i] = fitness_of(s, sol)
        s.t_changed[i] = s.t
    if leaves(s.const[Const.P_TURNOVER], key_turnover, i):
        s.empowered[i], s.resourceful[i] = newcomer_flags(
            s.const[Const.SHARE_HERO], s.const[Const.SHARE_LOCKED], s.const[Const.SHARE_ROGUE],
            key_turnover, i)
        s.known[i] = random_known(nk_n, s.const[Const.P_BELIEF], key_turnover, i, NEWCOMER_KNOWN_SLOT)
        s.solution[i] = random_solution(nk_n, key_turnover, i, NEWCOMER_SLOT) & s.known[i]
        s.fitness[i] = fitness_of(s, s.solution[i])
        s.platform[i] = Platform.NON_USER
        s.shared[i] = False
        s.ever_submitted[i] = False
        s.origin[i] = s.unit[i]
        s.t_changed[i] = s.t
