"""``pactsim compare A [B]``: two scenarios on common random numbers, outcome by outcome.

Replicate ``r`` of both runs with the same seed (``sim.sweep.plan.run_seeds`` of A's ``run.seed``),
so every mechanism the two leave alone draws the same and each difference is paired. Given one
scenario, B is A with the ``--set`` overrides; given two, the overrides apply to both. Prints the
mean of every outcome in each, the paired difference B − A with its 95% t interval, and the
share of runs that never reach the target in each with its Wilson interval; ``--json`` prints the
same as JSON on standard output.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from sim.errors import ConfigError

LEVEL = 0.95


def _paired(a: np.ndarray, b: np.ndarray) -> dict:
    """Means, the mean paired difference b - a and its t interval (NaN runs dropped in pairs)."""
    from scipy import stats

    ok = ~(np.isnan(a) | np.isnan(b))
    d = (b - a)[ok]
    out = {"a": float(np.mean(a[ok])) if ok.any() else math.nan,
           "b": float(np.mean(b[ok])) if ok.any() else math.nan,
           "diff": float(d.mean()) if len(d) else math.nan, "lo": math.nan, "hi": math.nan,
           "n": int(len(d))}
    if len(d) >= 2:
        if np.all(d == d[0]):  # no spread: the interval is the point (t would divide by zero)
            out["lo"] = out["hi"] = float(d[0])
        else:
            ci = stats.ttest_1samp(d, 0.0).confidence_interval(LEVEL)
            out["lo"], out["hi"] = float(ci.low), float(ci.high)
    return out


def _never(flags: np.ndarray) -> dict:
    """The share of runs that never reached the target, with its Wilson interval."""
    import pandas as pd

    from sim.robustness import share

    p, lo, hi, n = share(pd.Series(flags), LEVEL)
    return {"p": p, "lo": lo, "hi": hi, "n": n}


def compare(a, b, replicates: int, steps: int | None = None) -> dict:
    """Run scenarios ``a`` and ``b`` (``sim.config.Scenario``) ``replicates`` times each on the
    same seeds; return means, paired differences and P(never reaching target) per scenario."""
    from sim.engine import simulate
    from sim.metrics import OUTCOME_NAMES
    from sim.sweep.plan import run_seeds

    steps = a.run.steps if steps is None else steps
    seeds = run_seeds(a.run.seed, replicates)
    runs = {"a": [], "b": []}
    for seed in seeds:
        for name, cfg in (("a", a), ("b", b)):
            runs[name].append(simulate(cfg, seed=seed, steps=steps).outcomes)
    outcomes = {}
    for key in OUTCOME_NAMES:
        va = np.array([float(r[key]) for r in runs["a"]])
        vb = np.array([float(r[key]) for r in runs["b"]])
        outcomes[key] = _paired(va, vb)
    never = {name: _never(np.array([bool(r["innovation_censored"]) for r in rs]))
             for name, rs in runs.items()}
    return {"a": a.name, "b": b.name, "replicates": replicates, "steps": steps,
            "seeds": [int(s) for s in seeds], "target_fitness": a.run.target_fitness,
            "outcomes": outcomes, "never_reach_target": never}


def _configs(args: argparse.Namespace):
    from sim.lever_modes import warn_ignored
    from sim.scenario_files import load_scenario

    sets = args.set or ()
    if args.b is None:
        if not sets:
            raise ConfigError("compare: give a second scenario, or --set KEY=VALUE to make B "
                              f"from {args.a}")
        a = load_scenario(args.a)
        b = load_scenario(args.a, sets)
        b = b.model_copy(update={"name": f"{a.name} with {', '.join(sets)}"})
        warn_ignored(b, sets)  # an ignored override would compare a scenario with itself
        return a, b
    a, b = load_scenario(args.a, sets), load_scenario(args.b, sets)
    for cfg in (a, b):
        warn_ignored(cfg, sets)
    if a.run.target_fitness != b.run.target_fitness:
        raise ConfigError(f"compare: {a.name} and {b.name} count different targets "
                          f"(run.target_fitness {a.run.target_fitness} and {b.run.target_fitness}): "
                          "set one with --set run.target_fitness=...")
    return a, b


def command(args: argparse.Namespace) -> int:
    if not 2 <= args.replicates <= 10_000:
        raise ConfigError(f"--replicates {args.replicates}: must be in [2, 10000] (an interval of "
                          "a paired difference needs two pairs)")
    a, b = _configs(args)
    out = compare(a, b, args.replicates, args.steps)
    if args.json:
        from sim.storage import json_safe

        print(json.dumps(json_safe(out), indent=1))
        return 0
    _print(out)
    return 0


def _print(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from sim.figures import title

    n, steps = out["replicates"], out["steps"]
    table = Table(caption=f"B − A paired on {n} seeds (common random numbers), {steps} weeks; "
                  f"95% t intervals. A = {out['a']}, B = {out['b']}.")
    for col in ("outcome", "A", "B", "B − A", "95% CI"):
        table.add_column(col, justify="left" if col == "outcome" else "right")
    for key, r in out["outcomes"].items():
        ci = "—" if math.isnan(r["lo"]) else f"{r['lo']:.4g} to {r['hi']:.4g}"
        table.add_row(title(key), f"{r['a']:.4g}", f"{r['b']:.4g}", f"{r['diff']:+.4g}", ci)
    console = Console()
    console.print(table)
    for name in ("a", "b"):
        p = out["never_reach_target"][name]
        console.print(f"{name.upper()} ({out[name]}): never reached target fitness "
                      f"{out['target_fitness']:g} in {p['p']:.0%} of {p['n']} runs (95% CI "
                      f"{p['lo']:.0%} to {p['hi']:.0%})")
