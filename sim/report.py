"""``pactsim report RESULTS_DIR``: one self-contained HTML file that answers the experiment's question.

Built from stored results only (sim.analysis). The file embeds plotly.js once, inline, and loads
nothing from anywhere: it opens offline. Figures can also be written as PNG (kaleido when installed
and working, else Debian's headless Chromium through Playwright; never a browser download).
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim import analysis as an
from sim.config import LEVERS
from sim.sweep import manifest as mf

CHROMIUM = os.environ.get("PACTSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
MIN_REPLICATES = 5
"""Below this many replicates the report warns that its bootstrap intervals are indicative only."""
EFFECT_OUTCOMES = (an.SPEED, "final_fitness", "customer_value", "final_platform_adoption")


@dataclass
class Figure:
    id: str
    title: str
    fig: object  # plotly.graph_objects.Figure
    caption: str = ""


@dataclass
class Report:
    """What the report says: the headline, findings, figures and a table of the top points."""

    results: an.Results
    headline: str
    findings: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    top: pd.DataFrame | None = None
    effects_all: pd.DataFrame | None = None  # main effects on every outcome (grid designs)
    outcome: str = an.SPEED


# --------------------------------------------------------------------------------------------------
# Words

def _n(x: float) -> str:
    """A number for prose: one decimal from 1 up (and for zero), three significant digits below."""
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:.1f}" if abs(x) >= 1 or abs(x) < 1e-12 else f"{x:.3g}"


def _sn(x: float) -> str:
    """Signed: '+1.5', '-0.0312'."""
    return ("+" if x >= 0 else "-") + _n(abs(x))


def _ci(lo: float, hi: float, weeks: bool = False) -> str:
    if weeks:  # times read best at one decimal throughout
        return f"95% CI {lo:.1f} to {hi:.1f}"
    return f"95% CI {_n(lo)} to {_n(hi)}"


def _change(outcome: str, eff: float, lo: float, hi: float) -> str:
    """'shortens the time to target by 3.1 weeks (95% CI 2.0 to 4.2)' and the like."""
    covers = lo <= 0 <= hi
    tail = "; not distinguishable from no effect" if covers else ""
    if outcome == an.SPEED:
        if eff <= 0:
            return f"shortens the time to target by {-eff:.1f} weeks ({_ci(-hi, -lo, True)}{tail})"
        return f"lengthens the time to target by {eff:.1f} weeks ({_ci(lo, hi, True)}{tail})"
    return f"changes the {_oname(outcome)} by {eff:+.3g} ({_ci(lo, hi)}{tail})"


def _oname(outcome: str) -> str:
    """The outcome as a noun phrase without article: 'time to target', 'customer value'."""
    from sim.figures import title

    return "time to target" if outcome == an.SPEED else title(outcome)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _value(outcome: str, v: float, lo: float, hi: float, paren: bool = True) -> str:
    """'5.6 weeks (95% CI 1.4 to 9.8)', or with a comma inside parentheses already open."""
    unit = " weeks" if outcome == an.SPEED else ""
    return f"{_n(v)}{unit} ({_ci(lo, hi)})" if paren else f"{_n(v)}{unit}, {_ci(lo, hi)}"


def _target(res: an.Results) -> float:
    """Target fitness of innovation speed: the experiment's override, else the schema default."""
    from sim.config import Run

    fixed = _experiment(res).get("set")
    target = fixed.get("run.target_fitness") if isinstance(fixed, dict) else None
    return float(target) if isinstance(target, int | float) else Run().target_fitness


def _description(res: an.Results) -> str:
    return str(_experiment(res).get("description", ""))


def _experiment(res: an.Results) -> dict:
    """The experiment file stored in the manifest, parsed; empty when absent or unreadable."""
    from sim.config import ConfigError, loads_toml

    try:
        return loads_toml(res.manifest.experiment_text or "", "experiment_text")
    except (tomllib.TOMLDecodeError, ConfigError):
        return {}


# --------------------------------------------------------------------------------------------------
# Analysis per design kind

