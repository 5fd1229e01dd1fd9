"""Rules moved by Process: review capacity (R5c), gates (R5g), absorption of launches into the
organisational code (R5a), and March's code learning (R5m); and the two organisation-level rule
sets over the run's state that use them: the stage gate and March's code."""

import math

import numpy as np

from sim.enums import Count, Stage
from sim.jit import njit
from sim.landscape import expected_fitness, fitness_of
from sim.metrics import Tally
from sim.params import Const, Mech
from sim.rng import normal, uniform
from sim.rules.advocates import idea_priority, stage_duration


@njit(cache=True)
def reviews_allowed(capacity, step):
    """R5c: ideas a stage may review at ``step``: fractional capacity accumulates over steps."""
    return int(math.floor(capacity * (step + 1)) - math.floor(capacity * step))


@njit(cache=True)
def withdrawn(idea_fit, deployed_fit):
    """R5w: an idea that no longer beats the deployed solution is withdrawn before review (its
    submitter saw the release); it uses no review capacity."""
    return idea_fit <= deployed_fit


@njit(cache=True)
def gate_passes(gain, noise_sd, contacts, rel_contact, bar, key, idea, stage):
    """R5g: a gate passes an idea when its estimated gain (true gain plus noise, the noise
    shrinking with the submitter's customer contacts) exceeds the bar."""
    sd = noise_sd / (1.0 + rel_contact * contacts)
    return gain + sd * normal(key, idea, stage) > bar


@njit(cache=True)
def absorb(code, sol, nk_n, p_absorb, key, agent):
    """R5a: the code takes each bit in which a launched idea differs with p_absorb."""
    diff = code ^ sol
    out = code
    for b in range(nk_n):
        if (diff >> b) & 1 and uniform(key, agent, b) < p_absorb:
            out ^= 1 << b
    return out


@njit(cache=True)
def act(sol, known, nk_n, key, agent):
    """R5n: an employee acts on its beliefs and flips a coin where undecided (March 1991); the
    superior group are those whose action scores beat the code's expected score
    (``sim.landscape.expected_fitness``). Slot = bit; no draw where every bit is decided."""
    undecided = ((1 << nk_n) - 1) & ~known
    if undecided == 0:
        return sol
    out = sol & known
    for b in range(nk_n):
        if (undecided >> b) & 1 and uniform(key, agent, b) < 0.5:
            out |= 1 << b
    return out


@njit(cache=True)
def code_learn(code, code_known, ones, n_superior, nk_n, p_learn, key):
    """R5m: March (1991): on each bit, the code moves to the superior group's majority action with
    probability 1 - (1 - p_learn) ** k: where the code holds a belief, k = (superior disagreeing) -
    (agreeing); where it is undecided, k = the majority's margin. ``ones[b]`` counts superior
    actions with 1 at bit b. Returns (code, decided mask). Draw: agent 0, slot = bit."""
    for b in range(nk_n):
        n1 = ones[b]
        n0 = n_superior - n1
        if (code_known >> b) & 1:
            bit = (code >> b) & 1
            k = (n0 - n1) if bit == 1 else (n1 - n0)
            new = 1 - bit
        else:
            k = abs(n1 - n0)
            new = 1 if n1 > n0 else 0
        if k > 0 and uniform(key, 0, b) < 1.0 - (1.0 - p_learn) ** k:
            code = (code & ~(1 << b)) | (new << b)
            code_known |= 1 << b
    return code, code_known


@njit(cache=True)
def code_knowledge(code, code_known, optimum, nk_n):
    """March's knowledge of the code: (beliefs agreeing with the optimum - disagreeing) / nk_n;
    undecided bits count 0."""
    agree = 0
    for b in range(nk_n):
        if (code_known >> b) & 1:
            agree += 1 if ((code ^ optimum) >> b) & 1 == 0 else -1
    return agree / nk_n


