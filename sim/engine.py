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
             backend: str = "numba") -> RunResult:
    """Run one simulation.

    config: a :class:`Scenario`, or a scenario name / TOML path (see :func:`load_scenario`).
    seed: run seed (default ``config.run.seed``); every random draw is a function of it.
    steps: horizon in steps (weeks; default ``config.run.steps``).
    backend: ``"numba"`` (the kernel) or ``"mesa"`` (agent by agent, same decisions).
    """
    cfg = config if isinstance(config, Scenario) else load_scenario(config)
    seed = cfg.run.seed if seed is None else int(seed)
    steps = cfg.run.steps if steps is None else int(steps)
    if seed < 0 or seed >= 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    t0 = time.perf_counter()
    world = build_world(cfg, seed)
    inputs = build_inputs(cfg, steps)
    if backend == "mesa":
        series, lead_hist, tally = run_mesa(cfg, world, inputs, seed, steps)
    else:
        series, lead_hist, tally = run_arrays(world, inputs, seed, steps)
    return _result(cfg, seed, steps, series, lead_hist, tally, time.perf_counter() - t0)


def _result(cfg, seed, steps, series, lead_hist, tally, wall) -> RunResult:
    steps = series.shape[0]  # fewer than asked when the run stopped at equilibrium
    ts = pd.DataFrame(series, columns=SERIES_NAMES)
    for name in SERIES_INT_COLUMNS:
        ts[name] = ts[name].astype(np.int64)
    ts.insert(0, "step", np.arange(1, steps + 1, dtype=np.int64))
    out = outcomes(series, lead_hist, tally, cfg.run.target_fitness)
    return RunResult(cfg, seed, steps, ts, out, lead_hist, wall)
