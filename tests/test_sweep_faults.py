"""Faults around the results folder: two sweeps on one folder (lock file, stale locks), a full disk
and a read-only folder. Each ends with a clear message, earlier chunks intact, and a resume that
gives the results of an uninterrupted sweep."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim import cli, storage, sweep
from sim.sweep.lock import LOCK_NAME, FolderBusy, FolderLock
from tests.conftest import ROOT, wait_for_chunks
from tests.test_sweep_kill import EXPERIMENT

ENV = {**os.environ, sweep.ENV_CHUNK: "2"}


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """The kill test's experiment (72 small runs with time series) and its uninterrupted results."""
    d = tmp_path_factory.mktemp("faults")
    path = d / "faults.toml"
    path.write_text(EXPERIMENT)
    ref = sweep.run_experiment(path, out=d / "ref", progress=False)
    return path, pd.read_parquet(ref / "runs.parquet"), pd.read_parquet(ref / "timeseries.parquet")


def _cli(path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), *extra]
    return subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)


def _assert_equals_reference(out: Path, experiment) -> None:
    _, runs, ts = experiment
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), runs)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"), ts)
    assert list(out.rglob("*.tmp")) == []
    assert not (out / LOCK_NAME).exists()  # released at the end


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "chunks").glob("*.parquet"))}


def _partial(path: Path, out: Path, chunks: int = 4) -> subprocess.Popen:
    """Start a sweep and SIGKILL it once ``chunks`` chunk files exist; return the dead process."""
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_chunks(proc, out, chunks)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return proc


# --- the lock ---------------------------------------------------------------------------------

def test_lock_is_exclusive_names_its_holder_and_is_released(tmp_path):
    with FolderLock(tmp_path / "res") as held:
        record = json.loads((tmp_path / "res" / LOCK_NAME).read_text())
        assert record["pid"] == os.getpid()
        assert held.stale is None
        with pytest.raises(FolderBusy, match=f"in use by another sweep \\(pid {os.getpid()} on "):
            FolderLock(tmp_path / "res").__enter__()
    assert not (tmp_path / "res" / LOCK_NAME).exists()
    with FolderLock(tmp_path / "res") as again:  # free again
        assert again.stale is None


def test_a_lock_left_by_a_dead_process_is_detected_as_stale(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    folder = tmp_path / "res"
    folder.mkdir()
    import socket
    (folder / LOCK_NAME).write_text(json.dumps({"pid": pid, "host": socket.gethostname(),
                                                "started": "2026-01-01T00:00:00Z"}))
    with FolderLock(folder) as lock:
        assert lock.stale["pid"] == pid
        note = lock.stale_note()
    assert f"stale lock left by pid {pid}" in note and "no longer running" in note


@pytest.mark.slow
def test_a_second_sweep_is_refused_while_the_folder_is_held(tmp_path, experiment):
    path = experiment[0]
    out = tmp_path / "res"
    _partial(path, out)
    before = _snapshot(out)
    with FolderLock(out):  # a live holder: this test process
        for extra in ((), ("--fresh",), ("--workers", "2")):
            r = _cli(path, out, *extra)
            assert r.returncode == 1, r.stderr
            assert f"in use by another sweep (pid {os.getpid()} on " in r.stderr, r.stderr
            assert "Traceback" not in r.stderr
            assert _snapshot(out) == before  # --fresh did not clear it either
    r = _cli(path, out)
    assert r.returncode == 0, r.stderr
    _assert_equals_reference(out, experiment)


@pytest.mark.slow
def test_a_killed_sweeps_lock_is_taken_over_and_the_sweep_resumes(tmp_path, experiment):
    path = experiment[0]
    out = tmp_path / "res"
    proc = _partial(path, out)
    record = json.loads((out / LOCK_NAME).read_text())  # SIGKILL left the file behind
    assert record["pid"] == proc.pid
    r = _cli(path, out)
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())  # rich wraps long lines
    assert f"stale lock left by pid {proc.pid}" in text and "no longer running" in text
    _assert_equals_reference(out, experiment)


@pytest.mark.slow
def test_two_sweeps_started_together_do_not_corrupt_the_folder(tmp_path, experiment):
    path = experiment[0]
    out = tmp_path / "res"
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    for code, err in results:  # each either ran (or found all done) or was refused cleanly
        assert code == 0 or (code == 1 and "in use by another sweep" in err), err
    assert any(code == 0 for code, _ in results)
    _assert_equals_reference(out, experiment)


# --- full disk, read-only folder (injected: runs anywhere) --------------------------------------

def _failing_after(n: int, code: int, monkeypatch) -> None:
    """Make the (n+1)-th and later durable writes fail like a full disk or read-only folder."""
    real = storage.write_parquet_durable
    calls = {"n": 0}

    def write(path, df, *meta):
        calls["n"] += 1
        if calls["n"] > n:
            raise OSError(code, os.strerror(code), str(path))
        real(path, df, *meta)

    monkeypatch.setattr(storage, "write_parquet_durable", write)


