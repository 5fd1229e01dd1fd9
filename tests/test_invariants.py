"""Invariants on every step of several scenarios."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.params import Mech, mechanism_table
from tests.conftest import small

SCENARIOS = ["baseline", "no_investment", "tech_first", "culture_first", "full_pact"]
PROBS = [Mech.P_ABSORB, Mech.P_CODE_LEARN, Mech.SPONSOR_SPEED, Mech.P_EMPOWER,
         Mech.P_SHARE, Mech.P_SUBMIT, Mech.P_ACCEPT_WORSE, Mech.P_LAPSE, Mech.P_EXT,
         Mech.PLATFORM_TIES, Mech.P_FEED, Mech.P_RESOURCEFUL, Mech.FIDELITY,
         Mech.REACH, Mech.P_SOCIALIZE]


@pytest.mark.parametrize("name", SCENARIOS)
def test_series_invariants(name):
    cfg = sim.load_scenario(name, ["population.n_employees=300", "population.n_customers=600"])
    ts = sim.simulate(cfg, seed=4, steps=120).timeseries
    assert not ts.isna().any().any()
    groups = ts[["hero_share", "locked_share", "rogue_share", "disenfranchised_share"]].sum(axis=1)
    assert np.allclose(groups, 1.0, atol=1e-12)
    states = ts[["platform_users", "lapsed_users", "non_users"]].sum(axis=1)
    assert np.allclose(states, 1.0, atol=1e-12)
    for col in ["deployed_fitness", "best_fitness", "code_fitness", "mean_fitness",
                "platform_users", "hero_share", "participation", "customer_adoption"]:
        assert ts[col].between(0.0, 1.0).all(), col
    assert (ts["best_fitness"] >= ts["deployed_fitness"]).all()
    ideas = ts[["ideas_screen", "ideas_develop", "ideas_pilot"]].sum(axis=1)
    assert (ideas <= 300).all() and (ts["launches"] <= ts["submissions"].cumsum()).all()
    assert (np.diff(ts["customer_adoption"]) >= 0).all()  # adopters stay adopters
    # stage_gate: the deployed solution only ever improves, except in a step where the market moved
    calm = ts["turbulence"].to_numpy()[1:] == 0
    assert (np.diff(ts["deployed_fitness"])[calm] >= 0).all()


def test_turbulence_lets_fitness_fall_but_not_break_bounds():
    cfg = small(landscape={"p_turbulence": 0.3})
    ts = sim.simulate(cfg, seed=2, steps=80).timeseries
    assert ts["turbulence"].sum() > 10
    assert ts["deployed_fitness"].between(0, 1).all() and not ts.isna().any().any()


@settings(max_examples=60, deadline=None)
@given(levels=st.lists(st.floats(0, 1), min_size=4, max_size=4), shape=st.floats(0, 50),
       mode=st.sampled_from(["direct", "budget", "schedule"]))
def test_mechanisms_stay_in_bounds(levels, shape, mode):
    names = ["process", "advocates", "culture", "technology"]
    levers = dict(zip(names, levels, strict=True), shape=shape, mode=mode)
    if mode == "budget":
        total = sum(levels)  # shares must sum to 1: all-zero levels split the budget evenly
        shares = [v / total for v in levels] if total > 0 else [0.25] * 4
        levers["budget"] = dict(zip(names, shares, strict=True))
    cfg = small(levers=levers)
    mech = mechanism_table(cfg, 100)
    assert np.isfinite(mech).all()
    probs = mech[:, PROBS]
    assert (probs >= 0).all() and (probs <= 1).all()
    assert (mech[:, Mech.N_ADVOCATES] <= 60).all() and (mech[:, Mech.CAPACITY] >= 0).all()
    assert (mech[:, [Mech.DUR_SCREEN, Mech.DUR_DEVELOP, Mech.DUR_PILOT]] >= 1).all()
