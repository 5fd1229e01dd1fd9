"""Memory estimates, so a run that cannot fit is refused with a clear message before it starts
instead of being killed by the kernel's OOM killer."""

from __future__ import annotations

import re

from sim.config import Scenario
from sim.errors import ConfigError
from sim.landscape import memo_size

# Peak bytes per directed tie while the graph is built (int64 pairs, kinds, draws, the lexsort
# permutation and the concatenated copies), measured with tracemalloc on 100,000 employees.
BYTES_PER_DIRECTED_TIE = 80
BYTES_PER_EMPLOYEE = 400  # population, kernel state and idea arrays, thresholds
BYTES_PER_CUSTOMER = 40
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
    out = {
        "graph": directed_ties(cfg) * BYTES_PER_DIRECTED_TIE,
        "agents": cfg.population.n_employees * BYTES_PER_EMPLOYEE
        + cfg.population.n_customers * BYTES_PER_CUSTOMER,
        # the contribution table, its working copy in the kernel, the index table of the maximum,
        # the score memo (a second copy when turbulence may rewrite it)
        "landscape": 2.0 * land.nk_n * 2 ** (land.nk_k + 1) * 8 + land.nk_n ** 2 * 8
        + (1 + (land.p_turbulence > 0)) * memo_size(land.nk_n, land.nk_k) * 8,
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