def analyse(res: an.Results, n_boot: int = an.N_BOOT, seed: int = 0) -> Report:
    """Everything the report shows, computed from the results."""
    from sim import figures as fg

    if res.runs.empty or not res.outcomes:
        return Report(res, f"No usable runs: all {res.n_runs} runs failed or carry no outcome, "
                           "so there is no answer to report.")
    plain = [o for o in res.outcomes if o != an.CENSORED] or res.outcomes
    outcome = an.SPEED if an.SPEED in res.outcomes else plain[0]
    summary = an.point_summary(res, outcome, n_boot, seed)
    labels = an.point_labels(res)
    summary["label"] = labels
    sign = an.better_sign(outcome)
    order = (sign * -summary["value"].dropna()).sort_values().index  # best first
    best, worst = int(order[0]), int(order[-1])
    base = an.baseline_point(res)
    design = res.design
    numeric = [f for f in res.factors if pd.api.types.is_numeric_dtype(res.points[f])]
    args = _SectionArgs(res, outcome, summary, numeric, best, base, n_boot, seed, fg)
    report = _SECTIONS[design.analysis](args) or _points(args)
    if design.per_point:
        report.figures += _per_point_figures(res, outcome, labels, best, worst, base, fg)

    n_rep = len(res.replicate_ids)
    if design.bootstrap and n_rep < MIN_REPLICATES:
        # a percentile bootstrap over 2-4 units cannot show the spread it has not seen
        report.headline += (f" With only {n_rep} replicate{'s' if n_rep > 1 else ''} per point these "
                            "intervals are too narrow to trust: indicative only.")
    cens = float(res.runs[an.CENSORED].mean()) if an.CENSORED in res.runs.columns else float("nan")
    facts = [f"{res.n_runs} runs at {len(res.point_ids)} design points × "
             f"{_plural(len(res.replicate_ids), 'replicate', 'replicates')}; failed runs (excluded, error "
             f"recorded): {len(res.failed)}."]
    if outcome == an.SPEED:
        facts.append(f"Time to target = weeks until deployed fitness first reaches {_target(res):g}. "
                     f"{cens:.0%} of runs never reached it within the horizon of {res.horizon:g} weeks: "
                     "they are kept, counted at the horizon, and every mean time to target is the "
                     "restricted mean (RMST, the area under the Kaplan–Meier curve up to the horizon).")
    if design.bootstrap:  # Sobol intervals are SALib's own (said in the Sobol findings)
        facts.append("Intervals: 95% percentile bootstrap over replicates (common random numbers: every "
                     f"point's replicate r shares a seed, so differences are paired), {n_boot} resamples, "
                     f"seed {seed}.")
    report.findings = report.findings + facts
    top_cols = ["label", "value", "lo", "hi", "n"] + (["reached"] if "reached" in summary else [])
    report.top = summary.loc[order[:10], top_cols]
    report.outcome = outcome
    return report


@dataclass
class _SectionArgs:
    res: an.Results
    outcome: str
    summary: pd.DataFrame
    numeric: list[str]
    best: int
    base: int | None
    n_boot: int
    seed: int
    fg: object


def _points(a: _SectionArgs) -> Report:
    """The plain answer: the best point, and the outcome against each numeric parameter."""
    report = Report(a.res, f"The best point is {a.summary.loc[a.best, 'label']}: {_oname(a.outcome)} "
                           f"{_value(a.outcome, *a.summary.loc[a.best, ['value', 'lo', 'hi']])}.")
    if a.numeric:
        report.figures.append(Figure("points", "Outcome against each parameter",
                                     a.fg.scatter_factors(a.summary, a.numeric, a.outcome)))
    return report


# the report section of each design kind (``DesignBase.analysis``); None: the results do not
# have what the section needs (the plain answer is given instead)
_SECTIONS = {
    "orders": lambda a: (_orders(a.res, a.outcome, a.n_boot, a.seed, a.fg)
                         if an.ORDER_COLUMN in a.res.points.columns else None),
    "mix": lambda a: (_simplex(a.res, a.outcome, a.n_boot, a.seed, a.fg)
                      if set(an.BUDGET_COLUMNS) <= set(a.res.points.columns) else None),
    "sobol": lambda a: _sobol(a.res, a.outcome, a.summary, a.numeric, a.fg),
    "effects": lambda a: (_grid(a.res, a.outcome, a.summary, a.numeric, a.best, a.base, a.n_boot,
                                a.seed, a.fg) if a.numeric else None),
    "points": lambda a: None,
}


