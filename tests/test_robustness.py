"""Robustness across plausible worlds (sim.robustness, sim.uncertainty): planted rules are found,
shares recovered, regret zero for a dominant option, and lever settings paired inside a world."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from sim import analysis as an
from sim import robustness as rb
from sim.config import LEVERS

N_WORLDS = 240


def _results(kind: str, points: pd.DataFrame, y: np.ndarray, x: pd.DataFrame) -> an.Results:
    """A results table with one run per point and world: ``y[point, world]`` is its time to target."""
    n_p, n_w = y.shape
    rows = []
    for p in range(n_p):
        for w in range(n_w):
            rows.append({"run_id": f"{p}-{w}", "point": p, "replicate": w, "seed": w, "scenario": w,
                         **points.iloc[p].to_dict(), **x.iloc[w].to_dict(),
                         an.SPEED: float(y[p, w]), an.CENSORED: False, "error": None})
    params = {c: {"range": [0, 1]} for c in x.columns}
    manifest = {"kind": "sweep", "steps": 156,
                "design": {"kind": kind, "uncertainties": {"parameters": params}}}
    return an.Results.from_frame(pd.DataFrame(rows), manifest)


def _worlds(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"landscape.p_turbulence": rng.uniform(0, 1, N_WORLDS),
                         "levers.shape": rng.uniform(0, 1, N_WORLDS),
                         "rules.feed": rng.choice(["recent", "best", "random"], N_WORLDS)})


def test_prim_finds_the_planted_box_and_the_share_is_recovered():
    """Technology helps (40 weeks against 50) except where p_turbulence >= 0.6 (60 weeks): the
    claim fails exactly there; PRIM's box restricts that uncertainty alone, near 0.6."""
    x = _worlds()
    planted = x["landscape.p_turbulence"].to_numpy() >= 0.6
    y = np.vstack([np.full(N_WORLDS, 50.0), np.where(planted, 60.0, 40.0)])
    res = _results("grid", pd.DataFrame({"levers.technology": [0.1, 0.9]}), y, x)
    assert res.factors == ["levers.technology"]  # the uncertainties are not factors
    (claim,) = rb.claims(res)
    assert claim.holds.tolist() == (~planted).tolist()
    p, lo, hi, n = rb.share(claim.holds)
    assert n == N_WORLDS and lo <= 1 - planted.mean() <= hi and p == pytest.approx(1 - planted.mean())
    found = rb.assess(res).findings[0]
    box = found.box
    assert set(box.limits) == {"landscape.p_turbulence"}
    low, high = box.limits["landscape.p_turbulence"]
    assert high is None and 0.55 <= low <= 0.65
    assert box.coverage >= 0.9 and box.density >= 0.9
    assert found.scores.index[0] == "landscape.p_turbulence"


def test_prim_finds_a_box_on_a_choice():
    """A claim that fails only where the feed shows the best solution: the box is that choice."""
    x = _worlds(2)
    planted = (x["rules.feed"] == "best").to_numpy()
    y = np.vstack([np.full(N_WORLDS, 50.0), np.where(planted, 60.0, 40.0)])
    res = _results("grid", pd.DataFrame({"levers.technology": [0.1, 0.9]}), y, x)
    box = rb.assess(res).findings[0].box
    assert box.limits == {"rules.feed": frozenset({"best"})}
    assert "rules.feed is best" in box.describe()


def test_a_claim_that_fails_in_most_worlds_gets_the_box_of_where_it_holds():
    x = _worlds(4)
    holds = x["levers.shape"].to_numpy() >= 0.7
    y = np.vstack([np.full(N_WORLDS, 50.0), np.where(holds, 40.0, 60.0)])
    res = _results("grid", pd.DataFrame({"levers.technology": [0.1, 0.9]}), y, x)
    (f,) = rb.assess(res).findings
    assert f.exception == "holds" and set(f.box.limits) == {"levers.shape"}
    low, high = f.box.limits["levers.shape"]
    assert high is None and 0.65 <= low <= 0.75 and f.box.density >= 0.9


