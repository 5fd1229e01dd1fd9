"""Dask execution: a LocalCluster gives the in-process results bit for bit, and a worker process
that dies mid-sweep loses and duplicates no run."""

import os

import pandas as pd
import pytest

from sim import sweep
from sim.storage import frame_digest
from sim.sweep import executors

pytestmark = pytest.mark.slow  # every test here starts a Dask cluster


def assert_same_results(here, there) -> None:
    """Two results folders hold the same runs and series, bit for bit."""
    a, b = pd.read_parquet(here / "runs.parquet"), pd.read_parquet(there / "runs.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert frame_digest(a) == frame_digest(b)
    pd.testing.assert_frame_equal(pd.read_parquet(here / "timeseries.parquet"),
                                  pd.read_parquet(there / "timeseries.parquet"))


def assert_each_run_once(smoke, out, ref_out) -> None:
    """The sweep of ``smoke`` in ``out`` stored every run exactly once, none failed, and its runs
    equal an uninterrupted in-process sweep's (run into ``ref_out``)."""
    df = pd.read_parquet(out / "runs.parquet")
    chunks = pd.concat(pd.read_parquet(p) for p in (out / "chunks").glob("chunk-*.parquet"))
    plan = sweep.expand(smoke, ci=True)
    assert sorted(chunks["run_id"]) == sorted(r.run_id for r in plan.runs)  # each exactly once
    assert df["error"].isna().all()
    ref = sweep.run_experiment(smoke, ci=True, out=ref_out, progress=False)
    pd.testing.assert_frame_equal(df, pd.read_parquet(ref / "runs.parquet"))


def first_time(marker: str) -> bool:
    """True once: makes the file ``marker`` (exclusively), False when it exists already. A fault
    a task injects this way happens once, even across worker processes."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def crash_task(target: int, marker: str):
    """A batch task whose worker process exits abruptly (``os._exit``, like a killed worker: no
    clean-up, no exception to catch) on run ``target``: the first time only while ``marker`` (a
    file) does not exist yet, or every time with no marker."""
    def task(items, outcomes, timeseries, on_run=None):
        if any(index == target for index, *_ in items) and (not marker or first_time(marker)):
            os._exit(70)
        return executors.execute_batch(items, outcomes, timeseries, on_run)
    return task


class CrashingLocalDask(executors.LocalDask):
    """A LocalCluster executor whose batches run through :func:`crash_task`."""

    def __init__(self, workers: int, target: int, marker: str = ""):
        super().__init__(workers)
        self.task = crash_task(target, marker)



def test_local_cluster_equals_in_process(smoke, tmp_path, monkeypatch):
    from distributed import LocalCluster

    here = sweep.run_experiment(smoke, ci=True, out=tmp_path / "here", progress=False)
    monkeypatch.setenv(sweep.ENV_CHUNK, "3")  # tiny runs would otherwise make a single task
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        there = sweep.run_experiment(smoke, ci=True, out=tmp_path / "there", progress=False,
                                     scheduler=cluster.scheduler_address)
    assert_same_results(here, there)
    assert len(list((there / "chunks").glob("chunk-*.parquet"))) == 1 + 4  # the timed run + 11/3


def test_a_dying_worker_loses_and_duplicates_no_run(smoke, tmp_path, monkeypatch):
    marker = tmp_path / "crashed"
    monkeypatch.setenv(sweep.ENV_CHUNK, "2")
    crashing = CrashingLocalDask(2, target=5, marker=str(marker))  # run 5 kills its worker once
    out = sweep.run_experiment(smoke, ci=True, out=tmp_path / "res", progress=False,
                               executor=crashing)
    assert marker.exists()  # the worker really died
    assert_each_run_once(smoke, out, tmp_path / "ref")


def test_a_run_that_always_kills_its_worker_is_recorded_lost_then_retried(smoke, tmp_path,
                                                                        monkeypatch):
    import argparse

    import dask

    # run 4 kills every worker that tries it: `pactsim sweep --workers 2` gets that executor
    monkeypatch.setattr(sweep, "make_executor", lambda workers, scheduler: CrashingLocalDask(
        workers, target=4))
    monkeypatch.setenv(sweep.ENV_CHUNK, "3")
    out = tmp_path / "res"
    args = argparse.Namespace(experiment=str(smoke), workers=2, scheduler=None, out=str(out),
                              fresh=False, ci=True, max_memory=None)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        assert sweep.command(args) == 1
    df = pd.read_parquet(out / "runs.parquet")
    bad = df["error"].notna()
    assert df.loc[4, "error"].startswith("lost: KilledWorker")  # rows are in run order
    # with no retries allowed, a run queued on the dying worker may be lost with it: also recorded
    assert df.loc[bad, "error"].str.startswith("lost: KilledWorker").all()
    assert bad.sum() <= 3
    chunks = pd.concat(pd.read_parquet(p) for p in (out / "chunks").glob("chunk-*.parquet"))
    assert sorted(chunks["run_id"]) == sorted(df.loc[~bad, "run_id"])  # the rest saved, once
    # the lost run is not a result: the next call retries it
    monkeypatch.setattr(sweep, "make_executor", executors.make_executor)
    args.workers = None
    assert sweep.command(args) == 0
    ref = sweep.run_experiment(smoke, ci=True, out=tmp_path / "ref", progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"),
                                  pd.read_parquet(ref / "runs.parquet"))


def test_a_run_too_big_for_a_remote_workers_memory_limit_is_refused_up_front(smoke, tmp_path):
    from distributed import LocalCluster

    from sim.errors import ConfigError

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      memory_limit="100MiB") as cluster:
        with pytest.raises(ConfigError, match=r"a run on worker .* more than 100.00 MiB \(the "
                                              r"worker's memory limit\); start the workers"):
            sweep.run_experiment(smoke, ci=True, out=tmp_path / "there", progress=False,
                                 scheduler=cluster.scheduler_address)
    assert not (tmp_path / "there" / "chunks").exists()