def _per_point_figures(res, outcome, labels, best, worst, base, fg) -> list[Figure]:
    """Best, worst and baseline points run by run: Kaplan-Meier curves and fans of the series."""
    figures = []
    roles = {"best": best}
    if base is not None and base not in (best, worst):
        roles["baseline"] = base
    if worst != best:
        roles["worst"] = worst
    if outcome == an.SPEED and an.CENSORED in res.runs.columns:
        figures.append(Figure(
            "km", "Time to target, censoring included (Kaplan–Meier)",
            fg.km_curves(res, roles, labels),
            "Runs that never reach the target are censored at the horizon: the curve stays above "
            "zero instead of dropping them."))
    ts_cols = set(res.timeseries.columns) if res.timeseries is not None else set()
    if {"deployed_fitness", "platform_users"} & ts_cols:
        figures.append(Figure(
            "fans", "Deployed fitness and platform adoption over time", fg.fans(res, roles, labels),
            "Best, worst and baseline design points by " + _oname(outcome) + "."))
    return figures


def _grid(res, outcome, summary, factors, best, base, n_boot, seed, fg) -> Report:
    effects = {o: an.main_effects(res, o, factors, n_boot, seed) for o in EFFECT_OUTCOMES
               if o in res.outcomes}
    if outcome not in effects:
        effects[outcome] = an.main_effects(res, outcome, factors, n_boot, seed)
    eff = effects[outcome]
    figs = [Figure("effects", "Lever effects with 95% intervals", fg.effects_forest(effects),
                   "Each point: mean at the highest level minus mean at the lowest level of one lever, "
                   "averaged over every combination of the others.")]
    mm = an.marginal_means(res, outcome, factors, n_boot, seed)
    figs.append(Figure("levels", "Response to each lever", fg.levels(mm, outcome)))
    findings, sentences = [], []
    tech, cult = "levers.technology", "levers.culture"
    two = len(factors) == 2 and set(factors) == {tech, cult}
    if len(factors) >= 3:
        inter = an.interactions(res, outcome, factors, n_boot, seed)
        figs.append(Figure("interactions", "Interactions between levers",
                           fg.interaction_heatmap(inter, factors, outcome),
                           "How much raising one lever changes the effect of another (extreme levels)."))
        if len(inter):
            top = inter.loc[inter["effect"].abs().idxmax()]
            figs.append(Figure("cells", "The strongest interaction",
                               fg.cell_heatmap(an.cell_means(res, top.factor_a, top.factor_b, outcome),
                                               top.factor_a, top.factor_b, outcome)))
            sig = inter[inter["significant"]]
            findings.append(
                f"Strongest interaction: {an.short_name(top.factor_a)} × {an.short_name(top.factor_b)}, "
                f"contrast {top.effect:+.2f} ({_ci(top.lo, top.hi)}); {len(sig)} of {len(inter)} pairs have "
                "an interval excluding 0.")
    elif len(factors) == 2:
        a, b = factors
        figs.append(Figure("cells", "Both factors together",
                           fg.cell_heatmap(an.cell_means(res, a, b, outcome), a, b, outcome)))
    if tech in factors and cult in factors:
        se = an.simple_effects(res, tech, cult, outcome, n_boot, seed)
        figs.append(Figure("simple_effects", "Technology with and without culture",
                           fg.simple_effects_bars(se, outcome),
                           "The effect of technology at the lowest and highest culture level."))
        lo_c, hi_c = se.iloc[0], se.iloc[-1]
        alone = lo_c.effect * an.better_sign(outcome) > 0 and lo_c.significant
        goal = "speed up innovation" if outcome == an.SPEED else f"improve the {_oname(outcome)}"
        tech_sentence = (
            f"Technology alone {'does' if alone else 'does not'} {goal}: with culture low "
            f"({lo_c.by_level:g}), raising technology from {lo_c.low:g} to {lo_c.high:g} "
            f"{_change(outcome, lo_c.effect, lo_c.lo, lo_c.hi)}; with culture high ({hi_c.by_level:g}) it "
            f"{_change(outcome, hi_c.effect, hi_c.lo, hi_c.hi)}.")
        inter2 = an.interactions(res, outcome, [tech, cult], n_boot, seed)
        if len(inter2):
            i2 = inter2.iloc[0]
            verdict = ("culture changes what technology delivers" if i2.significant
                       else "no evidence that culture changes what technology delivers")
            unit = " weeks" if outcome == an.SPEED else ""
            tech_tail = (f"The technology × culture interaction is {_sn(i2.effect)}{unit} "
                         f"({_ci(i2.lo, i2.hi)}): {verdict}.")
        else:
            tech_tail = ""
        if two:
            sentences += [tech_sentence, tech_tail]
        else:
            findings += [tech_sentence, tech_tail]
    if not two:
        is_lever = eff["factor"].isin(an.LEVER_COLUMNS)
        levers = eff[is_lever] if is_lever.any() else eff
        key = levers.loc[(an.better_sign(outcome) * levers["effect"]).idxmax()]
        name = an.short_name(key.factor).capitalize()
        unit = " weeks" if outcome == an.SPEED else ""
        f = "{:.1f}".format if outcome == an.SPEED else _n  # weeks at one decimal throughout
        others = "; ".join(f"{an.short_name(r.factor)} {'+' if r.effect > 0 else ''}{f(r.effect)}{unit} "
                           f"[{f(r.lo)}, {f(r.hi)}]"
                           for r in levers.itertuples() if r.factor != key.factor)
        if key.significant and an.better_sign(outcome) * key.effect > 0:
            lead = f"{name} {'speeds up innovation' if outcome == an.SPEED else 'helps'} most"
        else:
            lead = f"No lever helps beyond the noise; the best, {name.lower()},"
        sentences.append(f"{lead}: raising it from {key.low:g} to {key.high:g} "
                         f"{_change(outcome, key.effect, key.lo, key.hi)}"
                         + (f" (other levers, high minus low: {others})." if others else "."))
    b = summary.loc[best]
    reach = f", {b.reached:.0%} of its runs reach the target" if "reached" in summary else ""
    gets = "reaches the target in" if outcome == an.SPEED else f"gets a {_oname(outcome)} of"
    best_sentence = (f"The {'fastest' if outcome == an.SPEED else 'best'} combination, {b.label}, {gets} "
                     f"{_value(outcome, b.value, b.lo, b.hi)}{reach}")
    if base is not None and base != best:
        cp = an.compare_points(res, base, outcome, n_boot, seed)
        d = cp.loc[best]
        unit = " weeks" if outcome == an.SPEED else ""
        best_sentence += (f", against {_n(summary.loc[base, 'value'])}{unit} at the mid-level baseline "
                          f"(paired difference {_sn(d['diff'])}, {_ci(d.diff_lo, d.diff_hi)})")
    (findings if two else sentences).append(best_sentence + ".")
    every = [o for o in res.outcomes if o != an.CENSORED and res.runs[o].notna().any()]
    table = pd.concat([effects[o] if o in effects else an.main_effects(res, o, factors, n_boot, seed)
                       for o in every], keys=every, names=["outcome", None]).reset_index(level=0)
    return Report(res, " ".join(s for s in sentences if s), findings, figs, effects_all=table)


