"""In-process sweeps: the tables written, resume, failures, refusals, the command line."""

import argparse
import json
import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim import sweep
from sim.errors import ConfigError
from sim.metrics import OUTCOME_NAMES, SERIES_NAMES
from sim.storage import frame_digest
from tests.conftest import ROOT, run_cli

SMOKE = ROOT / "experiments" / "smoke.toml"



def run(path, out, **kw):
    return sweep.run_experiment(path, ci=True, out=out, progress=False, **kw)


def test_runs_table_layout_and_values(smoke, tmp_path):
    out = run(smoke, tmp_path / "res")
    plan = sweep.expand(smoke, ci=True)
    df = pd.read_parquet(out / "runs.parquet")
    keep = [n for n in OUTCOME_NAMES if n in plan.outcomes]
    assert list(df.columns) == ["run_id", "point", "replicate", "seed", "levers.process",
                                "levers.culture", *keep, "error"]
    assert len(df) == len(plan.points) * plan.replicates == 12
    assert df["run_id"].is_unique
    assert list(zip(df["point"], df["replicate"], strict=True)) == sorted(
        zip(df["point"], df["replicate"], strict=True))
    assert df["seed"].dtype == np.int64 and df["point"].dtype == np.int64
    assert df["levers.process"].dtype == np.float64
    assert df["innovation_censored"].dtype == "boolean"
    assert df["error"].isna().all()
    # every stored outcome is what sim.simulate gives for that config and seed
    for row in df.to_dict("records"):
        cfg = plan.configs[row["point"]]
        assert cfg.levers.process == row["levers.process"]
        result = sim.simulate(cfg, seed=row["seed"])
        for name in keep:
            assert row[name] == result.outcomes[name], name
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["run_id", "point", "replicate", "step", *SERIES_NAMES]
    assert len(ts) == 12 * plan.steps
    assert ts.groupby("run_id")["step"].apply(list).map(lambda s: s == list(range(1, 41))).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs_done"] == 12
    assert manifest["runs_failed"] == 0 and manifest["ci"] is True
    assert manifest["experiment_text"] == smoke.read_text()
    assert len(manifest["design"]["points"]) == 6 and manifest["seeds"] == list(plan.seeds)
    assert {"git", "versions", "host", "started", "ended"} <= set(manifest)


@pytest.mark.slow
def test_results_do_not_depend_on_chunking_and_resume_skips_finished_runs(smoke, tmp_path,
                                                                         monkeypatch):
    a = run(smoke, tmp_path / "a")
    monkeypatch.setenv(sweep.ENV_CHUNK, "1")
    b = run(smoke, tmp_path / "b")
    assert len(list((b / "chunks").glob("chunk-*.parquet"))) == 12
    ra, rb = pd.read_parquet(a / "runs.parquet"), pd.read_parquet(b / "runs.parquet")
    pd.testing.assert_frame_equal(ra, rb)
    pd.testing.assert_frame_equal(pd.read_parquet(a / "timeseries.parquet"),
                                  pd.read_parquet(b / "timeseries.parquet"))
    # drop a third of the chunks: the next call runs only those runs, and ends identical
    for p in sorted((b / "chunks").glob("chunk-*.parquet"))[::3]:
        p.unlink()
    run(smoke, b)
    manifest = json.loads((b / "manifest.json").read_text())
    assert [s["runs_executed"] for s in manifest["sessions"]] == [12, 4]
    assert frame_digest(pd.read_parquet(b / "runs.parquet")) == frame_digest(ra)
    pd.testing.assert_frame_equal(pd.read_parquet(a / "timeseries.parquet"),
                                  pd.read_parquet(b / "timeseries.parquet"))
    run(smoke, b)
    manifest = json.loads((b / "manifest.json").read_text())
    assert manifest["sessions"][-1]["runs_executed"] == 0
    # a damaged chunk (not something a kill can leave, but disks fail) is dropped and redone
    (b / "chunks" / "chunk-00000005.parquet").write_bytes(b"PAR1 garbage")
    run(smoke, b)
    manifest = json.loads((b / "manifest.json").read_text())
    assert manifest["sessions"][-1]["runs_executed"] == 1
    assert frame_digest(pd.read_parquet(b / "runs.parquet")) == frame_digest(ra)


