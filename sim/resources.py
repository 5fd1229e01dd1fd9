"""Memory estimates, so a run that cannot fit is refused with a clear message before it starts
instead of being killed by the kernel's OOM killer."""

from __future__ import annotations

import re

from sim.config import Scenario
from sim.errors import ConfigError
from sim.landscape import memo_size

# A run's peak is the larger of two moments: while the graph is built, and while the kernel runs.
# Kept for the run: the CSR (nbr int32, kind int8, eu float64 per directed tie, and the run's own
# kind int8: sim.rules.ties.refresh_ties), and per agent
# the kernel state (employees: about 25 int64/float64 rows with the idea slots, thresholds and
# world copies; customers: their rows and CSR row pointer). While the graph is built
# (sim.graph._csr): the candidate ties' ends (int64 pairs: 8 bytes per direction), the bucket
# arrays the CSR is written over (16) and its kinds (1); the population and the build's
# per-employee arrays. Fitted on the peak RSS (ru_maxrss minus the RSS with the runtime loaded)
# of sim.simulate: baseline at 150,000 / 500,000 / 1,000,000 employees (customers 2:1, 5 and 156
# steps: 1,000,000 peaks at 0.84 GiB above the runtime either way), 1,000,000 employees with
# sparse colleague ties and no customers, 100,000 employees with 2,000,000 customers and
# k_wom = 20 (estimates within 5% of each).
BYTES_PER_DIRECTED_TIE = 14
BUILD_BYTES_PER_DIRECTED_TIE = 25
BYTES_PER_EMPLOYEE = 200
BUILD_BYTES_PER_EMPLOYEE = 50
BYTES_PER_CUSTOMER = 21  # their rows, the word-of-mouth share kept and its flag
BYTES_PER_SERIES_CELL = 8 * 3  # kernel output, DataFrame, Parquet buffer
RUNTIME_BYTES = 250 * 2**20  # Python, NumPy, Numba, pandas and pyarrow loaded (measured RSS)
# a sweep's plan: a validated Scenario and its table row per design point, a run spec per run
# (tracemalloc on expand(): 17-18 KiB per point with its runs for pact_levers, 28 KiB for
# pact_sensitivity; 243 bytes per run spec, from 2 vs 4,002 runs of 2 points)
BYTES_PER_POINT = 32 * 2**10
BYTES_PER_RUN = 512
_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def directed_ties(cfg: Scenario) -> float:
    """Expected number of directed ties (each undirected tie counts twice)."""
    p, g = cfg.population, cfg.graph
    n, c = p.n_employees, p.n_customers
    colleague = {"small_world": n * (g.k_intra + g.k_inter), "erdos_renyi": n * g.k_intra,
                 "line": 2.0 * max(n - 1, 0), "complete": float(n) * (n - 1)}[g.employee_graph]
    advocates = 2.0 * max(cfg.advocates.share) * n * g.k_advocate
    customers = 2.0 * c * g.k_customer
    wom = float(c) * (c - 1) if g.customer_graph == "complete" else c * g.k_wom
    return colleague + n * g.k_platform + advocates + customers + wom


def estimate_run_bytes(cfg: Scenario, steps: int | None = None) -> dict[str, float]:
    """Estimated peak memory of one run, in bytes, by component (and ``total``)."""
    steps = cfg.run.steps if steps is None else steps
    land = cfg.landscape
    ties, n_emp = directed_ties(cfg), cfg.population.n_employees
    agents = n_emp * BYTES_PER_EMPLOYEE + cfg.population.n_customers * BYTES_PER_CUSTOMER
    graph = ties * BYTES_PER_DIRECTED_TIE
    build = ties * BUILD_BYTES_PER_DIRECTED_TIE + n_emp * BUILD_BYTES_PER_EMPLOYEE
    memo, moving = memo_size(land.nk_n, land.nk_k), land.p_turbulence > 0
    out = {
        "graph": graph + max(build - graph - agents, 0.0),  # the CSR, or the build's peak
        "agents": agents,
        # the contribution table, its working copy in the kernel, the block table of the exact
        # maximum (32 values per table entry), the score memo, its blocks' bounds (one per 8
        # scores) and its superblocks' (one per 512); when turbulence may move the market, the
        # run's own bounds, superblock bounds and counts, and its log of up to one move a step
        "landscape": 34.0 * land.nk_n * 2 ** (land.nk_k + 1) * 8
        + (1.125 + 1 / 512 + moving * (0.125 + 2 / 512)) * memo * 8
        + moving * (memo > 0) * steps * (2 * 2 ** (land.nk_k + 1) + 73) * 8,
        "series": (steps + 1) * 32 * BYTES_PER_SERIES_CELL,
        "runtime": RUNTIME_BYTES,
    }
    out["total"] = sum(out.values())
    return out


def estimate_sweep_bytes(points: int, runs: int, steps: int, timeseries: bool,
                         run_bytes: float = 0.0, workers: int = 0) -> dict[str, float]:
    """Estimated peak memory of a sweep, in bytes, by component (and ``total``): the plan, the
    tables assembled at the end (all runs' series when kept) and the runs in flight. ``run_bytes``
    is one run's peak (:func:`estimate_run_bytes`, runtime included); ``workers`` local worker
    processes each hold one run and a runtime of their own (0: runs execute in this process)."""
    out = {
        "plan": points * BYTES_PER_POINT + runs * BYTES_PER_RUN,
        "series": runs * (steps + 1) * 32 * BYTES_PER_SERIES_CELL if timeseries else 0.0,
        "runs in flight": max(workers, 1) * max(run_bytes - RUNTIME_BYTES, 0.0)
        + workers * RUNTIME_BYTES,
        "runtime": RUNTIME_BYTES,
    }
    out["total"] = sum(out.values())
    return out


def available_bytes() -> float:
    """MemAvailable from /proc/meminfo (bytes); infinity where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float("inf")


def parse_size(text: str) -> float:
    """``"8G"``, ``"500M"``, ``"1.5GiB"``, ``"1000000"`` -> bytes."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)(i?B)?\s*", str(text), re.IGNORECASE)
    if not m:
        raise ConfigError(f"--max-memory {text}: expected a size such as 8G, 500M or 1.5GiB")
    return float(m.group(1)) * _UNITS[m.group(2).upper()]


def _gib(x: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if x >= size:
            return f"{x / size:.2f} {unit}"
    return f"{x:.0f} B"


def check_memory(need: float, max_memory: float | None = None, what: str = "this run",
                 parts: dict[str, float] | None = None, advice: str = "",
                 source: str = "--max-memory") -> None:
    """Raise :class:`ConfigError` when ``need`` bytes exceed the limit: ``max_memory`` if given
    (named ``source`` in the message), else 90% of the memory available now."""
    limit = max_memory if max_memory is not None else 0.9 * available_bytes()
    if need <= limit:
        return
    detail = ""
    if parts:
        detail = " (" + ", ".join(f"{k} {_gib(v)}" for k, v in parts.items() if k != "total") + ")"
    override = ", or pass --max-memory SIZE to override" if source == "--max-memory" else ""
    source = source if max_memory is not None else "90% of the memory available now"
    advice = advice or ("use fewer employees or customers, sparser ties or a smaller landscape "
                        "K")
    raise ConfigError(f"{what} needs about {_gib(need)}{detail}, more than {_gib(limit)} "
                      f"({source}); {advice}{override}")
