"""Counter-based random numbers: a draw is a pure function of (seed, stream, step, agent, slot).

Rule IDs cite docs/ODD.md (D-RNG). Because no generator state is carried, the Numba kernel and the
Mesa agents make exactly the same decisions whatever order they visit agents in, runs are independent
of worker count, and changing one mechanism never reshuffles another mechanism's draws (common random
numbers). The mixing function is SplitMix64's finaliser (Steele, Lea & Flood 2014), applied once per
key component.

Usage inside a phase: ``k = step_key(seed, Stream.SEARCH, t)`` once, then ``uniform(k, agent, slot)``
for each decision. Slots number the draws one agent makes in one phase of one step.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


class Stream(IntEnum):
    """Named random streams, one per mechanism (D-RNG). Never renumber: results depend on them."""

    LANDSCAPE = 1
    POPULATION = 2
    GRAPH = 3
    INIT_SOLUTION = 4
    LEARNERS = 5
    PLATFORM = 10
    EMPOWER = 11
    SEARCH = 12
    SHARE = 13
    SUBMIT = 14
    GATE = 15
    CODE = 16
    SOCIALIZE = 17
    TURNOVER = 18
    CUSTOMER = 19
    TURBULENCE = 20
    FEED = 21
    ACT = 22
    ACCESS = 23
    JUDGE = 24


@njit(cache=True)
def mix64(z):
    """SplitMix64 finaliser: a bijective avalanche of one uint64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def step_key(seed, stream, step):
    """Key of one (seed, stream, step); pass it to :func:`uniform`. All arguments are ints >= 0."""
    h = mix64(np.uint64(seed) + np.uint64(stream) * _GOLDEN)
    return mix64(h ^ (np.uint64(step) * _M2 + _GOLDEN))


@njit(cache=True)
def bits(key, agent, slot):
    """64 random bits for (key, agent, slot)."""
    h = mix64(key + (np.uint64(agent) + np.uint64(1)) * _GOLDEN)
    return mix64(h ^ (np.uint64(slot) * _M1))


@njit(cache=True)
def uniform(key, agent, slot):
    """A float64 in [0, 1) with 53 random bits."""
    return np.float64(bits(key, agent, slot) >> _S11) * _INV53


@njit(cache=True)
def randint(key, agent, slot, n):
    """An integer in [0, n), n >= 1 (multiply-shift on 53 bits: bias below 2**-40 for n < 2**13)."""
    return int(uniform(key, agent, slot) * n)


@njit(cache=True)
def normal(key, agent, slot):
    """A standard normal draw (Box-Muller) using slots ``2*slot`` and ``2*slot + 1``."""
    u1 = uniform(key, agent, 2 * slot)
    u2 = uniform(key, agent, 2 * slot + 1)
    r = math.sqrt(-2.0 * math.log(1.0 - u1))  # 1 - u1 is in (0, 1]: log is finite
    return r * math.cos(2.0 * math.pi * u2)


def generator(seed: int, stream: Stream) -> np.random.Generator:
    """A NumPy generator for build-time work (graph, population) keyed by (seed, stream)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(stream)])))


def key_for(seed: int, stream: int, step: int) -> np.uint64:
    """:func:`step_key` for Python callers, typed so Numba dispatch sees a uint64."""
    return np.uint64(step_key(seed, int(stream), step))
