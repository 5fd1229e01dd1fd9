"""Every file under scenarios/ validates and runs a few steps."""

import pytest

import sim
from sim.config import SCENARIO_DIR
from sim.scenario_files import list_scenarios

FILES = sorted(SCENARIO_DIR.rglob("*.toml"))


def test_there_are_scenarios():
    names = set(list_scenarios())
    assert {"baseline", "no_investment", "tech_first", "culture_first", "full_pact"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_validates_and_runs(path):
    cfg = sim.load_scenario(path)
    assert cfg.description, "each scenario says what it represents"
    r = sim.simulate(cfg, seed=1, steps=5)
    assert len(r.timeseries) == 5
    assert not r.timeseries.isna().any().any()
