"""Extreme but valid parameters run to the end on both paths, agree exactly, and produce no NaN,
infinity or out-of-range share: every lever at 0 or 1, one employee, no customers, K = 0 and
K = N - 1, no funnel capacity, the largest landscapes, budgets of 0 and of the maximum."""

import math

import numpy as np
import pandas as pd
import pytest

import sim
from tests.conftest import small

STEPS = 20
ALL = {"process": 1.0, "advocates": 1.0, "culture": 1.0, "technology": 1.0}
NONE = dict.fromkeys(ALL, 0.0)
ONE = {"n_employees": 1, "n_units": 1}

EXTREMES = {
    "all levers 0": {"levers": NONE},
    "all levers 1": {"levers": ALL},
    "one employee": {"population": ONE},
    "no customers": {"population": {"n_customers": 0}},
    "one employee, no customers, all levers 1": {"population": {**ONE, "n_customers": 0},
                                                 "levers": ALL},
    "K = 0": {"landscape": {"nk_n": 12, "nk_k": 0}},
    "K = N - 1": {"landscape": {"nk_n": 12, "nk_k": 11}},
    "N = 1": {"landscape": {"nk_n": 1, "nk_k": 0}},
    "N = 62, K = 0": {"landscape": {"nk_n": 62, "nk_k": 0}},
    "N = 18, K = 17": {"landscape": {"nk_n": 18, "nk_k": 17}},
    "zero capacity": {"process": {"capacity": (0.0, 0.0)}, "levers": ALL},
    "most capacity": {"process": {"capacity": (1000.0, 1000.0)}},
    "budget 0": {"levers": {"mode": "budget", "budget": {"total": 0.0}}},
    "budget 4, all on culture": {"levers": {"mode": "budget", "budget": {
        "total": 4.0, "process": 0.0, "advocates": 0.0, "culture": 1.0, "technology": 0.0}}},
    "reality, all turbulent": {"landscape": {"kind": "reality", "nk_n": 30, "nk_k": 0,
                                             "p_turbulence": 1.0}},
    "NK, all turbulent": {"landscape": {"p_turbulence": 1.0}},
    "one unit of 60": {"population": {"n_units": 1}},
    "as many units as employees": {"population": {"n_units": 60}},
}

# outcomes that are "no data" (NaN) exactly when nothing was launched
NAN_WITHOUT_LAUNCHES = {"lead_time_median", "lead_time_p90"}


@pytest.mark.parametrize("name", EXTREMES)
def test_extreme_parameters_run_clean_on_both_paths(name):
    cfg = small(**EXTREMES[name])
    kernel = sim.simulate(cfg, seed=5, steps=STEPS)
    mesa = sim.simulate(cfg, seed=5, steps=STEPS, backend="mesa")
    ts = kernel.timeseries
    assert len(ts) == STEPS or bool(ts["converged"].iloc[-1])  # ran to the end, or stopped
    values = ts.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(values).all(), ts.columns[~np.isfinite(values).all(axis=0)].tolist()
    for col in ts.columns:
        if "share" in col or "adoption" in col or col.endswith("fitness"):
            assert ts[col].between(0.0, 1.0).all(), col
    for key, value in kernel.outcomes.items():
        if isinstance(value, float) and math.isnan(value):
            assert key in NAN_WITHOUT_LAUNCHES and kernel.outcomes["launches"] == 0, key
        elif isinstance(value, float):
            assert math.isfinite(value), key
    pd.testing.assert_frame_equal(ts, mesa.timeseries)
    assert kernel.outcomes == mesa.outcomes or all(
        a == b or (a != a and b != b) for a, b in zip(kernel.outcomes.values(),
                                                      mesa.outcomes.values(), strict=True))
