"""Plotly figures of an experiment's analysis (sim.analysis tables in, ``go.Figure`` out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim import analysis as an

COLORS = {"process": "#1b9e77", "advocates": "#d95f02", "culture": "#7570b3", "technology": "#e7298a"}
ROLE_COLORS = {"best": "#1a9850", "baseline": "#4575b4", "worst": "#d73027"}
OUTCOME_TITLES = {
    an.SPEED: "time to target (weeks, RMST)", "final_fitness": "final deployed fitness",
    "mean_fitness": "mean deployed fitness", "customer_value": "customer value",
    "final_platform_adoption": "final platform adoption", "final_hero_share": "final HERO share",
    "launches_per_year": "launches per year", "lead_time_median": "median lead time (weeks)",
    "lead_time_p90": "90th pct lead time (weeks)", "crossed_unit_share": "share of cross-unit launches",
    "launches": "launches", "innovation_censored": "share of runs censored",
    "discovery_time": "weeks until discovered ≥ run target", "discovery_censored": "share never discovered",
}
SHORT_TITLES = {an.SPEED: "RMST (weeks)", "final_fitness": "fitness", "customer_value": "value",
                "final_platform_adoption": "adoption"}
SERIES_TITLES = {"deployed_fitness": "deployed fitness", "platform_users": "platform adoption (share)"}


def title(outcome: str) -> str:
    if outcome in OUTCOME_TITLES:
        return OUTCOME_TITLES[outcome]
    kind, _, tag = outcome.partition("_time_") if "_time_" in outcome else outcome.partition("_never_")
    if tag.isdigit() and kind in ("deploy", "discover"):  # the fixed targets' columns
        what = "deployed" if kind == "deploy" else "discovered"
        level = f"{int(tag) / 100:g}"
        return (f"weeks until {what} ≥ {level}" if "_time_" in outcome
                else f"share never {what} ≥ {level}")
    return outcome.replace("_", " ")


def short_title(outcome: str) -> str:
    return SHORT_TITLES.get(outcome, title(outcome)[:16])


def _color(factor: str, i: int = 0) -> str:
    palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
    return COLORS.get(an.short_name(factor), palette[i % len(palette)])


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _layout(fig: go.Figure, title_text: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=dict(text=title_text, x=0.01, xanchor="left"), height=height,
                      template="plotly_white", margin=dict(l=70, r=30, t=80, b=60),
                      legend=dict(orientation="h", y=-0.18))
    return fig


def effects_forest(effects: dict[str, pd.DataFrame]) -> go.Figure:
    """Main effects (highest minus lowest level) with 95% intervals, one panel per outcome."""
    outcomes = list(effects)
    fig = make_subplots(rows=1, cols=len(outcomes), shared_yaxes=True,
                        subplot_titles=[title(o) for o in outcomes], horizontal_spacing=0.04)
    for j, o in enumerate(outcomes, start=1):
        eff = effects[o]
        names = [an.short_name(f) for f in eff["factor"]]
        fig.add_trace(go.Scatter(
            x=eff["effect"], y=names, mode="markers",
            marker=dict(size=10, color=[_color(f, i) for i, f in enumerate(eff["factor"])]),
            error_x=dict(type="data", symmetric=False, array=eff["hi"] - eff["effect"],
                         arrayminus=eff["effect"] - eff["lo"], thickness=2),
            customdata=np.stack([eff["lo"], eff["hi"], eff["low"], eff["high"]], axis=1),
            hovertemplate="%{y}: %{x:.3g} [%{customdata[0]:.3g}, %{customdata[1]:.3g}]"
                          "<br>level %{customdata[2]} → %{customdata[3]}<extra></extra>",
            showlegend=False), row=1, col=j)
        fig.add_vline(x=0, line=dict(color="#888", dash="dot"), row=1, col=j)
    _layout(fig, "Lever effects: highest minus lowest level, with 95% bootstrap intervals "
                 "(for time to target, negative = faster)", 380)
    return fig


def levels(mm: pd.DataFrame, outcome: str) -> go.Figure:
    """Marginal mean of an outcome at each level of each factor, with 95% bands."""
    fig = go.Figure()
    for i, (f, g) in enumerate(mm.groupby("factor", sort=False)):
        c = _color(f, i)
        fig.add_trace(go.Scatter(x=np.r_[g["level"], g["level"][::-1]], y=np.r_[g["hi"], g["lo"][::-1]],
                                 fill="toself", fillcolor=_rgba(c, 0.15), line=dict(width=0),
                                 hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=g["level"], y=g["value"], mode="lines+markers", name=an.short_name(f),
                                 line=dict(color=c, width=3),
                                 customdata=np.stack([g["lo"], g["hi"]], axis=1),
                                 hovertemplate=an.short_name(f) + " %{x}: %{y:.3g} "
                                 "[%{customdata[0]:.3g}, %{customdata[1]:.3g}]<extra></extra>"))
    fig.update_xaxes(title="lever level")
    fig.update_yaxes(title=title(outcome))
    return _layout(fig, f"{title(outcome).capitalize()} at each lever level (other levers averaged), "
                        "95% bands")


def interaction_heatmap(inter: pd.DataFrame, factors: list[str], outcome: str) -> go.Figure:
    """Two-way interaction contrasts of every pair of factors, as a symmetric matrix."""
    names = [an.short_name(f) for f in factors]
    n = len(factors)
    z = np.full((n, n), np.nan)
    text = np.full((n, n), "", dtype=object)
    pos = {f: i for i, f in enumerate(factors)}
    for r in inter.itertuples():
        i, j = pos[r.factor_a], pos[r.factor_b]
        star = " *" if r.significant else ""
        label = f"{r.effect:+.2f}{star}<br>[{r.lo:+.2f}, {r.hi:+.2f}]"
        z[i, j] = z[j, i] = r.effect
        text[i, j] = text[j, i] = label
    lim = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(go.Heatmap(z=z, x=names, y=names, text=text, texttemplate="%{text}",
                               colorscale="RdBu_r", zmid=0, zmin=-lim, zmax=lim,
                               colorbar=dict(title="contrast"),
                               hovertemplate="%{y} × %{x}: %{z:.3g}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, f"Two-way interactions on {title(outcome)}: (hi,hi) − (lo,hi) − (hi,lo) + (lo,lo), "
                        "95% intervals; * = excludes 0", 460)


def cell_heatmap(cells: pd.DataFrame, a: str, b: str, outcome: str) -> go.Figure:
    """Mean outcome for each pair of levels of two factors (others averaged)."""
    fig = go.Figure(go.Heatmap(
        z=cells.to_numpy(), x=[f"{v:g}" for v in cells.columns], y=[f"{v:g}" for v in cells.index],
        text=np.vectorize(lambda v: f"{v:.3g}")(cells.to_numpy()), texttemplate="%{text}",
        colorscale="Viridis_r" if outcome in an.LOWER_IS_BETTER else "Viridis",
        colorbar=dict(title=short_title(outcome)),
        hovertemplate=f"{an.short_name(a)} %{{y}}, {an.short_name(b)} %{{x}}: %{{z:.3g}}<extra></extra>"))
    fig.update_xaxes(title=an.short_name(b), type="category")
    fig.update_yaxes(title=an.short_name(a), type="category")
    return _layout(fig, f"{title(outcome).capitalize()} by {an.short_name(a)} and {an.short_name(b)} "
                        "(other levers averaged)", 420)


def simple_effects_bars(se: pd.DataFrame, outcome: str) -> go.Figure:
    """Effect of one factor at each level of another, with 95% intervals."""
    f, by = an.short_name(se["factor"].iloc[0]), an.short_name(se["by"].iloc[0])
    x = [f"{by} {v:g}" for v in se["by_level"]]
    fig = go.Figure(go.Bar(
        x=x, y=se["effect"], marker_color=[_color(se["factor"].iloc[0])] * len(se),
        error_y=dict(type="data", symmetric=False, array=se["hi"] - se["effect"],
                     arrayminus=se["effect"] - se["lo"], thickness=2),
        hovertemplate="%{x}: %{y:.3g}<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#888"))
    fig.update_yaxes(title=f"change in {title(outcome)}")
    low, high = se["low"].iloc[0], se["high"].iloc[0]
    return _layout(fig, f"Effect of raising {f} from {low:g} to {high:g}, at each level of {by} "
                        "(95% intervals)", 400)


def km_curves(res: an.Results, points: dict[str, int], labels: pd.Series) -> go.Figure:
    """Kaplan-Meier curves of 'not yet at target' for a few points; censored runs end at the horizon."""
    fig = go.Figure()
    tau = res.horizon
    for role, p in points.items():
        runs = res.runs[res.runs["point"] == p]
        km = an.survival_curve(runs[an.SPEED], runs[an.CENSORED])
        x = np.r_[0.0, km["time"], tau]
        y = np.r_[1.0, km["survival"], km["survival"].iloc[-1] if len(km) else 1.0]
        area = an.rmst(runs[an.SPEED], runs[an.CENSORED], tau)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line_shape="hv",
                                 line=dict(color=ROLE_COLORS.get(role), width=3),
                                 name=f"{role}: {labels.get(p, p)} (RMST {area:.1f})"))
    fig.update_xaxes(title="week", range=[0, tau])
    fig.update_yaxes(title="share of runs not yet at target", range=[0, 1.02])
    return _layout(fig, "Kaplan–Meier: share of runs not yet at target fitness (the area under each curve "
                        "up to the horizon is the RMST)", 420)


TARGET_COLORS = ("#fdae61", "#f46d43", "#d73027", "#a50026", "#67001f")


def km_targets(res: an.Results, points: dict[str, int], labels: pd.Series,
               levels: list[tuple[float, tuple[str, str], tuple[str, str] | None]]) -> go.Figure:
    """One panel per shown point: the Kaplan-Meier share of runs not yet at each target (SciPy's
    estimate, an.survival_curve) over time, deployment solid and discovery dotted. ``levels``: (target,
    (deploy time, flag) columns, (discover time, flag) columns or None)."""
    tau = res.horizon
    roles = list(points)
    fig = make_subplots(rows=1, cols=len(roles), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[f"{r}: {labels.get(points[r], points[r])}" for r in roles])
    for j, role in enumerate(roles, start=1):
        runs = res.runs[res.runs["point"] == points[role]]
        for k, (target, deploy, discover) in enumerate(levels):
            color = TARGET_COLORS[k % len(TARGET_COLORS)]
            for cols, dash, what in ((deploy, "solid", "deployed"), (discover, "dot", "discovered")):
                if cols is None:
                    continue
                km = an.survival_curve(runs[cols[0]].clip(upper=tau), runs[cols[1]])
                x = np.r_[0.0, km["time"], tau]
                y = np.r_[1.0, km["survival"], km["survival"].iloc[-1] if len(km) else 1.0]
                fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line_shape="hv",
                                         line=dict(color=color, width=2.5, dash=dash),
                                         name=f"{what} ≥ {target:g}", legendgroup=f"{what}{target}",
                                         showlegend=j == 1), row=1, col=j)
        fig.update_xaxes(title="week", range=[0, tau], row=1, col=j)
    fig.update_yaxes(title="share of runs not yet at target", range=[0, 1.02], row=1, col=1)
    return _layout(fig, "Share of runs not yet at each target over time (Kaplan–Meier; solid: deployed "
                        "fitness, dotted: best fitness held anywhere)", 440)


def fans(res: an.Results, points: dict[str, int], labels: pd.Series,
         series=("deployed_fitness", "platform_users")) -> go.Figure:
    """Median and 10-90% band over replicates of per-step series, for a few points."""
    series = [s for s in series if s in res.timeseries.columns]
    fig = make_subplots(rows=1, cols=len(series), subplot_titles=[SERIES_TITLES.get(s, s) for s in series],
                        horizontal_spacing=0.08)
    for j, s in enumerate(series, start=1):
        for role, p in points.items():
            q = an.fan(res, p, s)
            c = ROLE_COLORS.get(role, "#444")
            fig.add_trace(go.Scatter(x=np.r_[q["step"], q["step"][::-1]], y=np.r_[q["q90"], q["q10"][::-1]],
                                     fill="toself", fillcolor=_rgba(c, 0.15), line=dict(width=0),
                                     hoverinfo="skip", showlegend=False), row=1, col=j)
            fig.add_trace(go.Scatter(x=q["step"], y=q["q50"], mode="lines", line=dict(color=c, width=2.5),
                                     name=f"{role}: {labels.get(p, p)}", showlegend=j == 1,
                                     legendgroup=role), row=1, col=j)
        fig.update_xaxes(title="week", row=1, col=j)
    return _layout(fig, "Over time: median and 10–90% band over replicates", 440)


def simplex_facets(table: pd.DataFrame, outcome: str) -> go.Figure:
    """The budget simplex as heatmaps: process share × culture share, one panel per technology share
    (advocates take the rest); the best mix is starred, mixes indistinguishable from it ringed."""
    p, a, c, t = an.BUDGET_COLUMNS
    tvals = np.sort(table[t].round(6).unique())
    step = float(np.diff(tvals).min()) if len(tvals) > 1 else 1.0
    cols = min(len(tvals), 6)
    rows = int(np.ceil(len(tvals) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"technology {v:g}" for v in tvals],
                        horizontal_spacing=0.03, vertical_spacing=0.12)
    zmin, zmax = float(table["value"].min()), float(table["value"].max())
    best = table.iloc[0]
    for k, tv in enumerate(tvals):
        r, cc = k // cols + 1, k % cols + 1
        sub = table[np.isclose(table[t], tv)].round({p: 6, c: 6})
        # on the full regular grid of the panel, so a panel with one cell still draws it one step wide
        axis = np.round(np.arange(0.0, 1.0 - tv + step / 2, step), 6)
        grid = sub.pivot_table(index=c, columns=p, values="value").reindex(index=axis, columns=axis)
        adv = sub.pivot_table(index=c, columns=p, values=a).reindex(index=axis, columns=axis)
        fig.add_trace(go.Heatmap(
            z=grid.to_numpy(), x0=0.0, dx=step, y0=0.0, dy=step, customdata=adv.to_numpy(),
            coloraxis="coloraxis",
            hovertemplate="process %{x:.2g}, culture %{y:.2g}, advocates %{customdata:.2g}, "
                          f"technology {tv:.2g}<br>{title(outcome)}: %{{z:.3g}}<extra></extra>"),
            row=r, col=cc)
        ties = sub[sub["covers_zero"]]
        if len(ties):
            fig.add_trace(go.Scatter(x=ties[p], y=ties[c], mode="markers", showlegend=k == 0,
                                     name="indistinguishable from best", legendgroup="ties",
                                     marker=dict(symbol="circle", size=8, color="white",
                                                 line=dict(width=1.5, color="black")), hoverinfo="skip"),
                          row=r, col=cc)
        if np.isclose(best[t], tv):
            fig.add_trace(go.Scatter(x=[best[p]], y=[best[c]], mode="markers", name="best mix",
                                     marker=dict(symbol="star", size=16, color="gold",
                                                 line=dict(color="black", width=1)),
                                     hoverinfo="skip"), row=r, col=cc)
        fig.update_xaxes(title="process" if r == rows else None, range=[-0.05, 1.05], row=r, col=cc)
        fig.update_yaxes(title="culture" if cc == 1 else None, range=[-0.05, 1.05], row=r, col=cc)
    fig.update_layout(coloraxis=dict(colorscale="Viridis_r" if outcome in an.LOWER_IS_BETTER else "Viridis",
                                     cmin=zmin, cmax=zmax, colorbar=dict(title=short_title(outcome))))
    return _layout(fig, f"Budget simplex: {title(outcome)} by mix (advocates = 1 − the other three)",
                   260 * rows + 140)


def ranking_forest(table: pd.DataFrame, outcome: str, reference_label: str, top: int | None = None,
                   title_text: str = "") -> go.Figure:
    """Paired differences to a reference point (point − reference, replicate by replicate), best first,
    with 95% intervals; green/red where the interval excludes 0."""
    t = table.head(top) if top else table
    t = t.iloc[::-1]  # best at the top
    colors = np.where(t["better"], "#1a9850", np.where(t["worse"], "#d73027", "#777777"))
    fig = go.Figure(go.Scatter(
        x=t["diff"], y=t["label"], mode="markers", marker=dict(size=9, color=colors),
        error_x=dict(type="data", symmetric=False, array=t["diff_hi"] - t["diff"],
                     arrayminus=t["diff"] - t["diff_lo"], thickness=1.5),
        customdata=np.stack([t["value"], t["diff_lo"], t["diff_hi"], t["p_best"]], axis=1),
        hovertemplate="%{y}: %{customdata[0]:.3g}; diff %{x:+.3g} "
                      "[%{customdata[1]:+.3g}, %{customdata[2]:+.3g}]; P(best) %{customdata[3]:.2f}"
                      "<extra></extra>", showlegend=False))
    fig.add_vline(x=0, line=dict(color="#888", dash="dot"))
    fig.update_xaxes(title=f"difference in {title(outcome)} vs {reference_label}")
    fig.update_yaxes(type="category")
    return _layout(fig, title_text or f"Paired difference to {reference_label} (95% intervals)",
                   max(360, 22 * len(t) + 160))


def order_bars(table: pd.DataFrame, outcome: str, reference_label: str) -> go.Figure:
    """The investment orders ranked by their mean outcome with 95% intervals; the reference marked."""
    t = table.iloc[::-1]
    colors = np.where(t["label"] == reference_label, "#e7298a", "#7570b3")
    fig = go.Figure(go.Bar(
        x=t["value"], y=t["label"], orientation="h", marker_color=colors,
        error_x=dict(type="data", symmetric=False, array=t["hi"] - t["value"],
                     arrayminus=t["value"] - t["lo"], thickness=1.5),
        customdata=np.stack([t["rank"], t["p_best"]], axis=1),
        hovertemplate="#%{customdata[0]} %{y}: %{x:.3g}; P(best) %{customdata[1]:.2f}<extra></extra>"))
    fig.update_yaxes(type="category")
    fig.update_xaxes(title=title(outcome))
    return _layout(fig, f"The {len(t)} investment orders ranked by {title(outcome)} (best at the top; "
                        f"{reference_label} highlighted)", 22 * len(t) + 160)


def sobol_bars(si: pd.DataFrame, outcome: str) -> go.Figure:
    """First-order and total Sobol indices with their 95% intervals."""
    names = [an.short_name(n) for n in si["name"]]
    fig = go.Figure()
    for col, color, label in (("S1", "#7570b3", "first order S1"), ("ST", "#d95f02", "total ST")):
        ok = si[f"{col}_resolved"] if f"{col}_resolved" in si.columns else pd.Series(True, si.index)
        fig.add_trace(go.Bar(x=names, y=si[col], name=label, marker_color=color,
                             marker_pattern_shape=np.where(ok, "", "/"),  # hatched: unresolved
                             customdata=np.where(ok, "", " (unresolved)"),
                             hovertemplate="%{x}: %{y:.2f}%{customdata}<extra></extra>",
                             error_y=dict(type="data", array=si[f"{col}_conf"], thickness=1.5)))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="Sobol index")
    n = int(si["N"].iloc[0]) if "N" in si.columns else 0
    return _layout(fig, f"Sobol indices of {title(outcome)} (SALib, N = {n}, replicate-averaged; "
                        "95% intervals)", 420)


def scatter_factors(summary: pd.DataFrame, factors: list[str], outcome: str) -> go.Figure:
    """Each point's outcome against each varied parameter (for LHS and other space-filling designs)."""
    fig = make_subplots(rows=1, cols=len(factors), shared_yaxes=True,
                        subplot_titles=[an.short_name(f) for f in factors])
    for j, f in enumerate(factors, start=1):
        fig.add_trace(go.Scatter(x=summary[f], y=summary["value"], mode="markers", showlegend=False,
                                 marker=dict(size=5, color=_color(f, j - 1), opacity=0.6)), row=1, col=j)
    fig.update_yaxes(title=title(outcome), row=1, col=1)
    return _layout(fig, f"{title(outcome).capitalize()} of each design point against each parameter", 380)
