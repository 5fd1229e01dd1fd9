"""Draw docs/validation.png: the four classic models as reproduced by pactsim (quick sizes).

Run: .venv/bin/python scripts/plot_validation.py   (about a minute on 2 cores)
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from sim.canonical import (
        MARCH_REF,
        WATTS_FREQ,
        _bass_curves,
        bass_closed_form,
        march_knowledge,
        p1_overrides,
        watts_frequency,
        watts_window,
    )
    from sim.engine import simulate
    from sim.scenario_files import load_scenario

    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    curves = _bass_curves(0.1, 150, 100)
    t = 0.1 * np.arange(1, 151)
    a = ax[0, 0]
    a.fill_between(t, np.quantile(curves, 0.1, 0), np.quantile(curves, 0.9, 0), alpha=0.25,
                   label="pactsim 10-90%")
    a.plot(t, curves.mean(0), label="pactsim mean (100 runs, 1,000 customers)")
    a.plot(t, bass_closed_form(t), "k--", label="Bass closed form")
    a.set(title="Bass (1969): p = 0.03, q = 0.38, dt = 0.1", xlabel="time", ylabel="adopters F(t)")
    a.legend(fontsize=8)

    a = ax[0, 1]
    zs = [1.5, 3.0, 4.0, 5.5, 6.5]
    got = [watts_frequency(z, 60) for z in zs]
    lo, hi = watts_window(0.18)
    a.axvspan(lo, hi, color="0.9", label=f"analytic window ({lo:.2f}, {hi:.2f})")
    a.plot(zs, [WATTS_FREQ[z] for z in zs], "ks--", label="Watts 2002, Fig. 1")
    a.plot(zs, got, "o-", label="pactsim (60 runs, n = 10,000)")
    a.set(title="Watts (2002): global cascades, phi = 0.18", xlabel="mean degree z",
          ylabel="frequency of global cascades", ylim=(-0.05, 1.05))
    a.legend(fontsize=8)

    a = ax[1, 0]
    p1s = sorted(MARCH_REF)
    means = [march_knowledge(p1_overrides(p1), 1000).mean() for p1 in p1s]
    a.plot(p1s, [MARCH_REF[p] for p in p1s], "ks--", label="replication (10,000 runs)")
    a.plot(p1s, means, "o-", label="pactsim (1,000 runs)")
    a.set(title="March (1991): equilibrium knowledge, p2 = 0.5", xlabel="socialization rate p1",
          ylabel="code knowledge")
    a.legend(fontsize=8)

    a = ax[1, 1]
    for graph in ("line", "complete"):
        cfg = load_scenario("canonical/lazer_friedman", [f'graph.employee_graph="{graph}"'])
        ys = np.array([simulate(cfg, seed=s).timeseries["mean_fitness"].to_numpy() for s in range(60)])
        a.plot(np.arange(1, ys.shape[1] + 1), ys.mean(0), label=f"{graph} network")
    a.set(title="Lazer & Friedman (2007): 100 agents, NK(20, 5)", xlabel="round",
          ylabel="mean normalised score (60 landscapes)")
    a.legend(fontsize=8)
    fig.tight_layout()
    out = ROOT / "docs" / "validation.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
