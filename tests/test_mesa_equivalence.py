"""The Mesa formulation (sim.model) and the Numba kernel make the same decisions: identical per-step
series, outcomes and lead-time histograms, bit for bit (docs/ARCHITECTURE.md invariant 1), on every
scenario in scenarios/ and on each rule-set variant, at small sizes."""

import math
import subprocess
import sys

import numpy as np
import pytest

import sim
from sim.config import SCENARIO_DIR
from sim.scenario_files import load_scenario
from tests.conftest import ROOT

SEEDS = (0, 1, 2)
STEPS = 40
# applied after loading, so they win over sizes a scenario sets itself
SMALL = ("population.n_employees=60", "population.n_customers=120", "population.n_units=3")
SCENARIOS = sorted(SCENARIO_DIR.glob("**/*.toml"))
# scenarios that differ from baseline only in lever levels or in a lever mode the "budget" and
# "schedule" variants cover, and the largest graph: the slow tier only
SLOW = {"no_investment.toml", "tech_first.toml", "culture_first.toml", "budget_equal.toml",
        "full_pact.toml", "complete"}


def _cases(names, ids):
    return [pytest.param(n, id=i, marks=pytest.mark.slow) if i in SLOW else pytest.param(n, id=i)
            for n, i in zip(names, ids, strict=True)]

VARIANTS = {
    "threshold": ["rules.adoption=threshold", "behaviour.phi=0.1", "behaviour.phi_spread=0.05"],
    "march_code": ["rules.funnel=march_code"],
    "no_funnel": ["rules.funnel=none"],
    # the feed rules, judging noise and copy fidelity at full Technology; looking always
    "feed_best": ["rules.feed=best", "levers.technology=1.0", "behaviour.velocity=1.0"],
    "feed_random": ["rules.feed=random", "levers.technology=1.0", "behaviour.judge_noise=0.2"],
    "feed_diverse": ["rules.feed=diverse", "levers.technology=1.0", "technology.feed_window=3"],
    "no_search": ["rules.search=none"],
    "turbulence": ["landscape.p_turbulence=0.2", "landscape.nk_n=12", "landscape.nk_k=3"],
    "line": ["graph.employee_graph=line"],
    "complete": ["graph.employee_graph=complete"],
    "erdos_renyi": ["graph.employee_graph=erdos_renyi", "graph.k_intra=5"],
    "seed_users": ["technology.n_seed_users=3"],
    "budget": ["levers.mode=budget", "levers.budget.total=2.5", "levers.budget.process=0.4",
               "levers.budget.advocates=0.1", "levers.budget.culture=0.3",
               "levers.budget.technology=0.2"],
    "schedule": ["levers.mode=schedule", "levers.schedule.starts=[0, 5, 12, 20]",
                 'levers.schedule.order=["technology", "culture", "advocates", "process"]'],
    # whole-step stage durations (1, 3, 2) and high capacity: boundary cases of every gate
    "process_full": ["levers.process=1.0", "levers.culture=1.0", "levers.advocates=0.0"],
    "turnover": ["behaviour.p_turnover=0.05", "culture.p_socialize=[0.2, 0.2]", "levers.culture=1.0",
                 "advocates.sponsor_speed=[0.5, 0.9]"],
    # March's mechanics on the PACT model: undecided beliefs, March socialization, a blank code,
    # mixed learners, turnover
    "march_beliefs": ["rules.funnel=march_code", "rules.socialization=march", "rules.code_start=blank",
                      "behaviour.p_belief=0.6", "behaviour.share_slow=0.5", "behaviour.p_turnover=0.05",
                      "culture.p_socialize=[0.5, 0.5]"],
    "march_reality": ["landscape.kind=reality", "landscape.nk_n=30", "landscape.nk_k=0",
                      "landscape.p_turbulence=0.05", "rules.funnel=march_code",
                      "rules.socialization=march", "behaviour.p_belief=0.7",
                      "behaviour.p_turnover=0.02"],
    "stop_at_equilibrium": ["landscape.kind=reality", "landscape.nk_n=16", "landscape.nk_k=0",
                            "rules.funnel=march_code", "rules.socialization=march",
                            "rules.code_start=blank", "rules.search=none", "culture.p_socialize=[0.9, 0.9]",
                            "run.stop_at_equilibrium=true", "technology.p_ext=[0.0, 0.0]"],
}


def _same_outcomes(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k]
        for k in a)


