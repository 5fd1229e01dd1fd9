"""Everything drawn once per run before step 0: population, graph, landscape, thresholds (ODD s.5).

Both backends start from the same :class:`World`, built only from the scenario and the run seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import Scenario
from sim.enums import Platform
from sim.graph import SocialGraph, build_graph
from sim.jit import njit
from sim.landscape import Landscape, build_landscape
from sim.population import Population, build_population
from sim.rng import Stream, generator, key_for
from sim.rules.technology import threshold_of


@dataclass(frozen=True)
class World:
    population: Population
    graph: SocialGraph
    landscape: Landscape
    threshold: np.ndarray  # float64 (n_emp,): adoption thresholds (threshold rule)
    platform0: np.ndarray  # int8 (n_emp,): platform state at step 0 (seed users active)
    slow: np.ndarray  # bool (n_emp,): seats of slow learners (mixed learners, March 1991)


def build_world(cfg: Scenario, seed: int) -> World:
    p, g, b = cfg.population, cfg.graph, cfg.behaviour
    pop = build_population(p.n_employees, p.n_units, p.n_customers, p.share_hero,
                           p.share_locked, p.share_rogue, p.share_influencers, seed)
    graph = build_graph(pop, g, max(cfg.advocates.share), p.advocate_placement, seed)
    land = build_landscape(cfg.landscape.nk_n, cfg.landscape.nk_k, cfg.landscape.exponent, seed,
                           cfg.landscape.kind)
    key = key_for(seed, Stream.POPULATION, 0)
    threshold = _thresholds(float(b.phi), float(b.phi_spread), key, p.n_employees)
    platform0 = np.zeros(p.n_employees, np.int8)
    seeds = generator(seed, Stream.PLATFORM).permutation(p.n_employees)[:cfg.technology.n_seed_users]
    platform0[seeds] = Platform.ACTIVE
    slow = np.zeros(p.n_employees, np.bool_)
    n_slow = int(round(b.share_slow * p.n_employees))
    slow[generator(seed, Stream.LEARNERS).permutation(p.n_employees)[:n_slow]] = True
    return World(pop, graph, land, threshold, platform0, slow)


@njit(cache=True)
def _thresholds(phi, spread, key, n):
    """Every employee's adoption threshold (:func:`threshold_of` for agents 0 .. n - 1)."""
    out = np.empty(n, np.float64)
    for i in range(n):
        out[i] = threshold_of(phi, spread, key, i)
    return out
