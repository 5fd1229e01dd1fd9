"""The run's state (sim/state.py) and the step (sim/phases.py): one list of fields, one phase order,
and a Mesa model that visits agents in another order fails the equivalence the real one passes."""

import inspect

import numpy as np
import pytest

import sim
from sim.enums import Count, Stage
from sim.metrics import Series, Tally
from sim.params import build_inputs
from sim.phases import STEP, Phase
from sim.scenario_files import load_scenario
from sim.state import FIELDS, NAMES, new_state
from sim.world import build_world
from tests.conftest import small

SMALL = ("population.n_employees=60", "population.n_customers=120", "population.n_units=3")


def _state(cfg, seed=1, steps=10):
    return new_state(build_world(cfg, seed), build_inputs(cfg, steps), seed, steps)


@pytest.mark.nojit
def test_the_constructor_takes_the_fields_in_their_order():
    from sim.state import _make

    func = getattr(_make, "py_func", _make)
    assert tuple(inspect.signature(func).parameters) == NAMES
    assert len(set(NAMES)) == len(FIELDS)


@pytest.mark.nojit
def test_every_phase_is_in_the_step_once():
    assert sorted(STEP) == sorted(Phase) and len(STEP) == len(Phase)
    assert STEP[-1] == Phase.MEASURE  # the metrics see the whole step


@pytest.mark.nojit
def test_a_new_state_is_initialised_and_shares_memory_with_its_arrays():
    cfg = small()
    s = _state(cfg)
    rows = s.arrays
    n = cfg.population.n_employees
    assert rows["solution"].shape == (n,) and (rows["idea_stage"] == Stage.NONE).all()
    assert rows["fitness"].min() > 0.0  # R0 ran: every employee has a solution and its fitness
    assert rows["known"].max() > 0 and not rows["counts"].any()
    # the compiled state writes the same memory the Python side reads
    from sim.phases import begin_step, run_phase
    begin_step(s, 0)
    run_phase(s, Phase.SEARCH)
    assert (rows["solution"] != rows["solution_next"]).sum() == 0  # applied: next copied over
    run_phase(s, Phase.MEASURE)
    assert rows["tally"][Tally.STEPS_RUN] == 1 and rows["series"][0, Series.DEPLOYED_FITNESS] > 0.0


def test_counts_reset_each_step():
    cfg = load_scenario("baseline", [*SMALL, "levers.process=1.0"])
    s = _state(cfg, steps=30)
    from sim.phases import begin_step, run_phase
    seen = 0
    for t in range(30):
        begin_step(s, t)
        assert not s.arrays["counts"].any()
        for phase in STEP:
            run_phase(s, phase)
        seen += s.arrays["counts"][Count.SUBMISSIONS]
    assert seen == s.arrays["series"][:, Series.SUBMISSIONS].sum() > 0  # step by step


def _asynchronous_model():
    """A Mesa model that applies each employee's platform decision as soon as it is made, so a
    later colleague sees it within the same step (what its row shows is taken again after each
    decision): the visiting order the equivalence guards."""
    from sim.model import InnovationModel
    from sim.phases import show_rows

    class Asynchronous(InnovationModel):
        def adopt_platform(self):
            k = self.key(sim.rng.Stream.PLATFORM)
            for e in self.employees:
                show_rows(self.state)
                e.plan_platform(k)
                e.apply_platform()

    return Asynchronous


def _series(model):
    while model.running:
        model.step()
    return model.series.copy()


def test_a_change_to_the_visiting_order_fails_the_equivalence():
    from sim.model import InnovationModel

    cfg = load_scenario("baseline", [*SMALL, "levers.technology=1.0"])
    kernel = sim.simulate(cfg, seed=2, steps=25).timeseries
    same = _series(InnovationModel(cfg, seed=2, steps=25))
    other = _series(_asynchronous_model()(cfg, seed=2, steps=25))
    users = kernel["platform_users"].to_numpy()
    assert np.array_equal(same[:, Series.PLATFORM_USERS], users)  # the real model agrees
    assert not np.array_equal(other[:, Series.PLATFORM_USERS], users)  # the other does not


@pytest.mark.nojit
def test_both_formulations_agree_on_a_short_run():
    """Short enough to run as plain Python too (the nojit run), where every phase and rule runs
    line by line."""
    cfg = load_scenario("baseline", [*SMALL, "levers.process=1.0", "levers.technology=1.0"])
    k = sim.simulate(cfg, seed=3, steps=8)
    m = sim.simulate(cfg, seed=3, steps=8, backend="mesa")
    assert k.timeseries.equals(m.timeseries) and np.array_equal(k.lead_hist, m.lead_hist)
    assert k.timeseries["submissions"].sum() > 0 and k.timeseries["platform_users"].iloc[-1] > 0


