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
from sim.jit import njit
from sim.population import Population
from sim.rng import Stream, generator


@dataclass(frozen=True)
class SocialGraph:
    """CSR graph. ``indptr`` int64 (n_nodes + 1); ``nbr`` int32, ``kind`` int8 and ``eu`` float64
    (n_directed_edges,): ``eu`` is a uniform draw per tie (the same in both directions) that decides
    whether a latent platform tie exists at the current Technology level. ``adv_rank`` int32 (n_emp,):
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
    bad = _resample_clashes(rng, u, v, unit, n)
    return u[~bad], v[~bad]


def _resample_clashes(rng, u, v, unit, n):
    """Redraw ``v`` (uniform in [0, n)) where ``unit[u] == unit[v]``, up to 1000 rounds
    (converges geometrically; each round draws one integer per clash, in position order, and
    checks only the redrawn); return the clashes left."""
    clash = np.flatnonzero(unit[u] == unit[v])
    for _ in range(1000):
        if not clash.shape[0]:
            break
        v[clash] = rng.integers(0, n, clash.shape[0])
        clash = clash[unit[u[clash]] == unit[v[clash]]]
    bad = np.zeros(u.shape[0], np.bool_)
    bad[clash] = True
    return bad


def _small_world(rng, unit, k, p_rewire):
    """Watts-Strogatz ring lattice per unit (mean degree ~k) with rewiring inside the unit."""
    a, b, start, size = _ring(unit, k)
    if not a.shape[0]:
        return a, b
    off = np.arange(unit.shape[0]) - start
    rew = rng.random(a.shape[0]) < p_rewire
    sz = size[a[rew]]
    b[rew] = start[a[rew]] + (off[a[rew]] + 1 + rng.integers(0, sz - 1)) % sz
    return a, b


@njit(cache=True)
def _ring(unit, k):
    """The ring lattices of :func:`_small_world` before rewiring: for j = 1 .. k // 2, every
    employee i with j <= half_i = min(k, size - 1) // 2 tied to its j-th successor in its unit's
    ring (in that order: j outer, i inner). Also each employee's unit start and size (units are
    contiguous blocks)."""
    n = unit.shape[0]
    start = np.empty(n, np.int64)
    size = np.empty(n, np.int64)
    i = 0
    while i < n:
        e = i
        while e < n and unit[e] == unit[i]:
            e += 1
        start[i:e] = i
        size[i:e] = e - i
        i = e
    top = 0
    total = 0
    for i in range(n):
        h = min(k, size[i] - 1) // 2
        top = max(top, h)
        total += h
    a = np.empty(total, np.int64)
    b = np.empty(total, np.int64)
    p = 0
    for j in range(1, top + 1):
        for i in range(n):
            if min(k, size[i] - 1) // 2 >= j:
                a[p] = i
                b[p] = start[i] + (i - start[i] + j) % size[i]
                p += 1
    return a, b, start, size


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
    n_emp = pop.n_employees
    parts, adv_rank = _candidates(pop, g, max_advocate_share, advocate_placement, seed)
    indptr, nbr, kind, eu = _csr(parts, n_emp + pop.n_customers)  # consumes parts
    # half the bytes of each tie the kernel's scans read; the schema keeps nodes below 12 million
    nbr = nbr.astype(np.int32)
    contacts = np.zeros(n_emp, np.int64)
    if n_emp:
        contacts[:] = _count_kind(indptr[:n_emp + 1], kind, int(EdgeKind.EMP_CUST))
    return SocialGraph(indptr, nbr, kind, eu, adv_rank, contacts, n_emp)


_NO_DRAWS = np.empty(0, np.float64)


def _candidates(pop, g, max_advocate_share, advocate_placement, seed):
    """The candidate ties in draw order, as parts (a, b, kind, eu draws or none: 0), and the
    advocates' ranking."""
    rng = generator(seed, Stream.GRAPH)
    n_emp, n_cust = pop.n_employees, pop.n_customers
    unit = pop.unit
    n_units = int(unit.max()) + 1 if n_emp else 0
    everyone = np.arange(n_emp, dtype=np.int64)
    parts = []

    def add(a, b, kind, eu=None):
        parts.append((np.asarray(a, np.int64), np.asarray(b, np.int64), int(kind),
                      _NO_DRAWS if eu is None else eu))

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
    deg = np.diff(_csr(list(parts), n_emp, False)[0])  # distinct colleagues
    tiebreak = rng.permutation(n_emp)
    order = _by_degree(deg, tiebreak) if advocate_placement == "centrality" else tiebreak
    adv_rank = np.empty(n_emp, np.int32)
    adv_rank[order] = np.arange(n_emp)

    n_cand = int(np.ceil(max_advocate_share * n_emp))
    per = int(round(g.k_advocate))
    if n_cand and per:
        cand = np.repeat(order[:n_cand], per)
        v = rng.integers(0, n_emp, cand.shape[0])
        if n_units > 1:
            keep = ~_resample_clashes(rng, cand, v, unit, n_emp)
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
        emp = _choice(rng, w / w.sum(), cust.shape[0])
        add(emp, n_emp + cust, EdgeKind.EMP_CUST)
    if n_cust > 1 and g.customer_graph == "complete":
        ca, cb = np.triu_indices(n_cust, 1)
        add(n_emp + ca.astype(np.int64), n_emp + cb.astype(np.int64), EdgeKind.CUST_CUST)
    elif n_cust > 1:
        m = int(round(n_cust * g.k_wom / 2))
        ca, cb = rng.integers(0, n_cust, m), rng.integers(0, n_cust, m)
        keep = ca != cb
        add(n_emp + ca[keep], n_emp + cb[keep], EdgeKind.CUST_CUST)
    return parts, adv_rank