def _simplex(res, outcome, n_boot, seed, fg) -> Report:
    best, table = an.best_mix(res, outcome, n_boot, seed)
    b = table.loc[best]
    ties = int(table["covers_zero"].sum()) - 1
    n = len(table)
    shares = ", ".join(f"{lv} {b[c]:.0%}" for lv, c in zip(LEVERS, an.BUDGET_COLUMNS, strict=True))
    near = table[table["covers_zero"]]
    if ties:  # how flat the optimum is: the spread of the mixes that cannot be told from the best
        lo, hi = near[list(an.BUDGET_COLUMNS)].min(), near[list(an.BUDGET_COLUMNS)].max()
        span = ", ".join(f"{lv} {lo[c]:.0%}" + (f"–{hi[c]:.0%}" if hi[c] > lo[c] else "")
                         for lv, c in zip(LEVERS, an.BUDGET_COLUMNS, strict=True))
        tail = f"; together with the best they span {span}."
    else:
        tail = ": the optimum is sharp."
    head = (f"The best budget mix is {shares} "
            f"({_oname(outcome)} {_value(outcome, b.value, b.lo, b.hi, False)}); "
            f"{ties} of the other {n - 1} mixes ({ties / max(1, n - 1):.0%}) {'is' if ties == 1 else 'are'} "
            f"statistically indistinguishable from it (paired 95% CI of the difference covers 0){tail}")
    findings = [f"The best mix is the best in {b.p_best:.0%} of bootstrap resamples. Picking the best and "
                "testing against it on the same data favours the best (winner's curse), and intervals are "
                "not adjusted for the number of comparisons."]
    base = an.baseline_point(res)
    if base is not None and base != best:
        e = table.loc[base]
        even = np.allclose(table.loc[base, list(an.BUDGET_COLUMNS)].astype(float), 0.25)
        findings.append(f"The {'even split' if even else 'mix nearest an even split'} ({e.label}) gets "
                        f"{_value(outcome, e.value, e.lo, e.hi)}; "
                        f"difference to the best {_sn(e['diff'])} ({_ci(e.diff_lo, e.diff_hi)}).")
    for lever, col in zip(LEVERS, an.BUDGET_COLUMNS, strict=True):
        zero = table[table[col] == 0]
        if len(zero) and not zero["covers_zero"].any():
            findings.append(f"Every mix with no {lever} is significantly worse than the best.")
    figs = [Figure("simplex", "The budget simplex", fg.simplex_facets(table, outcome),
                   "Each panel fixes the technology share; advocates get the rest of the budget."),
            Figure("mix_ranking", "The best mixes against the best",
                   fg.ranking_forest(table, outcome, f"best mix ({b.label})", top=min(30, n),
                                     title_text="The top mixes: paired difference to the best, 95% "
                                                "intervals (grey: indistinguishable)"))]
    return Report(res, head, findings, figs)


