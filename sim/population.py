"""Agents as a struct of arrays (starsim's pattern): one typed array per attribute, a row per agent.

Employees are indices ``0 .. n_employees - 1`` and customers ``n_employees .. n_nodes - 1`` in the
graph. Initialisation (ODD section 5) draws from named streams of the run seed only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.enums import Group
from sim.rng import Stream, generator


@dataclass(frozen=True)
class Population:
    """Initial agent attributes. Arrays are read-only templates; runs copy what they change."""

    unit: np.ndarray  # int64 (n_emp,): business unit, contiguous blocks
    empowered: np.ndarray  # bool (n_emp,)
    resourceful: np.ndarray  # bool (n_emp,)
    influencer: np.ndarray  # bool (n_cust,)

    @property
    def n_employees(self) -> int:
        return self.unit.shape[0]

    @property
    def n_customers(self) -> int:
        return self.influencer.shape[0]


def exact_counts(n: int, shares: list[float]) -> list[int]:
    """Integer counts summing to at most ``n`` closest to ``n * share`` (largest remainder)."""
    raw = [n * s for s in shares]
    counts = [int(np.floor(r)) for r in raw]
    rest = min(n, round(sum(raw))) - sum(counts)
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[:max(rest, 0)]:
        counts[i] += 1
    return counts


def build_population(n_employees: int, n_units: int, n_customers: int, share_hero: float,
                     share_locked: float, share_rogue: float, share_influencers: float,
                     seed: int) -> Population:
    """Employees in contiguous units with exact HERO-Index group counts; influencer customers."""
    rng = generator(seed, Stream.POPULATION)
    unit = (np.arange(n_employees, dtype=np.int64) * n_units) // n_employees
    n_hero, n_locked, n_rogue = exact_counts(n_employees, [share_hero, share_locked, share_rogue])
    group = np.full(n_employees, int(Group.DISENFRANCHISED), dtype=np.int64)
    group[:n_hero] = Group.HERO
    group[n_hero:n_hero + n_locked] = Group.LOCKED_DOWN
    group[n_hero + n_locked:n_hero + n_locked + n_rogue] = Group.ROGUE
    group = rng.permutation(group)
    empowered = (group == Group.HERO) | (group == Group.LOCKED_DOWN)
    resourceful = (group == Group.HERO) | (group == Group.ROGUE)
    n_inf = exact_counts(n_customers, [share_influencers])[0]
    influencer = np.zeros(n_customers, dtype=np.bool_)
    influencer[rng.permutation(n_customers)[:n_inf]] = True
    return Population(unit, empowered, resourceful, influencer)
