"""The social graph (docs/ODD.md section 5.1): built with NumPy, frozen to CSR arrays with one kind per edge.

Employees are nodes ``0 .. n_emp - 1``, customers follow. Each undirected tie is stored in both
directions; a row lists its neighbours sorted by (kind, neighbour), so every path that walks a row
sees the same order (which makes floating-point sums identical across backends).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import Graph as GraphConfig
from sim.enums import EdgeKind, Group
from sim.population import Population
from sim.rng import Stream, generator


@dataclass(frozen=True)
class SocialGraph:
    """CSR graph. ``indptr`` int64 (n_nodes + 1); ``nbr`` int64, ``kind`` int8 and ``eu`` float64
    (n_directed_edges,): ``eu`` is a uniform draw per tie (the same in both directions) that decides
    whether a latent platform tie exists at the current Technology level. ``adv_rank`` int64 (n_emp,):
    0 for the first employee to become an advocate. ``contacts`` int64 (n_emp,): customer ties."""

    indptr: np.ndarray
    nbr: np.ndarray
    kind: np.ndarray
    eu: np.ndarray
    adv_rank: np.ndarray
    contacts: np.ndarray
    n_employees: int

    @property
    def n_nodes(self) -> int:
        return self.indptr.shape[0] - 1

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)


def _pairs_across(rng, n_pairs, unit, pool_u, n_units):
    """``n_pairs`` random employee pairs (u from pool_u, v anywhere) in different units."""
    n = unit.shape[0]
    u = pool_u[rng.integers(0, pool_u.shape[0], n_pairs)] if n_pairs else np.empty(0, np.int64)
    v = rng.integers(0, n, n_pairs)
    if n_units < 2:
        keep = u != v
        return u[keep], v[keep]
    bad = unit[u] == unit[v]
    for _ in range(1000):  # resample the clashes; converges geometrically
        if not bad.any():
            break
        v[bad] = rng.integers(0, n, int(bad.sum()))
        bad = unit[u] == unit[v]
    return u[~bad], v[~bad]


def _small_world(rng, unit, k, p_rewire):
    """Watts-Strogatz ring lattice per unit (mean degree ~k) with rewiring inside the unit."""
    n = unit.shape[0]
    start = np.searchsorted(unit, unit, side="left")
    size = np.searchsorted(unit, unit, side="right") - start
    off = np.arange(n) - start
    half = np.minimum(k, size - 1) // 2
    src, dst = [], []
    for j in range(1, int(half.max(initial=0)) + 1):
        m = half >= j
        src.append(np.nonzero(m)[0])
        dst.append(start[m] + (off[m] + j) % size[m])
    if not src:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a, b = np.concatenate(src), np.concatenate(dst)
    rew = rng.random(a.shape[0]) < p_rewire
    sz = size[a[rew]]
    b[rew] = start[a[rew]] + (off[a[rew]] + 1 + rng.integers(0, sz - 1)) % sz
    return a, b


def _classic(rng, n, kind, k):
    """Colleague ties over all employees: Erdos-Renyi G(n, p = k / (n - 1)), a line, or complete."""
    if kind == "line":
        a = np.arange(n - 1, dtype=np.int64)
        return a, a + 1
    if kind == "complete":
        a, b = np.triu_indices(n, 1)
        return a.astype(np.int64), b.astype(np.int64)
    pairs = n * (n - 1) // 2
    m = int(rng.binomial(pairs, min(1.0, k / (n - 1)))) if n > 1 else 0
    # m distinct pairs drawn uniformly (rejection on duplicates; m << n^2 / 2 in practice)
    chosen = np.empty(0, np.int64)
    while chosen.shape[0] < m:
        u = rng.integers(0, n, 2 * (m - chosen.shape[0]) + 16)
        v = rng.integers(0, n, u.shape[0])
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        key = (lo * n + hi)[lo != hi]
        chosen = np.concatenate([chosen, key])
        _, first = np.unique(chosen, return_index=True)
        chosen = chosen[np.sort(first)][:m]
    return chosen // n, chosen % n


def build_graph(pop: Population, g: GraphConfig, max_advocate_share: float,
                advocate_placement: str, seed: int) -> SocialGraph:
    """Build the graph of ODD section 3 from the run seed's GRAPH stream."""
    rng = generator(seed, Stream.GRAPH)
    n_emp, n_cust = pop.n_employees, pop.n_customers
    unit = pop.unit
    n_units = int(unit.max()) + 1 if n_emp else 0
    everyone = np.arange(n_emp, dtype=np.int64)
    parts = []  # (a, b, kind, eu)

    def add(a, b, kind, eu=None):
        a = np.asarray(a, np.int64)
        b = np.asarray(b, np.int64)
        parts.append((a, b, np.full(a.shape[0], kind, np.int8),
                      np.zeros(a.shape[0]) if eu is None else eu))

    if g.employee_graph == "small_world":
        add(*_small_world(rng, unit, int(g.k_intra), g.p_rewire), EdgeKind.INTRA)
        add(*_pairs_across(rng, int(round(n_emp * g.k_inter / 2)), unit, everyone, n_units),
            EdgeKind.INTER)
    else:
        a, b = _classic(rng, n_emp, g.employee_graph, g.k_intra)
        same = unit[a] == unit[b]
        add(a[same], b[same], EdgeKind.INTRA)
        add(a[~same], b[~same], EdgeKind.INTER)

    # Advocates are ranked once per graph: by degree among colleagues (ties broken at random),
    # or at random. The Advocates lever sets how many of the ranking are advocates at each step.
    a, b, _ = _dedupe(parts)
    deg = np.bincount(np.concatenate([a, b]), minlength=n_emp)
    tiebreak = rng.permutation(n_emp)
    order = np.lexsort((tiebreak, -deg)) if advocate_placement == "centrality" else tiebreak
    adv_rank = np.empty(n_emp, np.int64)
    adv_rank[order] = np.arange(n_emp)

    n_cand = int(np.ceil(max_advocate_share * n_emp))
    per = int(round(g.k_advocate))
    if n_cand and per:
        cand = np.repeat(order[:n_cand], per)
        v = rng.integers(0, n_emp, cand.shape[0])
        if n_units > 1:
            bad = unit[cand] == unit[v]
            for _ in range(1000):
                if not bad.any():
                    break
                v[bad] = rng.integers(0, n_emp, int(bad.sum()))
                bad = unit[cand] == unit[v]
            keep = ~bad
        else:
            keep = cand != v
        add(cand[keep], v[keep], EdgeKind.ADVOCATE)

    pa, pb = _pairs_across(rng, int(round(n_emp * g.k_platform / 2)), unit, everyone, n_units)
    add(pa, pb, EdgeKind.PLATFORM, rng.random(pa.shape[0]))

    if n_cust and n_emp:
        whole = int(np.floor(g.k_customer))
        count = whole + (rng.random(n_cust) < g.k_customer - whole)
        hero = pop.empowered & pop.resourceful
        w = np.where(hero, g.rel_hero_contact, 1.0)
        if w.sum() <= 0:
            w = np.ones(n_emp)
        cust = np.repeat(np.arange(n_cust, dtype=np.int64), count)
        emp = rng.choice(n_emp, size=cust.shape[0], p=w / w.sum())
        add(emp, n_emp + cust, EdgeKind.EMP_CUST)
    if n_cust > 1 and g.customer_graph == "complete":
        ca, cb = np.triu_indices(n_cust, 1)
        add(n_emp + ca.astype(np.int64), n_emp + cb.astype(np.int64), EdgeKind.CUST_CUST)
    elif n_cust > 1:
        m = int(round(n_cust * g.k_wom / 2))
        ca, cb = rng.integers(0, n_cust, m), rng.integers(0, n_cust, m)
        keep = ca != cb
        add(n_emp + ca[keep], n_emp + cb[keep], EdgeKind.CUST_CUST)

    a, b, idx = _dedupe(parts)
    kind = np.concatenate([p[2] for p in parts])[idx]
    eu = np.concatenate([p[3] for p in parts])[idx]
    n_nodes = n_emp + n_cust
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    kind2 = np.concatenate([kind, kind])
    eu2 = np.concatenate([eu, eu])
    o = np.lexsort((dst, kind2, src))
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n_nodes), out=indptr[1:])
    contacts = np.bincount(a[kind == EdgeKind.EMP_CUST], minlength=n_emp)[:n_emp].astype(np.int64)
    return SocialGraph(indptr, dst[o].copy(), kind2[o].copy(), eu2[o].copy(), adv_rank,
                       contacts, n_emp)


def _dedupe(parts):
    """Unique undirected pairs (a < b), the first occurrence winning (earlier kinds first)."""
    a = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64)
    b = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    ok = lo != hi
    key = lo * (int(max(hi.max(initial=0), 0)) + 1) + hi
    key = np.where(ok, key, -1)
    _, first = np.unique(key, return_index=True)
    first = first[key[first] >= 0]
    first.sort()
    return lo[first], hi[first], first


__all__ = ["EdgeKind", "Group", "SocialGraph", "build_graph"]