def _orders(res, outcome, n_boot, seed, fg) -> Report:
    table = an.order_ranking(res, outcome, n_boot=n_boot, seed=seed)
    ref_label = an.order_label(an.PACT_ORDER)
    pact = table[table[an.ORDER_COLUMN] == an.PACT_ORDER].iloc[0]
    top = table.iloc[0]
    n = len(table)
    better, worse = int(table["better"].sum()), int(table["worse"].sum())
    tied = table[np.isclose(table["value"], top.value) & np.isclose(table["diff"], top["diff"])]
    if an.PACT_ORDER in set(tied[an.ORDER_COLUMN]):
        others = [lb for lb in tied["label"] if lb != ref_label]
        rest = table.drop(tied.index)
        head = (f"{ref_label} is the fastest of the {n} orders"
                + (f" (tied with {' and '.join(others)})" if others else "")
                + f" ({_oname(outcome)} {_value(outcome, pact.value, pact.lo, pact.hi, False)})")
        if len(rest):
            second = rest.iloc[0]
            head += (f"; the next, {second.label}, differs by {_sn(second['diff'])} "
                     f"({_ci(second.diff_lo, second.diff_hi)}), and "
                     f"{_plural(worse, 'order is', 'orders are')} significantly slower.")
        else:
            head += "."
    else:
        sig = "a significant difference" if top.better else "not a significant difference"
        fastest = (f"The fastest orders, {' and '.join(tied['label'])} (tied), are " if len(tied) > 1
                   else f"The fastest order, {top.label}, is ")
        head = (f"{ref_label} ranks {int(pact['rank'])} of {n} ({_oname(outcome)} "
                f"{_value(outcome, pact.value, pact.lo, pact.hi, False)}). {fastest}"
                f"{_n(abs(top['diff']))} weeks faster (paired difference {_sn(top['diff'])}, "
                f"{_ci(top.diff_lo, top.diff_hi)}: {sig}); {_plural(better, 'order is', 'orders are')} "
                f"significantly faster than {ref_label} and {worse} significantly slower.")
    findings = [f"{ref_label} is the best order in {pact.p_best:.0%} of bootstrap resamples; "
                f"{top.label} in {top.p_best:.0%} (a resample's win is shared among tied orders)."]
    findings += _identical_orders(res, outcome, table)
    first = table.assign(first=table[an.ORDER_COLUMN].str.split(">").str[0]).groupby("first")["value"].mean()
    findings.append(f"Mean {_oname(outcome)} by the lever switched on first: "
                    + ", ".join(f"{k} {_n(v)}" for k, v in first.sort_values().items()) + ".")
    figs = [Figure("order_ranking", "The 24 investment orders", fg.order_bars(table, outcome, ref_label)),
            Figure("order_diff", f"Each order against {ref_label}",
                   fg.ranking_forest(table, outcome, ref_label,
                                     title_text=f"Paired difference to {ref_label} (95% intervals; green "
                                                "faster, red slower)"))]
    return Report(res, head, findings, figs)


