"""sim.analysis on synthetic results with planted effects (no simulation needed)."""

import itertools

import numpy as np
import pandas as pd
import pytest

from sim import analysis as an
from sim.config import LEVERS
from sim.errors import ConfigError

LEVELS = (0.1, 0.5, 0.9)


def runs_frame(points: list[dict], n_rep: int, value, seed: int = 0, outcome: str = "customer_value"):
    """A runs table of the sweep's contract: ``value(point_dict, replicate, rng) -> float``."""
    rng = np.random.default_rng(seed)
    rows = []
    for p, factors in enumerate(points):
        for r in range(n_rep):
            rows.append({"run_id": f"p{p}r{r}", "point": p, "replicate": r, "seed": 1000 + r,
                         **factors, outcome: value(factors, r, rng), "error": None})
    return pd.DataFrame(rows)


def grid_points():
    return [dict(zip([f"levers.{lv}" for lv in LEVERS], combo, strict=True))
            for combo in itertools.product(LEVELS, repeat=4)]


@pytest.fixture(scope="module")
def planted():
    """y = 100 - 30 p - 10 a + 25 p c + replicate shift (common random numbers) + noise;
    technology has no effect."""
    shifts = np.random.default_rng(9).normal(0, 15, 20)  # large: pairing by replicate must absorb it

    def value(f, r, rng):
        p, a, c = f["levers.process"], f["levers.advocates"], f["levers.culture"]
        return 100 - 30 * p - 10 * a + 25 * p * c + shifts[r] + rng.normal(0, 3)

    return an.Results.from_frame(runs_frame(grid_points(), 20, value))


def test_main_effects_recover_planted_and_null(planted):
    eff = an.main_effects(planted, "customer_value", n_boot=1000).set_index("factor")
    span = 0.8  # high - low level
    expected = {"levers.process": -30 * span + 25 * span * 0.5,  # averaged over culture's levels
                "levers.advocates": -10 * span, "levers.culture": 25 * 0.5 * span,
                "levers.technology": 0.0}
    for f, want in expected.items():
        assert eff.loc[f, "lo"] <= want <= eff.loc[f, "hi"], (f, want, eff.loc[f].to_dict())
    assert not eff.loc["levers.technology", "significant"]
    assert eff.loc[["levers.process", "levers.advocates", "levers.culture"], "significant"].all()
    # pairing by replicate: the interval is much narrower than the replicate shift (sd 15)
    assert (eff["hi"] - eff["lo"]).max() < 5


def test_interaction_recovered_and_others_null(planted):
    inter = an.interactions(planted, "customer_value", n_boot=1000)
    assert len(inter) == 6
    pc = inter[(inter.factor_a == "levers.process") & (inter.factor_b == "levers.culture")].iloc[0]
    assert pc.lo <= 25 * 0.8 * 0.8 <= pc.hi and pc.significant
    others = inter[~((inter.factor_a == "levers.process") & (inter.factor_b == "levers.culture"))]
    assert (others.lo <= 0).all() and (others.hi >= 0).all()


def test_marginal_and_simple_effects(planted):
    mm = an.marginal_means(planted, "customer_value", n_boot=200)
    assert len(mm) == 12 and set(mm.n_points) == {27}
    se = an.simple_effects(planted, "levers.process", "levers.culture", "customer_value",
                           n_boot=1000).set_index("by_level")
    for c in LEVELS:  # effect of process at culture c: (-30 + 25 c) * 0.8
        assert se.loc[c, "lo"] <= (-30 + 25 * c) * 0.8 <= se.loc[c, "hi"]
    cells = an.cell_means(planted, "levers.process", "levers.culture", "customer_value")
    assert cells.shape == (3, 3)


