"""Reproducible experiments: every experiments/*.toml, run at its [ci] size, gives runs.parquet
content whose digest equals the one committed in tests/digests/<experiment>.sha256.

A change of model behaviour (or of an experiment file) changes digests on purpose: run
``.venv/bin/python scripts/update_digests.py`` and commit the new digests with the change. Beside
each digest, tests/digests/<experiment>.json holds per-column summaries (tests/digest_summary.py), so
a mismatch names each changed outcome or series column and how far it moved.
"""

import json

import numpy as np
import pandas as pd
import pytest

from sim import sweep
from sim.storage import frame_digest
from sim.sweep import study
from tests import digest_summary as ds
from tests.conftest import ROOT

DIGESTS = ROOT / "tests" / "digests"
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.toml"))
FAST = {"smoke", "tech_without_culture", "pact_robustness"}  # under 2 s each; the others 2-25 s


def test_there_are_experiments():
    assert any(p.stem == "smoke" for p in EXPERIMENTS)


def _reference(name: str) -> dict | None:
    path = DIGESTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


@pytest.mark.parametrize("path", [p if p.stem in FAST else pytest.param(p, marks=pytest.mark.slow)
                                  for p in EXPERIMENTS], ids=[p.stem for p in EXPERIMENTS])
def test_ci_size_digest_matches_the_committed_one(path, tmp_path):
    digest_file = DIGESTS / f"{path.stem}.sha256"
    assert digest_file.is_file(), (
        f"no committed digest for {path.name}: run `.venv/bin/python scripts/update_digests.py "
        f"{path.stem}` and commit {digest_file.relative_to(ROOT)}")
    expected = digest_file.read_text().split()[0]
    if study.is_study(path):  # a study's runs are its questions' (digested above), in its worlds
        assert study.design_digest(path) == expected, (
            f"the worlds or seeds of {path.stem}'s questions changed: if intended, run "
            f"`.venv/bin/python scripts/update_digests.py {path.stem}`")
        return
    res = tmp_path / "res"
    got = sweep.ci_digest(path, res)
    ref = _reference(path.stem)
    if got != expected:
        pytest.fail(ds.mismatch_message(path.stem, expected, got, ref, ds.summarize_results(res, got))
                    + "\nif the change is intended, run `.venv/bin/python scripts/update_digests.py` "
                    "and commit tests/digests/", pytrace=False)
    assert ref is not None and ref["digest"] == expected, (
        f"tests/digests/{path.stem}.json is missing or describes another digest than "
        f"{digest_file.name}: run `.venv/bin/python scripts/update_digests.py {path.stem}`")


# --- the comparison helper, on a synthetic sweep --------------------------------------------------

def _frames(seed: int = 0):
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame({
        "run_id": [f"r{i:02d}" for i in range(12)],
        "point": np.repeat(np.arange(6), 2),
        "replicate": np.tile([0, 1], 6),
        "levers.process": np.repeat([0.1, 0.9], 6),
        "innovation_speed": rng.integers(20, 53, 12),
        "innovation_censored": rng.random(12) < 0.3,
        "final_fitness": rng.random(12),
        "lead_time_median": np.where(rng.random(12) < 0.2, np.nan, rng.random(12) * 10),
        "error": ["None"] * 12,
    })
    series = pd.DataFrame({
        "run_id": np.repeat(runs["run_id"], 5).to_numpy(), "point": np.repeat(runs["point"], 5).to_numpy(),
        "replicate": np.repeat(runs["replicate"], 5).to_numpy(), "step": np.tile(np.arange(1, 6), 12),
        "mean_fitness": rng.random(60), "launches": rng.integers(0, 3, 60),
    })
    return runs, series


def test_unchanged_results_explain_nothing():
    runs, series = _frames()
    old = ds.summarize(runs, series, frame_digest(runs))
    assert ds.explain(old, ds.summarize(runs.copy(), series.copy())) == []
    json.loads(ds.dumps(old))  # a stored reference is plain JSON (NaN as null)


def test_a_perturbed_outcome_column_is_named_with_the_size_of_its_change():
    runs, series = _frames()
    old = ds.summarize(runs, series)
    bad = runs.copy()
    bad.loc[3, "innovation_speed"] += 6
    bad.loc[7, "innovation_speed"] -= 2
    lines = ds.explain(old, ds.summarize(bad, series))
    # 12 seeded values: row 3 is 28 (→ 34), row 7 is the minimum 20 (→ 18); the mean rises by 4/12
    assert lines == ["innovation_speed: mean 34 → 34.33, min 20 → 18 "
                     "(max |Δ| 6; first at row 3: 28 → 34; 2 of 12 rows differ)"], lines
    msg = ds.mismatch_message("smoke", frame_digest(runs), frame_digest(bad), old, ds.summarize(bad, series))
    assert "smoke" in msg and "innovation_speed: mean" in msg and "final_fitness" not in msg


def test_a_perturbed_series_column_and_a_nan_are_named():
    runs, series = _frames()
    old = ds.summarize(runs, series)
    ts = series.copy()
    ts.loc[10, "mean_fitness"] = 2.5  # above every other value: the max moves
    r = runs.copy()
    first_number = int(np.nonzero(r["lead_time_median"].notna().to_numpy())[0][0])
    r.loc[first_number, "lead_time_median"] = np.nan
    lines = ds.explain(old, ds.summarize(r, ts))
    assert [ln.split(":")[0] for ln in lines] == ["lead_time_median", "series mean_fitness"], lines
    assert "NaN count" in lines[0] and "NaN ↔ number" in lines[0], lines[0]
    assert "max " in lines[1] and "→ 2.5" in lines[1], lines[1]


def test_added_removed_and_retyped_columns_and_rows_are_named():
    runs, series = _frames()
    old = ds.summarize(runs, series)
    new = runs.drop(columns=["final_fitness"]).assign(launches=1)
    new["point"] = new["point"].astype(float)
    lines = ds.explain(old, ds.summarize(new, None))
    assert "final_fitness: column removed" in lines and "launches: column added" in lines
    assert any(ln.startswith("point: dtype int64 → float64") for ln in lines), lines
    assert "timeseries.parquet: no longer written" in lines
    lines = ds.explain(old, ds.summarize(runs.iloc[:10], series))
    assert lines[0] == "runs.parquet rows: 12 → 10" and any("12 → 10 values" in ln for ln in lines)
