"""The report's findings per design kind: the headline, findings and figures of a factorial's
lever effects, the best budget mix, the ranking of orders, Sobol indices, or the plain answer
(``sim.report`` picks the section a design kind names: ``DesignBase.analysis``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import analysis as an
from sim.config import LEVERS

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
    sobol: pd.DataFrame | None = None  # Sobol indices with their resolved flags (sobol designs)
    lockin: pd.DataFrame | None = None  # P(never) and medians per target at the shown points
    split: bool | None = None  # the headline rule's verdict (None: not applied)
    robust: object | None = None  # sim.robustness.Robustness, with [uncertainties]


@dataclass
class Contrast:
    """Two groups of design points the headline compares: ``old`` (before the change) and ``new``,
    as masks over ``res.point_ids``; ``what`` starts the sentence ('Raising process from 0.1 to
    0.9')."""

    what: str
    new: np.ndarray
    old: np.ndarray


# --------------------------------------------------------------------------------------------------
# Time to target when runs split into fast and stuck (the headline rule, an.is_split)

def _shapes(res: an.Results, contrasts: list[Contrast], n_boot: int, seed: int) -> list[tuple]:
    """(contrast, new group's row, old group's row) of an.shape_contrast for each contrast."""
    out = []
    for c in contrasts:
        t = an.shape_contrast(res, {"new": c.new, "old": c.old}, "old", an.SPEED, an.CENSORED,
                              n_boot, seed)
        out.append((c, t.loc["new"], t.loc["old"]))
    return out


def _split(shapes: list[tuple]) -> bool:
    return an.is_split([row.p_never for _, new, old in shapes for row in (new, old)])


def _pct_points(d: float) -> str:
    return f"{d * 100:+.0f} points"


def _shape_sentence(res: an.Results, c: Contrast, new: pd.Series, old: pd.Series) -> str:
    """The effect of a contrast on P(never reaching the target), on the median time of the runs
    that reach it, and (secondary) on the restricted mean: every number from ``shape_contrast``."""
    d, lo, hi = new.d_p_never, new.d_p_never_lo, new.d_p_never_hi
    verb = "lowers" if d < 0 else "raises" if d > 0 else "leaves"
    covers = "; not distinguishable from no change" if lo <= 0 <= hi else ""
    text = (f"{c.what} {verb} the share of runs that never reach the target within the "
            f"{res.horizon:g}-week horizon " + (f"unchanged at {new.p_never:.0%}" if d == 0 else
                                                f"from {old.p_never:.0%} to {new.p_never:.0%}")
            + f" ({_pct_points(d)}, 95% CI {lo * 100:+.0f} to {hi * 100:+.0f}{covers})")
    m_new, m_old = float(new["median"]), float(old["median"])  # .median is a Series method
    if np.isfinite(m_new) and np.isfinite(m_old):
        dm = new.d_median
        mcov = "; not distinguishable from no change" if new.d_median_lo <= 0 <= new.d_median_hi else ""
        text += (f", and the median time of the runs that reach it from {m_old:.1f} to "
                 f"{m_new:.1f} weeks ({_sn(dm)} weeks, "
                 f"{_ci(new.d_median_lo, new.d_median_hi, True)}{mcov})")
    elif np.isfinite(m_new):
        text += (f"; no run reached it before the change, and after it those that do take a median "
                 f"{m_new:.1f} weeks")
    elif np.isfinite(m_old):
        text += f"; after the change no run reaches it (before, a median {m_old:.1f} weeks)"
    return (text + f". Restricted mean time to target (secondary: it counts stuck runs at the "
            f"horizon): {old.rmst:.1f} to {new.rmst:.1f} weeks ({_sn(new.d_rmst)}, "
            f"{_ci(new.d_rmst_lo, new.d_rmst_hi, True)}).")


def _rule_finding(shapes: list[tuple], split: bool, also: float = 0.0) -> str:
    """The headline rule as applied, with the largest share of never-reaching runs it saw (in the
    contrasts, or ``also`` in other compared groups)."""
    worst = max([also] + [row.p_never for _, new, old in shapes for row in (new, old)])
    if split:
        return (f"Headline rule: in a compared group up to {worst:.0%} of runs never reach the target "
                f"(at least {an.SPLIT_SHARE:.0%} somewhere), so the runs split into those that reach "
                "it and those stuck at the horizon; the headline gives the change in the share that "
                "never reach it and in the median time of those that do, and the restricted mean "
                "only second.")
    return (f"Headline rule: at most {worst:.0%} of the runs in any compared group never reach the "
            f"target (below {an.SPLIT_SHARE:.0%}), so the restricted mean "
            + ("is the plain mean and " if worst == 0 else "") + "headlines.")


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


def _roles(best: int, worst: int, base: int | None) -> dict[str, int]:
    """The points shown run by run: best, baseline (when another point), worst (when another)."""
    roles = {"best": best}
    if base is not None and base not in (best, worst):
        roles["baseline"] = base
    if worst != best:
        roles["worst"] = worst
    return roles


def _target_levels(res: an.Results) -> list[tuple]:
    """(target, deploy columns, discover columns or None) of each fixed target in the results."""
    from sim.metrics import TARGET_LEVELS, deploy_columns, discover_columns

    have = set(res.runs.columns)
    out = []
    for level in TARGET_LEVELS:
        dep, dis = deploy_columns(level), discover_columns(level)
        if set(dep) <= have:
            out.append((level, dep, dis if set(dis) <= have else None))
    return out


def _per_point_figures(res, outcome, labels, best, worst, base, fg) -> list[Figure]:
    """Best, worst and baseline points run by run: Kaplan-Meier curves and fans of the series."""
    figures = []
    roles = _roles(best, worst, base)
    if outcome == an.SPEED and an.CENSORED in res.runs.columns:
        figures.append(Figure(
            "km", "Time to target, censoring included (Kaplan–Meier)",
            fg.km_curves(res, roles, labels),
            "Runs that never reach the target are censored at the horizon: the curve stays above "
            "zero instead of dropping them."))
    levels = _target_levels(res)
    if levels:
        figures.append(Figure(
            "km_targets", "Share of runs not yet at each target, per shown point",
            fg.km_targets(res, roles, labels, levels),
            "Each curve: Kaplan–Meier share of the point's runs whose deployed (solid) or best held "
            "(dotted) fitness has not yet reached the target; a curve ending above zero is the share "
            "that never reached it within the horizon."))
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
    findings, sentences, shape_sentences, shapes = [], [], [], []
    censoring = outcome == an.SPEED and an.CENSORED in res.runs.columns
    tech, cult = "levers.technology", "levers.culture"
    # the 'technology without culture' question: asked only when the design varies both
    both = tech in factors and cult in factors
    two = len(factors) == 2 and both
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
    if both:
        t_name, c_name = an.short_name(tech), an.short_name(cult)
        se = an.simple_effects(res, tech, cult, outcome, n_boot, seed)
        figs.append(Figure("simple_effects", f"{t_name.capitalize()} at each {c_name} level",
                           fg.simple_effects_bars(se, outcome),
                           f"The effect of {t_name} at the lowest and highest {c_name} level."))
        lo_c, hi_c = se.iloc[0], se.iloc[-1]
        helps = lo_c.effect * an.better_sign(outcome) > 0 and lo_c.significant
        goal = "speed up innovation" if outcome == an.SPEED else f"improve the {_oname(outcome)}"
        # 'alone' only when nothing else varies: then the other levers are fixed, not averaged over
        others = "" if two else f", averaged over the other {_plural(len(factors) - 2, 'factor', 'factors')}"
        subject = (f"{t_name.capitalize()} alone" if two
                   else f"At the lowest {c_name} level, {t_name}")
        tech_sentence = (
            f"{subject} {'does' if helps else 'does not'} {goal}: with {c_name} low "
            f"({lo_c.by_level:g}), raising {t_name} from {lo_c.low:g} to {lo_c.high:g} "
            f"{_change(outcome, lo_c.effect, lo_c.lo, lo_c.hi)}; with {c_name} high ({hi_c.by_level:g}) it "
            f"{_change(outcome, hi_c.effect, hi_c.lo, hi_c.hi)}{others}.")
        inter2 = an.interactions(res, outcome, [tech, cult], n_boot, seed)
        if len(inter2):
            i2 = inter2.iloc[0]
            verdict = (f"{c_name} changes what {t_name} delivers" if i2.significant
                       else f"no evidence that {c_name} changes what {t_name} delivers")
            unit = " weeks" if outcome == an.SPEED else ""
            tech_tail = (f"The {t_name} × {c_name} interaction is {_sn(i2.effect)}{unit} "
                         f"({_ci(i2.lo, i2.hi)}): {verdict}.")
        else:
            tech_tail = ""
        if censoring:
            contrasts = []
            for by in (lo_c, hi_c):
                at = (res.points[cult] == by.by_level).to_numpy()
                contrasts.append(Contrast(f"With {c_name} at {by.by_level:g}, raising {t_name} from "
                                          f"{by.low:g} to {by.high:g}", *an.level_masks(res, tech, at)))
            pair = _shapes(res, contrasts, n_boot, seed)
            shapes += pair
            if two:
                shape_sentences += [_shape_sentence(res, *x) for x in pair]
            else:
                findings += [_shape_sentence(res, *x) for x in pair]
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
            lead = (f"No lever helps beyond the noise. The largest estimate is {name.lower()}'s"
                    if len(levers) > 1 else f"{name} does not help beyond the noise")
        sentences.append(f"{lead}: raising it from {key.low:g} to {key.high:g} "
                         f"{_change(outcome, key.effect, key.lo, key.hi)}"
                         + (f" (other levers, high minus low: {others})." if others else "."))
        if censoring:
            shape_sentences += _lever_shapes(res, levers, n_boot, seed, shapes)
    b = summary.loc[best]
    reach = f", {b.reached:.0%} of its runs reach the target" if "reached" in summary else ""
    gets = ("has the lowest restricted mean time to target," if outcome == an.SPEED
            else f"gets a {_oname(outcome)} of")
    best_sentence = (f"The {'fastest' if outcome == an.SPEED else 'best'} combination, {b.label}, {gets} "
                     f"{_value(outcome, b.value, b.lo, b.hi)}{reach}")
    if base is not None and base != best:
        cp = an.compare_points(res, base, outcome, n_boot, seed)
        d = cp.loc[best]
        unit = " weeks" if outcome == an.SPEED else ""
        best_sentence += (f", against {_n(summary.loc[base, 'value'])}{unit} at the mid-level baseline "
                          f"(paired difference {_sn(d['diff'])}, {_ci(d.diff_lo, d.diff_hi)})")
    split = _split(shapes) if shapes else None
    if split:  # the restricted mean goes second: the shape sentences headline
        findings = ["Restricted mean view (secondary): " + " ".join(x for x in sentences if x)
                    ] + [best_sentence + "."] + findings
        sentences = shape_sentences
    else:
        (findings if two else sentences).append(best_sentence + ".")
        findings += [x for x in shape_sentences if two]
    if shapes:
        findings.append(_rule_finding(shapes, split))
    findings += _choice_findings(res, factors, n_boot, seed)
    every = [o for o in res.outcomes if o != an.CENSORED and res.runs[o].notna().any()]
    table = pd.concat([effects[o] if o in effects else an.main_effects(res, o, factors, n_boot, seed)
                       for o in every], keys=every, names=["outcome", None]).reset_index(level=0)
    return Report(res, " ".join(s for s in sentences if s), findings, figs, effects_all=table,
                  split=split)


def _choice_findings(res, numeric: list[str], n_boot: int, seed: int) -> list[str]:
    """A factor whose levels are choices (text, e.g. where advocates are placed) with two levels:
    its paired effect (second level against the first, every other factor averaged) on the share
    never reaching the target, the median time and the restricted mean (``_shape_sentence``)."""
    out = []
    if an.SPEED not in res.outcomes or an.CENSORED not in res.outcomes:
        return out
    for factor in res.factors:
        levels = list(dict.fromkeys(res.points[factor].dropna()))
        if factor in numeric or len(levels) != 2:
            continue
        c = Contrast(f"Changing {an.short_name(factor)} from {levels[0]} to {levels[1]}",
                     (res.points[factor] == levels[1]).to_numpy(),
                     (res.points[factor] == levels[0]).to_numpy())
        out += [_shape_sentence(res, *x) for x in _shapes(res, [c], n_boot, seed)]
    return out


def _lever_shapes(res, levers: pd.DataFrame, n_boot: int, seed: int, shapes: list) -> list[str]:
    """Each lever from lowest to highest level (others averaged) on P(never) and the median: the
    lever that lowers P(never) most in a sentence, the others' changes in P(never) after it."""
    contrasts = [Contrast(f"Raising {an.short_name(r.factor)} from {r.low:g} to {r.high:g}",
                          *an.level_masks(res, r.factor)) for r in levers.itertuples()]
    got = _shapes(res, contrasts, n_boot, seed)
    shapes += got
    names = [an.short_name(f) for f in levers["factor"]]
    k = min(range(len(got)), key=lambda i: (got[i][1].d_p_never, got[i][1].d_rmst))
    key = got[k]
    rest = "; ".join(f"{names[i]} {_pct_points(new.d_p_never)} "
                     f"[{new.d_p_never_lo * 100:+.0f}, {new.d_p_never_hi * 100:+.0f}]"
                     for i, (_, new, _) in enumerate(got) if i != k)
    return [_shape_sentence(res, *key)] + (
        [f"Other levers, highest minus lowest level, change in the share never reaching the target: "
         f"{rest}."] if rest else [])


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
    even = False
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
    split = None
    if outcome == an.SPEED and an.CENSORED in res.runs.columns:
        ref = base if base is not None and base != best else int(table.index[-1])
        if ref != best:
            ids = res.point_ids
            what = ("the even split" if base == ref and even else
                    "the mix nearest an even split" if base == ref else
                    "the mix with the highest restricted mean time to target")
            shapes = _shapes(res, [Contrast(f"Moving from {what} ({table.loc[ref, 'label']}) to the "
                                            f"mix with the lowest restricted mean ({b.label})",
                                            ids == best, ids == ref)], n_boot, seed)
            # the mixes the headline calls indistinguishable from the best are compared too
            near_ids = [int(p) for p in near.index if p != best]
            near_shape = (an.shape_contrast(res, {p: ids == p for p in near_ids}, None, an.SPEED,
                                            an.CENSORED, n_boot, seed) if near_ids else None)
            near_p = near_shape["p_never"] if near_shape is not None else pd.Series(dtype=float)
            split = _split(shapes) or an.is_split(near_p)
            if split:
                findings.insert(0, "Restricted mean view (secondary): " + head)
                stuck = near_p[near_p > 0]
                head = _shape_sentence(res, *shapes[0]) + (
                    f" Of the {_plural(len(near_p), 'mix', 'mixes')} the restricted mean cannot tell "
                    f"from the best, {len(stuck)} {'has' if len(stuck) == 1 else 'have'} runs that never "
                    "reach the target" + (f" (up to {stuck.max():.0%})" if len(stuck) else "") + "."
                    if len(near_p) else "")
            findings.append(_rule_finding(shapes, split, near_p.max() if len(near_p) else 0.0))
    return Report(res, head, findings, figs, split=split)


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
    mean = "Restricted mean" if outcome == an.SPEED else "Mean"
    findings.append(f"{mean} {_oname(outcome)} by the lever switched on first: "
                    + ", ".join(f"{k} {_n(v)}" for k, v in first.sort_values().items()) + ".")
    split = None
    if outcome == an.SPEED and an.CENSORED in res.runs.columns:
        ids = res.point_ids
        pact_id = int(table.index[table[an.ORDER_COLUMN] == an.PACT_ORDER][0])
        other = table.drop(tied.index) if an.PACT_ORDER in set(tied[an.ORDER_COLUMN]) else table.iloc[:1]
        if len(other):
            o = other.iloc[0]
            c = (Contrast(f"Switching from {o.label} to {ref_label}", ids == pact_id, ids == o.name)
                 if an.PACT_ORDER in set(tied[an.ORDER_COLUMN])
                 else Contrast(f"Switching from {ref_label} to {o.label}", ids == o.name, ids == pact_id))
            shapes = _shapes(res, [c], n_boot, seed)
            split = _split(shapes)
            if split:
                findings.insert(0, "Restricted mean view (secondary): " + head)
                head = _shape_sentence(res, *shapes[0])
            findings.append(_rule_finding(shapes, split))
    figs = [Figure("order_ranking", f"The {n} investment orders", fg.order_bars(table, outcome, ref_label)),
            Figure("order_diff", f"Each order against {ref_label}",
                   fg.ranking_forest(table, outcome, ref_label,
                                     title_text=f"Paired difference to {ref_label} (95% intervals; green "
                                                "faster, red slower)"))]
    return Report(res, head, findings, figs, split=split)


def _identical_orders(res: an.Results, outcome: str, table: pd.DataFrame) -> list[str]:
    """Orders with the same outcome in every replicate, what they share, and why they tie when
    the data says why: every run of theirs censored (none reached the target), or every run
    reaching it before the first lever on which they differ switches on (the manifest's
    ``levers.schedule.starts``). Otherwise only the fact is stated."""
    y = pd.DataFrame(an.outcome_matrix(res, outcome), index=res.point_ids)
    labels = table["label"]
    starts = an.schedule_starts(res)
    speed = outcome == an.SPEED and an.CENSORED in res.runs.columns
    out = []
    for _, group in y.groupby(list(y.columns), dropna=False):
        if len(group) < 2:
            continue
        orders = [str(res.points.loc[p, an.ORDER_COLUMN]).split(">") for p in group.index]
        same = next(i for i in range(len(LEVERS)) if len({tuple(o[:i + 1]) for o in orders}) > 1)
        text = (f"{' and '.join(labels[p] for p in group.index)} give the same {_oname(outcome)} in "
                "every replicate")
        if same:
            text += (f"; they switch on the same first {_plural(same, 'lever', 'levers')} and differ "
                     f"from position {same + 1} on")
        runs = res.runs[res.runs["point"].isin(group.index)]
        if speed and runs[an.CENSORED].all():
            text += (f": none of their runs reaches the target within the {res.horizon:g}-week "
                     "horizon, so the order cannot show in the time to target")
        elif speed and same and starts is not None and not runs[an.CENSORED].any() \
                and float(runs[an.SPEED].max()) <= starts[same]:
            text += (f": every one of their runs reached the target by week "
                     f"{int(runs[an.SPEED].max())}, before the lever in position {same + 1} switches "
                     f"on (week {starts[same]}), which came too late to matter")
        out.append(text + ".")
    return out


def _sobol(res, outcome, summary, factors, fg) -> Report:
    try:
        si = an.sobol_indices(res, outcome)
    except ValueError as e:
        return Report(res, f"Sobol indices cannot be computed: {e}.")
    n_base = int(si.N.iloc[0])
    ok = si[si["ST_resolved"]]
    unresolved = [an.short_name(x) for x in si.loc[~si["ST_resolved"], "name"]]
    why = (f"above 1, below 0 by more than its interval, or with a 95% interval wider than "
           f"{an.SOBOL_MAX_WIDTH:g}")
    # a driver: resolved and its interval excludes 0 (a resolved 0.00 ± 0.00 is 'no influence')
    zero = ok[ok["ST"] <= ok["ST_conf"]]
    ok = ok[ok["ST"] > ok["ST_conf"]]
    if ok.empty:
        head = (f"No total Sobol index of {_oname(outcome)} is both resolved and distinguishable from 0 "
                f"at N = {n_base} base samples" + (
                    f": {_plural(len(unresolved), 'index is', 'indices are')} unresolved ({why})"
                    if unresolved else "") + ". The design is too small to rank the parameters.")
    else:
        a, b = ok.iloc[0], ok.iloc[1] if len(ok) > 1 else None
        head = (f"Of the resolved indices, {_oname(outcome)} is driven mostly by "
                f"{an.short_name(a['name'])} (total Sobol index ST {a.ST:.2f} ± {a.ST_conf:.2f}, 95%)"
                + (f" and {an.short_name(b['name'])} ({b.ST:.2f} ± {b.ST_conf:.2f})" if b is not None
                   else "") + ".")
        levers = ok[ok["name"].isin(an.LEVER_COLUMNS)]
        all_levers = si[si["name"].isin(an.LEVER_COLUMNS)]
        if len(levers):
            lv = levers.iloc[0]  # sorted by ST
            head += (f" Of the levers, {an.short_name(lv['name'])} matters most (ST {lv.ST:.2f} ± "
                     f"{lv.ST_conf:.2f}).")
        if len(all_levers) and all_levers["S1_resolved"].all() and all_levers["ST_resolved"].all():
            via = (": most of the levers' influence runs through interactions"
                   if all_levers.S1.sum() < 0.5 * all_levers.ST.sum() else "")
            head += (f" The {len(all_levers)} levers' first-order indices sum to "
                     f"{all_levers.S1.sum():.2f}{via}.")
        if unresolved:
            head += (f" Unresolved (ST {why}; N = {n_base} base samples): "
                     f"{', '.join(unresolved)}.")
    if len(zero):
        head += (" Resolved and indistinguishable from 0 (ST within its interval of 0): "
                 + ", ".join(f"{an.short_name(r['name'])} ({r.ST:.2f} ± {r.ST_conf:.2f})"
                             for _, r in zero.iterrows()) + ".")
    findings = [f"Indices from SALib (Saltelli/Sobol, second order sampled) on the replicate-averaged "
                f"outcome of each of {len(res.point_ids)} points (N = {n_base}). ST − S1 "
                "measures a parameter's share through interactions; ± is the half-width of SALib's "
                f"{an.LEVEL:.0%} bootstrap interval ({an.SOBOL_RESAMPLES} resamples, seed "
                f"{an.SOBOL_SEED}). An index is called unresolved, not a finding, when it is {why}."]
    neg = si[si["S1"] < -si["S1_conf"]]
    if len(neg):
        findings.append(f"{_plural(len(neg), 'first-order estimate is', 'first-order estimates are')} "
                        f"negative beyond its interval ({', '.join(an.short_name(x) for x in neg['name'])}): "
                        "N is too small.")
    figs = [Figure("sobol", "Sobol sensitivity indices", fg.sobol_bars(si, outcome),
                   "Hatched bars are unresolved estimates.")]
    if factors:
        figs.append(Figure("points", "Outcome against each parameter", fg.scatter_factors(summary, factors,
                                                                                          outcome)))
    return Report(res, head, findings, figs, sobol=si)
