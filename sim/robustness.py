"""How robust each answer is across plausible worlds: claims, scenario discovery and regret.

Works on the stored results of an experiment with ``[uncertainties]`` (``sim.sweep.plan``: every
design point ran in every sampled world, on the same seeds there). A world's value of a point is the
mean of its replicates there (for innovation speed, the mean of min(T, horizon): the restricted mean
of ``sim.analysis``).

- **Claims** (:func:`claims`): the headline propositions of the design kind, each with its verdict
  in every world: which lever helps most and whether each helps (a factorial; with technology and
  culture among its factors, whether technology helps without culture); whether P→A→C→T beats the
  average other order and is the best one (orders); whether the best mix beats the even split
  (budget mixes); whether the best point on average is the best (other fixed points).
  :func:`share` is the share of worlds where a claim holds, with its Wilson interval (statsmodels).
- **Scenario discovery** (:func:`discover`): EMA Workbench's PRIM finds the box of uncertainties
  where a claim fails, or where it holds for a claim that fails in most worlds (the peeling
  trajectory's coverage and density, and the box chosen on it);
  :func:`feature_scores` ranks the uncertainties by how well they predict the failure (EMA
  Workbench's extra-trees scores).
- **Regret** (:func:`regret`): for options such as budget mixes or orders, each option's shortfall
  against the best option in each world, and the options of least worst-case and 90th-percentile
  regret.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import analysis as an
from sim.report_sections import _oname

LEVEL = 0.95
COVERAGE_MIN = 0.5
MAX_DIMS = 3
"""The PRIM box reported is the densest on the peeling trajectory that covers at least
``COVERAGE_MIN`` of the failures and restricts at most ``MAX_DIMS`` uncertainties (the
scenario-discovery trade-off of coverage, density and interpretability: Bryant & Lempert 2010; with
a few dozen worlds, a box on more dimensions fits the noise)."""
MASS_MIN = 0.05
SEED = 0


# --------------------------------------------------------------------------------------------------
# Worlds

def worlds(res: an.Results) -> pd.DataFrame:
    """The sampled value of each uncertainty in each world (index: world)."""
    cols = res.uncertain
    if not cols or "scenario" not in res.runs.columns:
        raise ValueError("the results have no [uncertainties] (no sampled worlds)")
    both = pd.concat([res.runs, res.failed], ignore_index=True)
    return both.drop_duplicates("scenario").set_index("scenario").sort_index()[cols]


def world_matrix(res: an.Results, outcome: str = an.SPEED) -> pd.DataFrame:
    """Each point's mean outcome in each world: rows points, columns worlds (NaN where every run
    of a cell failed)."""
    y = res.runs.groupby(["point", "scenario"])[outcome].mean().unstack("scenario")
    return y.reindex(index=res.point_ids, columns=worlds(res).index)


# --------------------------------------------------------------------------------------------------
# Claims

@dataclass
class Claim:
    """A proposition and its verdict in each world (index: world; NaN: not decidable there)."""

    id: str
    text: str
    holds: pd.Series
    options: pd.DataFrame | None = field(default=None, repr=False)  # for regret: options x worlds


def _levels_effect(y: pd.DataFrame, pts: pd.DataFrame, factor: str, within=None) -> pd.Series:
    """Per world: mean at the factor's highest level minus mean at its lowest (over ``within``)."""
    mask = pd.Series(True, index=pts.index) if within is None else within
    lv = np.sort(pts.loc[mask, factor].dropna().unique())
    hi = mask & (pts[factor] == lv[-1])
    lo = mask & (pts[factor] == lv[0])
    return y.loc[hi[hi].index].mean() - y.loc[lo[lo].index].mean()


def _effects_claims(res: an.Results, y: pd.DataFrame, outcome: str) -> list[Claim]:
    pts = res.points
    sign = an.better_sign(outcome)
    factors = [f for f in res.factors if pd.api.types.is_numeric_dtype(pts[f])
               and pts[f].nunique() > 1]
    if not factors:
        return []
    gain = pd.DataFrame({f: sign * _levels_effect(y, pts, f) for f in factors})  # worlds x factors
    out = []
    if len(factors) > 1:
        top = gain.mean().idxmax()
        best = gain.idxmax(axis=1).where(gain.notna().all(axis=1))
        out.append(Claim("best_lever", f"raising {an.short_name(top)} helps most",
                         (best == top).where(best.notna())))
    for f in factors:
        out.append(Claim(f"helps_{an.short_name(f)}", f"raising {an.short_name(f)} improves "
                         f"{_oname(outcome)}", (gain[f] > 0).where(gain[f].notna())))
    tech, cult = "levers.technology", "levers.culture"
    if {tech, cult} <= set(factors):
        low = pts[cult] == pts[cult].min()
        alone = sign * _levels_effect(y, pts, tech, low)
        high = sign * _levels_effect(y, pts, tech, pts[cult] == pts[cult].max())
        out.append(Claim("tech_without_culture", "technology improves "
                         f"{_oname(outcome)} without culture (culture at its lowest level)",
                         (alone > 0).where(alone.notna())))
        out.append(Claim("tech_needs_culture", "technology helps more with culture than without",
                         (high > alone).where(alone.notna() & high.notna())))
    return out