def _identical_orders(res: an.Results, outcome: str, table: pd.DataFrame) -> list[str]:
    """Orders with the same outcome in every replicate, and from which position they differ."""
    y = pd.DataFrame(an.outcome_matrix(res, outcome), index=res.point_ids)
    labels = table["label"]
    out = []
    for _, group in y.groupby(list(y.columns), dropna=False):
        if len(group) < 2:
            continue
        orders = [str(res.points.loc[p, an.ORDER_COLUMN]).split(">") for p in group.index]
        same = next(i for i in range(len(LEVERS)) if len({tuple(o[:i + 1]) for o in orders}) > 1)
        out.append(f"{' and '.join(labels[p] for p in group.index)} give the same {_oname(outcome)} in "
                   f"every replicate: they differ only from the lever switched on in position "
                   f"{same + 1}, which came too late to matter.")
    return out


def _sobol(res, outcome, summary, factors, fg) -> Report:
    try:
        si = an.sobol_indices(res, outcome)
    except ValueError as e:
        return Report(res, f"Sobol indices cannot be computed: {e}.")
    a, b = si.iloc[0], si.iloc[1] if len(si) > 1 else None
    levers = si[si["name"].isin(an.LEVER_COLUMNS)]
    head = (f"{_oname(outcome).capitalize()} is driven mostly by {an.short_name(a['name'])} (total Sobol "
            f"index ST {a.ST:.2f} ± {a.ST_conf:.2f}, 95%)"
            + (f" and {an.short_name(b['name'])} ({b.ST:.2f} ± {b.ST_conf:.2f})" if b is not None else ""))
    if len(levers):
        lv = levers.iloc[0]  # sorted by ST
        via = (": most of the levers' influence runs through interactions"
               if levers.S1.sum() < 0.5 * levers.ST.sum() else "")
        head += (f"; of the levers, {an.short_name(lv['name'])} matters most (ST {lv.ST:.2f} ± "
                 f"{lv.ST_conf:.2f}), and the four levers' first-order indices sum to {levers.S1.sum():.2f}"
                 f"{via}.")
    else:
        head += "."
    if si["ST_conf"].max() > 0.25:
        head += (f" The intervals are wide (N = {int(si.N.iloc[0])} base samples): too few for a firm "
                 "ranking.")
    findings = [f"Indices from SALib (Saltelli/Sobol, second order sampled) on the replicate-averaged "
                f"outcome of each of {len(res.point_ids)} points (N = {int(si.N.iloc[0])}). ST − S1 "
                "measures a parameter's share through interactions; ± is the half-width of SALib's 95% "
                "bootstrap interval (1000 resamples, seed 0)."]
    neg = si[si["S1"] < -si["S1_conf"]]
    if len(neg):
        findings.append("Some first-order estimates are negative beyond their interval: N is too small.")
    figs = [Figure("sobol", "Sobol sensitivity indices", fg.sobol_bars(si, outcome))]
    if factors:
        figs.append(Figure("points", "Outcome against each parameter", fg.scatter_factors(summary, factors,
                                                                                          outcome)))
    return Report(res, head, findings, figs)


