"""Sweep throughput: runs/s and employee-steps/s of a pact_budget-like sweep (budget simplex, baseline
scenario, 1,000 employees, 156 steps) executed four ways, with the same runs:

1. a plain loop of ``sim.simulate`` calls (the floor: no storage, no progress);
2. ``pactsim sweep`` in-process;
3. ``pactsim sweep --workers 2`` (a 2-process dask LocalCluster, its start-up included);
4. ``pactsim sweep --scheduler`` on a 2-worker LocalCluster started beforehand (start-up excluded).

Then an extrapolation to the full pact_budget (286 mixes x 10 replicates), which is printed as such.
All four must give the same outcomes (checked by digest).

Run: .venv/bin/python tests/benchmarks/bench_sweep.py [--step 0.25] [--replicates 2]
     [--employees 1000] [--steps 156]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

EXPERIMENT = """
description = "benchmark: budget simplex"
scenario = "baseline"
seed = 2
replicates = {replicates}
steps = {steps}
[set]
"population.n_employees" = {employees}
"population.n_customers" = {customers}
[design]
kind = "simplex"
step = {step}
"""

FULL_RUNS = 286 * 10  # the full pact_budget


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--step", type=float, default=0.25, help="simplex step (0.25: 35 mixes)")
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--employees", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=156)
    args = ap.parse_args()

    import pandas as pd
    from distributed import LocalCluster

    import sim
    from sim import sweep
    from sim.storage import frame_digest

    tmp = Path(tempfile.mkdtemp(prefix="pactsim-bench-sweep-"))
    exp = tmp / "bench.toml"
    exp.write_text(EXPERIMENT.format(replicates=args.replicates, steps=args.steps,
                                     employees=args.employees, customers=2 * args.employees,
                                     step=args.step))
    plan = sweep.expand(exp)
    n = len(plan.runs)
    work = n * args.employees * args.steps
    print(f"{len(plan.points)} mixes x {plan.replicates} replicates = {n} runs of {args.employees:,} "
          f"employees x {args.steps} steps")
    sweep.warm()

    rows = []

    def record(label: str, seconds: float, digest: str | None) -> None:
        rows.append((label, seconds, n / seconds, work / seconds, digest))
        print(f"  {label:<44} {seconds:7.1f} s {n / seconds:7.2f} runs/s "
              f"{work / seconds / 1e6:7.2f} M employee-steps/s", flush=True)

    t, cpu = time.perf_counter(), time.process_time()
    for r in plan.runs:
        sim.simulate(plan.configs[r.point], seed=r.seed)
    record("plain loop of sim.simulate (1 process)", time.perf_counter() - t, None)
    # CPU time is steadier than wall time on a shared machine: the floor for any executor
    cpu_per_run = (time.process_time() - cpu) / n
    print(f"  CPU time per run (plain loop): {cpu_per_run * 1e3:.1f} ms")

    def timed_sweep(label: str, **kw) -> None:
        t = time.perf_counter()
        out = sweep.run_experiment(exp, out=tmp / label.split()[0], fresh=True, progress=False, **kw)
        seconds = time.perf_counter() - t
        record(label, seconds, frame_digest(pd.read_parquet(out / "runs.parquet")))

    timed_sweep("in-process sweep")
    timed_sweep("workers=2 (LocalCluster, start-up included)", workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster:
        timed_sweep("scheduler=<2-worker LocalCluster, running>", scheduler=cluster.scheduler_address)
    digests = {d for *_, d in rows if d is not None}
    print(f"identical results across executors: {len(digests) == 1}")
    best = min(rows[1:], key=lambda row: row[1])
    print(f"extrapolated (not measured): full pact_budget, {FULL_RUNS} runs at "
          f"{best[2]:.2f} runs/s ({best[0]}) = {FULL_RUNS / best[2] / 60:.1f} min")
    print(f"extrapolated (not measured) from CPU time, 2 idle cores: {FULL_RUNS} x "
          f"{cpu_per_run * 1e3:.1f} ms / 2 = {FULL_RUNS * cpu_per_run / 2 / 60:.1f} min (+ start-up)")


if __name__ == "__main__":
    main()
