import os
import subprocess
import sys
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
def small_cfg():
    return small


def run_cli(*args, cwd=ROOT, timeout=300):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=env)
