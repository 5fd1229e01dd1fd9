"""The classic models: closed forms, the analytic Watts window, and `pactsim validate --quick`."""

import math
import re

import numpy as np
import pytest

from sim.canonical import CASES, bass_closed_form, bass_map, validate, watts_condition, watts_window
from tests.conftest import ROOT, run_cli


def test_bass_reference_values():
    f = bass_closed_form(np.array([5.0, 10.0]))
    assert abs(f[0] - 0.3312) < 5e-4 and abs(f[1] - 0.8128) < 5e-4
    # the discrete map approaches the closed form as dt -> 0
    err = [np.abs(bass_map(int(15 / dt), dt) - bass_closed_form(dt * np.arange(1, int(15 / dt) + 1)))
           .max() for dt in (1.0, 0.1, 0.01)]
    assert err[0] > err[1] > err[2] and err[2] < 1e-3


def test_watts_window_phi_018():
    lo, hi = watts_window(0.18)
    assert abs(lo - 1.02) < 0.01 and abs(hi - 5.77) < 0.01
    assert watts_condition(3.0, 0.18) > 0 > watts_condition(7.0, 0.18)
    assert math.isclose(watts_condition(lo, 0.18), 0.0, abs_tol=1e-9)


@pytest.mark.slow
def test_quick_validation_passes():
    # two processes, Bass in one and the other cases in the other (about 35 s of work each): the
    # cases are independent, so this only halves the suite's longest test
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("forkserver")  # not fork: this process has BLAS threads
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        parts = list(pool.map(functools.partial(validate, quick=True),
                              [["bass"], [c for c in CASES if c != "bass"]]))
    checks = [c for part in parts for c in part]
    assert {c.case for c in checks} == set(CASES)
    failed = [c for c in checks if not c.passed]
    assert not failed, failed


def test_a_small_march_sample_lands_near_the_reference_values():
    """50 runs per socialization rate (the 3-standard-error check on 1,000 runs is in
    test_quick_validation_passes): slower socialization learns more, and each mean is within four
    standard errors of the replication's value, which docs/VALIDATION.md states."""
    from sim.canonical import MARCH_REF, march_knowledge, p1_overrides

    runs = 50
    means = {}
    for p1, ref in MARCH_REF.items():
        k = march_knowledge(p1_overrides(p1), runs)
        means[p1] = k.mean()
        assert abs(k.mean() - ref) <= 4 * k.std() / math.sqrt(runs), (p1, k.mean(), ref)
    assert means[0.1] > means[0.5] > means[0.9], means
    doc = (ROOT / "docs" / "VALIDATION.md").read_text()
    for p1, ref in MARCH_REF.items():
        assert re.search(rf"\| march \| [^|]*p1 = {p1}[,\s][^|]*\| {ref:.3f} \|", doc), (p1, ref)


@pytest.mark.slow
def test_validate_cli_rejects_unknown_case():
    r = run_cli("validate", "no_such_case", "--quick")
    assert r.returncode == 2 and "unknown validation case" in r.stderr
    assert "Traceback" not in r.stderr
