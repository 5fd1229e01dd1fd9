"""Validation against the classic models (docs/ODD.md section 1.1): ``pactsim validate``.

Each case runs a scenario of ``scenarios/canonical/`` (the classic model expressed through this
model's rule sets and parameters) with enough replicates to make its tolerance meaningful, and
compares what the model produces with the published result. Tolerances are stated per check and
derive from the number of runs where the reference is itself a simulation estimate.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import brentq

from sim.engine import simulate
from sim.errors import ConfigError
from sim.scenario_files import load_scenario


@dataclass(frozen=True)
class Check:
    case: str
    quantity: str
    expected: str
    got: str
    tolerance: str
    passed: bool
    source: str


# ---------------------------------------------------------------- Bass (1969)
BASS_P, BASS_Q = 0.03, 0.38


def bass_closed_form(t: np.ndarray, p: float = BASS_P, q: float = BASS_Q) -> np.ndarray:
    """Cumulative adoption F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1 - e) / (1 + (q / p) * e)


def bass_map(steps: int, dt: float, p: float = BASS_P, q: float = BASS_Q) -> np.ndarray:
    """The discrete map F <- F + (p + qF)(1 - F) dt, values after each of ``steps`` steps."""
    out = np.empty(steps)
    f = 0.0
    for k in range(steps):
        f = f + (p + q * f) * (1 - f) * dt
        out[k] = f
    return out


def _bass_curves(dt: float, steps: int, runs: int) -> np.ndarray:
    cfg = load_scenario("canonical/bass", [f"customers.p_value={BASS_P * dt}",
                                           f"customers.q_wom={BASS_Q * dt}", f"run.steps={steps}"])
    return np.array([simulate(cfg, seed=s).timeseries["customer_adoption"].to_numpy()
                     for s in range(runs)])


def case_bass(quick: bool) -> list[Check]:
    src = "Bass 1969; p, q: Sultan, Farley & Lehmann 1990"
    runs = 60 if quick else 300
    out = []
    dt = 0.1
    curves = _bass_curves(dt, 150, runs)
    mean = curves.mean(axis=0)
    t = dt * np.arange(1, 151)
    dev = np.abs(mean - bass_closed_form(t))
    out.append(Check("bass", f"max |mean F - closed form| over t in (0, 15], dt = 0.1, {runs} runs",
                     "0", f"{dev.max():.4f} (at t = {t[dev.argmax()]:.1f})", "0.02",
                     bool(dev.max() <= 0.02), src))
    for when, ref in ((5.0, 0.3312), (10.0, 0.8128)):
        got = mean[int(round(when / dt)) - 1]
        out.append(Check("bass", f"F({when:g}), dt = 0.1", f"{ref:.4f}", f"{got:.4f}", "0.02",
                         bool(abs(got - ref) <= 0.02), src))
    # The adoption rate peaks when F reaches (q - p) / 2q; reading t* there (interpolated) is far
    # less noisy than the argmax of a differenced mean curve.
    level = (BASS_Q - BASS_P) / (2 * BASS_Q)
    peak = float(np.interp(level, np.concatenate([[0.0], mean]), np.concatenate([[0.0], t])))
    ref_peak = math.log(BASS_Q / BASS_P) / (BASS_P + BASS_Q)
    out.append(Check("bass", "peak time t* of the adoption rate (F = (q - p)/2q), dt = 0.1",
                     f"{ref_peak:.2f}", f"{peak:.2f}", "0.5", bool(abs(peak - ref_peak) <= 0.5), src))
    curves1 = _bass_curves(1.0, 15, runs)
    dev1 = np.abs(curves1.mean(axis=0) - bass_map(15, 1.0))
    out.append(Check("bass", f"max |mean F - discrete map|, dt = 1, {runs} runs", "0",
                     f"{dev1.max():.4f}", "0.02", bool(dev1.max() <= 0.02), src))
    return out


# ---------------------------------------------------------------- Watts (2002)
WATTS_PHI = 0.18
# Global-cascade frequencies read off Watts (2002), Fig. 1 (n = 10,000, phi = 0.18)
WATTS_FREQ = {1.5: 0.56, 3.0: 0.88, 4.0: 0.88, 5.5: 0.44, 6.5: 0.0}


def watts_condition(z: float, phi: float) -> float:
    """z e^{-z} sum_{j=0}^{K*-2} z^j / j! - 1, K* = floor(1/phi): positive inside the window."""
    kstar = math.floor(1.0 / phi)
    total = sum(z ** j / math.factorial(j) for j in range(kstar - 1))
    return z * math.exp(-z) * total - 1.0