def _check(cfg, seed):
    """Run both backends; assert bit-identical results; return the kernel's result."""
    k = sim.simulate(cfg, seed=seed, steps=STEPS)
    m = sim.simulate(cfg, seed=seed, steps=STEPS, backend="mesa")
    assert list(k.timeseries.columns) == list(m.timeseries.columns)
    for col in k.timeseries.columns:
        a, b = k.timeseries[col].to_numpy(), m.timeseries[col].to_numpy()
        assert a.dtype == b.dtype and np.array_equal(a, b), (
            f"{cfg.name} seed {seed}: series {col} differs first at step "
            f"{int(np.nonzero(a != b)[0][0]) + 1}: kernel {a[a != b][:3]}, mesa {b[a != b][:3]}")
    assert np.array_equal(k.lead_hist, m.lead_hist), f"{cfg.name} seed {seed}: lead_hist differs"
    assert _same_outcomes(k.outcomes, m.outcomes), f"{cfg.name} seed {seed}: outcomes differ: " + ", ".join(
        f"{key} kernel {k.outcomes[key]!r} mesa {m.outcomes[key]!r}" for key in k.outcomes
        if not _same_outcomes({key: k.outcomes[key]}, {key: m.outcomes.get(key)}))
    return k


@pytest.mark.parametrize("path", _cases(SCENARIOS, [p.relative_to(SCENARIO_DIR).as_posix()
                                                     for p in SCENARIOS]))
def test_every_scenario_is_identical_in_both_backends(path):
    cfg = load_scenario(path, SMALL)
    for seed in SEEDS:
        _check(cfg, seed)


@pytest.mark.parametrize("name", _cases(sorted(VARIANTS), sorted(VARIANTS)))
def test_rule_set_variants_are_identical_in_both_backends(name):
    cfg = load_scenario("baseline", [*SMALL, *VARIANTS[name]])
    results = [_check(cfg, seed) for seed in SEEDS]
    ts = [r.timeseries for r in results]
    # the variant really exercises its mechanism, so the comparison above is not vacuous
    if name == "turbulence":
        assert sum(t["turbulence"].sum() for t in ts) > 0
    if name == "march_code":
        assert sum(t["launches"].sum() for t in ts) > 0
    if name == "process_full":
        assert sum(t["launches"].sum() for t in ts) > 0
    if name == "seed_users":
        assert all(t["platform_users"].iloc[0] > 0 for t in ts)
    if name.startswith("march_"):
        assert sum(t["launches"].sum() for t in ts) > 0
        assert any(t["code_knowledge"].nunique() > 1 for t in ts)
    if name == "march_reality":
        assert sum(t["turbulence"].sum() for t in ts) > 0
    if name == "stop_at_equilibrium":
        assert all(len(t) < STEPS and t["converged"].iloc[-1] == 1 for t in ts)


def test_baseline_runs_exercise_the_funnel_and_the_platform():
    """A guard against a vacuous equivalence: the small baseline launches ideas, grows the platform,
    converts employees and moves customers, so every phase's decisions are compared."""
    cfg = load_scenario("baseline", [*SMALL, "levers.process=1.0", "levers.technology=1.0"])
    k = _check(cfg, 3)
    ts = k.timeseries
    assert k.outcomes["launches"] > 0
    assert ts["submissions"].sum() > 0
    assert ts["platform_users"].iloc[-1] > ts["platform_users"].iloc[0]
    assert ts["customer_adoption"].iloc[-1] > 0
    assert ts["mean_fitness"].nunique() > 10


def test_roles_follow_the_flags_and_the_advocates_lever():
    from sim.agents import Advocate, Employee, Hero
    from sim.model import InnovationModel

    model = InnovationModel(load_scenario("baseline", SMALL), seed=4, steps=5)
    heroes = model.agents.select(agent_type=Hero)
    assert len(heroes) == sum(e.empowered and e.resourceful for e in model.employees) > 0
    n_adv = int(model.mech[0, 7])  # Mech.N_ADVOCATES
    assert len(model.agents.select(agent_type=Advocate)) == n_adv > 0
    assert all(isinstance(a, Employee) for a in heroes)
    assert not isinstance(model.customers[0], Hero)
    for _ in range(5):
        model.step()
    assert not model.running
    assert model.outcomes()["final_hero_share"] == len(model.agents.select(agent_type=Hero)) / 60


def test_agents_reach_the_state_without_a_leak():
    """The agents call the rules' compiled entry points on the model's state (sim.agents.RULES),
    and running steps leaves the state's reference count as it was."""
    from numba import config

    from sim.model import InnovationModel

    if config.DISABLE_JIT:
        pytest.skip("no compiled state without the JIT")
    model = InnovationModel(load_scenario("baseline", SMALL), seed=5, steps=6)
    assert all(a.state is model.state
               for a in [*model.employees, *model.customers])
    refs = model.state._meminfo.refcount
    for _ in range(6):
        model.step()
    assert model.state._meminfo.refcount == refs


@pytest.mark.slow
def test_importing_sim_does_not_import_mesa():
    code = "import sys, sim; sys.exit(1 if 'mesa' in sys.modules or 'sim.model' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=120).returncode == 0


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        sim.simulate("baseline", steps=1, backend="netlogo")
