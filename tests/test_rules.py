"""Each rule: bounds and limit cases (ODD section 7)."""


import numpy as np
import pytest
from scipy import stats

import sim
from sim.enums import Group
from sim.enums import SocializationRule as Soc
from sim.landscape import build_landscape, fitness_of
from sim.rng import Stream, key_for
from sim.rules import advocates, beliefs, culture, market, process, search, technology, ties
from tests.conftest import small

pytestmark = pytest.mark.nojit

K = key_for(11, Stream.SEARCH, 4)

# A whole run cannot be made without the JIT: sim.state.new_state builds the run state with numba's
# structref.new, an intrinsic with no pure-Python form. Strict, so the mark must go once it can.
def test_platform_rule_limits():
    for agent in range(200):
        # zero push, zero imitation: a non-user never adopts, under either rule set
        assert technology.platform_next(0, 0, 1.0, 0.0, 0.0, 0.5, 0.0, K, agent) == 0
        assert technology.platform_next(1, 0, 0.0, 0.0, 0.3, 0.5, 0.0, K, agent) == 0
        # certain push: adopts; certain lapse: lapses
        assert technology.platform_next(0, 0, 0.0, 1.0, 0.0, 0.5, 0.0, K, agent) == 1
        assert technology.platform_next(0, 1, 0.0, 0.0, 0.0, 0.5, 1.0, K, agent) == 2
        # threshold: reached share adopts, below it does not (without push)
        assert technology.platform_next(1, 0, 0.5, 0.0, 0.0, 0.5, 0.0, K, agent) == 1
        assert technology.platform_next(1, 0, 0.49, 0.0, 0.0, 0.5, 0.0, K, agent) == 0


def test_a_share_the_draw_makes_irrelevant_changes_no_decision():
    """R1: when share_decides says the draw alone decides, the decision with any share equals the
    one with share 0 (the kernel then skips summing it); the shortcut is taken often."""
    rng = np.random.default_rng(3)
    skipped = 0
    for agent in range(3000):
        rule, state = int(rng.integers(0, 2)), int(rng.choice([0, 2]))
        p_ext, q, thr = rng.choice([0.0, 0.01, 0.3, 1.0]), rng.choice([0.0, 0.3, 1.0]), rng.random()
        if technology.share_decides(rule, p_ext, q, K, agent):
            continue
        skipped += 1
        for share in (0.0, 0.2, thr, 1.0):
            assert (technology.platform_next(rule, state, share, p_ext, q, thr, 0.0, K, agent)
                    == technology.platform_next(rule, state, 0.0, p_ext, q, thr, 0.0, K, agent))
    assert skipped > 1000


def test_platform_tie_activity():
    from sim.enums import Shows

    active, adv, shared = Shows.ACTIVE, Shows.ADVOCATE, Shows.SHARED
    # latent platform tie: only if it exists at this Technology level and both ends are active
    assert ties.tie_exists(0.3, 0.5) and not ties.tie_exists(0.7, 0.5)
    assert not ties.tie_exists(0.5, 0.5)
    assert ties.tie_active(2, active, active | shared)
    assert not ties.tie_active(ties.ABSENT, active, active)
    assert not ties.tie_active(2, active, shared | adv)
    # advocate tie: only while an end is an advocate
    assert ties.tie_active(3, 0, adv) and ties.tie_active(3, adv, 0)
    assert not ties.tie_active(3, active, active | shared)
    # intra- and inter-unit ties always
    assert ties.tie_active(0, 0, 0) and ties.tie_active(1, 0, 0)


