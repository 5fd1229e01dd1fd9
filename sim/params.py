"""Flatten a validated scenario into the numeric inputs shared by the kernel and the Mesa model.

This is the one place that maps parameter names to array positions (ODD section 7.2). Lever levels
are computed per step (schedule mode switches levers on over time), passed through the saturating
response curve, and interpolated between each mechanism's ``[at 0, at 1]`` pair, giving the table
``mech[step, Mech.X]``. Constants go into ``const[Const.X]`` and rule-set codes into integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sim.config import LEVERS, Scenario
from sim.enums import AdoptionRule, FeedRule, FunnelRule, Lever, SearchRule, SocializationRule


class Mech(IntEnum):
    """Columns of the per-step mechanism table (lever-moved parameters)."""

    CAPACITY = 0  # reviews per stage per step (whole population)
    GATE_NOISE = 1
    DUR_SCREEN = 2
    DUR_DEVELOP = 3
    DUR_PILOT = 4
    P_ABSORB = 5
    P_CODE_LEARN = 6
    N_ADVOCATES = 7  # employees ranked below this are advocates
    W_ADVOCATE = 8
    SPONSOR_SPEED = 9
    P_EMPOWER = 10
    P_SHARE = 11
    P_SUBMIT = 12
    P_ACCEPT_WORSE = 13
    P_LAPSE = 14
    P_EXT = 15
    PLATFORM_TIES = 16
    P_FEED = 17
    P_RESOURCEFUL = 18
    FIDELITY = 19  # share of copy errors an active user avoids
    REACH = 20  # share of employees the platform reaches
    P_SOCIALIZE = 21
    REL_SHARE_ADVOCATE = 22


# (Mech column, lever, section, field); capacity and advocates are scaled below
_MAP = (
    (Mech.CAPACITY, Lever.PROCESS, "process", "capacity"),
    (Mech.GATE_NOISE, Lever.PROCESS, "process", "gate_noise"),
    (Mech.DUR_SCREEN, Lever.PROCESS, "process", "dur_screen"),
    (Mech.DUR_DEVELOP, Lever.PROCESS, "process", "dur_develop"),
    (Mech.DUR_PILOT, Lever.PROCESS, "process", "dur_pilot"),
    (Mech.P_ABSORB, Lever.PROCESS, "process", "p_absorb"),
    (Mech.P_CODE_LEARN, Lever.PROCESS, "process", "p_code_learn"),
    (Mech.N_ADVOCATES, Lever.ADVOCATES, "advocates", "share"),
    (Mech.W_ADVOCATE, Lever.ADVOCATES, "advocates", "weight"),
    (Mech.SPONSOR_SPEED, Lever.ADVOCATES, "advocates", "sponsor_speed"),
    (Mech.REL_SHARE_ADVOCATE, Lever.ADVOCATES, "advocates", "rel_share"),
    (Mech.P_EMPOWER, Lever.CULTURE, "culture", "p_empower"),
    (Mech.P_SHARE, Lever.CULTURE, "culture", "p_share"),
    (Mech.P_SUBMIT, Lever.CULTURE, "culture", "p_submit"),
    (Mech.P_ACCEPT_WORSE, Lever.CULTURE, "culture", "p_accept_worse"),
    (Mech.P_LAPSE, Lever.CULTURE, "culture", "p_lapse"),
    (Mech.P_SOCIALIZE, Lever.CULTURE, "culture", "p_socialize"),
    (Mech.P_EXT, Lever.TECHNOLOGY, "technology", "p_ext"),
    (Mech.PLATFORM_TIES, Lever.TECHNOLOGY, "technology", "platform_ties"),
    (Mech.P_FEED, Lever.TECHNOLOGY, "technology", "p_feed"),
    (Mech.P_RESOURCEFUL, Lever.TECHNOLOGY, "technology", "p_resourceful"),
    (Mech.FIDELITY, Lever.TECHNOLOGY, "technology", "fidelity"),
    (Mech.REACH, Lever.TECHNOLOGY, "technology", "reach"),
)


class Const(IntEnum):
    """Positions of the constant parameters in ``const``."""

    VELOCITY = 0
    Q_ADOPT = 1
    N_FLIP_HERO = 2
    REL_SHARE_HERO = 3
    REL_SUBMIT_HERO = 4
    REL_SUBMIT_LOCKED = 5
    REL_SUBMIT_ROGUE = 6
    REL_SUBMIT_DISENFRANCHISED = 7
    REL_CONTACT = 8
    P_BELIEF = 9
    P_TURNOVER = 10
    P_VALUE = 11
    REL_VALUE = 12
    Q_WOM = 13
    GATE_BAR = 14
    P_TURBULENCE = 15
    SHARE_HERO = 16
    SHARE_LOCKED = 17
    SHARE_ROGUE = 18
    TARGET_FITNESS = 19
    REL_INFLUENCER = 20
    COPY_ERROR = 21
    JUDGE_NOISE = 22
    REL_FEEDBACK = 23
    P_SOCIALIZE_SLOW = 24
    FEED_WINDOW = 25
    P_WORK = 26


def response(level: np.ndarray, shape: float) -> np.ndarray:
    """Saturating response curve mapping a lever level in [0, 1] to an effect in [0, 1].

    ``(1 - exp(-shape * level)) / (1 - exp(-shape))``; linear when ``shape`` is 0. Diminishing returns:
    the first units of investment move a mechanism most.
    """
    level = np.asarray(level, dtype=np.float64)
    if shape < 1e-9:
        return level.copy()
    return -np.expm1(-shape * level) / -np.expm1(-shape)


def lever_levels(cfg: Scenario, steps: int) -> np.ndarray:
    """Lever levels per step, float64 (steps, 4) in the order of :class:`Lever`."""
    lv = cfg.levers
    out = np.empty((steps, 4), dtype=np.float64)
    if lv.mode == "direct":
        out[:] = [getattr(lv, name) for name in LEVERS]
    elif lv.mode == "budget":
        out[:] = [min(1.0, lv.budget.total * getattr(lv.budget, name)) for name in LEVERS]
    else:
        sch = lv.schedule
        t = np.arange(steps)
        for name, start in zip(sch.order, sch.starts, strict=True):
            out[:, LEVERS.index(name)] = np.where(t >= start, sch.level_on, sch.level_off)
    return out


def mechanism_table(cfg: Scenario, steps: int) -> np.ndarray:
    """Mechanism parameters per step, float64 (steps, len(Mech))."""
    effect = response(lever_levels(cfg, steps), cfg.levers.shape)
    mech = np.empty((steps, len(Mech)), dtype=np.float64)
    for col, lever, section, field in _MAP:
        at0, at1 = getattr(getattr(cfg, section), field)
        mech[:, col] = at0 + (at1 - at0) * effect[:, lever]
    n = cfg.population.n_employees
    mech[:, Mech.CAPACITY] *= n / 1000.0
    mech[:, Mech.N_ADVOCATES] = np.round(mech[:, Mech.N_ADVOCATES] * n)
    return mech


def constants(cfg: Scenario) -> np.ndarray:
    """Constant parameters, float64 (len(Const),)."""
    b, c, p = cfg.behaviour, cfg.customers, cfg.population
    values = {
        Const.VELOCITY: b.velocity, Const.P_WORK: b.p_work, Const.Q_ADOPT: b.q_adopt,
        Const.N_FLIP_HERO: b.n_flip_hero,
        Const.REL_SHARE_HERO: b.rel_share_hero, Const.REL_SUBMIT_HERO: b.rel_submit[0],
        Const.REL_SUBMIT_LOCKED: b.rel_submit[1], Const.REL_SUBMIT_ROGUE: b.rel_submit[2],
        Const.REL_SUBMIT_DISENFRANCHISED: b.rel_submit[3], Const.REL_CONTACT: b.rel_contact,
        Const.P_TURNOVER: b.p_turnover,
        Const.P_VALUE: c.p_value, Const.REL_VALUE: c.rel_value, Const.Q_WOM: c.q_wom,
        Const.GATE_BAR: cfg.process.gate_bar, Const.P_TURBULENCE: cfg.landscape.p_turbulence,
        Const.SHARE_HERO: p.share_hero, Const.SHARE_LOCKED: p.share_locked,
        Const.SHARE_ROGUE: p.share_rogue, Const.TARGET_FITNESS: cfg.run.target_fitness,
        Const.REL_INFLUENCER: p.rel_influencer, Const.P_BELIEF: b.p_belief,
        Const.COPY_ERROR: b.copy_error, Const.JUDGE_NOISE: b.judge_noise,
        Const.REL_FEEDBACK: c.rel_feedback, Const.P_SOCIALIZE_SLOW: b.p_socialize_slow,
        Const.FEED_WINDOW: cfg.technology.feed_window,
    }
    out = np.empty(len(Const), dtype=np.float64)
    for k, v in values.items():
        out[k] = v
    return out


def socialization_table(mech: np.ndarray, const: np.ndarray, nk_n: int) -> np.ndarray:
    """R6a's chance that none of ``j`` bits is socialized, (1 - p)**j for j = 0..nk_n, float64
    (steps + 1, nk_n + 1): row t at step t's Culture rate, the last row at the slow learners'
    rate. Made by repeated products, which round the same way on every platform."""
    p = np.append(mech[:, Mech.P_SOCIALIZE], const[Const.P_SOCIALIZE_SLOW])
    out = np.ones((p.size, nk_n + 1))
    out[:, 1:] = np.cumprod(np.repeat((1.0 - p)[:, None], nk_n, axis=1), axis=1)
    return out


@dataclass(frozen=True)
class Inputs:
    """Everything numeric a run needs besides the population, graph and landscape."""

    mech: np.ndarray
    const: np.ndarray
    soc_stay: np.ndarray  # socialization_table
    adoption_rule: int
    funnel_rule: int
    socialization_rule: int
    feed_rule: int
    search_rule: int
    code_blank: int  # 1: the code starts with every belief undecided
    reality: int  # 1: the landscape is March's reality (turbulence flips bits)
    stop_converged: int  # 1: stop at the first step every employee's beliefs equal the code's


def build_inputs(cfg: Scenario, steps: int) -> Inputs:
    mech, const = mechanism_table(cfg, steps), constants(cfg)
    return Inputs(
        mech=mech,
        const=const,
        soc_stay=socialization_table(mech, const, cfg.landscape.nk_n),
        adoption_rule=int(AdoptionRule[cfg.rules.adoption.upper()]),
        funnel_rule=int(FunnelRule[cfg.rules.funnel.upper()]),
        socialization_rule=int(SocializationRule[cfg.rules.socialization.upper()]),
        feed_rule=int(FeedRule[cfg.rules.feed.upper()]),
        search_rule=int(SearchRule[cfg.rules.search.upper()]),
        code_blank=int(cfg.rules.code_start == "blank"),
        reality=int(cfg.landscape.kind == "reality"),
        stop_converged=int(cfg.run.stop_at_equilibrium),
    )
