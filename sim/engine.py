"""The public entry point: ``simulate(config, seed=..., steps=..., backend=...) -> RunResult``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.columns import SERIES_INT_COLUMNS
from sim.config import Scenario
from sim.metrics import SERIES_NAMES, Tally, outcomes
from sim.params import Inputs, build_inputs
from sim.scenario_files import load_scenario
from sim.world import World, build_world

BACKENDS = ("numba", "mesa")


@dataclass
class RunResult:
    """One run. ``timeseries``: one row per step (``step`` 1..steps, state after the step);
    ``outcomes``: per-run outcomes (docs/ODD.md section 7.8); ``lead_hist``: launches by lead time (steps)."""

    config: Scenario
    seed: int
    steps: int
    timeseries: pd.DataFrame
    outcomes: dict
    lead_hist: np.ndarray
    wall_time: float = field(default=0.0)


def run_arrays(world: World, inputs: Inputs, seed: int, steps: int):
    """Run the kernel; return (series, lead_hist, tally) arrays."""
    from sim.kernel import run_kernel  # import here: keeps `import sim` free of Numba work
    from sim.state import new_state

    state = new_state(world, inputs, seed, steps)
    run_kernel(state)
    out = state.arrays
    return out["series"][:int(out["tally"][Tally.STEPS_RUN])], out["lead_hist"], out["tally"]


def run_mesa(cfg: Scenario, world: World, inputs: Inputs, seed: int, steps: int):
    """Run the Mesa formulation (``sim.model``) on the same world; return (series, lead_hist,
    tally) arrays as :func:`run_arrays` does."""
    from sim.model import InnovationModel  # import here: `import sim` must not import Mesa

    model = InnovationModel(cfg, seed, steps, world=world, inputs=inputs)
    while model.running:
        model.step()
    return model.series[:int(model.tally[Tally.STEPS_RUN])], model.lead_hist, model.tally


def simulate(config: Scenario | str | Path, seed: int | None = None, steps: int | None = None,
             backend: str = "numba", world: World | None = None) -> RunResult:
    """Run one simulation.

    config: a :class:`Scenario`, or a scenario name / TOML path (see :func:`load_scenario`).
    seed: run seed (default ``config.run.seed``); every random draw is a function of it.
    steps: horizon in steps (weeks; default ``config.run.steps``).
    backend: ``"numba"`` (the kernel) or ``"mesa"`` (agent by agent, same decisions).
    world: the run's world when already built (``build_world(config, seed)``, e.g. from a
    sweep's cache: a run does not change it); default: built here.
    """
    cfg = config if isinstance(config, Scenario) else load_scenario(config)
    seed = cfg.run.seed if seed is None else int(seed)
    t0 = time.perf_counter()
    series, lead_hist, tally = run(cfg, seed, steps, backend, world)
    return _result(cfg, seed, series, lead_hist, tally, time.perf_counter() - t0)


def run(cfg: Scenario, seed: int, steps: int | None = None, backend: str = "numba",
        world: World | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`simulate` without the tables: return the (series, lead_hist, tally) arrays
    (:func:`outcomes_of` and :func:`timeseries_frame` make the outcomes and the series table)."""
    steps = cfg.run.steps if steps is None else int(steps)
    seed = int(seed)
    if seed < 0 or seed >= 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if world is None:
        world = build_world(cfg, seed)
    inputs = build_inputs(cfg, steps)
    if backend == "mesa":
        return run_mesa(cfg, world, inputs, seed, steps)
    return run_arrays(world, inputs, seed, steps)


def outcomes_of(cfg: Scenario, series: np.ndarray, lead_hist: np.ndarray, tally: np.ndarray) -> dict:
    """A run's outcomes (``RunResult.outcomes``) from the arrays :func:`run` returns."""
    return outcomes(series, lead_hist, tally, cfg.run.target_fitness)


def timeseries_frame(series: np.ndarray) -> pd.DataFrame:
    """A run's series as a table (``RunResult.timeseries``): ``step`` 1..steps, then the series."""
    ints = set(SERIES_INT_COLUMNS)
    columns = {"step": np.arange(1, series.shape[0] + 1, dtype=np.int64)}
    for i, name in enumerate(SERIES_NAMES):  # column by column: a tenth of astype's time
        columns[name] = series[:, i].astype(np.int64) if name in ints else series[:, i]
    return pd.DataFrame(columns, copy=False)


def _result(cfg, seed, series, lead_hist, tally, wall) -> RunResult:
    steps = series.shape[0]  # fewer than asked when the run stopped at equilibrium
    return RunResult(cfg, seed, steps, timeseries_frame(series),
                     outcomes_of(cfg, series, lead_hist, tally), lead_hist, wall)
