import numpy as np
import pytest

from sim.landscape import (
    build_landscape,
    expected_fitness,
    fitness_of,
    global_max_score,
    redraw_row,
    score,
)
from sim.rng import key_for

pytestmark = pytest.mark.nojit


@pytest.mark.parametrize("n,k", [(1, 0), (6, 0), (8, 3), (10, 9)])
def test_global_max_is_exact(n, k):
    land = build_landscape(n, k, 8.0, seed=4)
    brute = max(score(s, land.dep, land.table) for s in range(1 << n))
    assert land.max_score == brute
    fits = [fitness_of(land.arrays(), s) for s in range(1 << n)]
    assert max(fits) == 1.0 and min(fits) >= 0.0


def test_dependencies_are_distinct_and_include_self():
    land = build_landscape(20, 5, 8.0, seed=1)
    for i in range(20):
        assert land.dep[i, 0] == i
        assert len(set(land.dep[i])) == 6


def test_turbulence_redraw_changes_one_row_and_the_max():
    land = build_landscape(10, 2, 8.0, seed=2)
    table = land.table.copy()
    redraw_row(table, 3, key_for(2, 20, 5))
    changed = np.nonzero((table != land.table).any(axis=1))[0]
    assert list(changed) == [3]
    best, arg = global_max_score(land.dep, table, np.empty(0))
    assert best == max(score(s, land.dep, table) for s in range(1024)) == score(arg, land.dep, table)


def test_reality_landscape_scores_the_share_of_correct_bits():
    land = build_landscape(30, 0, 1.0, seed=3, kind="reality")
    truth = land.optimum
    assert land.max_score == 1.0 and score(truth, land.dep, land.table) == 1.0
    assert score(truth ^ 0b111, land.dep, land.table) == 27 / 30


def test_expected_fitness_averages_undecided_bits():
    land = build_landscape(8, 2, 1.0, seed=6)
    full = (1 << 8) - 1
    for s in (0, 37, 200):
        assert expected_fitness(s, full, land.dep, land.table, land.max_score, 1.0) == \
            fitness_of(land.arrays(), s)
    known = full & ~0b1001  # bits 0 and 3 undecided: average over their four completions
    mean = np.mean([score((37 & known) | c, land.dep, land.table) for c in (0, 1, 8, 9)])
    got = expected_fitness(37, known, land.dep, land.table, land.max_score, 1.0) * land.max_score
    assert abs(got - mean) < 1e-12


def test_k0_allows_long_solutions_and_finds_the_maximum():
    land = build_landscape(40, 0, 8.0, seed=2)
    best = max(land.table[i].max() for i in range(40))
    assert fitness_of(land.arrays(), land.optimum) == 1.0
    assert best <= 1.0


def test_bad_sizes():
    with pytest.raises(ValueError):
        build_landscape(25, 3, 8.0, 0)
    with pytest.raises(ValueError):
        build_landscape(63, 0, 8.0, 0)
    with pytest.raises(ValueError):
        build_landscape(5, 5, 8.0, 0)


def test_the_memo_holds_every_score_exactly():
    from sim.landscape import LandscapeArrays, gray_rank, memo_size

    land = build_landscape(10, 3, 8.0, seed=2)
    assert land.memo.shape == (1024,) and memo_size(10, 0) == 0 and memo_size(30, 3) == 0
    plain = LandscapeArrays(land.dep, land.table, np.empty(0), land.max_score, 8.0)
    for sol in range(1024):
        assert land.memo[gray_rank(sol)] == score(sol, land.dep, land.table)  # bit for bit
        assert fitness_of(land.arrays(), sol) == fitness_of(plain, sol)
    assert sorted(gray_rank(s) for s in range(1024)) == list(range(1024))
