"""The report's robustness section: how many plausible worlds each answer holds in, where it fails
(PRIM), what drives the failure, and the regret of the options (``sim.robustness`` in, sentences,
plotly figures and an HTML table out). Every number is computed from the results it describes."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from sim import analysis as an
from sim import robustness as rb
from sim.report_sections import Figure

_PALETTE = ("#4575b4", "#d73027", "#1a9850", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999")


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _unit(outcome: str) -> str:
    return " weeks" if outcome == an.SPEED else ""


def intro(res: an.Results, rob: rb.Robustness) -> str:
    """What was sampled and how a world's verdict is reached."""
    space = (res.manifest.design.uncertainties or {}) if res.manifest.design else {}
    names = ", ".join(an.short_name(c) if c.count(".") == 1 else c for c in res.uncertain)
    sampler = {"lhs": "a Latin hypercube", "sobol": "a scrambled Sobol' sequence"}.get(
        space.get("sampler", ""), "a sample")
    reps = (f"{rob.replicates} replicate{'s' if rob.replicates != 1 else ''} per point and world"
            + (", so each world's verdict carries that seed's noise too" if rob.replicates == 1
               else ""))
    return (f"Each answer was checked in {rob.n_worlds} plausible worlds, drawn by {sampler} over "
            f"{len(res.uncertain)} uncertainties ({names}). Every design point ran in every world "
            f"on the same seeds (common random numbers), {reps}. A claim's share of worlds comes "
            f"with its 95% Wilson interval.")


def sentences(rob: rb.Robustness) -> list[str]:
    """One sentence per claim: its share of worlds, where it fails and what predicts failing."""
    out = []
    for f in rob.findings:
        p, lo, hi, n = f.share
        if n == 0:
            out.append(f"“{f.claim.text}” could not be decided in any world (runs failed).")
            continue
        if p == 1.0:
            s = f"“{f.claim.text}” holds in all {n} worlds (95% CI {_pct(lo)} to 100%)."
        elif p == 0.0:
            s = f"“{f.claim.text}” holds in none of the {n} worlds (95% CI 0% to {_pct(hi)})."
        else:
            s = (f"“{f.claim.text}” holds in {_pct(p)} of {n} worlds (95% CI {_pct(lo)} to "
                 f"{_pct(hi)}).")
            verb, does = f.exception, "fail" if f.exception == "fails" else "hold"
            if f.box is not None:
                s += (f" It {verb} mostly where {f.box.describe()}: that box holds "
                      f"{_pct(f.box.coverage)} of the worlds where it {verb} (coverage), and it "
                      f"{verb} in {_pct(f.box.density)} of the worlds in the box (density).")
            if len(f.scores):
                top = f.scores.head(2)
                s += (f" The uncertainties that best predict where it {does}s: "
                      + ", ".join(f"{k} ({v:.2f})" for k, v in top.items()) + " (extra-trees "
                      "feature scores, summing to 1 over all uncertainties).")
        out.append(s)
    if rob.regret is not None and len(rob.regret):
        t = rob.regret
        q = f"p{round(rob.quantile * 100)}"
        worst = t.index[0]
        by_q = t.sort_values([q, "mean"], kind="stable").index[0]
        u = _unit(rob.outcome)
        s = (f"Regret (each option against the best option in the same world): the least worst-case "
             f"regret is {worst}'s, {t.loc[worst, 'max']:.1f}{u} at worst and "
             f"{t.loc[worst, q]:.1f}{u} at the {round(rob.quantile * 100)}th percentile")
        s += (", also the least at the 90th percentile." if by_q == worst else
              f"; the least at the {round(rob.quantile * 100)}th percentile is {by_q}'s, "
              f"{t.loc[by_q, q]:.1f}{u} (worst case {t.loc[by_q, 'max']:.1f}{u}).")
        out.append(s)
    return out