_BUCKET_BITS = 11  # rows per bucket of the CSR build: 2**11 (their ties fit in the L2 cache; <= 12)
_N_KINDS = 8  # edge kinds are below 8 (EdgeKind)


def _csr(parts, n_nodes, full=True):
    """CSR of the distinct undirected ties among the candidates ``parts`` (a, b, kind, eu) in
    draw order, self-ties dropped: each tie once per direction, with the kind and draw of its first
    candidate (earlier parts first; a part without draws has eu 0), a row sorted by (kind,
    neighbour). Returns (indptr, nbr, kind, eu); with ``full`` False only indptr (the distinct
    degrees). Empties the list ``parts`` as they are read, so their arrays can be freed.

    Two stable counting sorts: the directed candidates go to buckets of 2**_BUCKET_BITS rows
    (a few thousand streams, written in order), then each bucket, small enough to stay in
    cache, to its rows; in a row a stable sort by neighbour puts each neighbour's first candidate
    first, the later ones are dropped, and the rest is sorted by (kind, neighbour). The rows are
    written over the buckets' arrays, which they never overtake.
    """
    n_buckets = (n_nodes >> _BUCKET_BITS) + 1
    count = np.zeros(n_buckets + 1, np.int64)
    for a, b, _, _ in parts:
        _bucket_count(a, b, count)
    np.cumsum(count, out=count)
    total = int(count[-1])
    pos = count[:-1].copy()
    packed = np.empty(total, np.int64)  # neighbour << 16 | kind << 12 | row within the bucket
    eu = np.empty(total, np.float64)
    while parts:
        a, b, k, u = parts.pop(0)
        _bucket_fill(a, b, k, u, pos, packed, eu)
        del a, b, u
    idx_bits = max(int(np.max(np.diff(count), initial=1)) - 1, 1).bit_length()
    if idx_bits + max(n_nodes - 1, 1).bit_length() > 62:
        raise ValueError(f"graph too large to build: {n_nodes} nodes, {total} directed ties")
    return _rows(count, packed, eu, n_nodes, full, idx_bits)


@njit(cache=True)
def _bucket_count(a, b, count):
    for e in range(a.shape[0]):
        if a[e] != b[e]:
            count[(a[e] >> _BUCKET_BITS) + 1] += 1
            count[(b[e] >> _BUCKET_BITS) + 1] += 1


@njit(cache=True)
def _bucket_fill(a, b, kind, u, pos, packed, eu):
    low = (1 << _BUCKET_BITS) - 1
    d = np.int64(kind) << 12
    draws = u.shape[0] > 0
    for e in range(a.shape[0]):
        s, t = a[e], b[e]
        if s != t:
            x = u[e] if draws else 0.0
            p = pos[s >> _BUCKET_BITS]
            pos[s >> _BUCKET_BITS] = p + 1
            packed[p] = (t << 16) | d | (s & low)
            eu[p] = x
            p = pos[t >> _BUCKET_BITS]
            pos[t >> _BUCKET_BITS] = p + 1
            packed[p] = (s << 16) | d | (t & low)
            eu[p] = x