def _orders_claims(res: an.Results, y: pd.DataFrame, outcome: str) -> list[Claim]:
    try:
        pact = an.order_point(res)
    except ValueError:
        return []
    sign = an.better_sign(outcome)
    others = y.drop(index=pact)
    good = sign * y
    labels = an.point_labels(res)
    opts = y.rename(index=labels)
    return [
        Claim("pact_beats_average", "P→A→C→T beats the average other order",
              (sign * (y.loc[pact] - others.mean()) > 0).where(y.loc[pact].notna()), opts),
        Claim("pact_best", "P→A→C→T is the best of the orders",
              (good.idxmax() == pact).where(y.notna().all()), opts),
    ]


def _mix_claims(res: an.Results, y: pd.DataFrame, outcome: str) -> list[Claim]:
    even = an.baseline_point(res)  # a mix design's reference: the most even split
    if even is None:
        return []
    sign = an.better_sign(outcome)
    best = int((sign * y.mean(axis=1)).idxmax())
    labels = an.point_labels(res)
    opts = y.rename(index=labels)
    if best == even:
        return [Claim("even_is_best", f"the even split ({labels[even]}) is the best mix",
                      ((sign * y).idxmax() == even).where(y.notna().all()), opts)]
    return [Claim("best_mix_beats_even", f"the best mix on average ({labels[best]}) beats the even "
                  f"split ({labels[even]})",
                  (sign * (y.loc[best] - y.loc[even]) > 0).where(y.loc[[best, even]].notna().all()),
                  opts)]


def _points_claims(res: an.Results, y: pd.DataFrame, outcome: str) -> list[Claim]:
    sign = an.better_sign(outcome)
    best = int((sign * y.mean(axis=1)).idxmax())
    labels = an.point_labels(res)
    return [Claim("best_point", f"the best point on average ({labels[best]}) is the best",
                  ((sign * y).idxmax() == best).where(y.notna().all()), y.rename(index=labels))]


_CLAIMS = {"effects": _effects_claims, "orders": _orders_claims, "mix": _mix_claims,
           "points": _points_claims}


def claims(res: an.Results, outcome: str = an.SPEED) -> list[Claim]:
    """The design kind's headline claims with their verdict in every world (empty for kinds that
    state none: Sobol indices, plain points)."""
    make = _CLAIMS.get(res.design.analysis)
    return make(res, world_matrix(res, outcome), outcome) if make else []


def share(holds: pd.Series, level: float = LEVEL) -> tuple[float, float, float, int]:
    """The share of decidable worlds where a claim holds, its Wilson interval, and how many
    worlds decided it."""
    from statsmodels.stats.proportion import proportion_confint

    h = holds.dropna().astype(bool)
    n = len(h)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    k = int(h.sum())
    lo, hi = proportion_confint(k, n, alpha=1 - level, method="wilson")
    return k / n, float(lo), float(hi), n


# --------------------------------------------------------------------------------------------------
# Scenario discovery (EMA Workbench)

