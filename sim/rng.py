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

from sim.jit import njit

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
    """A standard normal draw from one uniform of slot ``slot``: the inverse of the normal
    distribution function (Wichura 1988, algorithm AS241, accurate to about 1e-16; the same
    steps and coefficients as Python's ``statistics.NormalDist.inv_cdf``) at the uniform's
    midpoint, a number in (0, 1). One draw and no trigonometry: Box-Muller took two draws, a
    logarithm, a square root and a cosine, a tenth of the kernel's search phase.

    The tail's probability is computed exactly on both sides (1 - p would round to 0 for the
    highest midpoint, and m + 0.5 rounds for m >= 2**52), so the draw is symmetric and finite
    (|z| < 8.3)."""
    m = np.float64(bits(key, agent, slot) >> _S11)  # an integer in [0, 2**53)
    if m < 4503599627370496.0:  # 2**52: p = (m + 0.5) / 2**53 < 1/2, exact
        tail = (m + 0.5) * _INV53
        q = tail - 0.5
    else:  # 1 - p = (2**53 - m - 0.5) / 2**53, exact
        tail = (9007199254740992.0 - m - 0.5) * _INV53
        q = 0.5 - tail
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r
                    + 6.7265770927008700853e+4) * r + 4.5921953931549871457e+4) * r
                  + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r
                + 1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) * q
        den = (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r
                    + 3.9307895800092710610e+4) * r + 2.1213794301586595867e+4) * r
                  + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r
                + 4.2313330701600911252e+1) * r + 1.0)
        return num / den
    r = math.sqrt(-math.log(tail))
    if r <= 5.0:
        r = r - 1.6
        num = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
                    + 2.41780725177450611770e-1) * r + 1.27045825245236838258e+0) * r
                  + 3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r
                + 4.63033784615654529590e+0) * r + 1.42343711074968357734e+0)
        den = (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                    + 1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r
                  + 6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r
                + 2.05319162663775882187e+0) * r + 1.0)
    else:
        r = r - 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r
                  + 2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r
                + 5.46378491116411436990e+0) * r + 6.65790464350110377720e+0)
        den = (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                    + 1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r
                  + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
                + 5.99832206555887937690e-1) * r + 1.0)
    x = num / den
    return -x if q < 0.0 else x


def generator(seed: int, stream: Stream) -> np.random.Generator:
    """A NumPy generator for build-time work (graph, population) keyed by (seed, stream)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(stream)])))


def key_for(seed: int, stream: int, step: int) -> np.uint64:
    """:func:`step_key` for Python callers, typed so Numba dispatch sees a uint64."""
    return np.uint64(step_key(seed, int(stream), step))
