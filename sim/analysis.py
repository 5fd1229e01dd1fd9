"""What the experiments say: lever effects, censored innovation speed, best mix, order ranking, Sobol.

Works from stored results only (a report never reruns the model, so the folder alone reproduces
it): a results folder written by
``pactsim sweep`` (``runs.parquet``, optional ``timeseries.parquet``, ``manifest.json``) or the same
tables as DataFrames.

Uncertainty. Replicate r of every design point runs with the same seed (common random numbers), so the
replicate is the unit of resampling: a bootstrap sample draws replicate indices with replacement and
applies the same draw to every point. Comparisons between points therefore stay paired, and their
intervals are those of paired differences. Intervals are 95% percentile intervals from a seeded
``numpy`` Generator, so a report is reproducible.

Censoring. Innovation speed (steps until deployed fitness reaches the target) is right-censored at the
horizon tau: a run that never gets there has ``innovation_censored`` True. Its summary is the
restricted mean time to target, RMST(tau): the area under the Kaplan-Meier curve of "not yet at
target" from 0 to tau (lower is faster). No censored run is dropped. Censoring here is administrative
(every censored run is censored at tau), and then the Kaplan-Meier area equals the plain mean of
min(T, tau): the functions below use that identity, which makes the RMST linear in the runs, so it
can be averaged over points, paired and bootstrapped exactly; :func:`rmst` computes the general
Kaplan-Meier area and the tests check the two agree.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from sim.config import LEVERS
from sim.metrics import TIME_COLUMNS
from sim.sweep.results import RUN_COLUMNS, Results, load_results

__all__ = ["RUN_COLUMNS", "Results", "load_results"]  # re-exported: the analysis reads them

SPEED = "innovation_speed"
CENSORED = "innovation_censored"
ORDER_COLUMN = "levers.schedule.order"
BUDGET_COLUMNS = tuple(f"levers.budget.{lever}" for lever in LEVERS)
LEVER_COLUMNS = tuple(f"levers.{lever}" for lever in LEVERS)
PACT_ORDER = ">".join(LEVERS)
"""Forrester's recommended order, as the sweep writes it in ``levers.schedule.order``."""
LOWER_IS_BETTER = frozenset({SPEED, "lead_time_median", "lead_time_p90"})
N_BOOT = 2000
LEVEL = 0.95


# --------------------------------------------------------------------------------------------------
# Loading: the results folder is sim.sweep.results'; Results and load_results are its

# --------------------------------------------------------------------------------------------------
# Censored innovation speed

def rmst(times, censored, tau: float) -> float:
    """Restricted mean time to target: area under the Kaplan-Meier curve from 0 to ``tau``."""
    km = survival_curve(times, censored)
    area, prev_t, prev_s = 0.0, 0.0, 1.0
    for t, s in zip(km["time"], km["survival"], strict=True):
        if t > tau:
            break
        area += prev_s * (t - prev_t)
        prev_t, prev_s = t, s
    return area + prev_s * (tau - prev_t)


# --------------------------------------------------------------------------------------------------
# The point x replicate matrix and the replicate bootstrap

def outcome_matrix(res: Results, outcome: str = SPEED) -> np.ndarray:
    """``Y[point, replicate]`` (rows in ``res.point_ids`` order, columns in ``res.replicate_ids``);
    NaN where a run failed. Innovation speed is min(T, tau), so row means are RMSTs."""
    if outcome not in res.runs.columns:
        raise KeyError(f"outcome {outcome!r} is not in the results")
    values = res.runs[outcome].astype(float)
    if outcome == SPEED:
        tau = res.horizon
        if CENSORED in res.runs.columns and (values[res.runs[CENSORED]] < tau).any():
            # the mean of min(T, tau) is the Kaplan-Meier area only when censoring is at tau
            raise ValueError("runs censored before the horizon: use survival_curve()/rmst() per point")
        values = values.clip(upper=tau)
    table = pd.DataFrame({"point": res.runs["point"].astype(int),
                          "replicate": res.runs["replicate"].astype(int), "y": values})
    wide = table.pivot_table(index="point", columns="replicate", values="y", aggfunc="mean")
    return wide.reindex(index=res.point_ids, columns=res.replicate_ids).to_numpy(float)