def watts_window(phi: float) -> tuple[float, float]:
    """The interval of mean degree z inside which global cascades occur (Watts 2002, eq. 5)."""
    zs = np.linspace(0.01, 30, 3000)
    vals = np.array([watts_condition(z, phi) for z in zs])
    inside = np.nonzero(vals > 0)[0]
    if inside.size == 0:
        raise ValueError(f"no cascade window for phi = {phi}")
    lo = brentq(watts_condition, zs[inside[0] - 1], zs[inside[0]], args=(phi,))
    hi = brentq(watts_condition, zs[inside[-1]], zs[inside[-1] + 1], args=(phi,))
    return float(lo), float(hi)


def watts_frequency(z: float, runs: int, n: int = 10_000) -> float:
    """Share of runs in which one random seed triggers a global cascade (final share >= 0.1)."""
    cfg = load_scenario("canonical/watts", [f"graph.k_intra={z}", f"population.n_employees={n}"])
    hits = [simulate(cfg, seed=s).timeseries["platform_users"].iloc[-1] >= 0.1 for s in range(runs)]
    return float(np.mean(hits))


def case_watts(quick: bool) -> list[Check]:
    src = "Watts 2002, PNAS 99(9), eq. 5 and Fig. 1"
    lo, hi = watts_window(WATTS_PHI)
    out = [Check("watts", "analytic cascade window in z, phi = 0.18", "(1.02, 5.77)",
                 f"({lo:.2f}, {hi:.2f})", "0.01",
                 bool(abs(lo - 1.02) <= 0.01 and abs(hi - 5.77) <= 0.01), src)]
    runs = 40 if quick else 150
    zs = (3.0, 6.5) if quick else tuple(WATTS_FREQ)
    for z in zs:
        ref = WATTS_FREQ[z]
        got = watts_frequency(z, runs)
        # three binomial standard errors of our estimate, plus 0.05 for reading the figure
        tol = 3 * math.sqrt(max(ref * (1 - ref), 0.0) / runs) + 0.05
        out.append(Check("watts", f"global cascade frequency, z = {z:g}, {runs} runs, n = 10,000",
                         f"{ref:.2f}", f"{got:.2f}", f"{tol:.2f}", bool(abs(got - ref) <= tol), src))
    return out


# ---------------------------------------------------------------- Lazer & Friedman (2007)
def _paired_ci(diff: np.ndarray, seed: int = 0, reps: int = 4000) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, diff.shape[0], (reps, diff.shape[0]))
    boots = diff[idx].mean(axis=1)
    return float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))


def case_lazer_friedman(quick: bool) -> list[Check]:
    src = "Lazer & Friedman 2007, ASQ 52(4), Fig. 2"
    runs = 30 if quick else 200
    line = load_scenario("canonical/lazer_friedman")
    full = load_scenario("canonical/lazer_friedman", ['graph.employee_graph="complete"'])
    a = np.array([simulate(line, seed=s).timeseries["mean_fitness"].to_numpy() for s in range(runs)])
    b = np.array([simulate(full, seed=s).timeseries["mean_fitness"].to_numpy() for s in range(runs)])
    out = []
    for t, sign, word in ((5, 1, "ahead of"), (100, -1, "behind")):
        diff = b[:, t - 1] - a[:, t - 1]  # same seed = same landscape and start: paired
        lo, hi = _paired_ci(diff)
        ok = (lo > 0) if sign > 0 else (hi < 0)
        out.append(Check("lazer_friedman",
                         f"complete {word} line at t = {t} (mean score, paired on {runs} landscapes)",
                         f"{'> 0' if sign > 0 else '< 0'} (about {sign * 0.3:+.1f})",
                         f"{diff.mean():+.3f} [95% CI {lo:+.3f}, {hi:+.3f}]", "CI excludes 0", ok,
                         src))
    return out


# ---------------------------------------------------------------- March (1991)
# Equilibrium knowledge of the code for p2 = 0.5 (public replication, 10,000 runs per cell)
MARCH_REF = {0.1: 0.954, 0.5: 0.811, 0.9: 0.742}
MARCH_REF_RUNS = 10_000


def p1_overrides(p1: float) -> list[str]:
    """March's socialization rate p1 as overrides: Culture's pair set to p1 at both ends, so the
    lever does not move it."""
    return [f"culture.p_socialize.0={p1}", f"culture.p_socialize.1={p1}"]


def march_knowledge(overrides: list[str], runs: int, steps: int | None = None,
                    window: int = 100) -> np.ndarray:
    """Code knowledge per run: at equilibrium, or (``steps`` given: no equilibrium stop) averaged
    over the last ``window`` steps."""
    extra = [] if steps is None else ["run.stop_at_equilibrium=false", f"run.steps={steps}"]
    cfg = load_scenario("canonical/march", overrides + extra)
    out = np.empty(runs)
    for s in range(runs):
        k = simulate(cfg, seed=s).timeseries["code_knowledge"].to_numpy()
        out[s] = k[-1] if steps is None else k[-window:].mean()
    return out