def test_zero_adoption_probabilities_nobody_adopts():
    cfg = small(technology={"p_ext": (0.0, 0.0)}, advocates={"share": (0.0, 0.0)})
    r = sim.simulate(cfg, seed=1, steps=40)
    assert (r.timeseries["platform_users"] == 0).all()
    # R1c: advocates the platform reaches adopt it at once, and no one else without a push
    cfg = small(technology={"p_ext": (0.0, 0.0), "reach": (1.0, 1.0)}, behaviour={"q_adopt": 0.0},
                culture={"p_lapse": (0.0, 0.0)})
    r = sim.simulate(cfg, seed=1, steps=40)
    n_adv = r.timeseries["advocates"].to_numpy()
    assert (np.round(r.timeseries["platform_users"].to_numpy() * 60) == n_adv).all() and n_adv[0] > 0
    cfg = small(customers={"p_value": 0.0, "rel_value": 0.0, "q_wom": 0.5})
    r = sim.simulate(cfg, seed=1, steps=40)
    assert (r.timeseries["customer_adoption"] == 0).all()


def test_no_funnel_capacity_no_launches():
    cfg = small(process={"capacity": (0.0, 0.0)}, landscape={"p_turbulence": 0.0})
    r = sim.simulate(cfg, seed=2, steps=60)
    assert r.outcomes["launches"] == 0
    assert (r.timeseries["deployed_fitness"] == r.timeseries["deployed_fitness"].iloc[0]).all()
    assert r.timeseries["submissions"].sum() > 0  # ideas arrive; none gets through


def test_k0_local_search_reaches_global_max():
    land = build_landscape(16, 0, 8.0, seed=5)
    for agent in range(5):
        sol = beliefs.random_solution(16, K, agent, 0)
        fit = fitness_of(land.arrays(), sol)
        for step in range(400):
            key = key_for(1, Stream.SEARCH, step)
            sol, fit, _ = search.search(sol, fit, sol, -1.0, False, False, 1, 0.0, 0.0,
                                        land.arrays(), key, agent)
        assert fit == 1.0


def test_copy_and_explore():
    land = build_landscape(12, 3, 8.0, seed=1)
    src = 0b101010101010
    assert search.copy_bits(0, src, 0.0, K, 1) == src  # exact copy without errors
    assert search.copy_bits(0, src, 1.0, K, 1) == 0  # every bit miscopied
    for agent in range(50):
        mask = search.explore_mask(12, 3, K, agent)
        assert 1 <= bin(mask).count("1") <= 3 and mask < (1 << 12)
        sol = beliefs.random_solution(12, K, agent, 0)
        fit = fitness_of(land.arrays(), sol)
        s2, f2, _ = search.search(sol, fit, sol, -1.0, True, False, 2, 0.0, 0.0, land.arrays(),
                                  K, agent)
        assert f2 >= fit  # without tolerance of worse changes, search never loses fitness


def _stay(p, n):
    """The socialization table's row for rate ``p`` on ``n`` bits (``sim.params``), as one row."""
    from sim.params import Const, Mech, socialization_table

    mech, const = np.zeros((1, len(Mech))), np.zeros(len(Const))
    mech[0, Mech.P_SOCIALIZE] = p
    return socialization_table(mech, const, n)[:1]


@pytest.mark.parametrize("p", [0.03, 0.3, 0.9])
def test_socialization_takes_each_bit_on_its_own_with_its_rate(p):
    """R6a draws how many bits pass before the next socialized one, not one draw per bit: each
    considered bit must still be socialized with p, independently of the others (the number
    taken per employee is binomial, and bits 0 and 19 are taken together with p**2)."""
    n, runs = 20, 40_000
    full = (1 << n) - 1
    stay = _stay(p, n)
    sols = np.array([culture.socialize(0, full, full, full, stay, 0, Soc.ADOPT, K, a)[0]
                     for a in range(runs)])
    took = (sols[:, None] >> np.arange(n)) & 1
    assert np.all(np.abs(took.mean(axis=0) - p) < 4.5 * np.sqrt(p * (1 - p) / runs))
    both = np.mean(took[:, 0] & took[:, n - 1])
    assert abs(both - p * p) < 4.5 * np.sqrt(p * p * (1 - p * p) / runs)
    counts = np.bincount(took.sum(axis=1), minlength=n + 1)
    expected = stats.binom.pmf(np.arange(n + 1), n, p) * runs
    keep = expected >= 5  # pool the sparse ends into their neighbours for the chi-square test
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(obs[exp > 0], exp[exp > 0] * obs.sum() / exp[exp > 0].sum()).pvalue > 1e-4


