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


TARGET_LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9)
"""Fixed targets (shares of the landscape maximum; fitness is normalised to [0, 1]) whose times are
kept for every run, besides the run's own ``target_fitness``."""


def target_tag(level: float) -> str:
    """0.5 -> '50': the suffix of the outcome columns of that target (percent of the maximum)."""
    return f"{round(level * 100):d}"


def deploy_columns(level: float) -> tuple[str, str]:
    """(time, censoring flag) columns of 'deployed fitness first >= level'."""
    return f"deploy_time_{target_tag(level)}", f"deploy_never_{target_tag(level)}"


def discover_columns(level: float) -> tuple[str, str]:
    """(time, censoring flag) columns of 'best fitness held anywhere first >= level'."""
    return f"discover_time_{target_tag(level)}", f"discover_never_{target_tag(level)}"


def first_reach(values: np.ndarray, target: float, at_start: bool) -> tuple[int, bool]:
    """(steps until ``values`` first reaches ``target``, censored): 0 when ``at_start`` (already
    there before step 1), else the 1-based step of the first row >= target; when no row is, the
    number of rows (the horizon) and True."""
    if at_start:
        return 0, False
    hit = np.nonzero(values >= target)[0]
    return (int(hit[0]) + 1, False) if hit.size else (values.shape[0], True)


def outcomes(series: np.ndarray, lead_hist: np.ndarray, tally: np.ndarray,
             target_fitness: float) -> dict:
    """Per-run outcomes from the series (steps, len(Series)), the lead-time histogram and tallies.

    innovation_speed: steps until the deployed fitness first reaches target_fitness (0 if it
    starts there); when it never does, the horizon, with ``innovation_censored`` True.
    discovery_time: the same for the best fitness held anywhere (Series.BEST_FITNESS: someone
    holds a solution at target, deployed or not), with ``discovery_censored``. The series starts
    after step 1, so a solution held by an employee before step 1 counts at step 1; only the
    deployed solution (the tally) is known before it, and the best includes the deployed, so
    discovery is never later than deployment.
    deploy_time_XX / deploy_never_XX and discover_time_XX / discover_never_XX: the same two times
    and flags for each fixed target in TARGET_LEVELS (XX = percent of the landscape maximum).
    """
    steps = series.shape[0]
    deployed = series[:, Series.DEPLOYED_FITNESS]
    best = series[:, Series.BEST_FITNESS]
    initial = float(tally[Tally.INITIAL_DEPLOYED])
    speed, censored = first_reach(deployed, target_fitness, initial >= target_fitness)
    found, never_found = first_reach(best, target_fitness, initial >= target_fitness)
    launches = int(tally[Tally.LAUNCHES])
    adoption = series[:, Series.CUSTOMER_ADOPTION]
    out = {
        "innovation_speed": speed,
        "innovation_censored": censored,
        "discovery_time": found,
        "discovery_censored": never_found,
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
    for level in TARGET_LEVELS:
        for (time, never), values in ((deploy_columns(level), deployed),
                                      (discover_columns(level), best)):
            out[time], out[never] = first_reach(values, level, initial >= level)
    return out


TIME_COLUMNS: tuple[tuple[str, str], ...] = (
    ("innovation_speed", "innovation_censored"), ("discovery_time", "discovery_censored"),
    *(cols for level in TARGET_LEVELS for cols in (deploy_columns(level), discover_columns(level))),
)
"""Every (time to target, censoring flag) pair of outcomes: times are int64 steps, flags bool."""

OUTCOME_NAMES = (
    "innovation_speed", "innovation_censored", "discovery_time", "discovery_censored",
    "launches_per_year", "lead_time_median", "lead_time_p90", "final_fitness", "mean_fitness",
    "customer_value", "final_platform_adoption", "final_hero_share", "crossed_unit_share",
    "launches",
    *(name for level in TARGET_LEVELS for name in (*deploy_columns(level), *discover_columns(level))),
)