def test_kaplan_meier_rmst_by_hand():
    # times 2, 4+, 6, 8+, 10+ (+ = censored). S = 1 on [0,2), 4/5 on [2,6), 4/5 * 2/3 on [6, 10]
    t, c = [2, 4, 6, 8, 10], [False, True, False, True, True]
    km = an.survival_curve(t, c)
    assert km["survival"].tolist() == pytest.approx([0.8, 0.8 * 2 / 3])
    assert an.rmst(t, c, 10) == pytest.approx(2 * 1 + 4 * 0.8 + 4 * 0.8 * 2 / 3)
    assert an.rmst(t, c, 5) == pytest.approx(2 + 3 * 0.8)
    assert an.rmst([0, 3], [False, False], 5) == pytest.approx(1.5)  # at target from the start


def test_censored_speed_counts_at_horizon_not_dropped():
    tau = 52
    times = {0: [10, 20, 52, 52], 1: [30, 52, 52, 52]}  # 52 with censored=True
    rows = [{"run_id": f"{p}-{r}", "point": p, "replicate": r, "seed": r, "levers.process": 0.1 + 0.8 * p,
             "innovation_speed": t, "innovation_censored": t == tau, "error": None}
            for p, ts in times.items() for r, t in enumerate(ts)]
    rows.append({"run_id": "bad", "point": 1, "replicate": 4, "seed": 4, "levers.process": 0.9,
                 "innovation_speed": np.nan, "innovation_censored": None, "error": "boom"})
    res = an.Results.from_frame(pd.DataFrame(rows))
    assert len(res.failed) == 1 and len(res.runs) == 8 and res.horizon == tau
    summ = an.point_summary(res, n_boot=100)
    # by hand: (10 + 20 + 52 + 52) / 4 = 33.5 and (30 + 52 * 3) / 4 = 46.5, whatever the failed run
    assert summ.loc[0, "value"] == pytest.approx(33.5)
    assert summ.loc[1, "value"] == pytest.approx(46.5)
    assert summ.loc[0, "reached"] == pytest.approx(0.5) and summ.loc[1, "reached"] == pytest.approx(0.25)
    for p, ts in times.items():  # the mean of min(T, tau) is the Kaplan-Meier area
        assert summ.loc[p, "value"] == pytest.approx(an.rmst(ts, [t == tau for t in ts], tau))
    # dropping censored runs would give 15 and 30: the estimate must not
    assert summ.loc[0, "value"] != pytest.approx(15.0)


def simplex_points(step=0.25):
    n = round(1 / step)
    return [dict(zip(an.BUDGET_COLUMNS, (i * step, j * step, k * step, (n - i - j - k) * step), strict=True))
            for i in range(n + 1) for j in range(n + 1 - i) for k in range(n + 1 - i - j)]


def test_best_mix_known_best_and_ties():
    pts = simplex_points()
    assert len(pts) == 35
    best = {an.BUDGET_COLUMNS[0]: 0.5, an.BUDGET_COLUMNS[1]: 0.0, an.BUDGET_COLUMNS[2]: 0.5,
            an.BUDGET_COLUMNS[3]: 0.0}
    tie = {an.BUDGET_COLUMNS[0]: 0.5, an.BUDGET_COLUMNS[1]: 0.0, an.BUDGET_COLUMNS[2]: 0.25,
           an.BUDGET_COLUMNS[3]: 0.25}
    shifts = np.random.default_rng(3).normal(0, 10, 12)

    def value(f, r, rng):
        base = 80.0 - 30 * f[an.BUDGET_COLUMNS[2]]  # culture helps, but no other mix comes near 40
        if f == best:
            base = 40.0
        elif f == tie:
            base = 40.3
        return base + shifts[r] + rng.normal(0, 2)

    res = an.Results.from_frame(runs_frame(pts, 12, value, outcome="innovation_speed"))
    assert res.kind == "simplex"
    b, table = an.best_mix(res, n_boot=1000)
    assert table.loc[b, an.BUDGET_COLUMNS].tolist() == [0.5, 0.0, 0.5, 0.0]
    assert table.iloc[0].name == b and table.loc[b, "rank"] == 1
    tie_id = next(i for i, p in enumerate(pts) if p == tie)
    assert table.loc[tie_id, "covers_zero"]
    assert table["covers_zero"].sum() == 2  # the best itself and its planted twin
    assert table.loc[b, "p_best"] + table.loc[tie_id, "p_best"] == pytest.approx(1.0)
    assert table.loc[b, "label"] == "P 0.5 A 0 C 0.5 T 0"