def figures(res: an.Results, rob: rb.Robustness) -> list[Figure]:
    """PRIM's coverage-density trade-off and the chosen boxes, for claims that fail somewhere."""
    boxed = [f for f in rob.findings if f.box is not None]  # the exception's box: fails or holds
    if not boxed:
        return []
    trade = go.Figure()
    for i, f in enumerate(boxed):
        t, color = f.box.trajectory, _PALETTE[i % len(_PALETTE)]
        trade.add_trace(go.Scatter(x=t["coverage"], y=t["density"], mode="lines+markers",
                                   name=f"{f.claim.text} ({f.exception})", line={"color": color},
                                   text=[f"{int(d)} restricted" for d in t["res_dim"]]))
        trade.add_trace(go.Scatter(x=[f.box.coverage], y=[f.box.density], mode="markers",
                                   marker={"size": 14, "symbol": "star", "color": color},
                                   showlegend=False, hovertext="chosen box"))
    trade.update_layout(xaxis_title="coverage (share of the exception's worlds inside the box)",
                        yaxis_title="density (share of the box's worlds that are exceptions)",
                        xaxis_range=[0, 1.02], yaxis_range=[0, 1.02], height=430,
                        legend={"orientation": "h", "y": -0.25})
    space = (res.manifest.design.uncertainties or {}).get("parameters", {})
    limits = go.Figure()
    rows = []
    for i, f in enumerate(boxed):
        for name, lim in f.box.limits.items():
            rng = space.get(name, {}).get("range")
            if isinstance(lim, frozenset) or rng is None:
                continue
            lo, hi = rng
            a = 0.0 if lim[0] is None else (lim[0] - lo) / (hi - lo)
            b = 1.0 if lim[1] is None else (lim[1] - lo) / (hi - lo)
            rows.append((f"{name} ({i + 1})", a, b, _PALETTE[i % len(_PALETTE)], f.claim.text))
    figs = [Figure("prim-tradeoff", "Where the answers fail: PRIM's peeling trajectories", trade,
                   "Each line is a claim's PRIM peeling trajectory for its exception (the worlds "
                   "where it fails, or where it holds when it fails in most); the star is the box "
                   f"the report describes: the densest covering at least {rb.COVERAGE_MIN:.0%} of "
                   f"the exception's worlds on at most {rb.MAX_DIMS} uncertainties.")]
    if rows:
        for label, a, b, color, text in rows:
            limits.add_trace(go.Bar(y=[label], x=[b - a], base=[a], orientation="h",
                                    marker_color=color, name=text, showlegend=False,
                                    hovertext=text))
        limits.update_layout(xaxis_title="box limits as a share of the sampled range",
                             xaxis_range=[0, 1], height=120 + 40 * len(rows), barmode="overlay")
        figs.append(Figure("prim-boxes", "The PRIM boxes on each uncertainty", limits,
                           "Each bar spans the part of an uncertainty's sampled range inside a "
                           "claim's box (numbered in the trade-off's legend's order)."))
    return figs


def regret_table(rob: rb.Robustness, top: int = 10) -> str:
    if rob.regret is None or rob.regret.empty:
        return ""
    t = rob.regret.head(top)
    q = f"p{round(rob.quantile * 100)}"
    u = html.escape(_unit(rob.outcome).strip() or "outcome units")
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{r['max']:.1f}</td><td>{r[q]:.1f}</td>"
                   f"<td>{r['mean']:.1f}</td><td>{int(r.worlds)}</td></tr>" for k, r in t.iterrows())
    return (f"<h3>Regret ({u}), least worst case first</h3><table><tr><th>option</th><th>worst</th>"
            f"<th>{round(rob.quantile * 100)}th percentile</th><th>mean</th><th>worlds</th></tr>"
            f"{rows}</table>")


def section_html(res: an.Results, rob: rb.Robustness, heading: str = "h2") -> str:
    """The section as HTML, under an ``<h2>`` (a report) or ``<h3>`` (a study's question)."""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences(rob))
    anchor = " id='robustness'" if heading == "h2" else ""
    return (f"<{heading}{anchor}>Robustness across plausible worlds</{heading}>"
            f"<p>{html.escape(intro(res, rob))}</p><ul id='robust-findings'>{items}</ul>"
            + regret_table(rob))

