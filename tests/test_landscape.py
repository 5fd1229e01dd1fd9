import numpy as np
import pytest

from sim.landscape import (
    block_bounds,
    build_landscape,
    expected_fitness,
    fitness_of,
    global_max_score,
    n_blocks,
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
    best, arg = global_max_score(land.dep, table, np.empty(0), np.empty(0))
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


def _plain_enumeration(dep, table):
    """The exact search as stated: every solution gray(g) scored from 0.0 in contribution order,
    the first strict maximum in rank order g."""
    n, kp1 = dep.shape
    memo = np.empty(1 << n)
    best, arg = -1.0, 0
    for g in range(1 << n):
        sol = g ^ (g >> 1)
        total = 0.0
        for i in range(n):
            idx = 0
            for b in range(kp1):
                idx |= ((sol >> int(dep[i, b])) & 1) << b
            total += table[i, idx]
        memo[g] = total / n
        if total > best:
            best, arg = total, sol
    return memo, best / n, arg


@pytest.mark.parametrize("n,k", [(2, 1), (4, 3), (5, 1), (6, 2), (7, 6), (8, 5), (9, 3)])
def test_fast_enumeration_is_bit_identical_to_a_plain_one(n, k):
    """The memo, the maximum and its solution of global_max_score (blocks of ranks, quarters side
    by side) equal the plain enumeration's bit for bit, ties included (coarse tables have many),
    with and without a memo."""
    for seed in range(3):
        rng = np.random.default_rng([n, k, seed])
        dep = np.empty((n, k + 1), np.int64)
        for i in range(n):
            dep[i, 0] = i
            dep[i, 1:] = rng.choice(np.delete(np.arange(n), i), k, replace=False)
        for table in (rng.random((n, 1 << (k + 1))), rng.integers(0, 3, (n, 1 << (k + 1))) / 4):
            memo, bound = np.empty(1 << n), np.full(n_blocks(1 << n), -1.0)
            best, arg = global_max_score(dep, table, memo, bound)
            want_memo, want_best, want_arg = _plain_enumeration(dep, table)
            assert np.array_equal(memo, want_memo)
            assert np.array_equal(bound, block_bounds(want_memo))  # each block's highest score
            assert (best, arg) == (want_best, want_arg)
            assert global_max_score(dep, table, np.empty(0), np.empty(0)) == (want_best, want_arg)


def test_built_landscape_memo_matches_the_plain_enumeration():
    land = build_landscape(10, 2, 8.0, seed=7)
    memo, best, arg = _plain_enumeration(land.dep, land.table)
    assert np.array_equal(land.memo, memo)
    assert np.array_equal(land.bound, block_bounds(memo))
    assert (land.max_score, land.optimum) == (best, arg)


def test_compiled_block_step_equals_the_plain_loop():
    from numba import njit

    from sim.landscape import _block_step, _block_step_py

    call = njit(lambda blocks, row, n, memo, bound, g0, stride, keep, best, arg_c, c:
                _block_step(blocks, row, n, memo, bound, g0, stride, keep, best, arg_c, c))
    rng = np.random.default_rng(2)
    blocks = rng.random(3200) * 10.0 ** rng.integers(-8, 8, 3200)  # sums that round
    for n in (1, 5, 3, 20):  # 3: a divisor whose quotients round
        row = rng.integers(0, 98, n) * 32 + rng.integers(0, 2, n)  # unaligned rows too
        memo, want = np.full(100, -1.0), np.full(100, -1.0)
        bound, want_bound = np.full(13, -1.0), np.full(13, -1.0)
        sums = [sum((blocks[row[i] + k] for i in range(n)), 0.0) for k in range(32)]
        # a running maximum from an earlier step: some sums above it, some not, one equal
        best = np.array(sums) + rng.choice([-1.0, 0.0, 1.0], 32) * np.abs(sums) * 1e-3
        best[5] = sums[5]
        arg_c, want_best, want_arg, old = np.full(32, 4), best.copy(), np.full(32, 4), best.copy()
        assert call(blocks, row, n, memo, bound, 8, 16, 1, best, arg_c, 9) == 0
        _block_step_py(blocks, row, n, want, want_bound, 8, 16, 1, want_best, want_arg, 9)
        assert np.array_equal(memo, want) and (memo[[8, 15, 24, 63]] != -1.0).all()
        assert memo[15] == sums[7] / n and memo[57] == sums[25] / n  # at 8 + 16 q + r
        assert np.array_equal(bound, want_bound)
        assert list(bound[[1, 3, 5, 7]]) == [max(memo[b * 8:b * 8 + 8]) for b in (1, 3, 5, 7)]
        assert np.array_equal(best, want_best) and np.array_equal(arg_c, want_arg)
        assert list(arg_c == 9) == [s > b for s, b in zip(sums, old, strict=True)]
        assert arg_c[5] == 4 and 0 < (arg_c == 9).sum() < 32  # equal to the best: not replaced
        untouched, none = np.full(100, -1.0), np.full(13, -1.0)
        again = np.full(32, -1.0)
        call(blocks, row, n, untouched, none, 8, 16, 0, again, arg_c, 11)
        assert (untouched == -1.0).all() and (none == -1.0).all()
        assert list(again) == sums and (arg_c == 11).all()


_SLOW = pytest.mark.slow  # about 2.7 s each; one case stays in the fast tier


@pytest.mark.parametrize("n,k,coarse", [(10, 3, True), pytest.param(2, 1, False, marks=_SLOW),
                                        pytest.param(5, 2, True, marks=_SLOW),
                                        pytest.param(10, 3, False, marks=_SLOW),
                                        pytest.param(13, 5, True, marks=_SLOW),
                                        pytest.param(16, 4, True, marks=_SLOW)])
def test_lazy_turbulence_equals_shifting_every_score(n, k, coarse):
    """Turbulence logs each move's shift, adds the shifts to a score when it is read, and searches
    the new maximum in the blocks whose bound can reach it: every score read, the maximum and its
    solution (the first in rank order; coarse tables tie often) equal shifting every score of the
    memo at each move, bit for bit. N = 16 has 128 superblocks, most of whose raises wait."""
    from dataclasses import replace

    from numba import njit

    from sim.landscape import Landscape, current_score, gray_rank, super_bounds
    from sim.params import build_inputs
    from sim.rules.market import turbulence, turbulence_row
    from sim.state import new_state
    from sim.world import build_world
    from tests.conftest import small

    @njit
    def move(s, key, ranks):  # the market moves, then scores are read as the rules read them
        turbulence(s, key)
        out = np.empty(ranks.shape[0])
        for i in range(ranks.shape[0]):
            out[i] = current_score(s, ranks[i] ^ (ranks[i] >> 1))
        return s.max_score, s.optimum, out, (s.fresh < s.moves).sum()

    steps = 40
    cfg = small(landscape={"nk_n": n, "nk_k": k, "p_turbulence": 1.0})
    world = build_world(cfg, 5)
    land = world.landscape
    if coarse:
        table = np.round(land.table * 4) / 4
        memo = np.empty(1 << n)
        bound = np.empty(n_blocks(memo.shape[0]))
        best, arg = global_max_score(land.dep, table, memo, bound)
        land = Landscape(land.dep, table, best, land.exponent, arg, memo, bound,
                         super_bounds(bound))
        world = replace(world, landscape=land)
    s = new_state(world, build_inputs(cfg, steps), 5, steps)
    table, memo, built = land.table.copy(), land.memo.copy(), land.memo.copy()
    sols = np.arange(1 << n) ^ (np.arange(1 << n) >> 1)
    rng = np.random.default_rng(n)
    waited = 0  # the most superblocks whose raises waited after a move
    for t in range(steps):
        key = key_for(5, 20, t)
        row = turbulence_row(1.0, n, key)
        old = table[row].copy()
        redraw_row(table, row, key)
        idx = sum(((sols >> int(d)) & 1) << b for b, d in enumerate(land.dep[row]))
        memo += ((table[row] - old) / n)[idx]
        ranks = rng.integers(0, 1 << n, 8)
        best, optimum, read, lagging = move(s, key, ranks)
        waited = max(waited, lagging)
        g = int(np.argmax(memo))  # the first maximum in rank order
        assert (best, optimum) == (memo[g], sols[g]) and gray_rank(optimum) == g
        assert np.array_equal(read, memo[ranks])
    assert np.array_equal(land.memo, built)  # the world's memo is never written
    assert waited > 0 or n < 16