def test_order_ranking_against_pact():
    orders = [">".join(o) for o in itertools.permutations(LEVERS)]
    winner = "culture>process>advocates>technology"
    effect = {o: 2.0 + 5.0 * i / 23 for i, o in enumerate(orders)}
    effect[winner] = -8.0
    effect[an.PACT_ORDER] = 0.0
    shifts = np.random.default_rng(4).normal(0, 10, 10)
    res = an.Results.from_frame(runs_frame(
        [{an.ORDER_COLUMN: o} for o in orders], 10,
        lambda f, r, rng: 60 + effect[f[an.ORDER_COLUMN]] + shifts[r] + rng.normal(0, 1),
        outcome="innovation_speed"))
    assert res.kind == "orders" and an.baseline_point(res) == orders.index(an.PACT_ORDER)
    rank = an.order_ranking(res, n_boot=1000)
    top = rank.iloc[0]
    assert top[an.ORDER_COLUMN] == winner and top["label"] == "C→P→A→T" and top.better
    assert top.diff_lo <= -8.0 <= top.diff_hi
    pact = rank[rank[an.ORDER_COLUMN] == an.PACT_ORDER].iloc[0]
    assert pact["diff"] == 0 and pact["rank"] == 2
    worst = rank.iloc[-1]
    assert worst.worse and worst["diff"] > 4


def test_sobol_indices_linear_model():
    from SALib.sample import sobol as sobol_sample

    bounds = {"levers.process": [0.0, 1.0], "behaviour.velocity": [0.0, 1.0], "landscape.nk_k": [1, 9]}
    problem = {"num_vars": 3, "names": list(bounds), "bounds": list(bounds.values())}
    x = sobol_sample.sample(problem, 256, calc_second_order=True, seed=1)
    y = 4 * x[:, 0] + 2 * x[:, 1]  # nk_k inert; Var shares 16/20 and 4/20
    rows = [{"run_id": str(i), "point": i, "replicate": 0, "seed": 1,
             **dict(zip(bounds, xi, strict=True)), "innovation_speed": yi, "innovation_censored": False,
             "error": None} for i, (xi, yi) in enumerate(zip(x, y, strict=True))]
    res = an.Results.from_frame(pd.DataFrame(rows), {"design": {"kind": "sobol", "bounds": bounds,
                                                                "samples": 256}})
    si = an.sobol_indices(res, num_resamples=200).set_index("name")
    assert si.index[0] == "levers.process"
    assert abs(si.loc["levers.process", "S1"] - 0.8) <= max(0.05, si.loc["levers.process", "S1_conf"])
    assert abs(si.loc["behaviour.velocity", "ST"] - 0.2) <= max(0.05, si.loc["behaviour.velocity", "ST_conf"])
    assert abs(si.loc["landscape.nk_k", "ST"]) < 0.02
    with pytest.raises(ValueError, match="Sobol"):
        an.sobol_indices(an.Results.from_frame(pd.DataFrame(rows[:-3]), res.manifest))


def test_load_results_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such results folder"):
        an.load_results(tmp_path / "nope")
    with pytest.raises(ConfigError, match="runs.parquet"):
        an.load_results(tmp_path)


def test_baseline_point_and_labels(planted):
    b = an.baseline_point(planted)
    assert planted.points.loc[b].tolist() == [0.5] * 4
    assert an.point_labels(planted).loc[b] == "process 0.5, advocates 0.5, culture 0.5, technology 0.5"


def test_exact_ties_share_p_best():
    # two points identical in every replicate (as orders that differ only after the target is reached)
    vals = {0: 10.0, 1: 10.0, 2: 30.0}
    res = an.Results.from_frame(runs_frame([{"levers.process": float(p)} for p in vals], 8,
                                           lambda f, r, rng: vals[int(f["levers.process"])] + r,
                                           outcome="innovation_speed"))
    table = an.compare_points(res, 0, n_boot=400)
    assert table.loc[0, "p_best"] == pytest.approx(0.5) and table.loc[1, "p_best"] == pytest.approx(0.5)
    assert table.loc[2, "p_best"] == 0 and table.loc[[0, 1], "rank"].tolist() == [1, 1]
    assert table.loc[1, "covers_zero"] and table.loc[2, "worse"]


