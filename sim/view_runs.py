"""Whole runs for the page's comparisons, through the kernel (``sim.engine``): N seeds of one
setting (the band of deployed fitness, the distribution of time to target), two settings A and B on
the same seed, and a design point of a stored sweep (``pactsim view --from DIR --point N``).

A 1,000-employee run of 156 weeks takes the kernel well under a second, so these are computed when
asked, not stepped; the live run on the page stays the Mesa model (``sim.model``), whose results
equal the kernel's (tests/test_mesa_equivalence.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim import keys
from sim.config import Scenario
from sim.errors import ConfigError
from sim.metrics import Series

QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class Ensemble:
    """Runs of one setting: ``deployed`` (runs, steps) deployed fitness by week, each run's weeks
    to target (``speed``, the horizon when never) and whether it got there (``reached``)."""

    label: str
    seeds: tuple[int, ...]
    deployed: np.ndarray
    speed: np.ndarray
    reached: np.ndarray
    target: float

    @property
    def band(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(weeks, 10th percentile, median, 90th percentile) of deployed fitness."""
        q = np.nanquantile(self.deployed, QUANTILES, axis=0)
        return np.arange(1, self.deployed.shape[1] + 1), q[0], q[1], q[2]

    def summary(self) -> str:
        """One sentence on the runs, from their numbers."""
        n, hit = len(self.speed), int(self.reached.sum())
        if n == 1:
            end = self.deployed[0][np.isfinite(self.deployed[0])]
            final = f"; deployed fitness at the end {end[-1]:.3g}" if len(end) else ""
            reach = (f"reached fitness {self.target:g} in {self.speed[0]:.0f} weeks" if hit else
                     f"never reached fitness {self.target:g} within {self.deployed.shape[1]} weeks")
            return f"{self.label} (seed {self.seeds[0]}): {reach}{final}."
        text = f"{self.label}: {n} runs, {hit} reached fitness {self.target:g}"
        if hit:
            times = self.speed[self.reached]
            text += (f"; of those, median {np.median(times):.0f} weeks (range {times.min():.0f}"
                     f"-{times.max():.0f})")
        if hit < n:
            text += f"; {n - hit} never did within {self.deployed.shape[1]} weeks"
        return text + "."


def _runs(cfg: Scenario, seeds: list[int], steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sim.engine import outcomes_of, run

    deployed = np.full((len(seeds), steps), np.nan)
    speed = np.empty(len(seeds))
    reached = np.empty(len(seeds), bool)
    for i, seed in enumerate(seeds):
        series, lead_hist, tally = run(cfg, seed, steps)
        deployed[i, :series.shape[0]] = series[:, Series.DEPLOYED_FITNESS]
        out = outcomes_of(cfg, series, lead_hist, tally)
        speed[i], reached[i] = out["innovation_speed"], not out["innovation_censored"]
    return deployed, speed, reached


def ensemble(cfg: Scenario, first_seed: int, n: int, steps: int, label: str) -> Ensemble:
    """``n`` runs of ``cfg`` on seeds ``first_seed``, ``first_seed + 1``, ..."""
    seeds = [(first_seed + i) % 2**63 for i in range(n)]
    deployed, speed, reached = _runs(cfg, seeds, steps)
    return Ensemble(label, tuple(seeds), deployed, speed, reached, cfg.run.target_fitness)


def one_run(cfg: Scenario, seed: int, steps: int, label: str) -> Ensemble:
    """A single run (A or B of the A/B comparison) as a one-run :class:`Ensemble`."""
    return ensemble(cfg, seed, 1, steps, label)


@dataclass(frozen=True)
class StoredPoint:
    """A design point of a sweep's results folder: its validated config, its factor values, and
    its replicates' deployed fitness by week (None when the sweep stored no series)."""

    folder: Path
    point: int
    config: Scenario
    factors: dict[str, Any]
    ensemble: Ensemble | None
    experiment: str


def _config_value(key: str, value: Any) -> Any:
    """A runs.parquet column value as the schema takes it (orders as ``a>b>c>d``, lists as JSON)."""
    from sim.design import ORDER_KEY, parse_order

    if key == ORDER_KEY and isinstance(value, str):
        return parse_order(value)
    if isinstance(value, str) and value.startswith("["):
        return json.loads(value)
    return value.item() if isinstance(value, np.generic) else value


def stored_point(folder: str | Path, point: int) -> StoredPoint:
    """Design point ``point`` of the results folder ``folder``: :class:`ConfigError` when the
    folder is not one, names no such point, or its settings no longer validate."""
    from sim.scenario_files import validate
    from sim.sweep.results import load_results

    res = load_results(folder)
    ids = res.point_ids
    if point not in set(ids.tolist()):
        shown = f"{ids.min()}..{ids.max()}" if len(ids) else "none"
        raise ConfigError(f"--point {point}: {folder} has no such design point (points: {shown})")
    base = res.manifest.base_config
    if not base:
        raise ConfigError(f"{folder}: its manifest holds no base_config: the point's settings "
                          "are unknown")
    data = json.loads(json.dumps(base))
    row = res.points.loc[point]
    factors = {k: _config_value(k, row[k]) for k in res.factors}
    for key, value in factors.items():
        try:
            keys.put(data, keys.resolve(key).path, value)
        except ValueError as e:
            raise ConfigError(f"{folder}: column {key}: {e}") from None
    data["name"] = f"{res.name} point {point}"  # the name is not part of the config's hash
    if res.manifest.steps:
        data["run"]["steps"] = res.manifest.steps
    cfg = validate(data, f"{folder} design point {point}")
    return StoredPoint(Path(folder), point, cfg, factors, _stored_ensemble(res, point, cfg),
                       res.name)


def _stored_ensemble(res, point: int, cfg: Scenario) -> Ensemble | None:
    ts = res.timeseries
    runs = res.runs[res.runs["point"] == point]
    if ts is None or runs.empty or "deployed_fitness" not in ts.columns:
        return None
    ts = ts[ts["point"] == point]
    wide = ts.pivot_table(index="run_id", columns="step", values="deployed_fitness")
    runs = runs.set_index("run_id").reindex(wide.index)
    return Ensemble(f"stored point {point}", tuple(int(s) for s in runs["seed"]),
                    wide.to_numpy(float), runs["innovation_speed"].to_numpy(float),
                    ~runs["innovation_censored"].to_numpy(bool), cfg.run.target_fitness)
