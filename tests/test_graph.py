import numpy as np

from sim.graph import EdgeKind
from sim.world import build_world
from tests.conftest import small


def test_csr_is_symmetric_sorted_and_simple():
    cfg = small(population={"n_employees": 300, "n_units": 5, "n_customers": 500})
    g = build_world(cfg, seed=3).graph
    n = g.n_nodes
    src = np.repeat(np.arange(n), np.diff(g.indptr))
    assert (src != g.nbr).all()
    pairs = set(zip(src.tolist(), g.nbr.tolist(), strict=True))
    assert len(pairs) == len(src)  # no duplicate ties
    assert all((b, a) in pairs for a, b in pairs)
    for i in range(n):
        row = list(zip(g.kind[g.indptr[i]:g.indptr[i + 1]].tolist(),
                       g.nbr[g.indptr[i]:g.indptr[i + 1]].tolist(), strict=True))
        assert row == sorted(row)
    emp = g.n_employees
    is_emp = src < emp
    kinds = g.kind
    assert (kinds[is_emp & (g.nbr >= emp)] == EdgeKind.EMP_CUST).all()
    assert (kinds[~is_emp & (g.nbr >= emp)] == EdgeKind.CUST_CUST).all()
    intra = kinds == EdgeKind.INTRA
    unit = build_world(cfg, seed=3).population.unit
    assert (unit[src[intra]] == unit[g.nbr[intra]]).all()
    inter = kinds == EdgeKind.INTER
    assert (unit[src[inter]] != unit[g.nbr[inter]]).all()
    # mean intra degree near k_intra = 8
    assert 7.5 < intra.sum() / emp <= 8.0


def test_advocate_rank_follows_centrality():
    g = build_world(small(), seed=1).graph
    deg = np.array([(g.kind[g.indptr[i]:g.indptr[i + 1]] <= EdgeKind.INTER).sum()
                    for i in range(g.n_employees)])
    order = np.argsort(g.adv_rank)
    assert (np.diff(deg[order]) <= 0).all()


def _reference_csr(parts, n_nodes):
    """The CSR as the NumPy build made it: distinct pairs (first candidate wins), both
    directions, rows lexsorted by (kind, neighbour)."""
    a = np.concatenate([p[0] for p in parts])
    b = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([np.full(p[0].shape[0], p[2], np.int8) for p in parts])
    eu = np.concatenate([p[3] if p[3].shape[0] else np.zeros(p[0].shape[0]) for p in parts])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = np.where(lo != hi, lo * (int(hi.max(initial=0)) + 1) + hi, -1)
    _, first = np.unique(key, return_index=True)
    first = np.sort(first[key[first] >= 0])
    lo, hi, kind, eu = lo[first], hi[first], kind[first], eu[first]
    src, dst = np.concatenate([lo, hi]), np.concatenate([hi, lo])
    kind2, eu2 = np.concatenate([kind, kind]), np.concatenate([eu, eu])
    o = np.lexsort((dst, kind2, src))
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n_nodes), out=indptr[1:])
    return indptr, dst[o], kind2[o], eu2[o]


def test_compiled_csr_equals_the_numpy_build():
    """Duplicates within and across kinds (the first candidate keeps its kind and draw),
    self-ties, several buckets of rows and rows long enough for the merge sort."""
    from sim.graph import _csr

    rng = np.random.default_rng(5)
    n_nodes = 5000
    parts = []
    for kind in (0, 1, 3, 2, 4, 5):
        m = int(rng.integers(0, 6000))
        a = rng.integers(0, n_nodes, m)
        b = np.where(rng.random(m) < 0.2, rng.integers(0, 40, m), rng.integers(0, n_nodes, m))
        a[:50] = 7  # a hub: row 7 has hundreds of ties
        parts.append((a, b, kind, rng.random(m) if kind == 2 else np.empty(0)))
    parts.append(parts[1])  # whole duplicate part
    want = _reference_csr(parts, n_nodes)
    assert np.array_equal(_csr(list(parts), n_nodes, False)[0], want[0])
    got = _csr(parts, n_nodes)
    assert parts == []  # consumed
    assert np.diff(want[0]).max() > 100
    for x, y in zip(got, want, strict=True):
        assert x.dtype == y.dtype and np.array_equal(x, y)


def test_weighted_choice_equals_generator_choice():
    from sim.graph import _choice

    for n, size, zeros in [(1, 10, 0), (7, 1000, 2), (5000, 20000, 100), (3, 0, 0)]:
        w = np.random.default_rng(n).choice([1.0, 3.0], n)
        w[:zeros] = 0.0
        r1, r2 = np.random.default_rng(9), np.random.default_rng(9)
        assert np.array_equal(_choice(r1, w / w.sum(), size), r2.choice(n, size, p=w / w.sum()))
        assert r1.random() == r2.random()  # the same draws consumed


def test_degree_ranking_equals_lexsort():
    from sim.graph import _by_degree

    rng = np.random.default_rng(3)
    deg = rng.integers(0, 12, 10_000)
    tie = rng.permutation(10_000)
    assert np.array_equal(_by_degree(deg, tie), np.lexsort((tie, -deg)))