def _nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: a point whose runs failed
        return np.nanmean(a, axis=axis)


def _quantiles(boot: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    a = (1.0 - level) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanquantile(boot, [a, 1.0 - a], axis=0)
    return lo, hi


def bootstrap_point_means(y: np.ndarray, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """(n_boot, points) means of ``y[point, replicate]`` over replicates resampled as units (the same
    replicate draw for every point: the pairing of common random numbers is kept)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, y.shape[1], size=(n_boot, y.shape[1]))
    out = np.empty((n_boot, y.shape[0]))
    chunk = max(1, 4_000_000 // max(1, y.size))  # bound memory for large designs
    for start in range(0, n_boot, chunk):
        part = idx[start:start + chunk]
        out[start:start + chunk] = _nanmean(y[:, part], axis=2).T
    return out


def point_summary(res: Results, outcome: str = SPEED, n_boot: int = N_BOOT, seed: int = 0,
                  level: float = LEVEL) -> pd.DataFrame:
    """Per point: the value (mean over replicates; RMST for innovation speed), its interval, the
    number of valid runs and, for innovation speed, the share of runs that reached the target."""
    y = outcome_matrix(res, outcome)
    boot = bootstrap_point_means(y, n_boot, seed)
    lo, hi = _quantiles(boot, level)
    out = pd.DataFrame({"value": _nanmean(y, 1), "lo": lo, "hi": hi,
                        "n": np.isfinite(y).sum(axis=1)}, index=pd.Index(res.point_ids, name="point"))
    if outcome == SPEED and CENSORED in res.runs.columns:
        reached = 1.0 - res.runs.groupby("point")[CENSORED].mean()
        out["reached"] = reached.reindex(out.index)
    return out.join(res.points)


# --------------------------------------------------------------------------------------------------
# The shape of time to target: lock-in (P(never)) and median beside the restricted mean

SPLIT_SHARE = 0.10
"""A group of compared runs in which at least this share never reaches the target within the
horizon is 'split': the restricted mean then mixes stuck runs (counted at the horizon) with the
times of the others, so it is not the headline (:func:`is_split`)."""
SHAPE_STATS = ("p_never", "median", "median_km", "rmst")
"""p_never: share of runs that never reach the target within the horizon (lock-in); median: the
median time of the runs that do reach it (conditional on reaching); median_km: the Kaplan-Meier
median with censoring (inf when half or more never reach it); rmst: the restricted mean."""


def time_pairs(res: Results) -> list[tuple[str, str]]:
    """The (time, censoring flag) outcome pairs present in the results (``TIME_COLUMNS`` order)."""
    return [(t, c) for t, c in TIME_COLUMNS if t in res.runs.columns and c in res.runs.columns]


def time_matrices(res: Results, time: str = SPEED, flag: str = CENSORED) -> tuple[np.ndarray, np.ndarray]:
    """``(T, C)[point, replicate]``: time to target clipped at the horizon and the censoring flag as
    0/1, both NaN where a run failed (``res.point_ids`` x ``res.replicate_ids``)."""
    tau = res.horizon
    table = pd.DataFrame({"point": res.runs["point"].astype(int),
                          "replicate": res.runs["replicate"].astype(int),
                          "t": res.runs[time].astype(float).clip(upper=tau),
                          "c": res.runs[flag].astype(float)})
    wide = table.pivot_table(index="point", columns="replicate", values=["t", "c"], aggfunc="mean")
    def grid(col):
        return wide[col].reindex(index=res.point_ids, columns=res.replicate_ids).to_numpy(float)
    return grid("t"), grid("c")


def _shape_stats(t: np.ndarray, c: np.ndarray) -> dict[str, np.ndarray]:
    """Each of SHAPE_STATS over the last axis of runs ``t`` (clipped times), ``c`` (0/1 flags)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no valid run, or none that reached
        reached = np.where(c == 0, t, np.nan)
        # administrative censoring at the horizon: the Kaplan-Meier median is the lower median of
        # the times with every censored run placed after all events (inf)
        km = np.where(c == 1, np.inf, t)
        return {"p_never": np.nanmean(c, axis=-1), "median": np.nanmedian(reached, axis=-1),
                "median_km": np.nanquantile(km, 0.5, axis=-1, method="inverted_cdf"),
                "rmst": np.nanmean(t, axis=-1)}


def _pooled(m: np.ndarray, rows: np.ndarray, idx: np.ndarray | None) -> np.ndarray:
    """The runs of the points ``rows`` (bool mask) as one axis: (k * replicates,) without
    ``idx``, (n_boot, k * replicates) with the replicate draws ``idx`` (n_boot, replicates)."""
    sub = m[rows]
    if idx is None:
        return sub.reshape(-1)
    return sub[:, idx].transpose(1, 0, 2).reshape(idx.shape[0], -1)


def shape_contrast(res: Results, groups: dict, reference=None, time: str = SPEED,
                   flag: str = CENSORED, n_boot: int = N_BOOT, seed: int = 0,
                   level: float = LEVEL) -> pd.DataFrame:
    """SHAPE_STATS of each group of points (``{name: bool mask over res.point_ids}``, the runs of
    its points pooled), with 95% intervals from the replicate bootstrap (the same draws for every
    group: paired), and when ``reference`` names a group, each group minus the reference
    (``d_<stat>``, ``d_<stat>_lo``, ``d_<stat>_hi``; a difference of medians, not a median of
    differences). One row per group; ``n`` valid runs and ``n_points``."""
    t, c = time_matrices(res, time, flag)
    idx = np.random.default_rng(seed).integers(0, t.shape[1], size=(n_boot, t.shape[1]))
    est, boot = {}, {}
    for name, rows in groups.items():
        rows = np.asarray(rows, bool)
        est[name] = _shape_stats(_pooled(t, rows, None), _pooled(c, rows, None))
        boot[name] = _shape_stats(_pooled(t, rows, idx), _pooled(c, rows, idx))
    out = []
    for name, rows in groups.items():
        rows = np.asarray(rows, bool)
        row = {"group": name, "n_points": int(rows.sum()), "n": int(np.isfinite(t[rows]).sum())}
        for stat in SHAPE_STATS:
            lo, hi = _quantiles(boot[name][stat][:, None], level)
            row.update({stat: float(est[name][stat]), f"{stat}_lo": float(lo[0]),
                        f"{stat}_hi": float(hi[0])})
            if reference is not None:
                with np.errstate(invalid="ignore"):  # inf - inf: a median not reached in both
                    d, db = est[name][stat] - est[reference][stat], boot[name][stat] - boot[reference][stat]
                dlo, dhi = _quantiles(db[:, None], level)
                row.update({f"d_{stat}": float(d), f"d_{stat}_lo": float(dlo[0]),
                            f"d_{stat}_hi": float(dhi[0])})
        out.append(row)
    return pd.DataFrame(out).set_index("group")


def point_shape(res: Results, time: str = SPEED, flag: str = CENSORED, n_boot: int = N_BOOT,
                seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """SHAPE_STATS with intervals at every design point (index ``point``)."""
    ids = res.point_ids
    groups = {int(p): ids == p for p in ids}
    out = shape_contrast(res, groups, None, time, flag, n_boot, seed, level)
    out.index = pd.Index(ids, name="point")
    return out


def is_split(shares) -> bool:
    """The rule for headlines on time to target: True when any compared group (a point, or the
    points pooled at one lever level) has at least SPLIT_SHARE of its runs never reaching the
    target. Then the headline gives the effect on P(never) and on the median time of the runs that
    reach it, and the restricted mean comes second; when no group reaches that share, censoring
    hardly moves the restricted mean (with none censored it is the plain mean) and it headlines."""
    shares = np.asarray(shares, float)
    shares = shares[np.isfinite(shares)]
    return bool(shares.size) and bool((shares >= SPLIT_SHARE - 1e-12).any())


def level_masks(res: Results, factor: str, within=None) -> tuple[np.ndarray, np.ndarray]:
    """(highest level, lowest level) masks of ``factor`` over the points, optionally within a mask."""
    pts = res.points
    lv = np.sort(pts[factor].dropna().unique())
    base = np.ones(len(pts), bool) if within is None else np.asarray(within, bool)
    return base & (pts[factor] == lv[-1]).to_numpy(), base & (pts[factor] == lv[0]).to_numpy()


def survival_curve(times, censored) -> pd.DataFrame:
    """Kaplan-Meier 'share not yet at target' by SciPy (``scipy.stats.ecdf`` on right-censored
    data): columns ``time`` (each distinct event time) and ``survival`` just after it; a run censored
    at t is at risk for events at t. Empty when no run reached the target."""
    from scipy import stats  # imported here: keeps `import sim.analysis` light

    t = np.asarray(times, float)
    c = np.asarray(censored, bool)
    keep = ~np.isnan(t)
    t, c = t[keep], c[keep]
    if not (~c).any():
        return pd.DataFrame({"time": [], "survival": []})
    sf = stats.ecdf(stats.CensoredData(uncensored=t[~c], right=t[c])).sf
    events = np.isin(sf.quantiles, t[~c])  # SciPy also lists censoring times, where S does not move
    return pd.DataFrame({"time": sf.quantiles[events], "survival": sf.probabilities[events]})


# --------------------------------------------------------------------------------------------------
# Lever effects (grid designs)

def _levels(res: Results, factors: list[str] | None) -> tuple[pd.DataFrame, list[str]]:
    pts = res.points
    factors = [f for f in (factors or res.factors) if pd.api.types.is_numeric_dtype(pts[f])]
    if not factors:
        raise ValueError("no numeric factors to analyse")
    return pts, factors


def _effect_frame(rows: list[tuple], est: np.ndarray, boot: np.ndarray, level: float,
                  columns: list[str]) -> pd.DataFrame:
    lo, hi = _quantiles(boot, level)
    out = pd.DataFrame(rows, columns=columns)
    out["effect"], out["lo"], out["hi"] = est, lo, hi
    tol = _tolerance(est)
    out["significant"] = (out["lo"] > tol) | (out["hi"] < -tol)
    return out


def _tolerance(values) -> float:
    """Rounding noise of sums of floats: an exact zero effect may come out as 1e-17."""
    scale = np.nanmax(np.abs(values)) if np.size(values) and np.isfinite(values).any() else 0.0
    return 1e-9 * max(1.0, float(scale))


def marginal_means(res: Results, outcome: str = SPEED, factors: list[str] | None = None,
                   n_boot: int = N_BOOT, seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """Mean of the outcome at each level of each factor, averaged over the other factors' points."""
    pts, factors = _levels(res, factors)
    y = outcome_matrix(res, outcome)
    m, boot = _nanmean(y, 1), bootstrap_point_means(y, n_boot, seed)
    rows, est, bs = [], [], []
    for f in factors:
        for lv in np.sort(pts[f].dropna().unique()):
            mask = (pts[f] == lv).to_numpy()
            rows.append((f, float(lv), int(mask.sum())))
            est.append(_nanmean(m[mask], 0))
            bs.append(_nanmean(boot[:, mask], 1))
    out = _effect_frame(rows, np.array(est), np.array(bs).T, level, ["factor", "level", "n_points"])
    return out.rename(columns={"effect": "value"}).drop(columns="significant")


def main_effects(res: Results, outcome: str = SPEED, factors: list[str] | None = None,
                 n_boot: int = N_BOOT, seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """Effect of raising each factor from its lowest to its highest level (mean at high minus mean at
    low, over the other factors' points), with a paired bootstrap interval."""
    pts, factors = _levels(res, factors)
    y = outcome_matrix(res, outcome)
    m, boot = _nanmean(y, 1), bootstrap_point_means(y, n_boot, seed)
    rows, est, bs = [], [], []
    for f in factors:
        lv = np.sort(pts[f].dropna().unique())
        lo_m, hi_m = (pts[f] == lv[0]).to_numpy(), (pts[f] == lv[-1]).to_numpy()
        rows.append((f, float(lv[0]), float(lv[-1])))
        est.append(_nanmean(m[hi_m], 0) - _nanmean(m[lo_m], 0))
        bs.append(_nanmean(boot[:, hi_m], 1) - _nanmean(boot[:, lo_m], 1))
    return _effect_frame(rows, np.array(est), np.array(bs).T, level, ["factor", "low", "high"])


def _two_way(pts: pd.DataFrame, a: str, b: str):
    la, lb = np.sort(pts[a].dropna().unique()), np.sort(pts[b].dropna().unique())
    masks = {(i, j): ((pts[a] == la[i]) & (pts[b] == lb[j])).to_numpy()
             for i in (0, -1) for j in (0, -1)}
    return la, lb, masks


def interactions(res: Results, outcome: str = SPEED, factors: list[str] | None = None,
                 n_boot: int = N_BOOT, seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """Two-way interaction contrast of every pair at their extreme levels:
    (a high, b high) - (a low, b high) - (a high, b low) + (a low, b low), each cell averaged over the
    other factors. Positive: raising b makes a's effect larger (for speed: less of a speed-up)."""
    pts, factors = _levels(res, factors)
    y = outcome_matrix(res, outcome)
    m, boot = _nanmean(y, 1), bootstrap_point_means(y, n_boot, seed)
    rows, est, bs = [], [], []
    for i, a in enumerate(factors):
        for b in factors[i + 1:]:
            la, lb, mk = _two_way(pts, a, b)
            if len(la) < 2 or len(lb) < 2:
                continue
            def contrast(v, ax, mk=mk):
                return (_nanmean(v[..., mk[-1, -1]], ax) - _nanmean(v[..., mk[0, -1]], ax)
                        - _nanmean(v[..., mk[-1, 0]], ax) + _nanmean(v[..., mk[0, 0]], ax))
            rows.append((a, b))
            est.append(contrast(m, 0))
            bs.append(contrast(boot, 1))
    if not rows:
        return pd.DataFrame(columns=["factor_a", "factor_b", "effect", "lo", "hi", "significant"])
    return _effect_frame(rows, np.array(est), np.array(bs).T, level, ["factor_a", "factor_b"])


def simple_effects(res: Results, factor: str, by: str, outcome: str = SPEED, n_boot: int = N_BOOT,
                   seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """Effect of raising ``factor`` from lowest to highest level at each level of ``by`` (e.g.
    technology with culture low and with culture high)."""
    pts = res.points
    y = outcome_matrix(res, outcome)
    m, boot = _nanmean(y, 1), bootstrap_point_means(y, n_boot, seed)
    lf = np.sort(pts[factor].dropna().unique())
    rows, est, bs = [], [], []
    for lv in np.sort(pts[by].dropna().unique()):
        at = (pts[by] == lv).to_numpy()
        hi_m, lo_m = at & (pts[factor] == lf[-1]).to_numpy(), at & (pts[factor] == lf[0]).to_numpy()
        rows.append((by, float(lv), factor, float(lf[0]), float(lf[-1])))
        est.append(_nanmean(m[hi_m], 0) - _nanmean(m[lo_m], 0))
        bs.append(_nanmean(boot[:, hi_m], 1) - _nanmean(boot[:, lo_m], 1))
    return _effect_frame(rows, np.array(est), np.array(bs).T, level,
                         ["by", "by_level", "factor", "low", "high"])


def cell_means(res: Results, a: str, b: str, outcome: str = SPEED) -> pd.DataFrame:
    """Mean outcome for each (a level, b level), averaged over the other factors: rows a, columns b."""
    y = outcome_matrix(res, outcome)
    pts = res.points.assign(_v=_nanmean(y, 1))
    return pts.pivot_table(index=a, columns=b, values="_v", aggfunc="mean")


# --------------------------------------------------------------------------------------------------
# Comparing points: best budget mix, order ranking

def better_sign(outcome: str) -> int:
    """-1 when lower is better (times), +1 otherwise."""
    return -1 if outcome in LOWER_IS_BETTER else 1


def compare_points(res: Results, reference: int, outcome: str = SPEED, n_boot: int = N_BOOT,
                   seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """Every point against ``reference``: value and interval, the paired difference (point minus
    reference, replicate by replicate) with its bootstrap interval, the rank (1 = best) and the share
    of bootstrap samples in which the point is the best (``p_best``). Sorted best first."""
    ids = res.point_ids
    if reference not in set(ids.tolist()):
        raise ValueError(f"reference point {reference} is not in the results")
    y = outcome_matrix(res, outcome)
    ref = int(np.searchsorted(ids, reference))
    d = y - y[ref]  # paired by replicate: common random numbers
    boot_y = bootstrap_point_means(y, n_boot, seed)
    boot_d = bootstrap_point_means(d, n_boot, seed)  # same seed: the same replicate draws
    lo, hi = _quantiles(boot_y, level)
    dlo, dhi = _quantiles(boot_d, level)
    sign = better_sign(outcome)
    score = np.where(np.isnan(boot_y), -np.inf, sign * boot_y)
    # exact ties are real here (e.g. orders whose runs are identical until after the target is
    # reached): a resample's win is shared among its tied best points
    won = score >= score.max(axis=1, keepdims=True)
    p_best = (won / won.sum(axis=1, keepdims=True)).sum(axis=0) / n_boot
    out = pd.DataFrame({"value": _nanmean(y, 1), "lo": lo, "hi": hi, "diff": _nanmean(d, 1),
                        "diff_lo": dlo, "diff_hi": dhi, "p_best": p_best,
                        "n_pairs": np.isfinite(d).sum(axis=1)},
                       index=pd.Index(ids, name="point"))
    tol = _tolerance(out["value"].to_numpy())
    out["covers_zero"] = (out["diff_lo"] <= tol) & (out["diff_hi"] >= -tol)
    out["better"] = ~out["covers_zero"] & (sign * out["diff"] > 0)
    out["worse"] = ~out["covers_zero"] & (sign * out["diff"] < 0)
    out["rank"] = (sign * -out["value"]).rank(method="min", na_option="bottom").astype(int)
    return out.join(res.points).join(point_labels(res).rename("label")).sort_values("rank")


def best_point(res: Results, outcome: str = SPEED) -> int:
    """The point with the best mean outcome (lowest RMST for innovation speed)."""
    m = pd.Series(_nanmean(outcome_matrix(res, outcome), 1), index=res.point_ids)
    return int((better_sign(outcome) * m).idxmax())


def best_mix(res: Results, outcome: str = SPEED, n_boot: int = N_BOOT, seed: int = 0,
             level: float = LEVEL) -> tuple[int, pd.DataFrame]:
    """The best point and every point compared with it. ``covers_zero`` marks the points that are
    statistically indistinguishable from the best (paired interval of the difference covers 0).
    The best is picked on the same data, so the count of its rivals is, if anything, an under-count
    (winner's curse) and each interval is unadjusted for the number of comparisons."""
    best = best_point(res, outcome)
    return best, compare_points(res, best, outcome, n_boot, seed, level)


def order_point(res: Results, order: str = PACT_ORDER) -> int:
    """The point of an investment order such as ``process>advocates>culture>technology``."""
    pts = res.points
    if ORDER_COLUMN not in pts.columns:
        raise ValueError(f"no {ORDER_COLUMN} column: not an orders design")
    hit = pts.index[pts[ORDER_COLUMN] == order]
    if len(hit) == 0:
        raise ValueError(f"order {order} is not in the results")
    return int(hit[0])


def order_ranking(res: Results, outcome: str = SPEED, reference: str = PACT_ORDER,
                  n_boot: int = N_BOOT, seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """The investment orders ranked, each compared (paired) with ``reference`` (P > A > C > T)."""
    return compare_points(res, order_point(res, reference), outcome, n_boot, seed, level)


# --------------------------------------------------------------------------------------------------
# Sobol indices (SALib)

def sobol_problem(res: Results) -> dict:
    """The SALib problem (names, bounds) of a Sobol design, from the manifest's design bounds."""
    bounds = res.manifest.design.bounds if res.manifest.design is not None else None
    if not bounds:
        raise ValueError("manifest design lacks the Sobol problem (its bounds)")
    return {"num_vars": len(bounds), "names": list(bounds),
            "bounds": [list(map(float, b)) for b in bounds.values()]}


SOBOL_RESAMPLES = 1000
SOBOL_SEED = 0


def sobol_indices(res: Results, outcome: str = SPEED, num_resamples: int = SOBOL_RESAMPLES,
                  seed: int = SOBOL_SEED,
                  level: float = LEVEL) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with intervals, via ``SALib.analyze.sobol``.

    Analysed on the replicate-averaged outcome of each point (the RMST for innovation speed):
    replicate noise then lowers every index instead of entering as a spurious factor. Points must be
    in SALib's sample order (point index = sample row), sampled with ``calc_second_order=True``.
    """
    from SALib.analyze import sobol  # imported here: keeps `import sim.analysis` light

    problem = sobol_problem(res)
    d = problem["num_vars"]
    y = _nanmean(outcome_matrix(res, outcome), 1)
    ids = res.point_ids
    if len(ids) % (2 * d + 2) or not np.array_equal(ids, np.arange(len(ids))):
        raise ValueError(f"{len(ids)} points do not form a Sobol sample of {d} parameters "
                         f"(need N x {2 * d + 2}, numbered from 0)")
    if np.isnan(y).any():
        raise ValueError(f"{int(np.isnan(y).sum())} Sobol points have no valid run: indices undefined")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns when N is not a power of 2 (ci sizes)
        si = sobol.analyze(problem, y, calc_second_order=True, num_resamples=num_resamples,
                           conf_level=level, seed=seed)
    out = pd.DataFrame({"name": problem["names"], "S1": si["S1"], "S1_conf": si["S1_conf"],
                        "ST": si["ST"], "ST_conf": si["ST_conf"]})
    out["N"] = len(ids) // (2 * d + 2)
    for col in ("S1", "ST"):
        out[f"{col}_resolved"] = sobol_resolved(out[col], out[f"{col}_conf"])
    return out.sort_values("ST", ascending=False, ignore_index=True)


SOBOL_MAX_WIDTH = 0.5
"""A Sobol index whose 95% interval is wider than this (twice SALib's half-width) is unresolved."""


def sobol_resolved(index, conf) -> np.ndarray:
    """Whether each Sobol index can be read as a finding: not above 1, not below 0 by more than
    its interval's half-width, and an interval no wider than SOBOL_MAX_WIDTH. Indices are shares of
    variance in [0, 1]; outside that, or with an interval that wide, the estimate says only that
    N is too small."""
    v, c = np.asarray(index, float), np.asarray(conf, float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(v) & np.isfinite(c) & (v <= 1.0) & (v >= -c) & (2 * c <= SOBOL_MAX_WIDTH)


# --------------------------------------------------------------------------------------------------
# Time series, reference points, labels

def fan(res: Results, point: int, series: str, quantiles=(0.1, 0.5, 0.9)) -> pd.DataFrame:
    """Quantiles over replicates of a per-step series at one point: columns step and q10, q50, q90."""
    if res.timeseries is None:
        raise ValueError("no timeseries stored for this experiment")
    ts = res.timeseries
    if "run_id" in ts.columns and "run_id" in res.runs.columns:
        ts = ts[ts["run_id"].isin(res.runs["run_id"])]  # failed runs' series are left out
    ts = ts[ts["point"] == point]
    q = ts.groupby("step")[series].quantile(list(quantiles)).unstack()
    q.columns = [f"q{round(x * 100)}" for x in quantiles]
    return q.reset_index()


def baseline_point(res: Results) -> int | None:
    """The reference point the design kind names (``DesignBase.baseline``): all levers at the
    middle level (grid), P > A > C > T (orders), the most even budget mix (simplex); None when
    the design has none or the results lack it."""
    pts = res.points
    if pts.empty or res.design.baseline is None:
        return None
    return _BASELINES[res.design.baseline](res, pts)


def _pact_order_point(res: Results, pts: pd.DataFrame) -> int | None:
    if ORDER_COLUMN not in pts.columns:
        return None
    try:
        return order_point(res)
    except ValueError:
        return None


def _even_mix_point(res: Results, pts: pd.DataFrame) -> int | None:
    if not set(BUDGET_COLUMNS) <= set(pts.columns):
        return None
    dist = ((pts[list(BUDGET_COLUMNS)] - 0.25) ** 2).sum(axis=1)
    return int(dist.idxmin())


def _middle_point(res: Results, pts: pd.DataFrame) -> int | None:
    mask = pd.Series(True, index=pts.index)
    for f in res.factors:
        if not pd.api.types.is_numeric_dtype(pts[f]):
            continue
        lv = np.sort(pts[f].dropna().unique())
        if len(lv) % 2 == 0:
            return None  # no middle level
        mask &= pts[f] == lv[len(lv) // 2]
    hit = pts.index[mask]
    return int(hit[0]) if len(hit) else None


_BASELINES = {"pact_order": _pact_order_point, "even_mix": _even_mix_point, "middle": _middle_point}


TARGET_KEY = "run.target_fitness"


def run_targets(res: Results) -> pd.Series | None:
    """The target fitness each design point's runs used (``run.target_fitness`` as run: the
    point's own value when the design varies it, else the manifest's resolved base configuration,
    which holds the scenario's value with the experiment's [set] and [ci] applied). None when the
    manifest does not record it (a folder assembled by hand)."""
    pts = res.points
    base = (res.manifest.base_config or {}).get("run", {})
    fixed = base.get("target_fitness") if isinstance(base, dict) else None
    if TARGET_KEY in pts.columns:
        values = pts[TARGET_KEY].astype(float)
        return values.fillna(float(fixed)) if isinstance(fixed, int | float) else values
    if not isinstance(fixed, int | float) or isinstance(fixed, bool):
        return None
    return pd.Series(float(fixed), index=pts.index, name=TARGET_KEY)


def schedule_starts(res: Results) -> tuple[int, ...] | None:
    """The steps at which the levers switch on in schedule mode, from the manifest's resolved base
    configuration (None when not recorded)."""
    levers = (res.manifest.base_config or {}).get("levers", {})
    starts = levers.get("schedule", {}).get("starts") if isinstance(levers, dict) else None
    return tuple(int(s) for s in starts) if isinstance(starts, list | tuple) else None


def short_name(factor: str) -> str:
    """``levers.process`` -> ``process``; ``levers.budget.culture`` -> ``culture``."""
    return factor.rsplit(".", 1)[-1]


def _fmt_level(v) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:g}" if math.isfinite(v) else "—"
    return str(v)


def order_label(order: str) -> str:
    """``process>advocates>culture>technology`` -> ``P→A→C→T``."""
    return "→".join(part[:1].upper() for part in str(order).split(">"))


def point_labels(res: Results) -> pd.Series:
    """A short readable name per point: ``P→A→C→T``, ``P .3 A .1 C .5 T .1`` or ``process 0.9, ...``."""
    pts = res.points
    if ORDER_COLUMN in pts.columns:
        return pts[ORDER_COLUMN].map(order_label)
    if set(BUDGET_COLUMNS) <= set(pts.columns):
        return pts.apply(lambda r: " ".join(f"{short_name(c)[:1].upper()} {r[c]:.2g}"
                                            for c in BUDGET_COLUMNS), axis=1)
    if not res.factors:
        return pd.Series(pts.index.astype(str), index=pts.index)
    return pts.apply(lambda r: ", ".join(f"{short_name(c)} {_fmt_level(r[c])}" for c in res.factors),
                     axis=1)