def test_a_claim_that_always_holds_has_no_box():
    x = _worlds()
    y = np.vstack([np.full(N_WORLDS, 50.0), np.full(N_WORLDS, 40.0)])
    res = _results("grid", pd.DataFrame({"levers.technology": [0.1, 0.9]}), y, x)
    (f,) = rb.assess(res).findings
    assert f.share[0] == 1.0 and f.box is None and f.scores.empty


def test_regret_is_zero_for_a_dominant_order_and_the_claims_hold():
    x = _worlds()
    orders = [">".join(p) for p in itertools.permutations(LEVERS)]
    rng = np.random.default_rng(3)
    y = 60 + rng.uniform(0, 20, (len(orders), N_WORLDS))
    pact = orders.index(">".join(LEVERS))
    y[pact] = y.min(axis=0) - 1.0  # P>A>C>T is the fastest in every world
    res = _results("orders", pd.DataFrame({an.ORDER_COLUMN: orders}), y, x)
    rob = rb.assess(res)
    assert {f.claim.id: f.share[0] for f in rob.findings} == {"pact_beats_average": 1.0,
                                                             "pact_best": 1.0}
    table = rob.regret
    assert table.index[0] == "P→A→C→T" and table.iloc[0]["max"] == 0.0 and table.iloc[0]["p90"] == 0.0
    assert (table.iloc[1:]["max"] > 0).all()


def test_regret_against_the_best_option_in_each_world():
    opts = pd.DataFrame([[10.0, 20.0, 30.0], [12.0, 15.0, 40.0]], index=["a", "b"])
    table = rb.regret(opts)  # lower is better (time to target): regret = option - best there
    assert table.loc["a", "max"] == 5.0 and table.loc["b", "max"] == 10.0
    assert table.loc["b", "mean"] == pytest.approx(4.0) and table.index[0] == "a"


def test_best_lever_claim_per_world():
    """Two levers: process helps more where levers.shape < 0.5, technology elsewhere."""
    x = _worlds()
    where = x["levers.shape"].to_numpy() < 0.5
    pts = pd.DataFrame(list(itertools.product([0.1, 0.9], [0.1, 0.9])),
                       columns=["levers.process", "levers.technology"])
    gain_p = np.where(where, 10.0, 2.0)
    gain_t = np.where(where, 2.0, 10.0)
    y = np.vstack([80 - gain_p * (pts.iloc[i, 0] > 0.5) - gain_t * (pts.iloc[i, 1] > 0.5)
                   for i in range(len(pts))])
    res = _results("grid", pts, y, x)
    best = next(c for c in rb.claims(res) if c.id == "best_lever")
    top = "process" if where.mean() > 0.5 else "technology"
    assert best.text == f"raising {top} helps most"
    assert best.holds.tolist() == (where if top == "process" else ~where).tolist()


# --------------------------------------------------------------------------------------------------
# [uncertainties] in experiment files

SMALL = {"population.n_employees": 40, "population.n_units": 2, "population.n_customers": 40,
         "landscape.nk_n": 10}


def _experiment(tmp_path, uncertainties: str, design: str = 'factors = { "levers.technology" = [0.1, 0.9] }',
                extra: str = "") -> str:
    path = tmp_path / "exp.toml"
    sets = ", ".join(f'"{k}" = {v}' for k, v in SMALL.items())
    path.write_text(f'scenario = "baseline"\nseed = 3\nreplicates = 1\nsteps = 30\nset = {{ {sets} }}\n'
                    f'{extra}\n[design]\nkind = "grid"\n{design}\n\n[uncertainties]\nscenarios = 3\n'
                    f'[uncertainties.parameters]\n{uncertainties}\n')
    return str(path)