def test_fresh_refuses_a_folder_that_is_not_a_sweeps(smoke, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "manifest.json").write_text('{"kind": "run"}')
    with pytest.raises(ConfigError, match="not a sweep"):
        run(smoke, out, fresh=True)
    with pytest.raises(ConfigError, match="holds other results"):
        run(smoke, out)
    assert (out / "manifest.json").read_text() == '{"kind": "run"}'


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(smoke, tmp_path, monkeypatch):
    from sim import engine

    real = engine.simulate
    bad_seed = sweep.run_seeds(1, 2)[1]

    def flaky(cfg, seed=None, **kw):
        if seed == bad_seed and cfg.levers.culture == 0.5:
            raise RuntimeError("boom")
        return real(cfg, seed=seed, **kw)

    monkeypatch.setattr(engine, "simulate", flaky)
    args = argparse.Namespace(experiment=str(smoke), workers=None, scheduler=None,
                              out=str(tmp_path / "res"), fresh=False, ci=True,
                              max_memory=None)
    assert sweep.command(args) == 1
    df = pd.read_parquet(tmp_path / "res" / "runs.parquet")
    bad = df["error"].notna()
    assert bad.sum() == 2  # culture 0.5 at both process levels, replicate 1
    assert set(df.loc[bad, "replicate"]) == {1}
    assert (df.loc[bad, "error"] == "RuntimeError: boom").all()
    assert df.loc[bad, "final_fitness"].isna().all() and df.loc[bad, "launches"].isna().all()
    assert df.loc[~bad, "final_fitness"].notna().all() and len(df) == 12
    manifest = json.loads((tmp_path / "res" / "manifest.json").read_text())
    assert manifest["runs_failed"] == 2 and manifest["runs_done"] == 10


def test_identical_configs_run_once_and_fill_every_row(tmp_path):
    path = tmp_path / "dup.toml"
    # levers.process is ignored in schedule mode but still part of the config: use n_flip_hero 1
    # and 1.0 -> validated to the same int, so the two points are one config
    path.write_text('scenario = "baseline"\nseed = 2\nreplicates = 2\nsteps = 5\n'
                    '[set]\n"population.n_employees" = 40\n"population.n_units" = 2\n'
                    '"population.n_customers" = 40\n'
                    '[design]\nkind = "grid"\nfactors = { "behaviour.n_flip_hero" = [1, 1.0, 2] }\n'
                    "[ci]\n")
    out = sweep.run_experiment(path, ci=True, out=tmp_path / "res", progress=False)
    df = pd.read_parquet(out / "runs.parquet")
    assert len(df) == 6 and df["error"].isna().all()
    assert (df.loc[df.point == 0, "run_id"].to_numpy() == df.loc[df.point == 1, "run_id"].to_numpy()).all()
    chunks = pd.concat(pd.read_parquet(p) for p in (out / "chunks").glob("chunk-*.parquet"))
    assert len(chunks) == 4 and chunks["run_id"].is_unique


@pytest.mark.slow
def test_changed_experiment_file_is_refused_without_fresh(smoke, tmp_path):
    out = tmp_path / "res"
    run(smoke, out)
    smoke.write_text(smoke.read_text().replace("seed = 1", "seed = 2"))
    with pytest.raises(ConfigError, match="--fresh") as info:
        run(smoke, out)
    assert "changed" in str(info.value)
    r = run_cli("sweep", str(smoke), "--ci", "--out", str(out))
    assert r.returncode == 2 and "--fresh" in r.stderr and "Traceback" not in r.stderr
    old = pd.read_parquet(out / "runs.parquet")
    run(smoke, out, fresh=True)
    new = pd.read_parquet(out / "runs.parquet")
    assert not old["seed"].equals(new["seed"])
    assert len(json.loads((out / "manifest.json").read_text())["sessions"]) == 1


def test_full_and_ci_sizes_do_not_mix(smoke, tmp_path):
    out = run(smoke, tmp_path / "res")
    with pytest.raises(ConfigError, match="ci size"):
        sweep.run_experiment(smoke, out=out, progress=False)


@pytest.mark.slow
def test_bad_experiment_exits_2_without_traceback_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('scenario = "baseline"\nseed = 1\nreplicates = 2\n'
                    '[design]\nkind = "grid"\nfactors = { "levers.culture" = [0.5, 2.0] }\n')
    out = tmp_path / "out"
    r = run_cli("sweep", str(path), "--out", str(out))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: {path}") and "levers.culture = 2.0" in r.stderr
    assert not out.exists()
    path.write_text(path.read_text().replace("replicates = 2", "replicates = 2\nreplicas = 3"))
    r = run_cli("sweep", str(path), "--out", str(out))
    assert r.returncode == 2 and "replicas = 3: unknown key" in r.stderr and not out.exists()
    r = run_cli("sweep", "no_such_experiment", "--out", str(out))
    assert r.returncode == 2 and "smoke" in r.stderr and not out.exists()
    r = run_cli("sweep", str(SMOKE), "--workers", "0", "--out", str(out))
    assert r.returncode == 2 and "--workers 0" in r.stderr and not out.exists()


@pytest.mark.slow
def test_cli_sweep_ci_writes_results_and_a_summary(tmp_path):
    r = run_cli("sweep", "smoke", "--ci", "--out", str(tmp_path / "res"))
    assert r.returncode == 0, r.stderr
    assert "12 in all: 12 done, 0 failed" in r.stdout
    assert (tmp_path / "res" / "runs.parquet").is_file()
    df = pd.read_parquet(tmp_path / "res" / "runs.parquet")
    assert not math.isnan(df["final_fitness"].sum())
