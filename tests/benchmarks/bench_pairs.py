"""The working tree's kernel against a commit's, by pairs of runs in one process: the ratio of
their costs on the baseline scenario (customers scale 2:1, 156 weeks), and a check that the two
give identical series.

Run: .venv/bin/python tests/benchmarks/bench_pairs.py --against REF [--size 1000] [--pairs 20]
     [--set key=value ...]

The ``sim`` package of commit REF (``git archive``; nothing in the repository changes) is unpacked
in a temporary folder as the package ``sim_ref`` and compiled there with an empty Numba cache (not
timed). Both kernels run on the same worlds (built once by the working tree, three seeds), one run
of each in turn, the order swapped every pair, so both see the same memory placement and the same
load: on this machine, whose speed drifts by 30-40% from one minute to the next, separate
processes or separate worlds gave ratios off by several percent. Printed: the median of the
per-pair ratios (working tree / REF) with its quartiles, and the best cost per employee-step of
each. A ratio below 1 is a faster working tree.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_mesa import ROOT
from bench_mesa import _old_tree as old_tree  # run as a script: this folder is on sys.path

_IMPORT = re.compile(r"^(\s*)(from|import) sim\b", re.M)


def unpack_ref(ref: str, into: Path) -> str:
    """Unpack ``sim`` of commit ``ref`` into ``into/sim_ref`` (``bench_mesa``'s unpacking), its
    imports renamed; return the commit's short hash."""
    commit = old_tree(ref, into)
    (into / "sim").rename(into / "sim_ref")
    for path in (into / "sim_ref").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(_IMPORT.sub(r"\1\2 sim_ref", text), encoding="utf-8")
    return commit


def pairs(size: int, n_pairs: int, overrides: list[str], ref_root: Path) -> dict:
    """Per-pair cost ratios (working tree / REF) and each side's best ns per employee-step."""
    sys.path.insert(0, str(ref_root))
    import sim_ref.engine
    import sim_ref.params
    import sim_ref.scenario_files

    import sim
    from sim.engine import run_arrays
    from sim.params import build_inputs
    from sim.world import build_world

    scenario = str(ROOT / "scenarios" / "baseline.toml")
    over = [f"population.n_employees={size}", f"population.n_customers={2 * size}", *overrides]
    cfg = sim.load_scenario(scenario, over)
    cfg_ref = sim_ref.scenario_files.load_scenario(scenario, over)
    worlds = [build_world(cfg, seed) for seed in (1, 2, 3)]
    sides = [(sim_ref.engine.run_arrays, sim_ref.params.build_inputs(cfg_ref, 156)),
             (run_arrays, build_inputs(cfg, 156))]
    for run, inputs in sides:  # compile / load outside the timing
        run(worlds[0], inputs, 1, 2)
    ratios, best = [], [float("inf"), float("inf")]
    for k in range(n_pairs):
        for w, world in enumerate(worlds):
            cost, series = {}, {}
            for side in ((0, 1) if k % 2 == 0 else (1, 0)):
                run, inputs = sides[side]
                t = time.thread_time()
                series[side] = run(world, inputs, w + 1, 156)[0]
                cost[side] = time.thread_time() - t
                best[side] = min(best[side], cost[side])
            if not np.array_equal(series[0], series[1]):
                raise SystemExit(f"the two kernels' series differ (seed {w + 1})")
            ratios.append(cost[1] / cost[0])
    per = 1e9 / (size * 156)
    return {"ratios": np.array(ratios), "ref_ns": best[0] * per, "tree_ns": best[1] * per}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--against", metavar="REF", required=True, help="the commit to compare with")
    ap.add_argument("--size", type=int, default=1000, help="employees")
    ap.add_argument("--pairs", type=int, default=20, help="pairs per world (three worlds)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_pairs_") as tmp:
        commit = unpack_ref(args.against, Path(tmp))
        print(f"working tree against {commit} at {args.size:,} employees; compiling {commit} ...",
              flush=True)
        r = pairs(args.size, args.pairs, args.overrides, Path(tmp))
    q1, med, q3 = np.percentile(r["ratios"], [25, 50, 75])
    print(f"identical series in all {r['ratios'].size} pairs; working tree / {commit}: median "
          f"{med:.3f} (quartiles {q1:.3f}-{q3:.3f}); best {r['tree_ns']:.1f} against "
          f"{r['ref_ns']:.1f} ns per employee-step")


if __name__ == "__main__":
    main()