# --------------------------------------------------------------------------------------------------
# HTML

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;
padding:1.5em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.headline{font-size:1.15em;background:#f4f6fb;border-left:5px solid #4575b4;padding:.8em 1em;margin:1em 0}
.caption{color:#555;font-size:.92em} table{border-collapse:collapse;font-size:.9em}
td,th{border-bottom:1px solid #e5e5e5;padding:.25em .7em;text-align:left} th{background:#fafafa}
footer{margin-top:3em;font-size:.85em;color:#444;border-top:1px solid #ccc;padding-top:1em}
pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:.85em}
"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _effects_table(report: Report) -> str:
    """Every outcome x every lever: effect of raising it from lowest to highest level, with its CI."""
    t = report.effects_all
    if t is None or t.empty:
        return ""
    from sim.figures import title

    factors = list(dict.fromkeys(t["factor"]))
    head = "<tr><th>outcome</th>" + "".join(f"<th>{_e(an.short_name(f))}</th>" for f in factors) + "</tr>"
    rows = []
    for o, g in t.groupby("outcome", sort=False):
        g = g.set_index("factor")
        cells = []
        for f in factors:
            r = g.loc[f]
            text = f"{r.effect:+.3g} [{r.lo:.3g}, {r.hi:.3g}]"
            cells.append(f"<td>{'<b>' + _e(text) + '</b>' if r.significant else _e(text)}</td>")
        rows.append(f"<tr><td>{_e(title(o))}</td>{''.join(cells)}</tr>")
    return ("<h2 id='effects-table'>Effects on every outcome</h2><p class='caption'>Highest minus lowest "
            "level of each lever with its 95% interval; bold where the interval excludes 0.</p>"
            f"<table>{head}{''.join(rows)}</table>")


def _top_table(report: Report) -> str:
    if report.top is None or report.top.empty:
        return ""
    t = report.top
    from sim.figures import title

    head = (f"<tr><th>#</th><th>design point</th><th>{_e(title(report.outcome))}</th><th>95% CI</th>"
            "<th>runs</th>") + (
        "<th>reached target</th>" if "reached" in t else "") + "</tr>"
    rows = []
    for i, (p, r) in enumerate(t.iterrows(), start=1):
        reached = f"<td>{r.reached:.0%}</td>" if "reached" in t else ""
        rows.append(f"<tr><td>{i}</td><td>{_e(r.label)} <small>(point {p})</small></td><td>{_n(r.value)}</td>"
                    f"<td>{_n(r.lo)} to {_n(r.hi)}</td><td>{int(r.n)}</td>{reached}</tr>")
    return "<h2 id='top'>Top design points</h2><table>" + head + "".join(rows) + "</table>"


def _manifest_html(res: an.Results) -> str:
    m = res.manifest
    git = m.git or mf.Git()
    counts = {k: getattr(m, k) for k in ("runs", "runs_done", "runs_failed", "status")
              if getattr(m, k) is not None}
    design = m.design.model_dump(include={"kind", "samples", "step"}, exclude_none=True) \
        if m.design is not None else None
    rows = [("experiment", (m.experiment or res.name) + (" (ci size)" if m.ci else "")),
            ("experiment file", m.experiment_file or "—"),
            ("experiment hash", m.experiment_hash or "—"), ("design hash", m.design_hash or "—"),
            ("design", json.dumps(design) if design is not None else "—"),
            ("git commit", f"{git.commit or '—'}{' (dirty)' if git.dirty else ''}"),
            ("versions", ", ".join(f"{k} {v}" for k, v in (m.versions or {}).items()) or "—"),
            ("host", m.host or "—"), ("started", m.started or "—"), ("ended", m.ended or "—"),
            ("steps, replicates", f"{_or_dash(m.steps)}, {_or_dash(m.replicates)}"),
            ("counts", json.dumps(counts) if counts else "—"),
            ("results folder", res.path.name if res.path else "—")]
    table = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    text = m.experiment_text
    exp = (f"<details><summary>Experiment file</summary><pre>{_e(text)}</pre></details>" if text else "")
    return f"<footer><h2 id='manifest'>Manifest</h2><table>{table}</table>{exp}</footer>"


def _or_dash(value) -> str:
    return "—" if value is None else str(value)


def render_html(report: Report) -> str:
    """The report as one HTML document with plotly.js inline (no external resource of any kind)."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    res = report.results
    parts = []
    for f in report.figures:
        div = pio.to_html(f.fig, full_html=False, include_plotlyjs=False, config=PLOT_CONFIG,
                          div_id=f"plot-{f.id}", default_width="100%")
        cap = f"<p class='caption'>{_e(f.caption)}</p>" if f.caption else ""
        parts.append(f"<section class='figure' id='fig-{f.id}'><h2>{_e(f.title)}</h2>{cap}{div}</section>")
    findings = "".join(f"<li>{_e(x)}</li>" for x in report.findings)
    desc = _description(res)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>pactsim report: {_e(res.name)}</title><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>pactsim report: {_e(res.name)}</h1>"
        + (f"<p>{_e(desc)}</p>" if desc else "")
        + f"<p class='headline' id='headline'>{_e(report.headline)}</p>"
        f"<ul id='findings'>{findings}</ul>"
        + "".join(parts) + _effects_table(report) + _top_table(report) + _manifest_html(res)
        + "</body></html>\n")


def build_report(results_dir: str | Path, *, png: bool = False, n_boot: int = an.N_BOOT,
                 seed: int = 0) -> Path:
    """Write ``results_dir/report.html`` (and PNGs under ``figures/`` when ``png``); return its path."""
    from sim.storage import atomic_write_bytes

    res = an.load_results(results_dir)
    report = analyse(res, n_boot=n_boot, seed=seed)
    out = Path(results_dir) / "report.html"
    atomic_write_bytes(out, render_html(report).encode())
    if png:
        write_pngs({f.id: f.fig for f in report.figures}, Path(results_dir) / "figures")
    return out


# --------------------------------------------------------------------------------------------------
# PNG

class PngError(RuntimeError):
    """No way to render PNGs here (neither a working kaleido nor Chromium)."""


def write_pngs(figures: dict, out_dir: Path, width: int = 1100) -> list[Path]:
    """Write each figure as ``out_dir/<id>.png``: kaleido if installed and working, else headless
    Chromium (Debian's, via Playwright) rendering it with the same plotly.js."""
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        import kaleido  # noqa: F401  (optional: used by plotly's write_image)

        paths = []
        for name, fig in figures.items():
            path = out_dir / f"{name}.png"
            fig.write_image(path, width=width, height=fig.layout.height or 450)
            paths.append(path)
        return paths
    except Exception:  # not installed, or no browser for it: fall back, never download one
        pass
    return _pngs_chromium(figures, out_dir, width)


def _pngs_chromium(figures: dict, out_dir: Path, width: int) -> list[Path]:
    from plotly.offline import get_plotlyjs

    if not Path(CHROMIUM).exists():
        raise PngError(f"no Chromium at {CHROMIUM} and no working kaleido")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        raise PngError(f"playwright is not installed ({e})") from None
    paths = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page()
                page.route("**/*", lambda route: route.abort())  # nothing may leave the machine
                page.set_content(f"<html><head><meta charset='utf-8'><script>{get_plotlyjs()}</script>"
                                 "</head><body></body></html>")
                for name, fig in figures.items():
                    url = page.evaluate(
                        "async ([spec, w, h]) => Plotly.toImage(spec, {format: 'png', width: w, height: h})",
                        [json.loads(fig.to_json()), width, int(fig.layout.height or 450)])
                    path = out_dir / f"{name}.png"
                    path.write_bytes(base64.b64decode(url.split(",", 1)[1]))
                    paths.append(path)
            finally:
                browser.close()
    except PlaywrightError as e:
        raise PngError(f"headless Chromium failed: {str(e).splitlines()[0]}") from None
    return paths


# --------------------------------------------------------------------------------------------------
# CLI

def command(args: argparse.Namespace) -> int:
    """``pactsim report RESULTS_DIR [--open]``: the HTML report, plus PNG figures when possible."""
    path = Path(args.results_dir)
    out = path / "report.html"
    try:
        build_report(path, png=True)
        print(f"wrote {out} and PNG figures in {path / 'figures'}")
    except PngError as e:  # the HTML is written before the PNGs
        print(f"wrote {out}")
        print(f"note: figures not written as PNG: {e}", file=sys.stderr)
    if getattr(args, "open", False):
        import webbrowser

        webbrowser.open(out.resolve().as_uri())
    return 0
