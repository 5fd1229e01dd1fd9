"""The results folder as a trusted store (issue 15): no path leaves the folder, pactsim deletes only
what it wrote, one model version per result, chunks checked when read, a run folder written as one
unit, a sweep's report from a finished sweep only."""

import json
import os
import shutil

import pandas as pd
import pytest

from sim import storage, sweep
from sim.cli import main
from sim.errors import ConfigError
from sim.sweep import results
from sim.sweep.lock import LOCK_NAME, FolderLock
from tests.conftest import ROOT


def run(path, out, **kw):
    return sweep.run_experiment(path, ci=True, out=out, progress=False, **kw)


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    """A finished sweep of smoke's ci size (copied by each test that changes it)."""
    base = tmp_path_factory.mktemp("done")
    smoke = base / "smoke.toml"
    shutil.copy(ROOT / "experiments" / "smoke.toml", smoke)
    out = run(smoke, base / "res")
    return smoke, out


@pytest.fixture
def folder(done, tmp_path):
    """A private copy of the finished sweep: (experiment, results folder)."""
    smoke, out = done
    copy = tmp_path / "res"
    shutil.copytree(out, copy)
    return smoke, copy


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


# --- no path leaves the folder ----------------------------------------------------------------

@pytest.mark.slow
def test_a_lock_symlink_is_refused_and_its_target_untouched(folder, tmp_path):
    smoke, out = folder
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / LOCK_NAME).symlink_to(victim)
    with pytest.raises(ConfigError, match="symbolic link"):
        run(smoke, out)
    with pytest.raises(ConfigError, match="symbolic link"):
        FolderLock(out).__enter__()  # the lock itself never follows a link
    assert victim.read_text() == "precious"


@pytest.mark.slow
@pytest.mark.parametrize("target_kind", ["chunks", "file"])
def test_a_chunks_symlink_lets_no_fresh_delete_elsewhere(folder, tmp_path, target_kind):
    smoke, out = folder
    elsewhere = tmp_path / "elsewhere"
    shutil.move(out / "chunks", elsewhere)  # real chunk files, now outside the folder
    if target_kind == "file":
        (out / "runs.parquet").unlink()
        (out / "runs.parquet").symlink_to(elsewhere / sorted(os.listdir(elsewhere))[0])
        os.mkdir(out / "chunks")
    else:
        (out / "chunks").symlink_to(elsewhere, target_is_directory=True)
    before = _files(elsewhere)
    for fresh in (True, False):
        with pytest.raises(ConfigError, match="symbolic link"):
            run(smoke, out, fresh=fresh)
    assert _files(elsewhere) == before and before


@pytest.mark.slow
def test_planted_links_inside_chunks_are_refused(folder, tmp_path):
    smoke, out = folder
    victim = tmp_path / "v.parquet"
    victim.write_bytes(b"x")
    (out / "chunks" / "chunk-99999999.parquet").symlink_to(victim)
    with pytest.raises(ConfigError, match="not a chunk file pactsim wrote"):
        run(smoke, out, fresh=True)
    assert victim.read_bytes() == b"x"


# --- delete only what pactsim wrote -----------------------------------------------------------

@pytest.mark.slow
def test_fresh_never_clears_a_folder_without_a_sweep_manifest(folder):
    smoke, out = folder
    (out / "manifest.json").unlink()
    shutil.rmtree(out / "chunks")
    pd.DataFrame({"a": [1]}).to_parquet(out / "runs.parquet")  # someone else's table
    (out / "notes.txt").write_text("mine")
    before = _files(out)
    for fresh in (True, False):
        with pytest.raises(ConfigError, match="runs.parquet") as info:
            run(smoke, out, fresh=fresh)
        assert "sweep" in str(info.value)
    assert _files(out) == before


@pytest.mark.slow
def test_a_foreign_timeseries_is_named_not_overwritten(smoke, tmp_path):
    empty = tmp_path / "new"
    empty.mkdir()
    pd.DataFrame({"step": [1]}).to_parquet(empty / "timeseries.parquet")
    with pytest.raises(ConfigError, match="timeseries.parquet"):
        run(smoke, empty)
    assert list(pd.read_parquet(empty / "timeseries.parquet").columns) == ["step"]


