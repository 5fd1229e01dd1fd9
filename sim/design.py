"""Experimental designs: the points of a sweep, each a mapping ``dotted key -> value``.

The samplers are the libraries' (``scipy.stats.qmc`` for Latin hypercubes, SALib for Sobol);
this module only adapts their arrays to named points. Every function is pure: the same arguments
give the same points, in the same order.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.config import LEVERS

ORDER_KEY = "levers.schedule.order"
BUDGET_KEYS = tuple(f"levers.budget.{lever}" for lever in LEVERS)
ORDER_SEP = ">"

# The design sampler draws from its own stream of the experiment seed, apart from the run seeds;
# the sampler of uncertainties from another, so adding one never moves the other's points.
_DESIGN_STREAM = 1
_SCENARIO_STREAM = 2


def grid(factors: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Full factorial of ``factors`` (key -> levels); the last factor varies fastest."""
    keys = list(factors)
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(factors[k] for k in keys))]


def _scaled(unit: np.ndarray, bounds: Mapping[str, tuple[float, float]],
            integer: frozenset[str]) -> list[dict[str, Any]]:
    """Map a sample in the unit cube to named points; integer fields are rounded to the nearest."""
    keys = list(bounds)
    lo = np.array([bounds[k][0] for k in keys], dtype=np.float64)
    hi = np.array([bounds[k][1] for k in keys], dtype=np.float64)
    values = lo + unit * (hi - lo)
    points = []
    for row in values:
        points.append({k: int(np.rint(v)) if k in integer else float(v)
                       for k, v in zip(keys, row, strict=True)})
    return points


def lhs(bounds: Mapping[str, tuple[float, float]], samples: int, seed: int,
        integer: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """``samples`` points of a Latin hypercube over ``bounds`` (key -> (low, high)).

    Each of the ``samples`` equal strata of every dimension holds exactly one point (before the
    rounding of ``integer`` fields). Seeded from the experiment ``seed``.
    """
    from scipy.stats import qmc

    rng = np.random.default_rng([seed, _DESIGN_STREAM])
    unit = qmc.LatinHypercube(d=len(bounds), rng=rng).random(samples)
    return _scaled(unit, bounds, integer)


def sobol(bounds: Mapping[str, tuple[float, float]], samples: int, seed: int,
          integer: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Saltelli's extension of the Sobol' sequence (SALib, second-order indices on):
    ``samples * (2 * D + 2)`` points for ``D`` factors, in the order SALib's analyzer expects."""
    from SALib.sample import sobol as salib_sobol

    keys = list(bounds)
    problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
    unit = salib_sobol.sample(problem, samples, calc_second_order=True,
                              seed=np.random.default_rng([seed, _DESIGN_STREAM]))
    return _scaled(unit, bounds, integer)


def simplex_size(step: float, levers: int = len(LEVERS)) -> int:
    """Number of share vectors on the simplex grid: C(n + levers - 1, levers - 1), n = 1/step."""
    from math import comb

    n = round(1.0 / step)
    return comb(n + levers - 1, levers - 1)


def simplex(step: float) -> list[dict[str, Any]]:
    """Budget shares of the four levers on the simplex grid of spacing ``step`` (1/step an integer):
    every vector of multiples of ``step`` summing to 1, lexicographic in (process, advocates, ...)."""
    n = round(1.0 / step)
    if n < 1 or abs(n * step - 1.0) > 1e-9:
        raise ValueError(f"step = {step}: 1/step must be a whole number")
    points = []
    # a loop over compositions of n into len(LEVERS) parts (stars and bars); no library has it
    for head in itertools.product(range(n + 1), repeat=len(LEVERS) - 1):
        rest = n - sum(head)
        if rest < 0:
            continue
        points.append({key: k / n for key, k in zip(BUDGET_KEYS, (*head, rest), strict=True)})
    return points


def orders() -> list[dict[str, Any]]:
    """All 24 orders in which the four levers can switch on, as ``"process>advocates>..."``."""
    return [{ORDER_KEY: ORDER_SEP.join(p)} for p in itertools.permutations(LEVERS)]


def parse_order(value: str) -> list[str]:
    """``"process>advocates>culture>technology"`` -> the list the schema's ``order`` field takes."""
    return [part.strip() for part in value.split(ORDER_SEP)]


def scenarios(space: Mapping[str, Any], samples: int, seed: int,
              sampler: str = "lhs") -> list[dict[str, Any]]:
    """``samples`` plausible worlds over ``space`` (``sim.uncertainty``: key -> Range or Choices):
    a Latin hypercube (``lhs``) or a scrambled Sobol' sequence (``sobol``, ``samples`` a power of 2)
    in the unit cube, each dimension mapped to its range (an integer range: each whole number in it
    equally often) or to one of its choices (equal strata). Seeded from the experiment ``seed``."""
    from scipy.stats import qmc

    from sim.uncertainty import Range

    rng = np.random.default_rng([seed, _SCENARIO_STREAM])
    engine = (qmc.Sobol(d=len(space), scramble=True, rng=rng) if sampler == "sobol"
              else qmc.LatinHypercube(d=len(space), rng=rng))
    unit = engine.random(samples)
    points: list[dict[str, Any]] = [{} for _ in range(samples)]
    for d, (key, dim) in enumerate(space.items()):
        u = unit[:, d]
        if isinstance(dim, Range) and not dim.integer:
            values = [float(v) for v in dim.low + u * (dim.high - dim.low)]
        else:
            options = (list(range(int(dim.low), int(dim.high) + 1)) if isinstance(dim, Range)
                       else list(dim.values))
            values = [options[min(int(x * len(options)), len(options) - 1)] for x in u]
        for point, v in zip(points, values, strict=True):
            point[key] = v
    return points
