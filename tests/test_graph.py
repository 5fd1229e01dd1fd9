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