@pytest.mark.slow
def test_fresh_keeps_files_pactsim_did_not_write(folder):
    smoke, out = folder
    (out / "notes.txt").write_text("mine")
    (out / "chunks" / "README").write_text("also mine")
    run(smoke, out, fresh=True)
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "chunks" / "README").read_text() == "also mine"


@pytest.mark.slow
def test_a_corrupt_manifest_is_rebuilt_from_intact_chunks(folder, capsys):
    smoke, out = folder
    reference = pd.read_parquet(out / "runs.parquet")
    (out / "manifest.json").write_text("{not json")
    assert main(["sweep", str(smoke), "--ci", "--out", str(out)]) == 0
    err = capsys.readouterr()
    assert "rebuilt from" in err.out + err.err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["sessions"][-1]["runs_executed"] == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), reference)


@pytest.mark.slow
def test_a_corrupt_manifest_without_chunks_is_not_overwritten(folder):
    smoke, out = folder
    shutil.rmtree(out / "chunks")
    for name in ("runs.parquet", "timeseries.parquet"):
        (out / name).unlink()
    (out / "manifest.json").write_text("{not json")
    for fresh in (False, True):
        with pytest.raises(ConfigError, match="cannot read"):
            run(smoke, out, fresh=fresh)
    assert (out / "manifest.json").read_text() == "{not json"


# --- one model version per result --------------------------------------------------------------

@pytest.mark.slow
def test_every_chunk_and_table_records_the_code_version(folder):
    from sim.provenance import code_version

    smoke, out = folder
    plan = sweep.expand(smoke, ci=True)
    files = sorted((out / "chunks").glob("*.parquet")) + [out / "runs.parquet",
                                                         out / "timeseries.parquet"]
    for p in files:
        meta = storage.read_meta(p)
        assert meta["code"] == code_version() and meta["design_hash"] == plan.design_hash, p
    assert json.loads((out / "manifest.json").read_text())["code"] == code_version()


@pytest.mark.slow
def test_a_resume_after_the_model_changed_is_refused(folder, monkeypatch, capsys):
    from sim import provenance

    smoke, out = folder
    victim = sorted((out / "chunks").glob("chunk-*.parquet"))[0]
    victim.unlink()  # a run to do: the resume would mix two versions
    before = _files(out)
    monkeypatch.setattr(provenance, "code_version", lambda: "0123456789abcdef")
    assert main(["sweep", str(smoke), "--ci", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "another version of pactsim's code" in err and "--fresh" in err and "0123456789abcdef" in err
    assert "Traceback" not in err and _files(out) == before


@pytest.mark.slow
def test_chunks_without_a_code_version_are_not_trusted(folder):
    smoke, out = folder
    chunk = sorted((out / "chunks").glob("chunk-*.parquet"))[0]
    pd.read_parquet(chunk).to_parquet(chunk, index=False)  # as a pactsim before this one wrote it
    with pytest.raises(ConfigError, match="cannot vouch for"):
        run(smoke, out)
    run(smoke, out, fresh=True)  # the remedy the message gives works


# --- chunks checked when read -------------------------------------------------------------------

def _rewrite(chunk, change):
    meta = storage.read_meta(chunk)
    storage.write_parquet_durable(chunk, change(pd.read_parquet(chunk)), meta)


@pytest.mark.parametrize("damage", ["drop_column", "wrong_type", "foreign_id", "extra_row",
                                    "series_truncated", "series_other_runs", "truncated"])
@pytest.mark.slow
def test_a_wrong_or_damaged_chunk_is_dropped_and_its_runs_redone(folder, damage, capsys):
    smoke, out = folder
    reference = pd.read_parquet(out / "runs.parquet")
    chunk = sorted((out / "chunks").glob("chunk-*.parquet"))[-1]
    series = chunk.with_name(chunk.name.replace("chunk-", "ts-"))
    if damage == "drop_column":
        _rewrite(chunk, lambda df: df.drop(columns=["launches"]))
    elif damage == "wrong_type":
        _rewrite(chunk, lambda df: df.assign(launches=df["launches"].astype("float64")))
    elif damage == "foreign_id":
        _rewrite(chunk, lambda df: df.assign(run_id="f" * 16))
    elif damage == "extra_row":
        _rewrite(chunk, lambda df: pd.concat([df, df.iloc[:1]], ignore_index=True))
    elif damage == "series_truncated":
        series.write_bytes(series.read_bytes()[:100])
    elif damage == "series_other_runs":
        _rewrite(series, lambda df: df.assign(run_id="f" * 16))
    else:
        chunk.write_bytes(chunk.read_bytes()[:200])
    plan = sweep.expand(smoke, ci=True)
    ids, dropped = results.done_ids(out, plan)
    assert len(dropped) == 1 and chunk.name in dropped[0], dropped
    assert not chunk.exists() and not series.exists()
    assert len(ids) < len(plan.runs)
    run(smoke, out)  # the runs are redone
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), reference)