@njit(cache=True)
def _queue(s, stage, t):
    """R5s, R5p: the ideas in ``stage`` that have spent their time there, in review order, into
    ``s.due``; returns how many."""
    m = s.mech[t]
    count = 0
    for i in range(s.idea_stage.shape[0]):
        if s.idea_stage[i] == stage and t - s.idea_t_stage[i] >= stage_duration(
                m[Mech.DUR_SCREEN + stage], s.idea_sponsored[i], m[Mech.SPONSOR_SPEED]):
            s.due[count] = i
            s.priority[count] = idea_priority(s.idea_sponsored[i], s.idea_t_submit[i], i,
                                              s.idea_stage.shape[0])
            count += 1
    order = np.argsort(s.priority[:count])
    s.due[:count] = s.due[:count][order]
    return count


@njit(cache=True)
def _launch(s, i, key_code):
    """R5a: idea ``i`` is launched: its lead time is recorded and the code absorbs it."""
    s.counts[Count.LAUNCHES] += 1
    s.lead_hist[s.t - s.idea_t_submit[i]] += 1
    if s.idea_origin[i] != s.unit[i]:
        s.tally[Tally.CROSSED] += 1
    s.code = absorb(s.code, s.idea_solution[i], s.dep.shape[0], s.mech[s.t, Mech.P_ABSORB],
                    key_code, i)


@njit(cache=True)
def stage_gate(s, key_gate, key_code):
    """R5c, R5s, R5p, R5w, R5g, R5f, R5a: later stages first, each reviews its due ideas in priority
    order up to its capacity; an idea that no longer beats the deployed solution is withdrawn; a
    pilot that passes is launched, and the best launch of the step is deployed."""
    t = s.t
    m = s.mech[t]
    capacity = reviews_allowed(m[Mech.CAPACITY], t)
    # R5f: a pilot runs with the customers who adopted: their feedback sharpens its gate
    pilot_noise = m[Mech.GATE_NOISE] / (1.0 + s.const[Const.REL_FEEDBACK] * s.adopted_share)
    new_deployed, new_fitness = s.deployed, s.deployed_fitness
    for stage in (Stage.PILOT, Stage.DEVELOP, Stage.SCREEN):
        count = _queue(s, stage, t)
        if count == 0 or capacity == 0:
            continue
        reviewed = 0
        for r in range(count):
            if reviewed == capacity:
                break
            i = s.due[r]
            idea_fit = fitness_of(s, s.idea_solution[i])
            if withdrawn(idea_fit, s.deployed_fitness):
                s.idea_stage[i] = Stage.NONE
                continue
            reviewed += 1
            noise = pilot_noise if stage == Stage.PILOT else m[Mech.GATE_NOISE]
            if not gate_passes(idea_fit - s.deployed_fitness, noise, s.contacts[i],
                               s.const[Const.REL_CONTACT], s.const[Const.GATE_BAR], key_gate, i,
                               stage):
                s.idea_stage[i] = Stage.NONE
                continue
            if stage < Stage.PILOT:
                s.idea_stage[i] = stage + 1
                s.idea_t_stage[i] = t
                continue
            s.idea_stage[i] = Stage.NONE
            _launch(s, i, key_code)
            if idea_fit > new_fitness:
                new_deployed, new_fitness = s.idea_solution[i], idea_fit
    s.deployed, s.deployed_fitness = new_deployed, new_fitness
    s.code_fitness = fitness_of(s, s.code)


@njit(cache=True)
def march_code(s, key_act, key_code):
    """R5n, R5m: March (1991): the code learns from the superior group, the employees whose action
    (coin flips where undecided) scores above the code's expected score; the code is deployed."""
    nk_n = s.dep.shape[0]
    code_score = expected_fitness(s.code, s.code_known, s.dep, s.table, s.max_score, s.exponent)
    n_superior = 0
    s.ones[:] = 0
    for i in range(s.solution.shape[0]):
        action = act(s.solution[i], s.known[i], nk_n, key_act, i)
        action_fit = s.fitness[i] if action == s.solution[i] else fitness_of(s, action)
        if action_fit > code_score:
            n_superior += 1
            for b in range(nk_n):
                s.ones[b] += (action >> b) & 1
    code, known = code_learn(s.code, s.code_known, s.ones, n_superior, nk_n,
                             s.mech[s.t, Mech.P_CODE_LEARN], key_code)
    if code != s.code or known != s.code_known:
        s.counts[Count.LAUNCHES] = 1
        s.code, s.code_known = code, known
        s.code_fitness = fitness_of(s, code)
        s.deployed, s.deployed_fitness = s.code, s.code_fitness