def _claim(case, quantity, diff, src):
    lo, hi = _paired_ci(diff)
    return Check(case, quantity, "> 0", f"{diff.mean():+.3f} [95% CI {lo:+.3f}, {hi:+.3f}]",
                 "CI excludes 0", bool(lo > 0), src)


def case_march(quick: bool) -> list[Check]:
    src = "March 1991, Organization Science 2(1); reference values: public replication"
    runs = 1000 if quick else MARCH_REF_RUNS
    out = []
    eq = {}
    for p1, ref in MARCH_REF.items():
        k = march_knowledge(p1_overrides(p1), runs)
        eq[p1] = k
        # three standard errors of the difference of two means: ours (runs) and the reference's
        tol = 3 * k.std() * math.sqrt(1 / runs + 1 / MARCH_REF_RUNS)
        out.append(Check("march", f"equilibrium code knowledge, p1 = {p1}, p2 = 0.5, {runs} runs",
                         f"{ref:.3f}", f"{k.mean():.4f}", f"{tol:.4f}",
                         bool(abs(k.mean() - ref) <= tol), src))
    n = 100 if quick else 400
    out.append(_claim("march", f"slow socialization learns more: p1 = 0.1 minus p1 = 0.9 ({n} paired)",
                      eq[0.1][:n] - eq[0.9][:n], src))
    mixed = march_knowledge([*p1_overrides(0.9), "behaviour.share_slow=0.5",
                             "behaviour.p_socialize_slow=0.1"], n)
    out.append(_claim("march", f"mixed learners (half 0.9, half 0.1) minus uniform p1 = 0.5 ({n} paired)",
                      mixed - eq[0.5][:n], src))
    fast = p1_overrides(0.9)
    none = march_knowledge([*fast, "behaviour.p_turnover=0"], n, steps=400)
    some = march_knowledge([*fast, "behaviour.p_turnover=0.02"], n, steps=400)
    out.append(_claim("march", f"moderate turnover helps fast socialization: p3 = 0.02 minus 0, p1 = 0.9, "
                      f"t = 300-400 ({n} paired)", some - none, src))
    turb = [*p1_overrides(0.5), "landscape.p_turbulence=0.02"]
    stuck = march_knowledge([*turb, "behaviour.p_turnover=0"], n, steps=400)
    renewed = march_knowledge([*turb, "behaviour.p_turnover=0.02"], n, steps=400)
    calm = eq[0.5][:n]
    out.append(_claim("march", f"turbulence erodes knowledge without turnover: calm equilibrium minus "
                      f"p4 = 0.02 at t = 300-400 ({n} paired)", calm - stuck, src))
    out.append(_claim("march", f"turnover keeps knowledge under turbulence: p3 = 0.02 minus 0, p4 = 0.02 "
                      f"({n} paired)", renewed - stuck, src))
    return out


CASES: dict[str, Callable[[bool], list[Check]]] = {
    "bass": case_bass,
    "watts": case_watts,
    "march": case_march,
    "lazer_friedman": case_lazer_friedman,
}


def validate(cases: list[str] | None = None, quick: bool = False) -> list[Check]:
    """Run the named cases (default: all) and return their checks."""
    names = list(cases or CASES)
    unknown = [c for c in names if c not in CASES]
    if unknown:
        raise ConfigError(f"unknown validation case(s) {', '.join(unknown)}; "
                          f"allowed: {', '.join(CASES)}")
    checks = []
    for name in names:
        checks.extend(CASES[name](quick))
    return checks


def command(args) -> int:
    """``pactsim validate [CASE ...] [--quick] [--json FILE]``; exit 1 if any check fails."""
    from rich.console import Console
    from rich.table import Table

    t0 = time.perf_counter()
    checks = validate(args.cases, args.quick)
    table = Table(title="pactsim validate" + (" --quick" if args.quick else ""))
    for col in ("case", "quantity", "expected", "got", "tolerance", "verdict", "source"):
        table.add_column(col, overflow="fold")
    for c in checks:
        verdict = "[green]pass[/green]" if c.passed else "[red]FAIL[/red]"
        table.add_row(c.case, c.quantity, c.expected, c.got, c.tolerance, verdict, c.source)
    console = Console(width=max(160, Console().width))
    console.print(table)
    failed = sum(not c.passed for c in checks)
    console.print(f"{len(checks) - failed} passed, {failed} failed in "
                  f"{time.perf_counter() - t0:.0f} s")
    if args.json:
        from pathlib import Path

        from sim.storage import atomic_write_bytes

        atomic_write_bytes(Path(args.json),
                           (json.dumps([asdict(c) for c in checks], indent=2) + "\n").encode())
    return 1 if failed else 0