def _ema():
    """EMA Workbench's analysis modules; its package import warns about optional parallel
    back-ends pactsim does not use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring, prim
    return prim, feature_scoring


def _x(x: pd.DataFrame) -> pd.DataFrame:
    """Uncertainties as EMA Workbench takes them: numbers as floats (its PRIM's pasting of integer
    columns writes half-way limits into an int64 column, which pandas 3 refuses), choices as
    categories."""
    out = x.copy()
    for c in out.columns:
        if pd.api.types.is_bool_dtype(out[c]) or not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype(str).astype("category")
        else:
            out[c] = out[c].astype(np.float64)
    return out


@dataclass
class Box:
    """A PRIM box: its limits on the restricted uncertainties, its coverage and density, and the
    peeling trajectory it was chosen on."""

    limits: dict  # uncertainty -> (low, high) (None: unrestricted) or a set of choices
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame
    chosen: int
    choices: dict = field(default_factory=dict)  # every choice of each categorical uncertainty

    def describe(self) -> str:
        parts = []
        for name, lim in self.limits.items():
            short = name
            if isinstance(lim, frozenset):
                out = sorted(map(str, self.choices[name] - lim))
                parts.append(f"{short} is not {out[0]}" if len(out) == 1 and len(lim) > 1
                             else f"{short} is {' or '.join(sorted(map(str, lim)))}")
            else:
                lo, hi = lim
                if lo is None:
                    parts.append(f"{short} ≤ {_num(hi)}")
                elif hi is None:
                    parts.append(f"{short} ≥ {_num(lo)}")
                else:
                    parts.append(f"{_num(lo)} ≤ {short} ≤ {_num(hi)}")
        return " and ".join(parts) if parts else "anywhere (no uncertainty restricts it)"


def _num(v) -> str:
    return f"{v:.3g}"


def discover(x: pd.DataFrame, fails: pd.Series, coverage_min: float = COVERAGE_MIN) -> Box | None:
    """PRIM's box of the worlds where ``fails`` is True (``x``: uncertainties per world); None when
    the claim never fails or always does (there is no boundary to find)."""
    prim, _ = _ema()
    ok = fails.notna()
    y = fails[ok].astype(bool).to_numpy()
    if y.all() or not y.any():
        return None
    xs = _x(x.loc[ok]).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(xs, y.astype(int), mass_min=max(MASS_MIN, 2.0 / len(y)), peel_alpha=0.1)
        box = p.find_box()
    if box is None:
        return None
    traj = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].reset_index(drop=True)
    wide = traj[(traj["coverage"] >= coverage_min - 1e-12) & (traj["res_dim"] <= MAX_DIMS)]
    chosen = int(wide.sort_values(["density", "coverage"], ascending=False, kind="stable").index[0])
    if traj.loc[chosen, "res_dim"] == 0:
        return None  # no box beats the whole space
    lims = box.box_lims[chosen]
    init = p.box_init
    limits, choices = {}, {}
    for col in xs.columns:
        lo, hi = lims[col].iloc[0], lims[col].iloc[1]
        if isinstance(lo, set):
            choices[col] = frozenset(init[col].iloc[0])
            if set(lo) != choices[col]:
                limits[col] = frozenset(lo)
            continue
        lo_r, hi_r = lo > init[col].iloc[0], hi < init[col].iloc[1]
        if pd.api.types.is_integer_dtype(x[col]):  # PRIM pastes half-way: say the whole numbers
            lo, hi = math.ceil(lo), math.floor(hi)
        if lo_r or hi_r:
            limits[col] = (float(lo) if lo_r else None, float(hi) if hi_r else None)
    row = traj.loc[chosen]
    return Box(limits, float(row.coverage), float(row.density), float(row.mass), traj, chosen,
               choices)


def feature_scores(x: pd.DataFrame, fails: pd.Series, seed: int = SEED) -> pd.Series:
    """How much each uncertainty predicts the failure (extra-trees feature scores, EMA Workbench),
    highest first; empty when the claim never or always fails."""
    _, fs = _ema()
    ok = fails.notna()
    y = fails[ok].astype(bool).to_numpy()
    if y.all() or not y.any():
        return pd.Series(dtype=float)
    xs = _x(x.loc[ok]).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _ = fs.get_ex_feature_scores(xs, y.astype(int), random_state=seed)
    return scores.iloc[:, 0].sort_values(ascending=False)


# --------------------------------------------------------------------------------------------------
# Regret

def regret(options: pd.DataFrame, outcome: str = an.SPEED, quantile: float = 0.9) -> pd.DataFrame:
    """Each option's regret in each world against the best option there (``options``: options x
    worlds of the outcome; regret >= 0, in the outcome's unit), summarised per option: worst case,
    ``quantile`` and mean, least worst-case regret first."""
    sign = an.better_sign(outcome)
    good = sign * options
    r = good.max() - good  # the best option there minus this one, in the better direction
    table = pd.DataFrame({"max": r.max(axis=1), f"p{round(quantile * 100)}": r.quantile(quantile, axis=1),
                          "mean": r.mean(axis=1), "worlds": r.notna().sum(axis=1)})
    return table.sort_values(["max", "mean"], kind="stable")


# --------------------------------------------------------------------------------------------------
# Everything the report says about robustness

@dataclass
class Finding:
    """A claim's share of worlds and the PRIM box of the exception: where it fails when it holds
    in most worlds, else where it holds (``exception``), with what predicts the exception."""

    claim: Claim
    share: tuple[float, float, float, int]
    box: Box | None
    scores: pd.Series
    exception: str = "fails"


@dataclass
class Robustness:
    outcome: str
    n_worlds: int
    replicates: int
    findings: list[Finding]
    regret: pd.DataFrame | None
    quantile: float = 0.9


def assess(res: an.Results, outcome: str = an.SPEED) -> Robustness:
    """Every claim's share of worlds, where it fails (or, when it holds in fewer than half, where
    it holds: PRIM) and what predicts that, and the regret of the options (orders or mixes), from
    stored results."""
    x = worlds(res)
    found = []
    table = None
    for c in claims(res, outcome):
        sh = share(c.holds)
        exception = "fails" if not sh[0] < 0.5 else "holds"
        y = c.holds.map(lambda v: v if pd.isna(v) else not v) if exception == "fails" else c.holds
        found.append(Finding(c, sh, discover(x, y), feature_scores(x, y), exception))
        if c.options is not None and table is None:
            table = regret(c.options, outcome)
    reps = res.runs.groupby(["point", "scenario"]).size()
    return Robustness(outcome, len(x), int(reps.min()) if len(reps) else 0, found, table)
