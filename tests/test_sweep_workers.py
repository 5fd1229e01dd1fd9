"""``--workers N``: worker processes forked from the sweep (sim.sweep.executors.LocalProcesses) give
the in-process results bit for bit; a worker that dies loses and duplicates no run; a run that
always kills its worker is recorded as lost, then retried on resume; no worker outlives its sweep
or holds the folder's lock."""

import argparse
import multiprocessing
import os
from pathlib import Path

import pandas as pd
import pytest

from sim import sweep
from sim.sweep import executors
from tests.test_sweep_dask import (
    assert_each_run_once,
    assert_same_results,
    crash_task,
    first_time,
)


class CrashingProcesses(executors.LocalProcesses):
    """Forked workers whose batches run through :func:`crash_task`."""

    def __init__(self, workers: int, target: int, marker: str = ""):
        super().__init__(workers)
        self.task = crash_task(target, marker)



def _reference(smoke, tmp_path) -> Path:
    return sweep.run_experiment(smoke, ci=True, out=tmp_path / "ref", progress=False)


def test_make_executor_forks_local_workers():
    ex = executors.make_executor(workers=2)
    assert isinstance(ex, executors.LocalProcesses) and ex.workers == ex.local_workers == 2
    assert isinstance(executors.make_executor(), executors.InProcess)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_forked_workers_equal_in_process(smoke, tmp_path, monkeypatch, workers):
    here = _reference(smoke, tmp_path)
    monkeypatch.setenv(sweep.ENV_CHUNK, "3")  # tiny runs would otherwise make a single task
    ex = executors.LocalProcesses(workers)
    there = sweep.run_experiment(smoke, ci=True, out=tmp_path / "there", progress=False,
                                 executor=ex)
    assert_same_results(here, there)
    assert len(list((there / "chunks").glob("chunk-*.parquet"))) == 1 + 4  # the timed run + 11/3
    assert ex.deaths == 0
    assert multiprocessing.active_children() == []  # every worker ended with the sweep


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_workers_started_without_fork_equal_in_process(smoke, tmp_path, monkeypatch, method):
    here = _reference(smoke, tmp_path)
    monkeypatch.setenv(sweep.ENV_CHUNK, "3")
    monkeypatch.setenv(executors.ENV_START, method)
    there = sweep.run_experiment(smoke, ci=True, out=tmp_path / "there", progress=False, workers=2)
    pd.testing.assert_frame_equal(pd.read_parquet(here / "runs.parquet"),
                                  pd.read_parquet(there / "runs.parquet"))
    assert multiprocessing.active_children() == []


def test_an_unknown_start_method_is_refused(monkeypatch):
    from sim.errors import ConfigError

    monkeypatch.setenv(executors.ENV_START, "teleport")
    with pytest.raises(ConfigError, match="PACTSIM_START_METHOD=teleport: this platform has"):
        executors.start_method()


def test_a_dying_worker_loses_and_duplicates_no_run(smoke, tmp_path, monkeypatch):
    marker = tmp_path / "crashed"
    monkeypatch.setenv(sweep.ENV_CHUNK, "2")
    crashing = CrashingProcesses(2, target=5, marker=str(marker))  # run 5 kills its worker once
    out = sweep.run_experiment(smoke, ci=True, out=tmp_path / "res", progress=False,
                               executor=crashing)
    assert marker.exists() and crashing.deaths == 1  # the worker really died, and was replaced
    assert_each_run_once(smoke, out, tmp_path / "ref")
    assert multiprocessing.active_children() == []


def test_a_run_that_always_kills_its_worker_is_recorded_lost_then_retried(smoke, tmp_path,
                                                                        monkeypatch):
    # run 4 kills every worker that tries it: `pactsim sweep --workers 2` gets that executor
    made = []

    def make(workers, scheduler):
        made.append(CrashingProcesses(workers, target=4))
        return made[-1]

    monkeypatch.setattr(sweep, "make_executor", make)
    monkeypatch.setenv(sweep.ENV_CHUNK, "3")
    out = tmp_path / "res"
    args = argparse.Namespace(experiment=str(smoke), workers=2, scheduler=None, out=str(out),
                              fresh=False, ci=True, max_memory=None)
    assert sweep.command(args) == 1
    assert made[0].deaths == 1 + executors._DEATHS  # its batch, then it alone
    df = pd.read_parquet(out / "runs.parquet")
    bad = df["error"].notna()
    assert bad.sum() == 1  # no other run is lost with it: a worker runs one batch at a time
    assert df.loc[4, "error"].startswith(f"lost: its worker process died {executors._DEATHS} "
                                         "times (exit code 70)")  # rows are in run order
    chunks = pd.concat(pd.read_parquet(p) for p in (out / "chunks").glob("chunk-*.parquet"))
    assert sorted(chunks["run_id"]) == sorted(df.loc[~bad, "run_id"])  # the rest saved, once
    # the lost run is not a result: the next call retries it
    monkeypatch.setattr(sweep, "make_executor", executors.make_executor)
    assert sweep.command(args) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"),
                                  pd.read_parquet(_reference(smoke, tmp_path) / "runs.parquet"))


