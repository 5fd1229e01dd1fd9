"""Per-step series and per-run outcomes (docs/ODD.md section 7.8)."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Series(IntEnum):
    """Columns of the per-step series written by phase 8 (state after the step)."""

    DEPLOYED_FITNESS = 0
    BEST_FITNESS = 1  # best known anywhere: any employee, the deployed solution or the code
    CODE_FITNESS = 2
    MEAN_FITNESS = 3  # mean over employees
    IDEAS_SCREEN = 4
    IDEAS_DEVELOP = 5
    IDEAS_PILOT = 6
    SUBMISSIONS = 7
    LAUNCHES = 8
    PLATFORM_USERS = 9  # share of employees who are active users
    LAPSES = 10
    HERO_SHARE = 11
    PARTICIPATION = 12  # share of current employees who ever submitted
    CUSTOMER_ADOPTION = 13  # share of customers
    ADVOCATES = 14
    TURBULENCE = 15  # 1 if the market moved this step
    LOCKED_SHARE = 16
    ROGUE_SHARE = 17
    DISENFRANCHISED_SHARE = 18
    LAPSED_USERS = 19  # share of employees who lapsed
    NON_USERS = 20  # share of employees who never used the platform (or are newcomers)
    CODE_KNOWLEDGE = 21  # (code bits agreeing with the optimum - disagreeing) / nk_n; undecided: 0
    CONVERGED = 22  # 1 when every employee's beliefs equal the code's (March's equilibrium)


SERIES_NAMES = [s.name.lower() for s in Series]


class Tally(IntEnum):
    """Run-level counters the kernel accumulates besides the series."""

    LAUNCHES = 0
    CROSSED = 1  # launches whose solution came from another unit than the submitter's
    INITIAL_DEPLOYED = 2
    STEPS_RUN = 3  # fewer than the horizon when the run stopped at equilibrium


def percentile_from_hist(hist: np.ndarray, q: float) -> float:
    """The q-quantile (lower, 0 <= q <= 1) of integer values counted in ``hist``; NaN if empty."""
    total = hist.sum()
    if total == 0:
        return float("nan")
    cum = np.cumsum(hist)
    return float(np.searchsorted(cum, q * total, side="left"))


def outcomes(series: np.ndarray, lead_hist: np.ndarray, tally: np.ndarray,
             target_fitness: float) -> dict:
    """Per-run outcomes from the series (steps, len(Series)), the lead-time histogram and tallies.

    innovation_speed: steps until the deployed fitness first reaches target_fitness (0 if it
    starts there); when it never does, the horizon, with ``innovation_censored`` True.
    """
    steps = series.shape[0]
    deployed = series[:, Series.DEPLOYED_FITNESS]
    initial = float(tally[Tally.INITIAL_DEPLOYED])
    if initial >= target_fitness:
        speed, censored = 0, False
    else:
        hit = np.nonzero(deployed >= target_fitness)[0]
        speed, censored = (int(hit[0]) + 1, False) if hit.size else (steps, True)
    launches = int(tally[Tally.LAUNCHES])
    adoption = series[:, Series.CUSTOMER_ADOPTION]
    return {
        "innovation_speed": speed,
        "innovation_censored": censored,
        "launches_per_year": launches / (steps / 52.0),
        "lead_time_median": percentile_from_hist(lead_hist, 0.5),
        "lead_time_p90": percentile_from_hist(lead_hist, 0.9),
        "final_fitness": float(deployed[-1]),
        "mean_fitness": float(deployed.mean()),
        "customer_value": float((adoption * deployed).sum()),
        "final_platform_adoption": float(series[-1, Series.PLATFORM_USERS]),
        "final_hero_share": float(series[-1, Series.HERO_SHARE]),
        "crossed_unit_share": (float(tally[Tally.CROSSED]) / launches) if launches else 0.0,
        "launches": launches,
    }


OUTCOME_NAMES = (
    "innovation_speed", "innovation_censored", "launches_per_year", "lead_time_median",
    "lead_time_p90", "final_fitness", "mean_fitness", "customer_value",
    "final_platform_adoption", "final_hero_share", "crossed_unit_share", "launches",
)