@pytest.mark.slow
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_write_failure_stops_with_a_clear_message_and_keeps_the_chunks(tmp_path, experiment,
                                                                         monkeypatch, capsys, code):
    path = experiment[0]
    out = tmp_path / "res"
    monkeypatch.setenv(sweep.ENV_CHUNK, "2")
    _failing_after(9, code, monkeypatch)  # series and outcomes: 5 chunk files, the 5th a series
    assert cli.main(["sweep", str(path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write results: {os.strerror(code)}" in err, err
    assert "7 runs are saved in complete chunks" in err, err  # 1 + 2 + 2 + 2
    assert "run the same command again to resume" in err and "Traceback" not in err
    assert len(list((out / "chunks").glob("chunk-*.parquet"))) == 4
    assert list(out.rglob("*.tmp")) == [] and not (out / LOCK_NAME).exists()
    monkeypatch.undo()
    monkeypatch.setenv(sweep.ENV_CHUNK, "2")
    assert cli.main(["sweep", str(path), "--out", str(out)]) == 0
    assert "7 already done" in " ".join(capsys.readouterr().out.split())
    _assert_equals_reference(out, experiment)


@pytest.mark.slow
def test_an_interrupt_as_a_chunk_file_is_created_leaves_no_temporary_file(tmp_path, experiment,
                                                                          monkeypatch, capsys):
    """Ctrl-C can land after the temporary file of a chunk exists and before its writer knows its
    name (inside ``mkstemp``; CI found one such file left): the sweep removes it as it stops."""
    path = experiment[0]
    out = tmp_path / "res"
    monkeypatch.setenv(sweep.ENV_CHUNK, "2")
    real, calls = storage.tempfile.mkstemp, {"n": 0}

    def mkstemp(*args, **kwargs):
        fd, name = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 4:  # the fourth file the sweep writes: created, then the interrupt
            os.close(fd)
            raise KeyboardInterrupt
        return fd, name

    monkeypatch.setattr(storage.tempfile, "mkstemp", mkstemp)
    assert cli.main(["sweep", str(path), "--out", str(out)]) == 130
    said = " ".join(capsys.readouterr().out.split())
    assert "interrupted" in said and "run the same command again to resume" in said, said
    assert calls["n"] == 4
    assert list(out.rglob("*.tmp")) == [] and not (out / LOCK_NAME).exists()
    monkeypatch.undo()
    monkeypatch.setenv(sweep.ENV_CHUNK, "2")
    assert cli.main(["sweep", str(path), "--out", str(out)]) == 0
    _assert_equals_reference(out, experiment)


# --- full disk and read-only folder for real: a small tmpfs --------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 320 KiB tmpfs (root only: the CI machines run as root)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=320k", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.slow
def test_a_real_full_disk_then_a_read_only_folder_lose_nothing(small_disk, experiment):
    path = experiment[0]
    out = small_disk / "res"
    r = _cli(path, out)
    assert r.returncode == 1, r.stderr
    assert "cannot write results: No space left on device" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    saved = _snapshot(out)
    assert any(n.startswith("chunk-") for n in saved)
    for name in saved:  # every chunk there is whole
        pd.read_parquet(out / "chunks" / name)
    assert list(out.rglob("*.tmp")) == []

    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    r = _cli(path, out)
    assert r.returncode == 1 and "cannot write results: Read-only file system" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert _snapshot(out) == saved

    subprocess.run(["mount", "-o", "remount,rw,size=8m", str(small_disk)], check=True)
    r = _cli(path, out)
    assert r.returncode == 0, r.stderr
    _assert_equals_reference(out, experiment)


# --- Ctrl-C -----------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("workers,sig,group", [(None, signal.SIGINT, True), (2, signal.SIGINT, True),
                                               (None, signal.SIGTERM, False)])
def test_ctrl_c_stops_cleanly_says_how_to_resume_and_resumes(tmp_path, experiment, workers, sig,
                                                             group):
    """Ctrl-C reaches the process group (as from a terminal); SIGTERM (a batch scheduler's time
    limit, `kill`) the sweep's process alone. Both stop it the same clean way."""
    path = experiment[0]
    out = tmp_path / "res"
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out)]
    cmd += ["--workers", str(workers)] if workers else []
    # a terminal's Ctrl-C reaches the whole process group: the sweep and its worker processes
    # as from a terminal, SIGINT is not ignored even when the suite itself runs in the background
    # (a non-interactive shell starts background jobs with SIGINT ignored, and children inherit it)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_for_chunks(proc, out, 4)
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, (stdout, stderr)
    said = " ".join((stdout + stderr).split())
    assert "interrupted" in said and "run the same command again to resume" in said, said
    assert "Traceback" not in stderr, stderr
    saved = _snapshot(out)
    for name in saved:  # every chunk there is whole
        pd.read_parquet(out / "chunks" / name)
    assert list(out.rglob("*.tmp")) == [] and not (out / LOCK_NAME).exists()
    assert not (out / "runs.parquet").exists()
    r = _cli(path, out)
    assert r.returncode == 0, r.stderr
    _assert_equals_reference(out, experiment)
