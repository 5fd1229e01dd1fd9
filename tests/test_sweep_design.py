"""Designs and their expansion into runs: sizes, stratification, the simplex, orders, seeds."""

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from sim import design
from sim.config import LEVERS
from sim.errors import ConfigError
from sim.sweep import expand, run_seeds

SMALL_SET = """
[set]
"population.n_employees" = 60
"population.n_units" = 3
"population.n_customers" = 120
"""


def write_exp(tmp_path: Path, body: str, name: str = "exp", top: str = "") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text('description = "test"\nscenario = "baseline"\nseed = 5\nreplicates = 3\n'
                    "steps = 10\n" + top + SMALL_SET + body)
    return path


@pytest.mark.parametrize("levels", [(3, 3), (2, 3, 4), (5,)])
def test_grid_is_the_full_factorial(levels):
    factors = {f"f{i}": list(range(n)) for i, n in enumerate(levels)}
    points = design.grid(factors)
    assert len(points) == math.prod(levels)
    assert len({tuple(p.values()) for p in points}) == len(points)
    assert points[1][f"f{len(levels) - 1}"] == 1  # the last factor varies fastest


def test_lhs_hits_every_stratum_once_per_dimension():
    bounds = {"a": (0.0, 1.0), "b": (-2.0, 6.0), "c": (10.0, 10.5)}
    n = 16
    points = design.lhs(bounds, n, seed=3)
    assert len(points) == n
    for key, (lo, hi) in bounds.items():
        x = np.array([p[key] for p in points])
        assert np.all((x >= lo) & (x <= hi))
        strata = np.floor((x - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata) == list(range(n))
    assert design.lhs(bounds, n, seed=3) == points
    assert design.lhs(bounds, n, seed=4) != points


def test_lhs_rounds_integer_fields():
    points = design.lhs({"k": (1.0, 3.0), "x": (0.0, 1.0)}, 12, seed=1, integer=frozenset({"k"}))
    ks = [p["k"] for p in points]
    assert all(isinstance(k, int) and 1 <= k <= 3 for k in ks)
    assert set(ks) == {1, 2, 3}
    assert all(isinstance(p["x"], float) for p in points)


@pytest.mark.parametrize(("n", "d"), [(8, 3), (4, 1), (16, 5)])
def test_sobol_gives_n_times_2d_plus_2_points(n, d):
    bounds = {f"x{i}": (float(i), float(i) + 2.0) for i in range(d)}
    points = design.sobol(bounds, n, seed=2)
    assert len(points) == n * (2 * d + 2)
    for i in range(d):
        x = np.array([p[f"x{i}"] for p in points])
        assert x.min() >= i and x.max() <= i + 2.0
    assert design.sobol(bounds, n, seed=2) == points


@pytest.mark.parametrize(("step", "count"), [(0.1, 286), (0.25, 35), (0.5, 10), (1.0, 4)])
def test_simplex_points_sum_to_one(step, count):
    points = design.simplex(step)
    assert len(points) == count == design.simplex_size(step)
    assert len({tuple(p.values()) for p in points}) == count
    for p in points:
        assert list(p) == list(design.BUDGET_KEYS)
        assert math.isclose(sum(p.values()), 1.0, abs_tol=1e-12)
        for v in p.values():
            assert 0.0 <= v <= 1.0
            assert math.isclose(v / step, round(v / step), abs_tol=1e-9)


def test_simplex_rejects_steps_that_do_not_divide_one():
    with pytest.raises(ValueError, match="whole number"):
        design.simplex(0.3)


def test_24_orders_for_4_levers():
    points = design.orders()
    assert len(points) == 24
    orders = [tuple(design.parse_order(p[design.ORDER_KEY])) for p in points]
    assert set(orders) == set(itertools.permutations(LEVERS))


def test_run_seeds_are_prefix_stable_and_in_range():
    a, b = run_seeds(5, 3), run_seeds(5, 10)
    assert a == b[:3]
    assert len(set(b)) == 10
    assert all(0 <= s < 2**63 for s in b)
    assert run_seeds(6, 3) != a


def test_expand_grid_gives_common_random_numbers(tmp_path):
    path = write_exp(tmp_path, '[design]\nkind = "grid"\nfactors = { "levers.process" = [0, 0.5, 1], '
                     '"levers.culture" = [0.2, 0.8] }\n'
                     '[ci]\nreplicates = 2\nsteps = 4\nset = { "population.n_employees" = 30 }\n')
    plan = expand(path)
    assert len(plan.points) == 6 and len(plan.runs) == 18 and plan.steps == 10
    assert plan.columns == ("levers.process", "levers.culture")
    assert all(isinstance(p["levers.process"], float) for p in plan.points)  # the schema's type
    assert len({r.run_id for r in plan.runs}) == 18
    for r in plan.runs:
        assert r.seed == plan.seeds[r.replicate]
        assert r.index == r.point * 3 + r.replicate
        assert plan.configs[r.point].levers.process == plan.points[r.point]["levers.process"]
    frame = plan.frame()
    assert list(frame.columns[:4]) == ["run_id", "point", "replicate", "seed"]
    assert frame.groupby("replicate")["seed"].nunique().eq(1).all()
    ci = expand(path, ci=True)
    assert len(ci.runs) == 12 and ci.steps == 4
    assert ci.configs[0].population.n_employees == 30
    assert ci.configs[0].population.n_customers == 120  # [ci] set merges over [set]
    assert ci.seeds == plan.seeds[:2]


def test_expand_simplex_sets_budget_mode(tmp_path):
    plan = expand(write_exp(tmp_path, '[design]\nkind = "simplex"\nstep = 0.1\n'))
    assert len(plan.points) == 286
    assert plan.columns == design.BUDGET_KEYS
    for cfg, point in zip(plan.configs, plan.points, strict=True):
        assert cfg.levers.mode == "budget"
        assert cfg.levers.budget.culture == point["levers.budget.culture"]
        assert math.isclose(sum(point.values()), 1.0)


def test_expand_orders_sets_schedule_mode(tmp_path):
    plan = expand(write_exp(tmp_path, '[design]\nkind = "orders"\n'))
    assert len(plan.points) == 24 and plan.columns == (design.ORDER_KEY,)
    for cfg, point in zip(plan.configs, plan.points, strict=True):
        assert cfg.levers.mode == "schedule"
        assert ">".join(cfg.levers.schedule.order) == point[design.ORDER_KEY]


def test_expand_sobol_and_lhs_sizes(tmp_path):
    body = ('[design]\nkind = "sobol"\nsamples = 8\nbounds = { "levers.culture" = [0, 1], '
            '"behaviour.n_flip_hero" = [1, 3], "culture.p_share.1" = [0.3, 0.9] }\n[ci]\nsamples = 2\n')
    plan = expand(write_exp(tmp_path, body))
    assert len(plan.points) == 8 * (2 * 3 + 2)
    assert all(isinstance(p["behaviour.n_flip_hero"], int) for p in plan.points)
    assert all(c.culture.p_share[1] == p["culture.p_share.1"]
               for c, p in zip(plan.configs, plan.points, strict=True))
    assert len(expand(write_exp(tmp_path, body), ci=True).points) == 2 * 8
    lhs = expand(write_exp(tmp_path, '[design]\nkind = "lhs"\nsamples = 7\n'
                           'bounds = { "levers.culture" = [0, 1] }\n'))
    assert len(lhs.points) == 7 and len(lhs.runs) == 21


@pytest.mark.parametrize(("body", "words"), [
    ('[design]\nkind = "grid"\nfactors = { "levers.proces" = [0.1] }\n',
     ['design.factors."levers.proces"', "allowed: mode, process"]),
    ('[design]\nkind = "grid"\nfactors = { "levers.process" = [0.1, 1.5] }\n',
     ["design point 1", "levers.process = 1.5", "less than or equal to 1"]),
    ('[design]\nkind = "lhs"\nsamples = 4\nbounds = { "levers.mode" = [0, 1] }\n',
     ['"levers.mode"', "not a number field"]),
    ('[design]\nkind = "sobol"\nsamples = 12\nbounds = { "levers.culture" = [0, 1] }\n',
     ["design.sobol.samples = 12", "power of 2"]),
    ('[design]\nkind = "simplex"\nstep = 0.1\n[ci]\nsamples = 4\n',
     ["ci.samples applies to lhs and sobol"]),
    ('[design]\nkind = "orders"\n', ["colour = 1", "unknown key"]),
    ('[design]\nkind = "cube"\n', ["design", "'grid', 'lhs', 'sobol', 'simplex', 'orders'"]),
])
def test_bad_experiments_name_file_key_and_what_is_allowed(tmp_path, body, words):
    path = write_exp(tmp_path, body, top="colour = 1\n" if "orders" in body else "")
    with pytest.raises(ConfigError) as info:
        expand(path)
    msg = str(info.value)
    assert str(path) in msg
    for w in words:
        assert w in msg


def test_fixed_settings_may_not_fight_the_design(tmp_path):
    path = write_exp(tmp_path, '[design]\nkind = "orders"\n').read_text()
    path = path.replace("[set]\n", '[set]\n"levers.mode" = "direct"\n')
    p = tmp_path / "fight.toml"
    p.write_text(path)
    with pytest.raises(ConfigError, match="also set by the orders design"):
        expand(p)
