"""Property-based hostile input for experiment files: every invalid one is refused by `pactsim
sweep` with status 2, a message naming the file and the key, no traceback and nothing written;
every valid one runs to the end with every run done."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import sweep
from sim.cli import main
from tests.test_hostile_input import _set, junk, to_toml

SMALL_SET = {"population.n_employees": 30, "population.n_units": 2, "population.n_customers": 40,
             "landscape.nk_n": 10, "landscape.nk_k": 2}
BASE = {"scenario": "baseline", "seed": 3, "replicates": 1, "steps": 3, "set": SMALL_SET}
UNIT_KEYS = ["levers.process", "levers.advocates", "levers.culture", "levers.technology",
             "behaviour.velocity", "culture.p_flip_hero"]
FAST = settings(max_examples=80, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _unit_keys() -> list[str]:
    """Keys of fields bounded to [0, 1] that the grid and LHS cases vary."""
    keys = []
    for key in UNIT_KEYS:
        try:
            sweep.field_path(key)
        except ValueError:
            continue
        keys.append(key)
    return keys


KEYS = _unit_keys()


@st.composite
def valid_experiment(draw):
    data = json.loads(json.dumps(BASE))
    data["seed"] = draw(st.integers(0, 2**63 - 1))
    data["replicates"] = draw(st.integers(1, 2))
    data["timeseries"] = draw(st.booleans())
    kind = draw(st.sampled_from(["grid", "lhs", "sobol", "simplex", "orders"]))
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=2, unique=True))
    unit = st.floats(0.0, 1.0, allow_nan=False)
    if kind == "grid":
        factors = {k: draw(st.lists(unit, min_size=1, max_size=3, unique=True)) for k in keys}
        data["design"] = {"kind": "grid", "factors": factors}
    elif kind in ("lhs", "sobol"):
        bounds = {}
        for k in keys:
            lo = draw(st.floats(0.0, 0.9))
            bounds[k] = [lo, draw(st.floats(lo + 0.01, 1.0))]
        samples = draw(st.integers(2, 6)) if kind == "lhs" else draw(st.sampled_from([2, 4]))
        data["design"] = {"kind": kind, "samples": samples, "bounds": bounds}
    elif kind == "simplex":
        data["design"] = {"kind": "simplex", "step": draw(st.sampled_from([1.0, 0.5, 1 / 3]))}
    else:
        data["design"] = {"kind": "orders"}
        data["replicates"] = 1
    return data


@pytest.mark.slow
@FAST
@given(data=valid_experiment())
def test_valid_experiments_run_every_run(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("exp")
    path = d / "e.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    out = sweep.run_experiment(path, out=d / "res", progress=False)
    runs = pd.read_parquet(out / "runs.parquet")
    plan = sweep.expand(path)
    assert len(runs) == len(plan.points) * data["replicates"]
    assert runs["error"].isna().all()
    assert not (out / "timeseries.parquet").exists() or data["timeseries"]


def _fits_n_employees(v) -> bool:
    """Whether ``v`` is a valid ``population.n_employees`` beside SMALL_SET's 2 units: a whole
    number (an integral float such as 2.0 is read as 2) from 2 to 2,000,000."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return False
    return float(v).is_integer() and SMALL_SET["population.n_units"] <= v <= 2_000_000


def _invalid_cases():
    """(mutation, key the message must name) pairs; a mutation is (path, value)."""
    d = ("design",)
    return st.one_of(
        st.tuples(st.just(("seed",)), st.sampled_from([-1, 2**63, "x", 1.5, math.nan])),
        st.tuples(st.just(("replicates",)), st.sampled_from([0, 10**9, "3", [], {}])),
        st.tuples(st.just(("steps",)), st.sampled_from([0, 99_999, -math.inf, True])),
        st.tuples(st.just(("timeseries",)), st.sampled_from([5, 1.5, [1]])),
        st.tuples(st.just(("scenario",)), st.sampled_from(["no_such_scenario", "../escape",
                                                            "missing.toml", "", 7])),
        st.tuples(st.just((*d, "kind")), st.sampled_from(["grd", "", 3])),
        st.tuples(st.just((*d, "factors")), st.sampled_from([{}, [], "x"])),
        st.tuples(st.just((*d, "factors", "levers.proces")), st.just([0.1])),
        st.tuples(st.just((*d, "factors", "levers.culture")), st.sampled_from(
            [[2.0], [-0.5], [math.nan], [math.inf], [], ["high"], [0.5, 0.5], [{"x": 1}]])),
        st.tuples(st.just((*d, "sampels")), st.just(4)),
        st.tuples(st.just(("set", "levers.proces")), st.just(0.5)),
        st.tuples(st.just(("set", "population.n_employees")), st.one_of(
            st.sampled_from([0, 1, -3, 10**30, 1e300, "many", math.nan]),
            junk.filter(lambda v: not _fits_n_employees(v)))),
        st.tuples(st.just(("ci", "replicates")), st.sampled_from([0, "two", 10**6])),
        st.tuples(st.just(("set",)), st.sampled_from([[1, 2], "x", 3])),
        st.tuples(st.tuples(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                                    min_size=1, max_size=6).filter(lambda k: k not in sweep.Experiment
                                                                   .model_fields and k != "set")),
                  junk),
    )


def _named(path: tuple, value) -> str:
    """The part of the message that names the key."""
    if path == ("design", "factors", "levers.culture") and value == [0.5, 0.5]:
        return "levels of levers.culture repeat"
    if path[0] in ("set",) and len(path) == 2:
        return path[1]
    if path[:2] == ("design", "factors") and len(path) == 3:
        return path[2]
    return path[-1]


@pytest.mark.slow
@FAST
@given(case=_invalid_cases())
def test_invalid_experiments_are_refused_naming_the_key(tmp_path_factory, capsys, case):
    path_, value = case
    d = tmp_path_factory.mktemp("bad")
    grid = {"kind": "grid", "factors": {"levers.process": [0.2, 0.8]}}
    data = _set({**BASE, "design": grid, "ci": {"replicates": 1}}, path_, value)
    path = d / "bad.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    out = d / "res"
    assert main(["sweep", str(path), "--out", str(out)]) == 2, data
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert str(path) in err or path_ == ("scenario",), err
    assert _named(path_, value) in err, (path_, value, err)
    assert not out.exists()


def test_an_experiment_pointing_at_a_missing_scenario(tmp_path, capsys):
    for scenario, said in (("no_such", "no such scenario file or name (scenarios in "),
                           ("gone.toml", f"no such file ({tmp_path / 'gone.toml'})")):
        path = tmp_path / "e.toml"
        path.write_text(to_toml({**BASE, "scenario": scenario,
                                 "design": {"kind": "orders"}}), encoding="utf-8")
        assert main(["sweep", str(path), "--out", str(tmp_path / "res")]) == 2
        err = capsys.readouterr().err
        assert f"{path}: scenario = {scenario!r}" in err and said in err, err
        assert not (tmp_path / "res").exists()
