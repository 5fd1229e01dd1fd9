"""Reproducible experiments: every experiments/*.toml, run at its [ci] size, gives runs.parquet
content whose digest equals the one committed in tests/digests/<experiment>.sha256.

A change of model behaviour (or of an experiment file) changes digests on purpose: run
``.venv/bin/python scripts/update_digests.py`` and commit the new digests with the change.
"""

import pytest

from sim import sweep
from tests.conftest import ROOT

DIGESTS = ROOT / "tests" / "digests"
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.toml"))


def test_there_are_experiments():
    assert any(p.stem == "smoke" for p in EXPERIMENTS)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_ci_size_digest_matches_the_committed_one(path, tmp_path):
    digest_file = DIGESTS / f"{path.stem}.sha256"
    assert digest_file.is_file(), (
        f"no committed digest for {path.name}: run `.venv/bin/python scripts/update_digests.py "
        f"{path.stem}` and commit {digest_file.relative_to(ROOT)}")
    expected = digest_file.read_text().split()[0]
    got = sweep.ci_digest(path, tmp_path / "res")
    assert got == expected, (
        f"{path.name} at its [ci] size no longer reproduces {digest_file.relative_to(ROOT)}; if the "
        "change is intended, run `.venv/bin/python scripts/update_digests.py` and commit the digests")