def test_the_feed_orders_its_window_as_a_stable_sort_of_the_whole_pool():
    """R3f: feed_pool puts only the first feed_window posts in order, in one selection pass; they
    are the posts, in the order, that a stable sort of the whole pool by the feed's key gives
    (ties by employee index: fitness ties are common, copies share a solution)."""
    from sim.enums import FeedRule, Platform
    from sim.rng import Stream, key_for, uniform
    from sim.rules.search import feed_pool

    for rule in ("recent", "best", "diverse"):
        for window in (1, 2, 3, 10, 70):
            cfg = small(rules={"feed": rule}, technology={"feed_window": window})
            s = _state(cfg)
            a = s.arrays
            rng = np.random.default_rng(window)
            a["shared"][:] = rng.random(60) < 0.7
            a["platform"][:] = np.where(rng.random(60) < 0.8, Platform.ACTIVE, Platform.NON_USER)
            a["t_changed"][:] = rng.integers(0, 3, 60)  # many posts changed at the same step
            a["fitness"][:] = rng.integers(0, 4, 60) / 4  # and many equal fitnesses
            k = key_for(3, Stream.FEED, 0)
            feed_pool(s, k)
            posts = np.flatnonzero(a["shared"] & (a["platform"] == Platform.ACTIVE))
            if FeedRule[rule.upper()] == FeedRule.RECENT:
                keys = np.array([a["t_changed"][j] + uniform(k, j, 2) for j in posts])
            else:
                keys = a["fitness"][posts]
            want = posts[np.argsort(-keys, kind="stable")][:max(2, window)]
            assert np.array_equal(a["pool"][:len(want)], want), (rule, window)


def test_a_run_never_writes_its_worlds_landscape():
    """The market's moves rewrite the run's own copies of the table and memo, made when it first
    moves; the world's (shared by the runs of a sweep) stay as built."""
    cfg = small(landscape={"p_turbulence": 0.5})
    world = build_world(cfg, 2)
    table, memo = world.landscape.table.copy(), world.landscape.memo.copy()
    from sim.engine import run_arrays

    series, _, _ = run_arrays(world, build_inputs(cfg, 30), 2, 30)
    assert series[:, Series.TURBULENCE].sum() > 5  # the market moved
    assert np.array_equal(world.landscape.table, table)
    assert np.array_equal(world.landscape.memo, memo)


def test_the_kernel_assigns_only_the_fields_it_declares_written():
    """The kernel's view of the state loads every field outside ``WRITTEN`` as invariant
    (sim.state): assigning one through it must fail to compile, not run on stale values."""
    from numba import njit
    from numba.core.errors import TypingError

    from sim.state import FIXED, WRITTEN, borrow

    assert WRITTEN <= set(NAMES) and FIXED == set(NAMES) - WRITTEN
    s = _state(small())

    @njit
    def set_step(state):
        view = borrow(state)
        view.t = 4
        return view.t + view.seed

    @njit
    def set_seed(state):
        view = borrow(state)
        view.seed = 3

    assert set_step(s) == 4 + 1
    with pytest.raises(TypingError, match="WRITTEN"):
        set_seed(s)


def test_the_runs_kinds_of_ties_follow_the_share_of_platform_ties():
    # rewritten when the step's share changes, and only for latent platform ties
    from sim.enums import EdgeKind
    from sim.params import Mech
    from sim.phases import begin_step
    from sim.rules.ties import ABSENT

    cfg = load_scenario("baseline", [*SMALL, "graph.k_platform=6"])
    world = build_world(cfg, 3)
    s = new_state(world, build_inputs(cfg, 5), 3, 5)
    kind, eu = world.graph.kind, world.graph.eu
    platform = kind == EdgeKind.PLATFORM
    assert platform.sum() > 50
    for t, share in enumerate((0.3, 0.3, 0.8, 0.0, 1.0)):
        s.arrays["mech"][t, Mech.PLATFORM_TIES] = share
        begin_step(s, t)
        live = s.arrays["tie_kind"]
        assert np.array_equal(live[~platform], kind[~platform])
        assert np.array_equal(live[platform] == EdgeKind.PLATFORM, eu[platform] < share)
        assert np.all(live[platform][eu[platform] >= share] == ABSENT)
    assert 0 < (eu[platform] < 0.3).sum() < platform.sum()


def test_what_a_row_shows_is_its_platform_state_advocacy_and_sharing():
    from sim.enums import Platform, Shows
    from sim.params import Mech
    from sim.phases import begin_step, show_rows

    cfg = load_scenario("baseline", list(SMALL))
    s = new_state(build_world(cfg, 4), build_inputs(cfg, 5), 4, 5)
    rows = s.arrays
    rng = np.random.default_rng(0)
    rows["platform"][:] = rng.integers(0, 3, rows["platform"].shape[0])
    rows["shared"][:] = rng.random(rows["shared"].shape[0]) < 0.5
    rows["mech"][2, Mech.N_ADVOCATES] = 7
    begin_step(s, 2)
    show_rows(s)
    shows = rows["shows"]
    assert np.array_equal((shows & Shows.ACTIVE) != 0, rows["platform"] == Platform.ACTIVE)
    assert np.array_equal((shows & Shows.ADVOCATE) != 0, rows["adv_rank"] < 7)
    assert np.array_equal((shows & Shows.SHARED) != 0, rows["shared"])
    assert 0 < ((shows & Shows.ADVOCATE) != 0).sum() == 7
