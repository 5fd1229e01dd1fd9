import numpy as np
import pytest

from sim.landscape import build_landscape, fitness, global_max_score, redraw_row, score
from sim.rng import key_for


@pytest.mark.parametrize("n,k", [(1, 0), (6, 0), (8, 3), (10, 9)])
def test_global_max_is_exact(n, k):
    land = build_landscape(n, k, 8.0, seed=4)
    brute = max(score(s, land.dep, land.table) for s in range(1 << n))
    assert land.max_score == brute
    fits = [fitness(s, land.dep, land.table, land.max_score, 8.0) for s in range(1 << n)]
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
    assert global_max_score(land.dep, table) == max(score(s, land.dep, table) for s in range(1024))


def test_bad_sizes():
    with pytest.raises(ValueError):
        build_landscape(25, 3, 8.0, 0)
    with pytest.raises(ValueError):
        build_landscape(5, 5, 8.0, 0)