def test_censoring_before_the_horizon_is_refused_not_averaged():
    rows = [{"run_id": str(r), "point": 0, "replicate": r, "seed": r, "levers.process": 0.5,
             "innovation_speed": t, "innovation_censored": c, "error": None}
            for r, (t, c) in enumerate([(10, False), (30, True), (52, True)])]
    res = an.Results.from_frame(pd.DataFrame(rows), {"steps": 52})
    with pytest.raises(ValueError, match="censored before the horizon"):
        an.outcome_matrix(res)
    # the general Kaplan-Meier area still applies: S = 1 to week 10, then 2/3
    assert an.rmst([10, 30, 52], [False, True, True], 52) == pytest.approx(10 + 42 * 2 / 3)


# --- the shape of time to target: per-run times to several targets, lock-in, medians -----------

def _series(deployed, best) -> np.ndarray:
    from sim.metrics import Series

    s = np.zeros((len(deployed), len(Series)))
    s[:, Series.DEPLOYED_FITNESS], s[:, Series.BEST_FITNESS] = deployed, best
    return s


def test_outcomes_times_to_each_target_for_deployment_and_discovery():
    from sim.metrics import Tally, outcomes

    deployed = np.array([0.3, 0.3, 0.55, 0.55, 0.72, 0.72])  # reaches 0.5 at step 3, 0.7 at step 5
    best = np.array([0.3, 0.65, 0.65, 0.85, 0.85, 0.85])  # someone holds 0.6 at step 2, 0.8 at step 4
    tally = np.zeros(len(Tally))
    tally[Tally.INITIAL_DEPLOYED] = 0.3
    out = outcomes(_series(deployed, best), np.zeros(4, np.int64), tally, target_fitness=0.7)
    assert (out["innovation_speed"], out["innovation_censored"]) == (5, False)
    assert (out["discovery_time"], out["discovery_censored"]) == (4, False)
    assert (out["deploy_time_50"], out["deploy_never_50"]) == (3, False)
    assert (out["deploy_time_80"], out["deploy_never_80"]) == (6, True)  # the horizon, censored
    assert (out["discover_time_60"], out["discover_never_60"]) == (2, False)
    assert (out["discover_time_90"], out["discover_never_90"]) == (6, True)
    for level in (50, 60, 70, 80, 90):  # the best includes the deployed: never found later
        assert out[f"discover_time_{level}"] <= out[f"deploy_time_{level}"]
    tally[Tally.INITIAL_DEPLOYED] = 0.62  # deployed before step 1: 0 for every target up to it
    out = outcomes(_series(np.maximum(deployed, 0.62), np.maximum(best, 0.62)), np.zeros(4, np.int64),
                   tally, target_fitness=0.7)
    assert out["deploy_time_60"] == out["discover_time_60"] == 0 and out["deploy_time_70"] == 5


def test_outcome_dtypes_declare_times_and_flags():
    from sim.columns import OUTCOME_DTYPES
    from sim.metrics import OUTCOME_NAMES, TIME_COLUMNS

    assert len(TIME_COLUMNS) == 12 and set(OUTCOME_DTYPES) == set(OUTCOME_NAMES)
    for time, flag in TIME_COLUMNS:
        assert OUTCOME_DTYPES[time] == "int64" and OUTCOME_DTYPES[flag] == "bool"


def _lockin_results(n_rep=20):
    """Point 0: half the replicates stuck (censored at 52), the others at 10 + r % 3;
    point 1: none stuck, 20 + r % 3. Replicate r's fate is shared (common random numbers)."""
    rows = []
    for p in (0, 1):
        for r in range(n_rep):
            stuck = p == 0 and r % 2 == 0
            t = 52 if stuck else (10 if p == 0 else 20) + r % 3
            rows.append({"run_id": f"{p}-{r}", "point": p, "replicate": r, "seed": r,
                         "levers.process": 0.1 + 0.8 * p, "innovation_speed": t,
                         "innovation_censored": stuck, "error": None})
    return an.Results.from_frame(pd.DataFrame(rows), {"steps": 52})