def test_culture_rules():
    assert culture.group(True, True) == Group.HERO
    assert culture.group(False, False) == Group.DISENFRANCHISED
    full = 0b1111
    assert culture.socialize(0b0000, full, 0b1111, full, _stay(1.0, 4), 0, Soc.ADOPT, K, 0) == \
        (0b1111, full)
    assert culture.socialize(0b0000, full, 0b1111, full, _stay(0.0, 4), 0, Soc.ADOPT, K, 0) == \
        (0, full)
    # March: an opposite belief becomes undecided, an undecided one takes the code's value; the
    # code's undecided bits (here bit 3) move nobody
    got = culture.socialize(0b0001, 0b0011, 0b0110, 0b0111, _stay(1.0, 4), 0, Soc.MARCH, K, 0)
    assert got == (0b0100, 0b0100)
    assert not culture.submits(0, 0.5, 0.5, 1.0, 1, 1, 1, 1, K, 0)  # not better: never submits
    assert culture.submits(0, 0.6, 0.5, 1.0, 1, 1, 1, 1, K, 0)
    assert not culture.submits(3, 0.6, 0.5, 1.0, 1, 1, 1, 0.0, K, 0)
    shares = [culture.newcomer_flags(0.2, 0.34, 0.13, K, a) for a in range(20_000)]
    hero = np.mean([e and r for e, r in shares])
    assert abs(hero - 0.2) < 0.02


def test_process_rules():
    assert sum(process.reviews_allowed(2.5, t) for t in range(100)) == 250
    assert sum(process.reviews_allowed(0.0, t) for t in range(100)) == 0
    assert process.gate_passes(0.1, 0.0, 0, 0.1, 0.0, K, 1, 0)
    assert not process.gate_passes(-0.1, 0.0, 0, 0.1, 0.0, K, 1, 0)
    assert process.absorb(0b0000, 0b1011, 4, 1.0, K, 0) == 0b1011
    assert process.withdrawn(0.5, 0.5) and not process.withdrawn(0.6, 0.5)
    ones = np.array([10, 0, 10, 0], dtype=np.int64)
    # 10 superior employees all act 1 on bits 0 and 2; p2 = 1 makes the code take them
    assert process.code_learn(0b0000, 0b1111, ones, 10, 4, 1.0, K) == (0b0101, 0b1111)
    assert process.code_learn(0b0000, 0b1111, ones, 10, 4, 0.0, K) == (0, 0b1111)
    # a blank code takes the majority on every bit where the superior group is not split
    ones = np.array([7, 3, 5, 0], dtype=np.int64)
    assert process.code_learn(0, 0, ones, 10, 4, 1.0, K) == (0b0001, 0b1011)
    # acting flips coins only where undecided
    assert process.act(0b1010, 0b1111, 4, K, 0) == 0b1010
    acts = [process.act(0b0010, 0b0011, 4, K, a) for a in range(2000)]
    assert all(a & 0b0011 == 0b0010 for a in acts)
    assert abs(np.mean([(a >> 3) & 1 for a in acts]) - 0.5) < 0.05


def test_advocate_rules():
    assert advocates.is_advocate(2, 3.0) and not advocates.is_advocate(3, 3.0)
    assert advocates.tie_weight(True, 4.0) == 4.0 and advocates.tie_weight(False, 4.0) == 1.0
    assert advocates.stage_duration(10.0, True, 0.5) == 5.0
    assert advocates.idea_priority(True, 50, 3, 10) < advocates.idea_priority(False, 0, 0, 10)
    assert advocates.idea_priority(False, 1, 9, 10) < advocates.idea_priority(False, 2, 0, 10)


def test_market_rules():
    assert not market.customer_adopts(0.0, 0.0, 0.5, 0.0, 1.0, K, 0)
    assert market.customer_adopts(0.0, 0.0, 0.0, 1.0, 1.0, K, 0)
    assert market.turbulence_row(0.0, 10, K) == -1
    assert 0 <= market.turbulence_row(1.0, 10, K) < 10
