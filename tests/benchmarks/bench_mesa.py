"""Mesa formulation against the Numba kernel: employee-steps per second on the baseline scenario
(customers scale 2:1) at 1,000 and 10,000 employees, their ratio, and with ``--against REF`` the
speed-up over the Mesa path of an earlier commit.

Run: .venv/bin/python tests/benchmarks/bench_mesa.py [--sizes 1000 10000] [--steps 156]
     [--repeat 3] [--against REF]
Both run the same steps on the same world, built beforehand; every figure is thread CPU time
(``time.thread_time``, so other processes on the machine count less), the best of ``--repeat``
runs (a fresh model each; the Mesa model's building, one Python object per agent, is timed
separately). Later steps cost more than early ones (more platform users, ideas in the funnel), so
the horizon is shortened for a size whose Mesa run would take over ``--budget`` seconds (estimated
from a 5-step probe), and the kernel then runs the same shortened horizon.

``--against REF``: the ``sim`` package and ``scenarios`` of commit REF (``git archive``, nothing in
the repository changes) are unpacked in a temporary folder, and both Mesa paths are timed in
worker processes of this script, one run of each in turn per repeat, so a load from elsewhere on
the machine falls on both. The old tree compiles with a cold Numba cache (about 40 s, not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_kernel import kernel_rate  # run as a script: this folder is on sys.path

ROOT = Path(__file__).resolve().parents[2]


def _setup(n: int, steps: int):
    import sim
    from sim.params import build_inputs
    from sim.world import build_world

    cfg = sim.load_scenario("baseline", [f"population.n_employees={n}",
                                         f"population.n_customers={2 * n}"])
    return cfg, build_world(cfg, 1), build_inputs(cfg, steps)


def mesa_rate(cfg, world, inputs, n: int, steps: int, repeat: int = 1) -> tuple[float, float]:
    """(employee-steps per second, seconds to build the model) of the Mesa model: the best of
    ``repeat`` runs of ``steps`` steps."""
    from sim.model import InnovationModel

    horizon = inputs.mech.shape[0]
    InnovationModel(cfg, 1, horizon, world=world, inputs=inputs).step()  # compile / load
    best, build = float("inf"), float("inf")
    for _ in range(repeat):
        t = time.thread_time()
        model = InnovationModel(cfg, 1, horizon, world=world, inputs=inputs)
        build = min(build, time.thread_time() - t)
        t = time.thread_time()
        for _ in range(steps):
            model.step()
        best = min(best, time.thread_time() - t)
    return n * steps / best, build


def _worker(n: int, steps: int) -> None:
    """One timed Mesa run in this process (the tree on ``sys.path``); prints JSON."""
    import sim

    cfg, world, inputs = _setup(n, steps)
    rate, build = mesa_rate(cfg, world, inputs, n, steps)
    print(json.dumps({"rate": rate, "build": build, "sim": sim.__file__}))


def _run_worker(tree: Path, n: int, steps: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, __file__, "--worker", str(n), str(steps)], env=env,
                         cwd=tree, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(res["sim"]).resolve().parent == (tree / "sim").resolve(), res["sim"]
    return res["rate"]


def _old_tree(ref: str, into: Path) -> str:
    """Unpack ``sim`` and ``scenarios`` of commit ``ref`` into ``into``; return its short hash."""
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", commit, "sim", "scenarios"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return commit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    ap.add_argument("--steps", type=int, default=156, help="horizon (steps)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60.0, help="max seconds for one Mesa run")
    ap.add_argument("--against", metavar="REF", help="also time the Mesa path of commit REF")
    ap.add_argument("--worker", type=int, nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _worker(*args.worker)
        return
    from sim.params import build_inputs
    with tempfile.TemporaryDirectory(prefix="bench_mesa_") as tmp:
        old = None
        if args.against:
            old = Path(tmp)
            commit = _old_tree(args.against, old)
            print(f"old Mesa path: commit {commit}; compiling its kernels ...", flush=True)
            _run_worker(old, 100, 2)
        print(f"{'employees':>10} {'steps':>6} {'kernel emp-steps/s':>19} {'mesa emp-steps/s':>17} "
              f"{'ratio':>7} {'mesa build s':>13}" + (f" {'old mesa':>10} {'speed-up':>9}"
                                                      if old else ""))
        for n in args.sizes:
            cfg, world, inputs = _setup(n, args.steps)
            probe, _ = mesa_rate(cfg, world, inputs, n, 5)
            steps = min(args.steps, max(5, int(args.budget * probe / n / 2)))  # 2: later steps cost more
            inputs = build_inputs(cfg, steps)
            k = kernel_rate(world, inputs, n, steps, args.repeat)
            m, build = mesa_rate(cfg, world, inputs, n, steps, args.repeat)
            if old:
                new_rates, old_rates = [m], []
                for _ in range(args.repeat):  # in turn, so both see the same load
                    old_rates.append(_run_worker(old, n, steps))
                    new_rates.append(_run_worker(ROOT, n, steps))
                m, m_old = max(new_rates), max(old_rates)
            line = f"{n:>10,} {steps:>6} {k:>19,.0f} {m:>17,.0f} {k / m:>6,.0f}x {build:>13.2f}"
            if old:
                line += f" {m_old:>10,.0f} {m / m_old:>8.1f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
