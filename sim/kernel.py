"""The Numba kernel: all eight phases of a step over struct-of-arrays state (ODD section 3.3).

Private ``_njit`` loops taking arrays and scalars only; every decision is a call into ``sim.rules``
with a counter-based draw, so the Mesa formulation (``sim.model``) makes the same ones. Updates are
synchronous within a phase: a phase reads the state the previous phase left and writes new arrays,
swapped in at the end of the phase.

``run_kernel`` arguments, in order (shapes; dtypes):
    state:  unit (E; i8), empowered0, resourceful0 (E; bool), influencer (C; bool),
            threshold (E; f8), platform0 (E; i8), p_soc (E; f8)
    graph:  indptr (E+C+1; i8), nbr, kind, eu (D; i8, i1, f8), adv_rank, contacts (E; i8)
    landscape: dep (N, K+1; i8), table (N, 2**(K+1); f8, copied), max_score, exponent (f8),
            optimum (int)
    params: mech (steps, len(Mech); f8), const (len(Const); f8), adoption_rule, funnel_rule,
            soc_rule, code_blank, reality, stop_converged (int)
    seed:   int >= 0
    outputs: series (steps, len(Series); f8), lead_hist (steps + 1; i8), tally (len(Tally); f8)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.landscape import expected_fitness, fitness, flip_row, global_max_score, redraw_row
from sim.metrics import Series, Tally
from sim.params import Const, Mech
from sim.rng import Stream, step_key
from sim.rules.advocates import idea_priority, is_advocate, stage_duration, tie_weight
from sim.rules.culture import (
    empowered_next,
    group,
    leaves,
    newcomer_flags,
    shares_next,
    socialize,
    submits,
)
from sim.rules.market import customer_adopts, reality_flips, turbulence_row, wom_weight
from sim.rules.process import absorb, act, code_knowledge, code_learn, gate_passes, reviews_allowed, withdrawn
from sim.rules.search import (
    KNOWN_SLOT,
    NEWCOMER_KNOWN_SLOT,
    NEWCOMER_SLOT,
    better_source,
    origin_after_search,
    random_known,
    random_solution,
    search,
    works,
)
from sim.rules.technology import (
    ACTIVE,
    LAPSED,
    NON_USER,
    platform_next,
    resourceful_next,
    sees_feed,
    tie_active,
)

# IntEnum values as plain ints for the jitted code
EMP_CUST = 4
CUST_CUST = 5
STAGE_GATE = 0
MARCH_CODE = 1
SCREEN, DEVELOP, PILOT = 0, 1, 2
S_PLATFORM = int(Stream.PLATFORM)
S_EMPOWER = int(Stream.EMPOWER)
S_SEARCH = int(Stream.SEARCH)
S_SHARE = int(Stream.SHARE)
S_SUBMIT = int(Stream.SUBMIT)
S_GATE = int(Stream.GATE)
S_CODE = int(Stream.CODE)
S_SOCIALIZE = int(Stream.SOCIALIZE)
S_TURNOVER = int(Stream.TURNOVER)
S_CUSTOMER = int(Stream.CUSTOMER)
S_TURBULENCE = int(Stream.TURBULENCE)
S_FEED = int(Stream.FEED)
S_INIT = int(Stream.INIT_SOLUTION)
S_ACT = int(Stream.ACT)


@njit(cache=True)
def run_kernel(unit, empowered0, resourceful0, influencer, threshold, platform0, p_soc,
               indptr, nbr, kind, eu, adv_rank, contacts,
               dep, table0, max_score0, exponent, optimum0,
               mech, const, adoption_rule, funnel_rule, soc_rule, code_blank, reality, stop_converged,
               seed,
               series, lead_hist, tally):
    """Run ``series.shape[0]`` steps; fill ``series``, ``lead_hist`` and ``tally`` in place."""
    n_emp = unit.shape[0]
    n_cust = influencer.shape[0]
    nk_n = dep.shape[0]
    steps = series.shape[0]
    table = table0.copy()
    max_score = max_score0
    optimum = optimum0
    full = (1 << nk_n) - 1

    emp = empowered0.copy()
    res = resourceful0.copy()
    plat = platform0.copy()
    plat_new = np.zeros(n_emp, np.int64)
    sol = np.zeros(n_emp, np.int64)
    known = np.zeros(n_emp, np.int64)
    fit = np.zeros(n_emp, np.float64)
    sol_new = np.zeros(n_emp, np.int64)
    fit_new = np.zeros(n_emp, np.float64)
    shared = np.zeros(n_emp, np.bool_)
    shared_new = np.zeros(n_emp, np.bool_)
    origin = unit.copy()
    origin_new = unit.copy()
    ever = np.zeros(n_emp, np.bool_)
    idea_stage = np.full(n_emp, -1, np.int64)
    idea_sol = np.zeros(n_emp, np.int64)
    idea_t_submit = np.zeros(n_emp, np.int64)
    idea_t_stage = np.zeros(n_emp, np.int64)
    idea_sponsored = np.zeros(n_emp, np.bool_)
    idea_origin = np.zeros(n_emp, np.int64)
    buf = np.zeros(n_emp, np.int64)
    pri = np.zeros(n_emp, np.int64)
    ones = np.zeros(nk_n, np.int64)
    cust = np.zeros(n_cust, np.bool_)
    cust_new = np.zeros(n_cust, np.bool_)

    # R0: initial solutions; the deployed solution and the code start as one more random solution
    k0 = step_key(seed, S_INIT, 0)
    p_belief = const[Const.P_BELIEF]
    for i in range(n_emp):
        known[i] = random_known(nk_n, p_belief, k0, i, KNOWN_SLOT)
        sol[i] = random_solution(nk_n, k0, i, 0) & known[i]
        fit[i] = fitness(sol[i], dep, table, max_score, exponent)
    deployed = random_solution(nk_n, k0, n_emp, 0)
    dep_fit = fitness(deployed, dep, table, max_score, exponent)
    code = 0 if code_blank else deployed
    code_known = 0 if code_blank else full
    code_fit = fitness(code, dep, table, max_score, exponent)
    fit0 = dep_fit
    tally[Tally.INITIAL_DEPLOYED] = dep_fit

    velocity = const[Const.VELOCITY]
    q_adopt = const[Const.Q_ADOPT]
    n_flip_hero = int(const[Const.N_FLIP_HERO])
    rel_share_hero = const[Const.REL_SHARE_HERO]
    rel_contact = const[Const.REL_CONTACT]
    p_turnover = const[Const.P_TURNOVER]
    rel_inf = const[Const.REL_INFLUENCER]

    for t in range(steps):
        m = mech[t]
        n_adv = m[Mech.N_ADVOCATES]
        w_adv = m[Mech.W_ADVOCATE]
        ties = m[Mech.PLATFORM_TIES]

        # --- Phase 1: platform adoption (R1) ---
        key = step_key(seed, S_PLATFORM, t)
        lapses = 0
        for i in range(n_emp):
            share = 0.0
            if plat[i] != ACTIVE:  # an active user's decision does not depend on the share
                wa = 0.0
                wt = 0.0
                for e in range(indptr[i], indptr[i + 1]):
                    kd = kind[e]
                    if kd >= EMP_CUST:
                        break
                    j = nbr[e]
                    if not tie_active(kd, eu[e], plat[i], plat[j], adv_rank[i], adv_rank[j],
                                      n_adv, ties):
                        continue
                    w = tie_weight(is_advocate(adv_rank[j], n_adv), w_adv)
                    wt += w
                    if plat[j] == ACTIVE:
                        wa += w
                if wt > 0.0:
                    share = wa / wt
            plat_new[i] = platform_next(adoption_rule, plat[i], share, m[Mech.P_EXT], q_adopt,
                                        threshold[i], m[Mech.P_LAPSE], key, i)
            if plat_new[i] == LAPSED and plat[i] == ACTIVE:
                lapses += 1
        plat, plat_new = plat_new, plat

        # --- Phase 2: empowerment (R2a culture, R2b technology) ---
        key = step_key(seed, S_EMPOWER, t)
        for i in range(n_emp):
            e_new = empowered_next(emp[i], m[Mech.P_EMPOWER], key, i)
            res[i] = resourceful_next(res[i], plat[i], m[Mech.P_RESOURCEFUL], key, i)
            emp[i] = e_new

        # --- Phase 3: search (R3) and sharing (R3s) ---
        feed = -1  # the best solution shared by an active user; lowest index wins ties
        for i in range(n_emp):
            if shared[i] and plat[i] == ACTIVE and better_source(fit[i], feed >= 0, fit[feed]):
                feed = i
        key = step_key(seed, S_SEARCH, t)
        kfeed = step_key(seed, S_FEED, t)
        kshare = step_key(seed, S_SHARE, t)
        for i in range(n_emp):
            sol_new[i] = sol[i]
            fit_new[i] = fit[i]
            origin_new[i] = origin[i]
            hero = emp[i] and res[i]
            if works(velocity, key, i):
                best = -1
                for e in range(indptr[i], indptr[i + 1]):
                    kd = kind[e]
                    if kd >= EMP_CUST:
                        break
                    j = nbr[e]
                    if shared[j] and better_source(fit[j], best >= 0, fit[best]) and tie_active(
                            kd, eu[e], plat[i], plat[j], adv_rank[i], adv_rank[j], n_adv, ties):
                        best = j
                if feed >= 0 and feed != i and sees_feed(plat[i], m[Mech.P_FEED], kfeed, i):
                    if better_source(fit[feed], best >= 0, fit[best]):
                        best = feed
                bsol = sol[i] if best < 0 else sol[best]
                bfit = -1.0 if best < 0 else fit[best]
                s2, f2, copied = search(sol[i], fit[i], bsol, bfit, hero, emp[i], n_flip_hero,
                                        m[Mech.COPY_ERROR], m[Mech.P_ACCEPT_WORSE], dep, table,
                                        max_score, exponent, key, i)
                sol_new[i] = s2
                fit_new[i] = f2
                known[i] |= s2 ^ sol[i]  # bits search changes become decided
                origin_new[i] = origin_after_search(origin[i], origin[best], unit[i], copied,
                                                    s2 != sol[i])
            shared_new[i] = shares_next(hero, m[Mech.P_SHARE], rel_share_hero, kshare, i)
        sol, sol_new = sol_new, sol
        fit, fit_new = fit_new, fit
        origin, origin_new = origin_new, origin
        shared, shared_new = shared_new, shared

        # --- Phase 4: submission (R4) ---
        submissions = 0
        if funnel_rule == STAGE_GATE:
            key = step_key(seed, S_SUBMIT, t)
            for i in range(n_emp):
                if idea_stage[i] >= 0:
                    continue
                if submits(group(emp[i], res[i]), fit[i], dep_fit, m[Mech.P_SUBMIT],
                           const[Const.REL_SUBMIT_HERO], const[Const.REL_SUBMIT_LOCKED],
                           const[Const.REL_SUBMIT_ROGUE], const[Const.REL_SUBMIT_DISENFRANCHISED],
                           key, i):
                    sponsored = is_advocate(adv_rank[i], n_adv)
                    for e in range(indptr[i], indptr[i + 1]):
                        if kind[e] >= EMP_CUST or sponsored:
                            break
                        j = nbr[e]
                        if is_advocate(adv_rank[j], n_adv) and tie_active(
                                kind[e], eu[e], plat[i], plat[j], adv_rank[i], adv_rank[j],
                                n_adv, ties):
                            sponsored = True
                    idea_stage[i] = SCREEN
                    idea_sol[i] = sol[i]
                    idea_t_submit[i] = t
                    idea_t_stage[i] = t
                    idea_sponsored[i] = sponsored
                    idea_origin[i] = origin[i]
                    ever[i] = True
                    submissions += 1

        # --- Phase 5: the funnel (R5) ---
        code_start = code  # socialization (phase 6) reads the code as it stood at step t
        code_known_start = code_known
        launches = 0
        if funnel_rule == STAGE_GATE:
            kgate = step_key(seed, S_GATE, t)
            kcode = step_key(seed, S_CODE, t)
            cap = reviews_allowed(m[Mech.CAPACITY], t)
            new_dep = deployed
            new_fit = dep_fit
            for s in range(PILOT, SCREEN - 1, -1):  # later stages first
                dur = m[Mech.DUR_SCREEN + s]
                cnt = 0
                for i in range(n_emp):
                    if idea_stage[i] == s and t - idea_t_stage[i] >= stage_duration(
                            dur, idea_sponsored[i], m[Mech.SPONSOR_SPEED]):
                        buf[cnt] = i
                        pri[cnt] = idea_priority(idea_sponsored[i], idea_t_submit[i], i, n_emp)
                        cnt += 1
                if cnt == 0 or cap == 0:
                    continue
                order = np.argsort(pri[:cnt])
                reviewed = 0
                for r in range(cnt):
                    if reviewed == cap:
                        break
                    i = buf[order[r]]
                    ifit = fitness(idea_sol[i], dep, table, max_score, exponent)
                    if withdrawn(ifit, dep_fit):
                        idea_stage[i] = -1
                        continue
                    reviewed += 1
                    if not gate_passes(ifit - dep_fit, m[Mech.GATE_NOISE], contacts[i],
                                       rel_contact, const[Const.GATE_BAR], kgate, i, s):
                        idea_stage[i] = -1
                        continue
                    if s < PILOT:
                        idea_stage[i] = s + 1
                        idea_t_stage[i] = t
                        continue
                    idea_stage[i] = -1  # launched
                    launches += 1
                    lead_hist[t - idea_t_submit[i]] += 1
                    if idea_origin[i] != unit[i]:
                        tally[Tally.CROSSED] += 1
                    code = absorb(code, idea_sol[i], nk_n, m[Mech.P_ABSORB], kcode, i)
                    if ifit > new_fit:
                        new_dep = idea_sol[i]
                        new_fit = ifit
            deployed = new_dep
            dep_fit = new_fit
            code_fit = fitness(code, dep, table, max_score, exponent)
        elif funnel_rule == MARCH_CODE:
            kact = step_key(seed, S_ACT, t)
            # R5n: individuals act (coin flips where undecided); the code is scored by the
            # expected score of acting on it, undecided bits counting half
            code_act_fit = expected_fitness(code, code_known, dep, table, max_score, exponent)
            n_sup = 0
            ones[:] = 0
            for i in range(n_emp):
                a = act(sol[i], known[i], nk_n, kact, i)
                afit = fit[i] if a == sol[i] else fitness(a, dep, table, max_score, exponent)
                if afit > code_act_fit:
                    n_sup += 1
                    for b in range(nk_n):
                        ones[b] += (a >> b) & 1
            new_code, new_known = code_learn(code, code_known, ones, n_sup, nk_n,
                                             m[Mech.P_CODE_LEARN], step_key(seed, S_CODE, t))
            if new_code != code or new_known != code_known:
                launches = 1
                code = new_code
                code_known = new_known
                code_fit = fitness(code, dep, table, max_score, exponent)
                deployed = code
                dep_fit = code_fit
        tally[Tally.LAUNCHES] += launches

        # --- Phase 6: organisational learning: socialization (R6a), turnover (R6b, R6c) ---
        ksoc = step_key(seed, S_SOCIALIZE, t)
        kturn = step_key(seed, S_TURNOVER, t)
        for i in range(n_emp):
            s2, k2 = socialize(sol[i], known[i], code_start, code_known_start, nk_n, p_soc[i],
                               soc_rule, ksoc, i)
            known[i] = k2
            if s2 != sol[i]:
                sol[i] = s2
                fit[i] = fitness(s2, dep, table, max_score, exponent)
            if leaves(p_turnover, kturn, i):
                emp[i], res[i] = newcomer_flags(const[Const.SHARE_HERO], const[Const.SHARE_LOCKED],
                                                const[Const.SHARE_ROGUE], kturn, i)
                known[i] = random_known(nk_n, p_belief, kturn, i, NEWCOMER_KNOWN_SLOT)
                sol[i] = random_solution(nk_n, kturn, i, NEWCOMER_SLOT) & known[i]
                fit[i] = fitness(sol[i], dep, table, max_score, exponent)
                plat[i] = NON_USER
                shared[i] = False
                ever[i] = False
                origin[i] = unit[i]

        # --- Phase 7: customers (R7a), then market turbulence (R7b) ---
        key = step_key(seed, S_CUSTOMER, t)
        gain = dep_fit - fit0
        for c in range(n_cust):
            if cust[c]:
                cust_new[c] = True
                continue
            wa = 0.0
            wt = 0.0
            node = n_emp + c
            for e in range(indptr[node], indptr[node + 1]):
                if kind[e] != CUST_CUST:
                    continue
                j = nbr[e] - n_emp
                w = wom_weight(influencer[j], rel_inf)
                wt += w
                if cust[j]:
                    wa += w
            share = wa / wt if wt > 0.0 else 0.0
            cust_new[c] = customer_adopts(const[Const.P_VALUE], const[Const.REL_VALUE], gain,
                                          const[Const.Q_WOM], share, key, c)
        cust, cust_new = cust_new, cust

        key = step_key(seed, S_TURBULENCE, t)
        moved = False
        if reality:
            flips = reality_flips(const[Const.P_TURBULENCE], nk_n, key)
            for b in range(nk_n):
                if (flips >> b) & 1:
                    flip_row(table, b)
            moved = flips != 0
        else:
            row = turbulence_row(const[Const.P_TURBULENCE], nk_n, key)
            if row >= 0:
                redraw_row(table, row, key)
                moved = True
        if moved:
            max_score, optimum = global_max_score(dep, table)
            for i in range(n_emp):
                fit[i] = fitness(sol[i], dep, table, max_score, exponent)
            dep_fit = fitness(deployed, dep, table, max_score, exponent)
            code_fit = fitness(code, dep, table, max_score, exponent)

        # --- Phase 8: metrics ---
        best = max(dep_fit, code_fit)
        n_hero = 0
        n_locked = 0
        n_rogue = 0
        n_lapsed = 0
        n_users = 0
        n_ever = 0
        total_fit = 0.0
        for i in range(n_emp):
            if fit[i] > best:
                best = fit[i]
            total_fit += fit[i]
            if emp[i] and res[i]:
                n_hero += 1
            elif emp[i]:
                n_locked += 1
            elif res[i]:
                n_rogue += 1
            if plat[i] == ACTIVE:
                n_users += 1
            elif plat[i] == LAPSED:
                n_lapsed += 1
            if ever[i]:
                n_ever += 1
        n_screen = 0
        n_develop = 0
        n_pilot = 0
        for i in range(n_emp):
            st = idea_stage[i]
            if st == SCREEN:
                n_screen += 1
            elif st == DEVELOP:
                n_develop += 1
            elif st == PILOT:
                n_pilot += 1
        n_adopted = 0
        for c in range(n_cust):
            if cust[c]:
                n_adopted += 1
        row_out = series[t]
        row_out[Series.DEPLOYED_FITNESS] = dep_fit
        row_out[Series.BEST_FITNESS] = best
        row_out[Series.CODE_FITNESS] = code_fit
        row_out[Series.MEAN_FITNESS] = total_fit / n_emp
        row_out[Series.IDEAS_SCREEN] = n_screen
        row_out[Series.IDEAS_DEVELOP] = n_develop
        row_out[Series.IDEAS_PILOT] = n_pilot
        row_out[Series.SUBMISSIONS] = submissions
        row_out[Series.LAUNCHES] = launches
        row_out[Series.PLATFORM_USERS] = n_users / n_emp
        row_out[Series.LAPSES] = lapses
        row_out[Series.HERO_SHARE] = n_hero / n_emp
        row_out[Series.PARTICIPATION] = n_ever / n_emp
        row_out[Series.CUSTOMER_ADOPTION] = n_adopted / n_cust if n_cust > 0 else 0.0
        row_out[Series.ADVOCATES] = min(n_adv, n_emp)
        row_out[Series.TURBULENCE] = 1.0 if moved else 0.0
        row_out[Series.LOCKED_SHARE] = n_locked / n_emp
        row_out[Series.ROGUE_SHARE] = n_rogue / n_emp
        row_out[Series.DISENFRANCHISED_SHARE] = (n_emp - n_hero - n_locked - n_rogue) / n_emp
        row_out[Series.LAPSED_USERS] = n_lapsed / n_emp
        row_out[Series.NON_USERS] = (n_emp - n_users - n_lapsed) / n_emp
        row_out[Series.CODE_KNOWLEDGE] = code_knowledge(code, code_known, optimum, nk_n)
        converged = 1.0
        for i in range(n_emp):
            if known[i] != code_known or (sol[i] ^ code) & code_known != 0:
                converged = 0.0
                break
        row_out[Series.CONVERGED] = converged
        tally[Tally.STEPS_RUN] = t + 1
        if stop_converged and converged == 1.0:
            break
