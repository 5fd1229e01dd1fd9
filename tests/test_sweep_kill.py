"""A sweep killed with SIGKILL part-way leaves only complete chunks; running the same command again
resumes and ends with the results of an uninterrupted sweep, and no temporary files."""

import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from sim import sweep
from tests.conftest import ROOT, wait_for_chunks

EXPERIMENT = """
description = "kill test"
scenario = "baseline"
seed = 11
replicates = 12
steps = 156  # long enough that a sweep is still running when a test interrupts it: with two
timeseries = true  # forked workers 72 runs of 60 employees x 90 weeks took under a second
[set]
"population.n_employees" = 150
"population.n_units" = 3
"population.n_customers" = 300
"landscape.nk_n" = 14
"landscape.nk_k" = 3
[design]
kind = "grid"
factors = { "levers.technology" = [0.0, 0.5, 1.0], "levers.advocates" = [0.2, 0.8] }
"""


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    path = tmp_path / "killme.toml"
    path.write_text(EXPERIMENT)
    out = tmp_path / "res"
    env = {**os.environ, sweep.ENV_CHUNK: "2"}
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    chunks = out / "chunks"
    try:
        wait_for_chunks(proc, out, 4)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "runs.parquet").exists()
    done = len(list(chunks.glob("chunk-*.parquet")))
    assert 4 <= done < 36  # part-way: 72 runs, the first (timed) alone, then in chunks of 2
    saved = sum(len(pd.read_parquet(p)) for p in chunks.glob("chunk-*.parquet"))
    assert saved == 2 * done - 1  # every chunk there is whole
    # what a kill during a write leaves: a temporary file, and a series chunk without its chunk
    (chunks / ".chunk-00000070.parquet.x1y2.tmp").write_bytes(b"PAR1 half")
    (chunks / "ts-00000070.parquet").write_bytes(b"half")

    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{saved} already done" in r.stdout
    assert list(out.rglob("*.tmp")) == []
    ref = sweep.run_experiment(path, out=tmp_path / "ref", progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"),
                                  pd.read_parquet(ref / "runs.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"),
                                  pd.read_parquet(ref / "timeseries.parquet"))
