"""Ablations: for every mechanism a lever moves (and the customer paths and turbulence), a scenario
built to show it, the overrides that switch it off, and the outcome it is meant to move.

A case is data (:class:`Case`, the rows of :data:`CASES`); ``tests/test_ablation.py`` checks each
one and ``scripts/ablation_table.py`` prints them with more seeds. "Off" sets the mechanism's pair
to the same value at both ends (its informal-baseline value, or a null such as 0 where that is the
natural "mechanism absent") while the lever stays high (1.0, so the "on" arm has the pair's
full-investment value). Both arms run on the same seeds; the model's randomness is counter-based
per (seed, stream, step, agent, slot) (ARCHITECTURE.md invariant 2), so arm "on" and arm "off" of
one seed share every draw the mechanism does not touch: the differences are paired, and their 95%
t interval is the evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

BASE_SCENARIO = "baseline"
# small and quick: 200 employees in 4 units, 400 customers, a 12-bit landscape with K = 3
BASE = (
    "population.n_employees=200", "population.n_units=4", "population.n_customers=400",
    "landscape.nk_n=12", "landscape.nk_k=3",
)
# March's organisational code instead of the stage gate (R5n, R5m)
MARCH = ("rules.funnel=\"march_code\"",)
# March (1991) itself: a reality of 30 bits, no individual search, a blank code, March's
# socialization, no turnover or turbulence
MARCH_1991 = (*MARCH, "rules.search=\"none\"", "rules.code_start=\"blank\"",
              "rules.socialization=\"march\"", "landscape.kind=\"reality\"", "landscape.nk_n=30",
              "landscape.nk_k=0", "landscape.p_turbulence=0", "behaviour.p_turnover=0")
AGGREGATES = ("mean", "last", "sum")


@dataclass(frozen=True)
class Case:
    """One ablation: the mechanism (a schema key), the lever that moves it ("" when none does),
    the overrides that switch it off, the overrides that build a scenario where it shows (over
    :data:`BASE`; the lever is set to 1.0 on top), the outcome it is meant to move (a key of
    ``RunResult.outcomes``, or a time-series column aggregated over the steps by ``agg``), the
    expected sign of (off - on), and why."""

    mechanism: str
    lever: str
    off: tuple[str, ...]
    scenario: tuple[str, ...]
    outcome: str
    direction: int  # expected sign of (outcome with the mechanism off) - (with it on)
    why: str
    agg: str = ""  # "": ``outcome`` is a per-run outcome; else a series column and its aggregate
    steps: int = 104
    seeds: int = 16  # seeds the test uses (0 .. seeds - 1); the table script may use more
    xfail: str = ""  # non-empty: the mechanism shows no effect here; the reason (strict xfail)

    def __post_init__(self):
        from sim.metrics import OUTCOME_NAMES, SERIES_NAMES

        if self.direction not in (-1, 1):
            raise ValueError(f"{self.mechanism}: direction must be -1 or +1")
        if self.agg and self.agg not in AGGREGATES:
            raise ValueError(f"{self.mechanism}: agg must be '' or one of {AGGREGATES}")
        names = SERIES_NAMES if self.agg else OUTCOME_NAMES
        if self.outcome not in names:
            kind = "series column" if self.agg else "outcome"
            raise ValueError(f"{self.mechanism}: {self.outcome!r} is no {kind}")

    @property
    def name(self) -> str:
        """A short unique id: the mechanism and the outcome."""
        return f"{self.mechanism}->{self.outcome}"

    @property
    def outcome_label(self) -> str:
        return f"{self.outcome} (series, {self.agg})" if self.agg else self.outcome

    def overrides(self, arm: str) -> list[str]:
        """The overrides of arm "on" or "off" (applied in order: base, scenario, lever, off)."""
        if arm not in ("on", "off"):
            raise ValueError(f"arm must be 'on' or 'off', got {arm!r}")
        out = [*BASE, *self.scenario]
        if self.lever:
            out.append(f"levers.{self.lever}=1.0")
        if arm == "off":
            out.extend(self.off)
        return out

    def config(self, arm: str):
        from sim.scenario_files import load_scenario

        return load_scenario(BASE_SCENARIO, self.overrides(arm))


def value(result, outcome: str, agg: str = "") -> float:
    """The outcome of one run: an entry of its outcomes (``agg`` empty), or a time-series column
    aggregated over the steps (the series ``mean_fitness`` is the employees' mean, the outcome
    ``mean_fitness`` the deployed solution's time average)."""
    if not agg:
        return float(result.outcomes[outcome])
    col = result.timeseries[outcome].to_numpy(dtype=np.float64)
    return float({"mean": col.mean, "last": lambda: col[-1], "sum": col.sum}[agg]())


@dataclass(frozen=True)
class Effect:
    """Paired differences (off - on) over seeds, with their mean and 95% t interval. Seeds where
    the outcome is undefined in either arm (a median lead time without launches) are dropped."""

    case: Case
    diffs: np.ndarray
    on: np.ndarray = field(repr=False)
    off: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return int(self.diffs.shape[0])

    @property
    def mean(self) -> float:
        return float(self.diffs.mean()) if self.n else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        return t_interval(self.diffs)

    @property
    def shows(self) -> bool:
        """Does the 95% interval exclude 0 on the expected side?"""
        lo, hi = self.interval
        return lo > 0.0 if self.case.direction > 0 else hi < 0.0


def t_interval(diffs: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The t interval of the mean of ``diffs`` (NaN with fewer than 2)."""
    from scipy import stats

    n = diffs.shape[0]
    if n < 2:
        return math.nan, math.nan
    mean = float(diffs.mean())
    se = float(diffs.std(ddof=1)) / math.sqrt(n)
    if se == 0.0:
        return mean, mean
    h = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return mean - h, mean + h


def run_case(case: Case, seeds=None) -> Effect:
    """Both arms of ``case`` on each seed (default: ``range(case.seeds)``; common random
    numbers)."""
    from sim.engine import simulate

    seeds = range(case.seeds) if seeds is None else seeds
    cfg_on, cfg_off = case.config("on"), case.config("off")
    on, off = [], []
    for seed in seeds:
        on.append(value(simulate(cfg_on, seed=int(seed), steps=case.steps), case.outcome, case.agg))
        off.append(value(simulate(cfg_off, seed=int(seed), steps=case.steps), case.outcome,
                         case.agg))
    on_a, off_a = np.array(on), np.array(off)
    ok = np.isfinite(on_a) & np.isfinite(off_a)
    return Effect(case, off_a[ok] - on_a[ok], on_a[ok], off_a[ok])


# Scenario pieces. ISOLATED: ten units with no weak ties, no platform ties and no feed, so the
# advocates' brokerage ties are the only way across units (and a funnel with room for the ideas).
ISOLATED = ("population.n_units=10", "graph.k_inter=0", "graph.k_platform=0",
            "technology.p_feed=[0.0, 0.0]", "levers.process=1.0")
# a roomy funnel whose gates stay noisy whatever Process does: what the customer paths sharpen
NOISY_GATES = ("levers.process=1.0", "process.gate_noise=[0.3, 0.3]")
DURATIONS_OFF = ("process.dur_screen=[2.0, 2.0]", "process.dur_develop=[10.0, 10.0]",
                 "process.dur_pilot=[8.0, 8.0]")

CASES: list[Case] = [
    # --- Process ---
    Case("process.capacity", "process", ("process.capacity=[2.0, 2.0]",), (),
         "launches", -1,
         "reviews per stage per step: at the informal capacity ideas queue and are withdrawn "
         "before their review, so fewer launch", seeds=24),
    Case("process.gate_noise", "process", ("process.gate_noise=[0.25, 0.25]",), (),
         "launches", -1,
         "every idea reviewed beats the deployed solution; a noisy gate rejects many of them",
         seeds=24),
    Case("process.dur_screen/dur_develop/dur_pilot", "process", DURATIONS_OFF,
         ("advocates.sponsor_speed=[0.0, 0.0]",),
         "lead_time_median", 1,
         "longer stages: longer from submission to launch (sponsorship off, so stage times are "
         "the durations)"),
    Case("process.p_absorb", "process", ("process.p_absorb=[0.1, 0.1]",), (),
         "code_fitness", -1,
         "the code takes fewer bits of each launch, so it lags the launched solutions",
         agg="mean"),
    Case("process.p_code_learn", "process", ("process.p_code_learn=[0.1, 0.1]",), MARCH_1991,
         "code_knowledge", -1,
         "March's setting (reality, no individual search, blank code): the code learns slower "
         "from the superior group, so it knows less of reality over the first year",
         agg="mean", steps=52),
    # --- Advocates ---
    Case("advocates.share", "advocates", ("advocates.share=[0.01, 0.01]",), ISOLATED,
         "mean_fitness", -1,
         "fewer advocates: fewer brokerage ties active (and fewer sponsors), so good solutions "
         "spread less between isolated units: employees' mean fitness is lower", agg="mean",
         seeds=32),
    Case("advocates.weight", "advocates", ("advocates.weight=[1.0, 1.0]",),
         ("rules.adoption=\"threshold\"", "behaviour.phi=0.5", "technology.p_ext=[0.002, 0.002]",
          "levers.technology=1.0", "advocates.weight=[2.0, 10.0]"),
         "platform_users", -1,
         "threshold adoption with thresholds so high that only an advocate's weight can tip its "
         "colleagues: without the weight an adopting advocate starts no cascade", agg="mean",
         seeds=24),
    Case("advocates.rel_share", "advocates", ("advocates.rel_share=[1.0, 1.0]",),
         (*ISOLATED, "culture.p_share=[0.1, 0.1]", "advocates.share=[0.01, 0.1]",
          "landscape.nk_k=0"),
         "mean_fitness", -1,
         "advocates who share no more than others show their solutions less, to their unit and "
         "over their brokerage ties: good solutions spread slower between isolated units "
         "(smooth landscape, first year)", agg="mean", steps=52),
    Case("advocates.sponsor_speed", "advocates", ("advocates.sponsor_speed=[0.1, 0.1]",), (),
         "lead_time_median", 1,
         "a sponsored idea saves less of each stage's time, so lead times are longer"),
    Case("graph.k_advocate", "advocates", ("graph.k_advocate=0",), ISOLATED,
         "crossed_unit_share", -1,
         "without brokerage ties nothing crosses between isolated units: no launch comes from "
         "another unit", seeds=24),
    # --- Culture ---
    Case("culture.p_empower", "culture", ("culture.p_empower=[0.002, 0.002]",), (),
         "final_hero_share", -1,
         "fewer employees become empowered, so fewer rogues become HEROes"),
    Case("culture.p_share", "culture", ("culture.p_share=[0.05, 0.05]",), (),
         "mean_fitness", -1,
         "fewer solutions are visible to copy, so employees' solutions improve slower",
         agg="mean"),
    Case("culture.p_submit", "culture", ("culture.p_submit=[0.01, 0.01]",), (),
         "submissions", -1,
         "employees with a better solution submit it less often", agg="sum"),
    Case("culture.p_accept_worse", "culture", ("culture.p_accept_worse=[0.0, 0.0]",), (),
         "mean_fitness", 1,
         "tolerance of exploration: the empowered keep worse changes; without it employees' "
         "mean fitness is higher (the cost side; no benefit to the best fitness shows, see the "
         "report)", agg="mean", seeds=48),  # a small effect: 24 seeds missed it once the draws changed
    Case("culture.p_lapse", "culture", ("culture.p_lapse=[0.05, 0.05]",), (),
         "platform_users", -1,
         "more active users lapse, so fewer are active", agg="mean"),
    Case("culture.p_socialize", "culture", ("culture.p_socialize=[0.05, 0.05]",), (),
         "mean_fitness", -1,
         "conformity: employees take the code's bits faster; the code lags their solutions, so "
         "their mean fitness is lower", agg="mean", seeds=24),
    # --- Technology ---
    Case("technology.reach", "technology", ("technology.reach=[0.1, 0.1]",), (),
         "final_platform_adoption", -1,
         "the platform reaches only a tenth of the employees; only they can adopt it"),
    Case("technology.p_ext", "technology", ("technology.p_ext=[0.005, 0.005]",), (),
         "platform_users", -1,
         "a weaker roll-out push: adoption is slower", agg="mean"),
    Case("technology.platform_ties", "technology", ("technology.platform_ties=[0.1, 0.1]",),
         ("technology.p_feed=[0.0, 0.0]", "levers.culture=0.0", "graph.k_inter=0",
          "graph.k_intra=2", "graph.k_platform=8", "culture.p_share=[0.3, 0.3]",
          "landscape.nk_k=1"),
         "mean_fitness", -1,
         "fewer platform ties between active users: fewer solutions seen, so employees' "
         "solutions improve slower (feed off, two colleagues each and no weak ties, so the "
         "platform is the main channel; a smoother landscape, first year; with 8 colleagues, "
         "k_inter 0.2 and 4 latent platform ties it moved mean fitness by only -0.002 "
         "[-0.006, +0.002], 40 seeds)",
         agg="mean", steps=52),
    Case("technology.p_feed", "technology", ("technology.p_feed=[0.02, 0.02]",),
         ("graph.k_intra=2", "graph.k_inter=0", "graph.k_platform=0", "levers.culture=0.0",
          "rules.feed=\"best\""),
         "mean_fitness", -1,
         "users rarely read the feed; with few colleagues the feed is where solutions are seen "
         "(the best-first feed: a recent or random post is mostly an untested change and moved "
         "mean fitness by -0.015 [-0.035, +0.005] and -0.013 [-0.031, +0.006] here, 24 seeds)",
         agg="mean", seeds=24),  # 16 seeds missed it once the draws changed
    Case("technology.p_resourceful", "technology", ("technology.p_resourceful=[0.002, 0.002]",),
         (), "final_hero_share", -1,
         "fewer platform users become resourceful, so fewer locked-down employees become HEROes"),
    Case("technology.fidelity", "technology", ("technology.fidelity=[0.0, 0.0]",),
         ("behaviour.copy_error=0.2", "technology.fidelity=[0.0, 0.8]", "rules.funnel=\"none\""),
         "mean_fitness", -1,
         "active users' copies keep all the copy errors, and copies are kept as made: employees' "
         "solutions are worse (no funnel, so search alone moves them)", agg="mean", seeds=24),
    # --- Customers and the market (no lever) ---
    Case("graph.k_customer (gate)", "", ("graph.k_customer=0",),
         (*NOISY_GATES, "behaviour.rel_contact=0.5", "population.n_customers=1000"),
         "launches", -1,
         "without customer contacts a submitter's gate noise is not reduced: more good ideas "
         "are rejected", seeds=40),
    Case("graph.k_customer (judging)", "", ("graph.k_customer=0",),
         ("behaviour.judge_noise=0.15", "behaviour.rel_contact=0.5", "rules.funnel=\"none\"",
          "landscape.nk_k=0"),
         "mean_fitness", -1,
         "without customer contacts employees misjudge others' solutions more and copy worse "
         "ones (no funnel, so search alone moves them; a smooth landscape, first year, so runs "
         "do not part to different peaks)", agg="mean", steps=52),
    Case("customers.rel_feedback", "", ("customers.rel_feedback=0",),
         (*NOISY_GATES, "customers.p_value=0.1", "customers.rel_feedback=5"),
         "launches", -1,
         "pilots no longer learn from adopting customers: the pilot gate stays noisy and "
         "rejects more good ideas", seeds=96),
    Case("landscape.p_turbulence", "", ("landscape.p_turbulence=0",),
         ("landscape.p_turbulence=0.05",),
         "mean_fitness", 1,
         "the market no longer moves, so the deployed solution keeps its fitness"),
]
