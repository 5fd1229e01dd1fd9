"""The NK fitness landscape of the customers' problem (ODD rule R0-NK).

A solution is an ``nk_n``-bit integer. Bit ``i`` contributes ``table[i, idx]`` where ``idx`` packs
the values of the bits ``dep[i, 0..K]`` (``dep[i, 0] == i``). The score is the mean contribution and
the fitness is ``(score / max_score) ** exponent`` (Lazer & Friedman 2007), so the global optimum has
fitness 1. ``max_score`` is found exactly by enumerating all 2**N solutions in Gray-code order,
summing contributions in the same order as :func:`score` so the maximum is bit-identical to a score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.rng import Stream, generator, uniform

MAX_N = 24  # 2**24 solutions enumerate in about a second; beyond that the exact maximum is too slow


@dataclass(frozen=True)
class Landscape:
    """NK landscape arrays. ``dep``: int64 (N, K+1); ``table``: float64 (N, 2**(K+1))."""

    dep: np.ndarray
    table: np.ndarray
    max_score: float
    exponent: float

    @property
    def n(self) -> int:
        return self.dep.shape[0]

    @property
    def k(self) -> int:
        return self.dep.shape[1] - 1


def build_landscape(n: int, k: int, exponent: float, seed: int) -> Landscape:
    """Draw an NK landscape with N = ``n`` bits and K = ``k`` random interacting bits per bit."""
    if not 1 <= n <= MAX_N:
        raise ValueError(f"nk_n must be in [1, {MAX_N}], got {n}")
    if not 0 <= k < n:
        raise ValueError(f"nk_k must be in [0, nk_n - 1], got {k}")
    rng = generator(seed, Stream.LANDSCAPE)
    dep = np.empty((n, k + 1), dtype=np.int64)
    for i in range(n):
        others = np.delete(np.arange(n), i)
        dep[i, 0] = i
        dep[i, 1:] = rng.choice(others, size=k, replace=False)
    table = rng.random((n, 1 << (k + 1)))
    return Landscape(dep, table, float(global_max_score(dep, table)), float(exponent))


@njit(cache=True)
def score(sol, dep, table):
    """Mean contribution of solution ``sol`` (an int), in [0, 1)."""
    n, kp1 = dep.shape
    total = 0.0
    for i in range(n):
        idx = 0
        for b in range(kp1):
            idx |= ((sol >> dep[i, b]) & 1) << b
        total += table[i, idx]
    return total / n


@njit(cache=True)
def fitness(sol, dep, table, max_score, exponent):
    """Normalised fitness (score / max_score) ** exponent, in [0, 1]."""
    return (score(sol, dep, table) / max_score) ** exponent


@njit(cache=True)
def global_max_score(dep, table):
    """Exact maximum of :func:`score` over all 2**N solutions (Gray-code enumeration).

    Flipping bit j changes only the packed indices of the contributions that depend on j, so each
    step updates those indices in O(K) and re-sums the N contributions in the same order as
    :func:`score`, which keeps the result bit-identical to scoring the argmax directly.
    """
    n, kp1 = dep.shape
    # pos[j, i] = position of bit j in contribution i's index, or -1
    pos = np.full((n, n), -1, dtype=np.int64)
    for i in range(n):
        for b in range(kp1):
            pos[dep[i, b], i] = b
    idx = np.zeros(n, dtype=np.int64)
    best = 0.0
    for i in range(n):
        best += table[i, 0]
    for g in range(1, 1 << n):
        j = 0  # the bit that changes between Gray codes g-1 and g: lowest set bit of g
        while ((g >> j) & 1) == 0:
            j += 1
        for i in range(n):
            if pos[j, i] >= 0:
                idx[i] ^= 1 << pos[j, i]
        total = 0.0
        for i in range(n):
            total += table[i, idx[i]]
        if total > best:
            best = total
    return best / n


@njit(cache=True)
def redraw_row(table, row, key):
    """Redraw bit ``row``'s contribution table in place from draws ``(key, 1 + row, c)``."""
    for c in range(table.shape[1]):
        table[row, c] = uniform(key, 1 + row, c)
