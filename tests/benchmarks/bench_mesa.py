"""Mesa formulation against the Numba kernel: employee-steps per second on the baseline scenario
(customers scale 2:1) at 1,000 and 10,000 employees, and the ratio.

Run: .venv/bin/python tests/benchmarks/bench_mesa.py [--sizes 1000 10000] [--steps 156]
Both run the same steps on the same world, built beforehand (the kernel best of ``--repeat``; the
Mesa model once, its building, one Python object per agent, timed separately). Later steps cost
more than early ones (more platform users, ideas in the funnel), so the horizon is shortened for a
size whose Mesa run would take over ``--budget`` seconds (estimated from a 5-step probe), and the
kernel then runs the same shortened horizon. Aim: the kernel at least 300x faster at 1,000.
"""

from __future__ import annotations

import argparse
import time

from bench_kernel import kernel_rate  # run as a script: this folder is on sys.path


def mesa_rate(cfg, world, inputs, n: int, steps: int) -> tuple[float, float]:
    from sim.model import InnovationModel

    t = time.perf_counter()
    model = InnovationModel(cfg, 1, inputs.mech.shape[0], world=world, inputs=inputs)
    build = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(steps):
        model.step()
    return n * steps / (time.perf_counter() - t), build


def main() -> None:
    import sim
    from sim.params import build_inputs
    from sim.world import build_world

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    ap.add_argument("--steps", type=int, default=156, help="horizon (steps)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60.0, help="max seconds for one Mesa run")
    args = ap.parse_args()
    print(f"{'employees':>10} {'steps':>6} {'kernel emp-steps/s':>19} {'mesa emp-steps/s':>17} "
          f"{'ratio':>7} {'mesa build s':>13}")
    for n in args.sizes:
        cfg = sim.load_scenario("baseline", [f"population.n_employees={n}",
                                             f"population.n_customers={2 * n}"])
        world = build_world(cfg, 1)
        inputs = build_inputs(cfg, args.steps)
        probe, _ = mesa_rate(cfg, world, inputs, n, 5)
        steps = min(args.steps, max(5, int(args.budget * probe / n / 2)))  # 2: later steps cost more
        inputs = build_inputs(cfg, steps)
        k = kernel_rate(world, inputs, n, steps, args.repeat)
        m, build = mesa_rate(cfg, world, inputs, n, steps)
        print(f"{n:>10,} {steps:>6} {k:>19,.0f} {m:>17,.0f} {k / m:>6,.0f}x {build:>13.2f}",
              flush=True)


if __name__ == "__main__":
    main()