@pytest.mark.parametrize(("entry", "words"), [
    ('"behaviour.no_such" = "plausible"', ['uncertainties.parameters."behaviour.no_such"',
                                           "names no field"]),
    ('"levers.shape" = [2.0, 2.0]', ['"levers.shape"', "empty range"]),
    ('"levers.shape" = [3.0, 1.0]', ['"levers.shape"', "empty range"]),
    ('"rules.feed" = { choices = ["recent", "loudest"] }', ['"rules.feed"', '"loudest"',
                                                           "recent, best, random, diverse"]),
    ('"rules.feed" = { choices = [] }', ['"rules.feed"', "non-empty list"]),
    ('"levers.technology" = [0.0, 1.0]', ['"levers.technology"', "is a lever"]),
    ('"levers.budget.culture" = [0.0, 1.0]', ['"levers.budget.culture"', "is a lever"]),
    ('"population.n_employees" = [100, 200]', ['"population.n_employees"', "also set by [set]"]),
    ('"population.n_units" = "plausible"', ['"population.n_units"', "no plausible range"]),
    ('"rules.feed" = [0, 1]', ['"rules.feed"', "needs a number field"]),
    ('"levers.shape" = "wide"', ['"levers.shape"', '"plausible"']),
    ('"landscape.nk_k" = [2, 99]', ['"landscape.nk_k"', "99"]),
])
def test_hostile_uncertainties_are_refused_naming_the_key(tmp_path, capsys, entry, words):
    from sim.cli import main

    code = main(["sweep", _experiment(tmp_path, entry), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "exp.toml" in err and "Traceback" not in err
    for w in words:
        assert w in err
    assert not (tmp_path / "out").exists()


def test_a_lever_the_design_varies_is_refused_as_an_uncertainty(tmp_path, capsys):
    from sim.cli import main

    design = 'factors = { "behaviour.velocity" = [0.2, 0.8] }'
    code = main(["sweep", _experiment(tmp_path, '"behaviour.velocity" = "plausible"', design),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and '"behaviour.velocity"' in err and "also set by the design" in err


def test_sobol_sampler_needs_a_power_of_two(tmp_path, capsys):
    from sim.cli import main

    path = _experiment(tmp_path, '"levers.shape" = "plausible"')
    text = open(path).read().replace("scenarios = 3", 'scenarios = 3\nsampler = "sobol"')
    open(path, "w").write(text)
    assert main(["sweep", path, "--out", str(tmp_path / "out")]) == 2
    assert "power of 2" in capsys.readouterr().err


def test_plausible_expands_a_pair_and_every_choice(tmp_path):
    from sim.sweep.plan import expand

    plan = expand(_experiment(tmp_path, '"culture.p_share" = "plausible"\n"rules.feed" = "plausible"\n'
                                        '"landscape.nk_k" = [2, 4]'))
    assert plan.uncertain == ("culture.p_share.0", "culture.p_share.1", "rules.feed", "landscape.nk_k")
    assert plan.space["parameters"]["culture.p_share.0"] == {"range": [0.02, 0.15], "integer": False}
    assert plan.space["parameters"]["rules.feed"]["choices"] == ["recent", "best", "random", "diverse"]
    for w in plan.worlds:
        assert 0.02 <= w["culture.p_share.0"] <= 0.15 and 0.3 <= w["culture.p_share.1"] <= 0.9
        assert w["landscape.nk_k"] in (2, 3, 4)
    cfg = plan.config_of(plan.runs[-1])
    w = plan.worlds[plan.runs[-1].scenario]
    assert cfg.culture.p_share == (w["culture.p_share.0"], w["culture.p_share.1"])
    assert cfg.rules.feed == w["rules.feed"]


def test_lever_settings_in_one_world_share_seeds_and_the_market_draws(tmp_path):
    """Common random numbers: inside a world both technology levels run on the same seeds, so a
    mechanism the lever leaves alone (the market's turbulence, the world) draws the same, while the
    runs differ; different worlds have different seeds."""
    from sim.engine import simulate
    from sim.sweep.plan import expand
    from sim.world import build_world

    text = _experiment(tmp_path, '"levers.shape" = "plausible"\n"landscape.p_turbulence" = [0.1, 0.3]')
    plan = expand(text)
    by_world = {}
    for r in plan.runs:
        by_world.setdefault(r.scenario, []).append(r)
    assert {len(v) for v in by_world.values()} == {2}  # two lever settings per world
    assert len({r.seed for r in plan.runs}) == len(plan.worlds)
    low, high = by_world[0]
    assert low.seed == high.seed and low.point != high.point
    a, b = plan.config_of(low), plan.config_of(high)
    assert a.levers.technology != b.levers.technology
    assert a.landscape.p_turbulence == b.landscape.p_turbulence
    wa, wb = build_world(a, low.seed), build_world(b, high.seed)
    assert np.array_equal(wa.landscape.table, wb.landscape.table)
    ra, rb_ = simulate(a, seed=low.seed), simulate(b, seed=high.seed)
    assert ra.timeseries["turbulence"].sum() > 0
    assert ra.timeseries["turbulence"].tolist() == rb_.timeseries["turbulence"].tolist()
    assert ra.timeseries["platform_users"].tolist() != rb_.timeseries["platform_users"].tolist()


@pytest.mark.slow
def test_a_study_sweeps_each_question_and_reports_how_robust_it_is(tmp_path, capsys):
    """Two questions (a factorial and the orders) under one [uncertainties] table: each runs into
    its own folder on the study's worlds; the study's report states each claim's share."""
    from sim.cli import main

    sets = ", ".join(f'"{k}" = {v}' for k, v in SMALL.items())
    grid = tmp_path / "grid.toml"
    grid.write_text(f'scenario = "baseline"\nseed = 1\nreplicates = 5\nsteps = 40\nset = {{ {sets} }}\n'
                    '[design]\nkind = "grid"\nfactors = { "levers.technology" = [0.1, 0.9], '
                    '"levers.culture" = [0.1, 0.9] }\n')
    orders = tmp_path / "orders.toml"
    orders.write_text(f'scenario = "baseline"\nseed = 2\nreplicates = 5\nsteps = 40\nset = {{ {sets} }}\n'
                      '[design]\nkind = "orders"\n')
    study = tmp_path / "study.toml"
    study.write_text(f'description = "two questions"\nquestions = ["{grid}", "{orders}"]\n'
                     'replicates = 1\nsteps = 30\n[uncertainties]\nscenarios = 4\n'
                     '[uncertainties.parameters]\n"levers.shape" = "plausible"\n'
                     '"rules.feed" = "plausible"\n')
    out = tmp_path / "out"
    assert main(["sweep", str(study), "--out", str(out)]) == 0
    for q, points in (("grid", 4), ("orders", 24)):
        res = an.load_results(out / q)
        assert len(res.runs) == points * 4 and res.runs["scenario"].nunique() == 4
        assert res.manifest.steps == 30 and res.uncertain == ["levers.shape", "rules.feed"]
    assert main(["report", str(out)]) == 0
    text = (out / "report.html").read_text()
    assert "Robustness across plausible worlds" in text and "P→A→C→T beats the average" in text
    assert "holds in" in text and (out / "grid" / "report.html").is_file()


def test_a_study_naming_an_unknown_experiment_is_refused(tmp_path, capsys):
    from sim.cli import main

    study = tmp_path / "study.toml"
    study.write_text('questions = ["pact_levers", "no_such_question"]\nreplicates = 1\n'
                     '[uncertainties]\nscenarios = 2\n[uncertainties.parameters]\n'
                     '"levers.shape" = "plausible"\n')
    assert main(["sweep", str(study), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no_such_question" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
