"""What each lever's effect rests on: switch one mechanism of a lever at a time from its value at
the high level to its value at the low level (the lever itself stays high), on common seeds.

For each lever L: the baseline scenario with L at ``--high`` (the reference arm), with L at
``--low`` (the whole lever), and for each mechanism of L (``sim.params._MAP``) the reference with
that mechanism's pair pinned to its value at ``--low``. Prints a Markdown table: the change in the
share of runs that never reach the target and in the restricted mean time to target (mean of
min(T, horizon), weeks), each with a paired 95% t interval over seeds.

    .venv/bin/python scripts/lever_decomposition.py --seeds 30
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from sim.config import LEVERS
from sim.engine import simulate
from sim.params import _MAP, response
from sim.scenario_files import load_scenario


def _arm(overrides: list[str], seeds: int) -> np.ndarray:
    cfg = load_scenario("baseline", overrides)
    out = np.empty((seeds, 2))
    for s in range(seeds):
        o = simulate(cfg, seed=s).outcomes
        out[s] = (o["innovation_speed"], float(o["innovation_censored"]))
    return out


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    d = a - b
    half = 1.96 * d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else math.nan
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--low", type=float, default=0.1)
    ap.add_argument("--high", type=float, default=0.9)
    args = ap.parse_args()
    base = load_scenario("baseline")
    effect_low = float(response(np.array([args.low]), base.levers.shape)[0])
    print("| lever | switched to its low value | Δ share never reaching target | Δ time to "
          "target (weeks, RMST) |\n|---|---|---|---|")
    for lever in LEVERS:
        high = [f"levers.{lever}={args.high}"]
        ref = _arm(high, args.seeds)
        rows = [("the whole lever", _arm([f"levers.{lever}={args.low}"], args.seeds))]
        for _, lv, section, field in _MAP:
            if LEVERS[lv] != lever:
                continue
            at0, at1 = getattr(getattr(base, section), field)
            v = at0 + (at1 - at0) * effect_low
            rows.append((f"`{section}.{field}`",
                         _arm([*high, f"{section}.{field}=[{v!r}, {v!r}]"], args.seeds)))
        for name, arm in rows:
            n, nlo, nhi = _paired(arm[:, 1], ref[:, 1])
            t, tlo, thi = _paired(arm[:, 0], ref[:, 0])
            print(f"| {lever} | {name} | {n:+.2f} [{nlo:+.2f}, {nhi:+.2f}] | "
                  f"{t:+.1f} [{tlo:+.1f}, {thi:+.1f}] |")
    print(f"\n{args.seeds} paired seeds; baseline scenario, other levers at their baseline "
          f"levels; lever at {args.high} unless switched; horizon {base.run.steps} weeks, target "
          f"{base.run.target_fitness}.")


if __name__ == "__main__":
    main()
