"""World build time by component (population, graph, landscape, thresholds) for the baseline
scenario at 1,000 and 100,000 employees (customers 2:1), optionally 1,000,000, and its peak memory.

Run: .venv/bin/python tests/benchmarks/bench_world.py [--sizes 1000 100000] [--million]
     [--repeat 5] [--seed 1]
Each size runs in a fresh process (so its peak RSS is its own) after one warm-up build (compiled
code loaded from the Numba cache). Times are the minimum over ``--repeat`` interleaved repeats of
thread CPU time (``time.process_time``), and wall time; "rest" is the seed users and slow learners
(``build_world`` minus its four components). Peak memory: the process's peak RSS (ru_maxrss) minus
its RSS before the first build, and the estimate of ``sim.resources`` for the world (graph, agents
and landscape terms).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
import sim
from sim.graph import build_graph
from sim.landscape import build_landscape
from sim.population import build_population
from sim.resources import estimate_run_bytes
from sim.rng import Stream, key_for
from sim.world import _thresholds, build_world

n, repeat, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
cfg = sim.load_scenario("baseline", [f"population.n_employees={n}",
                                     f"population.n_customers={2 * n}"])
p, g, b, land = cfg.population, cfg.graph, cfg.behaviour, cfg.landscape


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def population():
    return build_population(p.n_employees, p.n_units, p.n_customers, p.share_hero,
                            p.share_locked, p.share_rogue, p.share_influencers, seed)


pop = population()
steps = {
    "population": population,
    "graph": lambda: build_graph(pop, g, max(cfg.advocates.share), p.advocate_placement, seed),
    "landscape": lambda: build_landscape(land.nk_n, land.nk_k, land.exponent, seed, land.kind),
    "thresholds": lambda: _thresholds(float(b.phi), float(b.phi_spread),
                                      key_for(seed, Stream.POPULATION, 0), p.n_employees),
    "world": lambda: build_world(cfg, seed),
}
base = rss()
cpu = {k: float("inf") for k in steps}
wall = dict(cpu)
for r in range(repeat + 1):  # the first round warms up (and is dropped)
    for name, f in steps.items():
        c, t = time.process_time(), time.perf_counter()
        out = f()
        c, t = time.process_time() - c, time.perf_counter() - t
        del out
        if r:
            cpu[name], wall[name] = min(cpu[name], c), min(wall[name], t)
est = estimate_run_bytes(cfg)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
print(json.dumps({"cpu": cpu, "wall": wall, "peak": peak,
                  "estimate": est["graph"] + est["agents"] + est["landscape"]}))
"""


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 100_000])
    ap.add_argument("--million", action="store_true", help="also 1,000,000 employees (slow)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    sizes = list(args.sizes) + ([1_000_000] if args.million else [])
    parts = ["population", "graph", "landscape", "thresholds"]
    print(f"{'employees':>10} " + " ".join(f"{k:>11}" for k in parts + ["rest", "world"])
          + f" {'wall':>9} {'peak RSS':>9} {'estimate':>9}")
    for n in sizes:
        repeat = args.repeat if n < 1_000_000 else max(1, min(args.repeat, 2))
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(repeat), str(args.seed)],
                             capture_output=True, text=True, check=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        cpu = res["cpu"]
        cpu["rest"] = max(cpu["world"] - sum(cpu[k] for k in parts), 0.0)
        scale, unit = (1e3, "ms") if n < 100_000 else (1.0, "s")
        cells = " ".join(f"{cpu[k] * scale:>8.{1 if unit == 'ms' else 3}f} {unit:<2}"
                         for k in parts + ["rest", "world"])
        print(f"{n:>10,} {cells} {res['wall']['world'] * scale:>6.{1 if unit == 'ms' else 2}f} "
              f"{unit:<2} {res['peak'] / 2**30:>5.2f} GiB {res['estimate'] / 2**30:>5.2f} GiB")


if __name__ == "__main__":
    main()