def _raising_task(target: int):
    """A task that raises (not a run's failure: the task's own) for any batch holding ``target``."""
    def task(items, outcomes, timeseries, on_run=None):
        if any(index == target for index, *_ in items):
            raise MemoryError("no room")
        return executors.execute_batch(items, outcomes, timeseries, on_run)
    return task


def test_a_task_that_raises_is_split_and_only_its_run_is_lost(smoke, tmp_path, monkeypatch):
    monkeypatch.setenv(sweep.ENV_CHUNK, "3")
    ex = executors.LocalProcesses(2)
    ex.task = _raising_task(7)
    out = sweep.run_experiment(smoke, ci=True, out=tmp_path / "res", progress=False, executor=ex)
    df = pd.read_parquet(out / "runs.parquet")
    bad = df["error"].notna()
    assert bad.sum() == 1 and df.loc[7, "error"] == "lost: MemoryError: no room"
    assert ex.deaths == 0


def _fd_task(record: str):
    """A task that writes where each of its worker's file descriptors points, then runs."""
    def task(items, outcomes, timeseries, on_run=None):
        fds = sorted(os.listdir("/proc/self/fd"), key=int)
        links = []
        for fd in fds:
            try:
                links.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass
        with open(f"{record}.{os.getpid()}", "w") as f:
            f.write("\n".join(links))
        return executors.execute_batch(items, outcomes, timeseries, on_run)
    return task


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_workers_do_not_hold_the_folder_lock(smoke, tmp_path):
    from sim.sweep.lock import LOCK_NAME

    ex = executors.LocalProcesses(2)
    ex.task = _fd_task(str(tmp_path / "fds"))
    out = sweep.run_experiment(smoke, ci=True, out=tmp_path / "res", progress=False, executor=ex)
    records = list(tmp_path.glob("fds.*"))
    assert records
    for rec in records:
        assert not any(line.endswith(LOCK_NAME) for line in rec.read_text().splitlines())
    assert (out / "runs.parquet").is_file()


def test_batches_cover_every_run_once_and_shrink_towards_the_end(monkeypatch):
    monkeypatch.delenv(sweep.ENV_CHUNK, raising=False)
    items = list(range(1000))
    for workers in (1, 2, 4):
        cut = executors.batches(items, 0.05, workers)
        assert [i for b in cut for i in b] == items
        sizes = [len(b) for b in cut]
        assert sizes == sorted(sizes, reverse=True)
        assert sizes[0] * 0.05 <= executors._TASK_SECONDS + 0.05
        if workers > 1:
            assert sizes[-1] < sizes[0] and min(sizes[:-1]) >= 4  # none under 0.2 s but the rest
    monkeypatch.setenv(sweep.ENV_CHUNK, "7")
    assert {len(b) for b in executors.batches(items, 0.05, 2)[:-1]} == {7}


def _stopping_task(target: int, marker: str):
    """A task whose worker process stops itself (SIGSTOP, as a debugger or ``kill -STOP`` would)
    on run ``target``, the first time only (``marker``: a file made then)."""
    import signal

    def task(items, outcomes, timeseries, on_run=None):
        if any(index == target for index, *_ in items) and first_time(marker):
            os.kill(os.getpid(), signal.SIGSTOP)
        return executors.execute_batch(items, outcomes, timeseries, on_run)
    return task


@pytest.mark.slow
def test_a_stopped_worker_is_detected_in_bounded_time_and_its_runs_redone(smoke, tmp_path,
                                                                         monkeypatch):
    import time

    stall = 3.0  # the floor, made short for the test (30 s in use)
    monkeypatch.setattr(executors, "_STALL_SECONDS", stall)
    monkeypatch.setenv(sweep.ENV_CHUNK, "2")
    marker = tmp_path / "stopped"
    ex = executors.LocalProcesses(2)
    ex.task = _stopping_task(5, str(marker))
    t = time.monotonic()
    out = sweep.run_experiment(smoke, ci=True, out=tmp_path / "res", progress=False, executor=ex)
    elapsed = time.monotonic() - t
    assert marker.exists() and len(ex.stalls) == 1 and ex.deaths == 1
    # seen within the floor plus one poll of the loop (a quarter of the floor), with slack for load
    assert stall < ex.stalls[0] < stall + stall / 4 + 2.0, ex.stalls
    assert elapsed < 60, elapsed
    assert_each_run_once(smoke, out, tmp_path / "ref")
    assert multiprocessing.active_children() == []
