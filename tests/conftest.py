import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def small(**sections):
    """A small scenario (60 employees, 120 customers) with optional section overrides."""
    from sim.config import Scenario

    data = {"population": {"n_employees": 60, "n_units": 3, "n_customers": 120},
            "landscape": {"nk_n": 12, "nk_k": 3}}
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    return Scenario.model_validate(data)


@pytest.fixture
def smoke(tmp_path):
    """A private copy of experiments/smoke.toml (tests may edit it)."""
    path = tmp_path / "smoke.toml"
    shutil.copy(ROOT / "experiments" / "smoke.toml", path)
    return path


@pytest.fixture
def small_cfg():
    return small


def run_cli(*args, cwd=ROOT, timeout=300):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=env)


def wait_for_chunks(proc: subprocess.Popen, out: Path, n: int, timeout: float = 120) -> None:
    """Wait until the sweep ``proc``, writing into ``out``, has ``n`` chunk files (to interrupt it
    part-way); fail if it ends first."""
    deadline = time.monotonic() + timeout
    while len(list((out / "chunks").glob("chunk-*.parquet"))) < n:
        assert proc.poll() is None, f"finished before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, f"fewer than {n} chunks after {timeout} s"
        time.sleep(0.005)