# --- a run folder written as one unit -----------------------------------------------------------

def test_a_run_folder_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert main(["run", "baseline", "--steps", "2", "--set", "population.n_employees=30",
                 "--out", str(out)]) == 0
    before = _files(out)
    calls = []

    def full_disk(path, obj):  # the second file of the new run meets a full disk
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        return real(path, obj)

    real = storage.write_json
    monkeypatch.setattr(storage, "write_json", full_disk)
    assert main(["run", "baseline", "--steps", "3", "--set", "population.n_employees=30",
                 "--out", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert _files(out) == before  # the old result, whole
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left
    monkeypatch.setattr(storage, "write_json", real)
    assert main(["run", "baseline", "--steps", "3", "--set", "population.n_employees=30",
                 "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["steps"] == 3  # the new one, whole
    assert len(pd.read_parquet(out / "timeseries.parquet")) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_run_never_replaces_a_folder_holding_other_files(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("x")
    assert main(["run", "baseline", "--steps", "2", "--out", str(out)]) == 2
    assert "thesis.tex" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


def test_runs_default_folder_is_unique_to_the_whole_run():
    from sim.cli import run_folder_name

    names = {run_folder_name("baseline", "abc", seed, steps) for seed in (0, 1) for steps in (2, 3)}
    assert len(names) == 4
    assert run_folder_name("baseline", "abc", 0, 2) == run_folder_name("baseline", "abc", 0, 2)
    assert run_folder_name("baseline", "abd", 0, 2) != run_folder_name("baseline", "abc", 0, 2)


# --- what a report states -----------------------------------------------------------------------

@pytest.mark.slow
def test_report_of_an_interrupted_sweep_says_so_and_how_to_finish(folder, capsys):
    smoke, out = folder
    data = json.loads((out / "manifest.json").read_text())
    data["status"] = "running"  # as a sweep leaves it when interrupted
    (out / "manifest.json").write_text(json.dumps(data))
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "interrupted" in err and f"--out {out}" in err and "--ci" in err, err
    with FolderLock(out):
        assert main(["report", str(out)]) == 2
        assert "still running" in capsys.readouterr().err
    assert not (out / "report.html").exists()


@pytest.mark.slow
def test_report_of_a_damaged_timeseries_names_it(folder, capsys):
    smoke, out = folder
    ts = out / "timeseries.parquet"
    ts.write_bytes(ts.read_bytes()[:300])
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(ts) in err and "Traceback" not in err
    run(smoke, out)  # the remedy: the sweep rebuilds the table from its chunks
    assert len(pd.read_parquet(ts)) > 0


@pytest.mark.slow
def test_a_design_may_not_vary_what_the_experiment_fixes(smoke):
    text = smoke.read_text().replace('"levers.culture" = [0.1, 0.5, 0.9]', '"run.steps" = [20, 30]')
    for body, key in ((text, "run.steps"),
                      (text.replace("steps = 104", "# no steps"), "run.steps"),
                      (text.replace('"run.steps" = [20, 30]', '"run.seed" = [1, 2]'), "run.seed")):
        smoke.write_text(body)
        with pytest.raises(ConfigError, match=f"design varies '{key}'"):
            sweep.expand(smoke, ci=True)


@pytest.mark.slow
def test_a_report_of_one_usable_point_says_there_is_nothing_to_compare(folder):
    from sim.report import build_report

    smoke, out = folder
    df = pd.read_parquet(out / "runs.parquet")
    df["error"] = df["error"].where(df["point"] == 0, "RuntimeError: boom")
    df.to_parquet(out / "runs.parquet", index=False)
    page = build_report(out).read_text()
    assert "Only 1 design point of 6 has usable runs (10 of 12 runs failed)" in page


@pytest.mark.slow
def test_a_report_notes_runs_missing_from_the_manifests_count(folder):
    from sim.report import build_report

    smoke, out = folder
    df = pd.read_parquet(out / "runs.parquet")
    df[df["replicate"] == 0].to_parquet(out / "runs.parquet", index=False)  # half the rows lost
    page = build_report(out).read_text()
    assert "Note: runs.parquet holds 6 of the 12 runs the manifest records." in page


@pytest.mark.parametrize("case", ["chunks_file", "manifest_folder", "runs_folder", "lock_folder",
                                  "lock_fifo", "report_on_file"])
@pytest.mark.slow
def test_unexpected_file_types_are_refused_without_traceback(smoke, tmp_path, capsys, case):
    out = tmp_path / "res"
    out.mkdir()
    target = {"chunks_file": "chunks", "manifest_folder": "manifest.json",
              "runs_folder": "runs.parquet", "lock_folder": LOCK_NAME, "lock_fifo": LOCK_NAME,
              "report_on_file": "plain"}[case]
    if case in ("chunks_file", "report_on_file"):
        (out / target).write_text("x")
    elif case == "lock_fifo":
        os.mkfifo(out / target)
    else:
        (out / target).mkdir()
    if case == "report_on_file":
        assert main(["report", str(out / target)]) == 2
        assert "is not a folder" in capsys.readouterr().err
        return
    assert main(["sweep", str(smoke), "--ci", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {out / target}: is not a") and "Traceback" not in err, err
    assert sorted(os.listdir(out)) == [target]


@pytest.mark.slow
def test_an_edit_that_leaves_the_runs_alone_keeps_the_work(folder, capsys):
    smoke, out = folder
    reference = pd.read_parquet(out / "runs.parquet")
    smoke.write_text(smoke.read_text() + "\n# a comment added later\n")
    assert main(["sweep", str(smoke), "--ci", "--out", str(out)]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "its runs are the same ones: resuming" in said and "12 already done" in said, said
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["experiment_text"].endswith("# a comment added later\n")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), reference)
    smoke.write_text(smoke.read_text().replace("seed = 1", "seed = 2"))  # other runs: refused
    assert main(["sweep", str(smoke), "--ci", "--out", str(out)]) == 2
    assert "the file changed, and with it the runs" in capsys.readouterr().err


@pytest.mark.slow
def test_a_chunks_link_planted_during_a_sweep_is_refused(smoke, tmp_path, monkeypatch):
    from sim.sweep import executors

    out, elsewhere = tmp_path / "res", tmp_path / "elsewhere"
    elsewhere.mkdir()

    def plant(items, *args, **kw):  # once a chunk is there: chunks/ becomes a link elsewhere
        if (out / "chunks").is_dir() and not (out / "chunks").is_symlink():
            shutil.move(out / "chunks", tmp_path / "moved")
            (out / "chunks").symlink_to(elsewhere, target_is_directory=True)
        return executors.execute_batch(items, *args, **kw)

    monkeypatch.setenv(sweep.ENV_CHUNK, "3")
    ex = executors.InProcess()
    ex.task = plant
    with pytest.raises(ConfigError, match="is a symbolic link"):
        run(smoke, out, executor=ex)
    assert os.listdir(elsewhere) == []
