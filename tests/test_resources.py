"""Memory estimates: close to the measured peak, and a run that cannot fit is refused up front."""

import subprocess
import sys

import pytest

import sim
from sim.errors import ConfigError
from sim.resources import check_memory, estimate_run_bytes, parse_size
from tests.conftest import ROOT, run_cli


def test_parse_size():
    assert parse_size("8G") == 8 * 2**30
    assert parse_size("500M") == 500 * 2**20
    assert parse_size("1.5GiB") == 1.5 * 2**30
    assert parse_size("1024") == 1024
    with pytest.raises(ConfigError):
        parse_size("lots")


@pytest.mark.slow
def test_estimate_tracks_measured_peak():
    n = 150_000
    # the peak is the process's own (VmHWM, reset by exec): ru_maxrss survives exec, so a child
    # of a large pytest process reported the parent's size (597 MB against 373 MB alone)
    cmd = (f"import re, sim; sim.simulate(sim.load_scenario('baseline', "
           f"['population.n_employees={n}', 'population.n_customers={2 * n}']), seed=1, steps=5); "
           "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))")
    # the first process may compile (a cold Numba cache adds about 200 MB): measure a warm one
    subprocess.run([sys.executable, "-c", cmd.replace("steps=5", "steps=1")], check=True, cwd=ROOT,
                   timeout=300, capture_output=True)
    out = subprocess.run([sys.executable, "-c", cmd], check=True, cwd=ROOT, timeout=300,
                         capture_output=True, text=True)
    peak = int(out.stdout.split()[-1]) * 1024  # VmHWM is in kB
    est = estimate_run_bytes(sim.load_scenario("baseline", [f"population.n_employees={n}",
                                                            f"population.n_customers={2 * n}"]), 5)
    assert 0.7 * peak < est["total"] < 1.5 * peak, (est, peak)


def test_check_memory_refuses_with_a_clear_message():
    check_memory(1e6, max_memory=2e6)
    with pytest.raises(ConfigError, match="needs about .* --max-memory"):
        check_memory(3e6, max_memory=2e6)


@pytest.mark.slow
def test_cli_refuses_a_run_that_cannot_fit(tmp_path):
    out = tmp_path / "o"
    r = run_cli("run", "baseline", "--set", "population.n_employees=2000000",
                "--set", 'graph.employee_graph="complete"', "--out", str(out))
    assert r.returncode == 2 and "needs about" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
    r = run_cli("run", "baseline", "--steps", "3", "--max-memory", "1M", "--out", str(out))
    assert r.returncode == 2 and "--max-memory" in r.stderr
    r = run_cli("run", "baseline", "--steps", "3", "--max-memory", "64G", "--out", str(out))
    assert r.returncode == 0 and (out / "manifest.json").exists()


HUGE = """
scenario = "baseline"
seed = 1
replicates = 10
timeseries = true
[design]
kind = "lhs"
samples = 10000000
bounds = { "levers.process" = [0.0, 1.0] }
"""


@pytest.mark.slow
def test_a_sweep_too_big_for_memory_is_refused_before_its_points_are_made(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text(HUGE)
    out = tmp_path / "o"
    r = run_cli("sweep", str(path), "--out", str(out), timeout=60)
    assert r.returncode == 2, r.stderr
    assert "10000000 points x 10 replicates needs about" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_sweep_max_memory_counts_the_runs_in_flight_on_each_worker(tmp_path):
    from sim import sweep

    plan = sweep.expand("smoke", ci=True)
    with pytest.raises(ConfigError, match="sweep smoke on 2 local workers needs about"):
        sweep.run_experiment(plan, workers=2, out=tmp_path / "a", max_memory=parse_size("600M"))
    assert not (tmp_path / "a").exists()
    out = sweep.run_experiment(plan, out=tmp_path / "b", progress=False,
                               max_memory=parse_size("600M"))  # one run in flight fits
    assert (out / "runs.parquet").is_file()


@pytest.mark.slow
def test_sweep_plan_estimate_covers_the_measured_plan():
    import tracemalloc

    from sim import sweep
    from sim.resources import estimate_sweep_bytes

    sweep.expand("smoke", ci=True)  # imports and caches outside the measurement
    for name in ("pact_levers", "pact_budget"):
        tracemalloc.start()
        plan = sweep.expand(name)
        used = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        est = estimate_sweep_bytes(len(plan.configs), len(plan.runs), plan.steps, False)["plan"]
        assert used <= est <= 3 * used, (name, used, est)