def test_shape_contrast_recovers_planted_lock_in_and_medians():
    res = _lockin_results()
    ids = res.point_ids
    t = an.shape_contrast(res, {"new": ids == 1, "old": ids == 0}, "old", n_boot=500)
    new, old = t.loc["new"], t.loc["old"]
    assert old.p_never == 0.5 and new.p_never == 0.0 and new.d_p_never == -0.5
    assert new.d_p_never_lo <= -0.5 <= new.d_p_never_hi and new.d_p_never_hi < 0
    # medians of the runs that reach the target: 10 + r % 3 over odd r, 20 + r % 3 over all r
    reached_old = [10 + r % 3 for r in range(20) if r % 2]
    assert old["median"] == np.median(reached_old) and new["median"] == np.median([20 + r % 3
                                                                                  for r in range(20)])
    assert new.d_median == new["median"] - old["median"]
    assert old.median_km == 12  # half stuck: S falls to exactly 0.5 at the last event, 12
    assert old.rmst == pytest.approx(np.mean([52 if r % 2 == 0 else 10 + r % 3 for r in range(20)]))
    assert new.d_rmst < 0 and new.d_rmst_hi < 0


def test_kaplan_meier_median_is_inf_when_most_runs_never_reach():
    res = _lockin_results()
    runs = res.runs.copy()
    one = (runs.point == 0) & (runs.replicate == 1)
    runs.loc[one, ["innovation_speed", "innovation_censored"]] = [52, True]
    shape = an.point_shape(an.Results.from_frame(runs, {"steps": 52}), n_boot=50)
    assert shape.loc[0, "median_km"] == np.inf and shape.loc[0, "p_never"] == 0.55
    # Kaplan-Meier median: the first time with S <= 0.5; 20, 21, 22 are 7, 7, 6 of 20 runs
    assert shape.loc[1, "median_km"] == 21


def test_split_rule_edges():
    assert not an.is_split([0.0, 0.05]) and not an.is_split([0.0, 0.0]) and not an.is_split([])
    assert an.is_split([0.0, 0.1]) and an.is_split([0.5, 0.5]) and an.is_split([1.0, 0.0])


def test_scipy_survival_curve_agrees_with_the_product_limit_estimate():
    rng = np.random.default_rng(3)
    t = rng.integers(1, 40, 60).astype(float)
    c = rng.uniform(size=60) < 0.3
    times, surv, s = [], [], 1.0  # Kaplan-Meier by its definition: censored at t is at risk at t
    for u in np.unique(t[~c]):
        s *= 1.0 - ((t == u) & ~c).sum() / (t >= u).sum()
        times.append(u)
        surv.append(s)
    sp = an.survival_curve(t, c)
    assert np.array_equal(np.array(times), sp["time"].to_numpy())
    assert np.allclose(surv, sp["survival"])
    assert an.survival_curve([5.0, 5.0], [True, True]).empty


def test_sobol_resolved_flags_untrustworthy_indices():
    ok = an.sobol_resolved([0.4, 1.3, -0.3, -0.05, 0.5, 0.2], [0.1, 0.1, 0.1, 0.1, 0.3, 0.2])
    assert ok.tolist() == [True, False, False, True, False, True]


def test_run_targets_come_from_the_manifest_as_run():
    res = _lockin_results()
    assert an.run_targets(res) is None  # not recorded: no guess
    runs = res.runs
    with_base = an.Results.from_frame(runs, {"base_config": {"run": {"target_fitness": 0.5}}})
    assert an.run_targets(with_base).tolist() == [0.5, 0.5]
    varied = an.Results.from_frame(runs.assign(**{"run.target_fitness": runs["point"] * 0.2 + 0.5}),
                                   {"base_config": {"run": {"target_fitness": 0.8}}})
    assert an.run_targets(varied).tolist() == [0.5, 0.7]