@njit(cache=True)
def _rows(bucket, packed, eu, n_nodes, full, idx_bits):
    """Second pass of :func:`_csr`: each bucket's candidates to their rows, rows deduplicated
    and sorted, written out in row order over ``packed`` (as neighbours) and ``eu``: a bucket is
    copied out before its rows are written, and the rows so far never hold more entries than the
    buckets so far. A row entry is one int64, neighbour << idx_bits | the candidate's place in
    its bucket (its draw order), so sorting the row sorts by neighbour with each neighbour's first
    candidate first."""
    rows = 1 << _BUCKET_BITS
    kind_out = np.empty(packed.shape[0] if full else 0, np.int8)
    indptr = np.zeros(n_nodes + 1, np.int64)
    biggest = 0
    for c in range(bucket.shape[0] - 1):
        biggest = max(biggest, bucket[c + 1] - bucket[c])
    key = np.empty(biggest, np.int64)
    kd = np.empty(biggest, np.int8)  # the bucket's kinds and draws, by place in the bucket
    ud = np.empty(biggest, np.float64)
    start = np.empty(rows + 1, np.int64)
    idx_mask = (np.int64(1) << idx_bits) - 1
    at = np.empty(_N_KINDS + 1, np.int64)
    out = 0
    for c in range(bucket.shape[0] - 1):
        lo, hi = bucket[c], bucket[c + 1]
        base = c * rows
        start[:] = 0
        for p in range(lo, hi):
            start[(packed[p] & 0xFFF) + 1] += 1
        for r in range(rows):
            start[r + 1] += start[r]
        for p in range(lo, hi):
            x = packed[p]
            r = x & 0xFFF
            key[start[r]] = ((x >> 16) << idx_bits) | (p - lo)
            start[r] += 1
            kd[p - lo] = (x >> 12) & 0xF
            ud[p - lo] = eu[p]
        first = 0  # start[r] is now the end of row r
        for r in range(min(rows, n_nodes - base)):
            end = start[r]
            _sort_keys(key, first, end)  # by neighbour, then draw order
            k = first
            for p in range(first, end):
                if p == first or (key[p] >> idx_bits) != (key[p - 1] >> idx_bits):
                    key[k] = key[p]
                    k += 1
            if full:  # a stable counting sort by kind keeps the neighbours in order
                at[:] = 0
                for p in range(first, k):
                    at[kd[key[p] & idx_mask] + 1] += 1
                at[0] = out
                for d in range(_N_KINDS):
                    at[d + 1] += at[d]
                for p in range(first, k):
                    q = key[p] & idx_mask
                    d = kd[q]
                    s = at[d]
                    at[d] = s + 1
                    packed[s] = key[p] >> idx_bits
                    kind_out[s] = d
                    eu[s] = ud[q]
            out += k - first
            indptr[base + r + 1] = out
            first = end
    if not full:
        return indptr, packed[:0], kind_out, eu[:0]
    # views: the few duplicates' room is left unused rather than copying every tie again
    return indptr, packed[:out], kind_out[:out], eu[:out]


@njit(cache=True)
def _sort_keys(key, lo, hi):
    """Sort ``key[lo:hi]`` (distinct values) in place: insertion sort for short rows."""
    if hi - lo > 48:
        key[lo:hi] = np.sort(key[lo:hi])
        return
    for p in range(lo + 1, hi):
        k = key[p]
        q = p - 1
        while q >= lo and key[q] > k:
            key[q + 1] = key[q]
            q -= 1
        key[q + 1] = k


@njit(cache=True)
def _count_kind(indptr, kind, which):
    """Ties of kind ``which`` in each of the rows ``indptr`` delimits."""
    out = np.zeros(indptr.shape[0] - 1, np.int64)
    for v in range(out.shape[0]):
        for p in range(indptr[v], indptr[v + 1]):
            if kind[p] == which:
                out[v] += 1
    return out


@njit(cache=True)
def _by_degree(deg, tiebreak):
    """Employees by decreasing degree, ties by increasing ``tiebreak`` (a permutation): what
    ``np.lexsort((tiebreak, -deg))`` gives, by a counting sort."""
    n = deg.shape[0]
    top = 0
    for i in range(n):
        top = max(top, deg[i])
    start = np.zeros(top + 2, np.int64)  # slot of degree d starts at start[top - d]
    for i in range(n):
        start[top - deg[i] + 1] += 1
    for d in range(top + 1):
        start[d + 1] += start[d]
    by_tie = np.empty(n, np.int64)
    for i in range(n):
        by_tie[tiebreak[i]] = i
    order = np.empty(n, np.int64)
    for t in range(n):
        i = by_tie[t]
        order[start[top - deg[i]]] = i
        start[top - deg[i]] += 1
    return order


def _choice(rng, p, size):
    """``rng.choice(p.shape[0], size, p=p)`` (NumPy 2's sampler: the inverse of the cumulative
    sum at ``rng.random(size)``, searchsorted to the right), with a bucketed search."""
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return _search_right(cdf, rng.random(size))


@njit(cache=True)
def _search_right(cdf, u):
    """``np.searchsorted(cdf, u, side="right")`` for ``u`` in [0, 1) and ``cdf[-1] == 1``: the
    range of the answer for u in [b / B, (b + 1) / B) is precomputed for B = 2**k buckets
    (exact: B is a power of two), then a binary search runs inside it."""
    n = cdf.shape[0]
    nb = 1
    while nb < n:
        nb *= 2
    first = np.empty(nb + 1, np.int64)  # first[b]: searchsorted(cdf, b / nb, side="right")
    j = 0
    for b in range(nb + 1):
        x = b / nb
        while j < n and cdf[j] <= x:
            j += 1
        first[b] = j
    out = np.empty(u.shape[0], np.int64)
    for s in range(u.shape[0]):
        x = u[s]
        b = int(x * nb)
        lo, hi = first[b], first[b + 1]
        while lo < hi:
            mid = (lo + hi) >> 1
            if cdf[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        out[s] = lo
    return out


__all__ = ["EdgeKind", "Group", "SocialGraph", "build_graph"]
