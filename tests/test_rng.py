import hashlib
import warnings

import numpy as np
import pytest
from scipy import stats

from sim.rng import Stream, bits, key_for, normal, randint, uniform

pytestmark = pytest.mark.nojit


def _draws(seed, stream, step, n, slot=0):
    k = key_for(seed, stream, step)
    return np.array([uniform(k, i, slot) for i in range(n)])


def test_pure_function_of_its_keys():
    k = key_for(7, Stream.SEARCH, 3)
    assert uniform(k, 11, 2) == uniform(key_for(7, Stream.SEARCH, 3), 11, 2)
    assert uniform(k, 11, 2) != uniform(k, 11, 3)
    assert uniform(k, 11, 2) != uniform(key_for(7, Stream.SEARCH, 4), 11, 2)
    assert uniform(k, 11, 2) != uniform(key_for(8, Stream.SEARCH, 3), 11, 2)


def test_uniformity_chi_square():
    u = _draws(1, Stream.PLATFORM, 0, 200_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    counts, _ = np.histogram(u, bins=100, range=(0, 1))
    assert stats.chisquare(counts).pvalue > 1e-3
    # slots of one agent are uniform too
    k = key_for(1, Stream.SEARCH, 5)
    v = np.array([uniform(k, 3, s) for s in range(50_000)])
    assert stats.chisquare(np.histogram(v, bins=50, range=(0, 1))[0]).pvalue > 1e-3


def test_streams_are_independent():
    a = _draws(5, Stream.PLATFORM, 2, 100_000)
    b = _draws(5, Stream.SEARCH, 2, 100_000)
    c = _draws(5, Stream.PLATFORM, 3, 100_000)  # next step, same stream
    for x, y in ((a, b), (a, c)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 0.015
        joint, _, _ = np.histogram2d(x, y, bins=10, range=[[0, 1], [0, 1]])
        assert stats.chisquare(joint.ravel()).pvalue > 1e-3
    assert not np.array_equal(a, b)


def test_bits_avalanche():
    k = key_for(0, Stream.GATE, 0)
    # neighbouring agents differ in about half of the 64 bits
    flips = [bin(int(bits(k, i, 0)) ^ int(bits(k, i + 1, 0))).count("1") for i in range(2000)]
    assert 30 < np.mean(flips) < 34


def test_randint_and_normal():
    k = key_for(3, Stream.SEARCH, 1)
    r = np.array([randint(k, i, 0, 7) for i in range(70_000)])
    assert r.min() == 0 and r.max() == 6
    assert stats.chisquare(np.bincount(r)).pvalue > 1e-3
    z = np.array([normal(k, i, 0) for i in range(50_000)])
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_normal_is_the_inverse_distribution_function_at_the_uniforms_midpoint():
    """``normal`` is AS241 (Python's ``statistics.NormalDist.inv_cdf``) at (m + 1/2) / 2**53 for
    the draw's 53 bits m, the upper half by symmetry from its exact tail."""
    import statistics

    inv = statistics.NormalDist().inv_cdf
    k = key_for(11, Stream.JUDGE, 4)
    for i in range(20_000):
        m = int(bits(k, i, 3)) >> 11
        tail = (m + 0.5) / 2**53 if m < 2**52 else (2**53 - m - 0.5) / 2**53  # both exact
        want = inv(tail) if m < 2**52 else -inv(tail)
        assert normal(k, i, 3) == want


def test_draws_are_the_same_with_and_without_the_jit():
    """A digest of fixed draws, committed: it holds compiled and under NUMBA_DISABLE_JIT=1 (where the
    uint64 hash arithmetic wraps in NumPy scalars, which warn on the intended overflow)."""
    h = hashlib.sha256()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)
        for seed in (0, 7, 2**63 - 1):
            for stream in (Stream.SEARCH, Stream.GATE):
                k = key_for(seed, stream, 5)
                for i in range(300):
                    h.update(np.array([bits(k, i, 2), uniform(k, i, 0), normal(k, i, 1),
                                       randint(k, i, 0, 13)]).tobytes())
    assert h.hexdigest() == "208649107a5db00445456529f102a18238b922ac2c6dbb15bac51cf4bc2f4bcf"
