"""Sweep throughput: runs/s and employee-steps/s of a pact_budget-like sweep (budget simplex, baseline
scenario, 1,000 employees, 156 steps) executed several ways, with the same runs:

1. a plain loop of ``sim.simulate`` calls (the floor without a world cache: no storage, no progress);
2. ``pactsim sweep`` in-process;
3. ``pactsim sweep --workers 2`` (forked worker processes, their start included);
4. a 2-process Dask LocalCluster started by the sweep (what ``--workers 2`` used to be);
5. ``pactsim sweep --scheduler`` on a 2-worker LocalCluster started beforehand (start-up excluded).

2-5 run ``--repeats`` times, interleaved, and the fastest of each is reported (the machine is
shared: its load average is printed with every line), with the CPU time of the sweep's process
and of its worker processes (2, 3). Then ``--workers 2`` / in-process. All must give the same
outcomes (checked by digest).

``--busy N`` runs N processes that keep a core busy each (spinning Python loops) for the whole
comparison: a machine shared with other work, where ``--workers 2`` must not be slower than
in-process.

``--full`` then times the full pact_budget (286 mixes x 10 replicates, 156 steps, 1,000
employees) as a user runs it: ``python -m sim sweep pact_budget --workers 2 --fresh --out DIR``
(``--full-workers`` to choose the count, 0: in-process).

Run: .venv/bin/python tests/benchmarks/bench_sweep.py [--step 0.25] [--replicates 2]
     [--employees 1000] [--steps 156] [--repeats 2] [--no-dask] [--busy N] [--full]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import subprocess
import sys
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
"levers.mode" = "budget"
"population.n_employees" = {employees}
"population.n_customers" = {customers}
[design]
kind = "simplex"
step = {step}
"""

FULL_RUNS = 286 * 10  # the full pact_budget


def _load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


BUSY = "while True: pass"


def busy(n: int) -> list[subprocess.Popen]:
    """``n`` processes that each keep one core busy until killed (a machine shared with others)."""
    return [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(n)]


def full_sweep(workers: int, out: Path) -> float:
    """Wall time of ``python -m sim sweep pact_budget [--workers N] --fresh --out out``."""
    cmd = [sys.executable, "-m", "sim", "sweep", "pact_budget", "--fresh", "--out", str(out)]
    cmd += ["--workers", str(workers)] if workers else []
    print(f"full pact_budget: {' '.join(cmd[1:])} ({_load()})", flush=True)
    t, cpu = time.perf_counter(), _children_cpu()
    r = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if r.returncode != 0:
        print(r.stdout[-2000:], r.stderr[-2000:])
        raise SystemExit(f"the full sweep failed ({r.returncode})")
    summary = [line for line in r.stdout.splitlines() if "wall time" in line]
    print(f"  {seconds:.1f} s wall ({FULL_RUNS / seconds:.1f} runs/s), {_children_cpu() - cpu:.1f} s "
          f"CPU in all, {_load()}; the sweep's summary: {' '.join(summary[0].split()) if summary else '?'}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--step", type=float, default=0.25, help="simplex step (0.25: 35 mixes)")
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--employees", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=156)
    ap.add_argument("--repeats", type=int, default=2, help="interleaved repeats of each sweep")
    ap.add_argument("--no-dask", action="store_true", help="leave out the Dask executors")
    ap.add_argument("--busy", type=int, default=0, help="processes keeping a core busy each")
    ap.add_argument("--full", action="store_true", help="then time the full pact_budget")
    ap.add_argument("--full-workers", type=int, default=2)
    args = ap.parse_args()

    import pandas as pd

    import sim
    from sim import sweep
    from sim.storage import frame_digest
    from sim.sweep import executors

    tmp = Path(tempfile.mkdtemp(prefix="pactsim-bench-sweep-"))
    exp = tmp / "bench.toml"
    exp.write_text(EXPERIMENT.format(replicates=args.replicates, steps=args.steps,
                                     employees=args.employees, customers=2 * args.employees,
                                     step=args.step))
    plan = sweep.expand(exp)
    n = len(plan.runs)
    work = n * args.employees * args.steps
    print(f"{len(plan.points)} mixes x {plan.replicates} replicates = {n} runs of {args.employees:,} "
          f"employees x {args.steps} steps; {os.cpu_count()} CPUs, {_load()}")
    sweep.warm()

    def line(label: str, seconds: float, extra: str = "") -> None:
        print(f"  {label:<46} {seconds:7.2f} s {n / seconds:7.2f} runs/s "
              f"{work / seconds / 1e6:7.2f} M employee-steps/s {extra}({_load()})", flush=True)

    t, cpu = time.perf_counter(), time.process_time()
    for r in plan.runs:
        sim.simulate(plan.configs[r.point], seed=r.seed)
    line("plain loop of sim.simulate (1 process)", time.perf_counter() - t)
    # CPU time is steadier than wall time on a shared machine: the floor for any executor
    cpu_per_run = (time.process_time() - cpu) / n
    print(f"  CPU time per run (plain loop, every world built): {cpu_per_run * 1e3:.1f} ms")

    cluster = None
    kinds = [("in-process", dict), ("workers=2", lambda: {"workers": 2})]
    if not args.no_dask and hasattr(executors, "LocalProcesses"):
        kinds.append(("dask LocalCluster (2 processes, start-up included)",
                      lambda: {"executor": executors.LocalDask(2)}))
    if not args.no_dask:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        kinds.append(("scheduler=<2-worker LocalCluster, running>",
                      lambda: {"scheduler": cluster.scheduler_address}))
    best: dict[str, float] = {}
    digests: set[str] = set()
    hogs = busy(args.busy)
    if hogs:
        time.sleep(2.0)  # let the load average see them
        print(f"  {len(hogs)} busy processes running ({_load()})")
    try:
        for rep in range(args.repeats):
            for label, kw in kinds:
                t, cpu, child = time.perf_counter(), time.process_time(), _children_cpu()
                out = sweep.run_experiment(exp, out=tmp / label.split()[0], fresh=True,
                                           progress=False, **kw())
                seconds = time.perf_counter() - t
                used = f"CPU {time.process_time() - cpu:5.2f} s + workers {_children_cpu() - child:5.2f} s "
                line(f"{label} #{rep + 1}", seconds, used)
                best[label] = min(best.get(label, float("inf")), seconds)
                digests.add(frame_digest(pd.read_parquet(out / "runs.parquet")))
    finally:
        for h in hogs:
            h.kill()
            h.wait()
        if cluster is not None:
            cluster.close()
    print(f"identical results across executors and repeats: {len(digests) == 1} "
          f"(runs.parquet digest {sorted(digests)[0][:16]})")
    print("fastest of each:")
    for label, seconds in best.items():
        line(label, seconds)
    ratio = best["in-process"] / best["workers=2"]
    print(f"workers=2 / in-process throughput: {ratio:.2f}x")
    rate = max(n / s for s in best.values())
    print(f"extrapolated (not measured): full pact_budget, {FULL_RUNS} runs at {rate:.2f} runs/s = "
          f"{FULL_RUNS / rate:.0f} s")
    if args.full:
        full_sweep(args.full_workers, tmp / "full")


if __name__ == "__main__":
    main()
