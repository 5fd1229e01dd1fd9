"""Kernel throughput: employee-steps per second for the baseline scenario at 1,000, 10,000 and
100,000 employees (customers scale 2:1), plus the first-call time with a warm and a cold Numba cache.

Run: .venv/bin/python tests/benchmarks/bench_kernel.py [--sizes 1000 10000 100000] [--steps 156]
Times only the kernel (the world is built beforehand); best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

FIRST_CALL = """
import time
t = time.perf_counter()
import sim
sim.simulate('baseline', seed=0, steps=5)
print(time.perf_counter() - t)
"""


def kernel_rate(world, inputs, n: int, steps: int, repeat: int) -> float:
    """Employee-steps per second of the kernel on a built world: the best of ``repeat`` runs."""
    from sim.engine import run_arrays

    run_arrays(world, inputs, 1, 2)  # compile / load outside the timing
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        run_arrays(world, inputs, 1, steps)
        best = min(best, time.perf_counter() - t)
    return n * steps / best


def baseline_rate(n: int, steps: int, repeat: int) -> tuple[float, float]:
    """(employee-steps per second, seconds to build the world) for the baseline at ``n``."""
    import sim
    from sim.params import build_inputs
    from sim.world import build_world

    cfg = sim.load_scenario("baseline", [f"population.n_employees={n}",
                                         f"population.n_customers={2 * n}"])
    t = time.perf_counter()
    world = build_world(cfg, 1)
    build = time.perf_counter() - t
    return kernel_rate(world, build_inputs(cfg, steps), n, steps, repeat), build


def first_call(cache_dir: str | None) -> float:
    env = dict(os.environ)
    if cache_dir:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", FIRST_CALL], capture_output=True, text=True,
                         env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--steps", type=int, default=156)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"{'employees':>10} {'employee-steps/s':>18} {'world build s':>14}")
    for n in args.sizes:
        rate, build = baseline_rate(n, args.steps, args.repeat if n <= 10_000 else 1)
        print(f"{n:>10,} {rate:>18,.0f} {build:>14.3f}")
    with tempfile.TemporaryDirectory() as cold:
        print(f"first call, cold Numba cache: {first_call(cold):.2f} s")
    print(f"first call, warm Numba cache: {first_call(None):.2f} s")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", "run", "baseline", "--out",
                    tempfile.mkdtemp(prefix="pactsim-bench-")], check=True, capture_output=True)
    print(f"`pactsim run baseline` wall (warm cache): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
