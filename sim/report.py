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
from pathlib import Path

import pandas as pd

from sim import analysis as an
from sim.report_sections import (
    _SECTIONS,
    Figure,
    Report,
    _n,
    _per_point_figures,
    _plural,
    _points,
    _roles,
    _SectionArgs,
)
from sim.sweep import manifest as mf

CHROMIUM = os.environ.get("PACTSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
MIN_REPLICATES = 5
"""Below this many replicates the report warns that its bootstrap intervals are indicative only."""


__all__ = ["Figure", "Report", "analyse", "build_report", "command", "render_html"]


def _missing_runs(res: an.Results) -> str:
    """A note when runs.parquet holds fewer (or more) runs than the manifest records."""
    runs = res.manifest.runs
    if runs is None or runs == res.n_runs:
        return ""
    return f" Note: runs.parquet holds {res.n_runs} of the {runs} runs the manifest records."


def _target_phrase(res: an.Results) -> str:
    """The target fitness the runs used, from the manifest (an.run_targets)."""
    targets = an.run_targets(res)
    if targets is None or targets.dropna().empty:
        return "the run's target fitness (its value is not recorded in the manifest)"
    lo, hi = float(targets.min()), float(targets.max())
    return f"{lo:g}" if lo == hi else f"the design point's target ({lo:g} to {hi:g})"


def _as_run(res: an.Results) -> str:
    """What ran, every count from the results and the manifest's design as run."""
    d = res.manifest.design
    detail = ""
    if d is not None and d.step is not None:
        detail = f" (budget shares in steps of {d.step:g})"
    elif d is not None and d.samples is not None:
        detail = f" ({d.samples} base samples)"
    size = " (the experiment's ci size)" if res.manifest.ci else ""
    reps = _plural(len(res.replicate_ids), 'replicate', 'replicates')
    if res.uncertain:
        n_worlds = int(res.runs["scenario"].nunique())
        per = _plural(len(res.replicate_ids) // n_worlds, 'replicate', 'replicates')
        reps = f"{n_worlds} plausible worlds × {per} ({len(res.replicate_ids)} in all)"
    return (f"As run{size}: {_plural(len(res.point_ids), 'design point', 'design points')}{detail} × "
            f"{reps}"
            + (f", horizon {res.horizon:g} weeks" if pd.notna(res.horizon) else "") + ".")


def _description(res: an.Results) -> str:
    return str(_experiment(res).get("description", ""))


def _experiment(res: an.Results) -> dict:
    """The experiment file stored in the manifest, parsed; empty when absent or unreadable."""
    from sim.errors import ConfigError
    from sim.scenario_files import loads_toml

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
    usable = res.runs["point"].nunique()
    if usable < 2 and len(res.point_ids) > 1:
        return Report(res, f"Only {_plural(usable, 'design point', 'design points')} of "
                           f"{len(res.point_ids)} has usable runs ({len(res.failed)} of "
                           f"{res.n_runs} runs failed), so there is nothing to compare; see the "
                           "failed runs' errors in runs.parquet.")
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
        facts.append(f"Time to target = weeks until deployed fitness first reaches {_target_phrase(res)}. "
                     f"{cens:.0%} of runs never reached it within the horizon of {res.horizon:g} weeks: "
                     "they are kept, counted at the horizon, and every mean time to target is the "
                     "restricted mean (RMST, the area under the Kaplan–Meier curve up to the horizon). "
                     "Medians are of the runs that reach the target unless called Kaplan–Meier "
                     "medians (censoring included; none when half or more never reach it).")
        if {"discovery_time", "discovery_censored"} <= set(res.runs.columns):
            found = float(res.runs["discovery_censored"].astype(bool).mean())
            facts.append(f"Discovery = weeks until anyone holds a solution at that target, deployed or "
                         f"not: {found:.0%} of runs never got there.")
    if design.bootstrap:  # Sobol intervals are SALib's own (said in the Sobol findings)
        facts.append("Intervals: 95% percentile bootstrap over replicates (common random numbers: every "
                     f"point's replicate r shares a seed, so differences are paired), {n_boot} resamples, "
                     f"seed {seed}.")
    if res.uncertain:
        facts.append("With uncertainties sampled, a replicate is a run in one plausible world (world j's "
                     "replicate r is replicate j × replicates + r, on the same seed at every point): "
                     "the answers above are averaged over the worlds, and their intervals cover "
                     "worlds and seeds together. How the answers vary across worlds is in the "
                     "robustness section.")
    report.findings = report.findings + facts
    top_cols = ["label", "value", "lo", "hi", "n"] + (["reached"] if "reached" in summary else [])
    report.top = summary.loc[order[:10], top_cols]
    if outcome == an.SPEED and an.CENSORED in res.runs.columns:
        ids = res.point_ids
        shape = an.shape_contrast(res, {int(p): ids == p for p in order[:10]}, None, an.SPEED,
                                  an.CENSORED, n_boot, seed)
        report.top = report.top.join(shape[["p_never", "p_never_lo", "p_never_hi", "median",
                                            "median_km"]])
        if design.per_point:
            report.lockin = _lockin(res, _roles(best, worst, base), labels, n_boot, seed)
    report.outcome = outcome
    if res.uncertain:
        from sim import report_robustness, robustness

        report.robust = robustness.assess(res, outcome)
        report.figures = report_robustness.figures(res, report.robust) + report.figures
    return report


def _lockin(res: an.Results, roles: dict[str, int], labels: pd.Series, n_boot: int,
            seed: int) -> pd.DataFrame | None:
    """P(never) with its interval and the medians, for every (time, flag) pair in the results, at
    the points shown run by run: one row per (pair, role)."""
    ids = res.point_ids
    groups = {role: ids == p for role, p in roles.items()}
    rows = []
    targets = an.run_targets(res)
    own = set(targets.round(6)) if targets is not None else set()
    for time, flag in an.time_pairs(res):
        tag = time.rsplit("_", 1)[-1]
        if tag.isdigit() and len(own) == 1 and round(int(tag) / 100, 6) in own:
            continue  # the same target as the run's own, already shown
        t = an.shape_contrast(res, groups, None, time, flag, n_boot, seed)
        for role, r in t.iterrows():
            rows.append({"time": time, "role": role, "label": labels.get(roles[role], roles[role]),
                         **r[["p_never", "p_never_lo", "p_never_hi", "median", "median_km",
                              "rmst", "n"]].to_dict()})
    return pd.DataFrame(rows) if rows else None


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


def _pct_ci(p: float, lo: float, hi: float) -> str:
    return "—" if not pd.notna(p) else f"{p:.0%} ({lo:.0%} to {hi:.0%})"


def _weeks(x: float, horizon: float) -> str:
    """A median in weeks; inf (half or more never reach the target): '> horizon'; NaN: none."""
    if not pd.notna(x):
        return "—"
    return f"> {horizon:g}" if x == float("inf") else f"{x:.1f}"


def _top_table(report: Report) -> str:
    if report.top is None or report.top.empty:
        return ""
    t = report.top
    from sim.figures import title

    shape = "p_never" in t
    tau = report.results.horizon
    head = (f"<tr><th>#</th><th>design point</th><th>{_e(title(report.outcome))}</th><th>95% CI</th>"
            "<th>runs</th>") + (
        "<th>reached target</th>" if "reached" in t else "") + (
        "<th>never reached (95% CI)</th><th>median weeks of those reaching</th>"
        "<th>Kaplan–Meier median weeks</th>" if shape else "") + "</tr>"
    rows = []
    for i, (p, r) in enumerate(t.iterrows(), start=1):
        reached = f"<td>{r.reached:.0%}</td>" if "reached" in t else ""
        extra = (f"<td>{_pct_ci(r.p_never, r.p_never_lo, r.p_never_hi)}</td><td>{_weeks(r['median'], tau)}"
                 f"</td><td>{_weeks(r.median_km, tau)}</td>" if shape else "")
        rows.append(f"<tr><td>{i}</td><td>{_e(r.label)} <small>(point {p})</small></td><td>{_n(r.value)}</td>"
                    f"<td>{_n(r.lo)} to {_n(r.hi)}</td><td>{int(r.n)}</td>{reached}{extra}</tr>")
    return "<h2 id='top'>Top design points</h2><table>" + head + "".join(rows) + "</table>"


def _time_name(time: str, target: str) -> str:
    """'deployed ≥ 0.5', 'discovered ≥ 0.7', 'deployed ≥ run target (0.8)'."""
    if time == an.SPEED:
        return f"deployed ≥ run target ({target})"
    if time == "discovery_time":
        return f"discovered ≥ run target ({target})"
    kind, _, tag = time.split("_")
    return f"{'deployed' if kind == 'deploy' else 'discovered'} ≥ {int(tag) / 100:g}"


def _lockin_table(report: Report) -> str:
    """Lock-in per target at the shown points: P(never) with its interval and the medians."""
    t = report.lockin
    if t is None or t.empty:
        return ""
    res = report.results
    target = _target_phrase(res)
    roles = list(dict.fromkeys(t["role"]))
    head = "<tr><th>target</th>" + "".join(
        f"<th>{_e(r)}: {_e(t.loc[t.role == r, 'label'].iloc[0])}</th>" for r in roles) + "</tr>"
    rows = []
    for time, g in t.groupby("time", sort=False):
        g = g.set_index("role")
        cells = "".join(
            f"<td>never {_pct_ci(g.loc[r, 'p_never'], g.loc[r, 'p_never_lo'], g.loc[r, 'p_never_hi'])}; "
            f"median {_weeks(g.loc[r, 'median'], res.horizon)} (KM "
            f"{_weeks(g.loc[r, 'median_km'], res.horizon)})</td>" for r in roles)
        rows.append(f"<tr><td>{_e(_time_name(time, target))}</td>{cells}</tr>")
    return ("<h2 id='lockin'>Lock-in: never reaching a target within the horizon</h2><p class='caption'>"
            "Share of runs that never reach the target within the "
            f"{res.horizon:g}-week horizon (95% bootstrap interval over replicates), the median weeks of "
            "the runs that reach it, and the Kaplan–Meier median with censoring (&gt; horizon when half "
            "or more never reach it). Deployed: the organisation ships it; discovered: someone holds "
            f"it.</p><table>{head}{''.join(rows)}</table>")


def _sobol_table(report: Report) -> str:
    """The Sobol indices; an unresolved one is shown as such, with its estimate in brackets."""
    si = report.sobol
    if si is None or si.empty:
        return ""

    def cell(r, col):
        text = f"{r[col]:.2f} ± {r[col + '_conf']:.2f}"
        return text if r[f"{col}_resolved"] else f"unresolved ({text})"

    rows = "".join(f"<tr><td>{_e(an.short_name(r['name']))}</td><td>{_e(cell(r, 'S1'))}</td>"
                   f"<td>{_e(cell(r, 'ST'))}</td></tr>" for _, r in si.iterrows())
    return ("<h2 id='sobol-table'>Sobol indices</h2><p class='caption'>First-order S1 and total ST with "
            "the half-width of SALib's 95% interval; unresolved: above 1, below 0 by more than its "
            f"interval, or an interval wider than {an.SOBOL_MAX_WIDTH:g}.</p><table><tr><th>parameter</th>"
            f"<th>S1</th><th>ST</th></tr>{rows}</table>")


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


def _robust_html(report: Report) -> str:
    from sim.report_robustness import section_html

    return section_html(report.results, report.robust)


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
    if desc and res.manifest.ci:  # the file describes the full size; the ci size runs fewer
        desc = f"Question (from the experiment file, which describes its full size): {desc}"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>pactsim report: {_e(res.name)}</title><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>pactsim report: {_e(res.name)}</h1>"
        + (f"<p class='question'>{_e(desc)}</p>" if desc else "")
        + f"<p id='as-run'>{_e(_as_run(res) + _missing_runs(res))}</p>"
        + f"<p class='headline' id='headline'>{_e(report.headline)}</p>"
        f"<ul id='findings'>{findings}</ul>"
        + (_robust_html(report) if report.robust is not None else "")
        + "".join(parts) + _effects_table(report) + _sobol_table(report) + _lockin_table(report)
        + _top_table(report) + _manifest_html(res)
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


def build_study_report(folder: str | Path, *, png: bool = False, n_boot: int = an.N_BOOT,
                       seed: int = 0) -> Path:
    """A study's reports (``sim.sweep.study``): each question's own ``report.html`` in its folder,
    and ``folder/report.html``: for every question its answer and how robust it is."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    from sim import report_robustness as rr
    from sim.storage import atomic_write_bytes
    from sim.sweep import study

    folder = Path(folder)
    info = study.read(folder)
    parts, figures = [], {}
    for q in info["questions"]:
        sub = folder / str(q)
        if not (sub / "runs.parquet").is_file():
            parts.append(f"<h2>{_e(q)}</h2><p>Not run yet: run the study's sweep again to "
                         "finish it.</p>")
            continue
        res = an.load_results(sub)
        report = analyse(res, n_boot=n_boot, seed=seed)
        atomic_write_bytes(sub / "report.html", render_html(report).encode())
        html_figs = []
        for f in report.figures:
            if f.id.startswith("prim-"):  # the robustness section's (sim.report_robustness)
                fid = f"{q}-{f.id}"
                figures[fid] = f.fig
                div = pio.to_html(f.fig, full_html=False, include_plotlyjs=False, config=PLOT_CONFIG,
                                  div_id=f"plot-{fid}", default_width="100%")
                html_figs.append(f"<h3>{_e(f.title)}</h3><p class='caption'>{_e(f.caption)}</p>{div}")
        robust = rr.section_html(res, report.robust, "h3") if report.robust is not None else ""
        parts.append(f"<h2 id='q-{_e(q)}'>{_e(q)}: {_e(_description(res))}</h2>"
                     f"<p>{_e(_as_run(res))} <a href='{_e(q)}/report.html'>Full report</a>.</p>"
                     f"<p class='headline'>Averaged over the plausible worlds: {_e(report.headline)}</p>"
                     + robust + "".join(html_figs))
    name = str(info.get("study", folder.name))
    doc = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
           f"<title>pactsim study: {_e(name)}</title><style>{CSS}</style>"
           f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
           f"<h1>pactsim study: {_e(name)}{' (ci size)' if info.get('ci') else ''}</h1>"
           f"<p class='question'>{_e(info.get('description', ''))}</p>" + "".join(parts)
           + f"<footer><details><summary>Study file</summary><pre>{_e(info.get('study_text', ''))}"
           "</pre></details></footer></body></html>\n")
    out = folder / "report.html"
    atomic_write_bytes(out, doc.encode())
    if png and figures:
        write_pngs(figures, folder / "figures")
    return out


# --------------------------------------------------------------------------------------------------
# PNG

class PngError(RuntimeError):
    """No way to render PNGs here (neither a working kaleido nor Chromium)."""


def write_pngs(figures: dict, out_dir: Path, width: int = 1100) -> list[Path]:
    """Write each figure as ``out_dir/<id>.png``: kaleido if installed and working, else headless
    Chromium (Debian's, via Playwright) rendering it with the same plotly.js. Each file is
    written atomically (no half-written PNG, no temporary file left)."""
    from sim.storage import atomic_write_bytes

    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        import kaleido  # noqa: F401  (optional: used by plotly's write_image)

        paths = []
        for name, fig in figures.items():
            path = out_dir / f"{name}.png"
            atomic_write_bytes(path, fig.to_image(format="png", width=width,
                                                  height=fig.layout.height or 450))
            paths.append(path)
        return paths
    except Exception:  # not installed, or no browser for it: fall back, never download one
        pass
    return _pngs_chromium(figures, out_dir, width)


def _pngs_chromium(figures: dict, out_dir: Path, width: int) -> list[Path]:
    from plotly.offline import get_plotlyjs

    from sim.storage import atomic_write_bytes

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
                    atomic_write_bytes(path, base64.b64decode(url.split(",", 1)[1]))
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
    from sim.sweep import study

    path = Path(args.results_dir)
    out = path / "report.html"
    build = build_study_report if path.is_dir() and study.read(path) is not None else build_report
    try:
        build(path, png=True)
        print(f"wrote {out} and PNG figures in {path / 'figures'}")
    except PngError as e:  # the HTML is written before the PNGs
        print(f"wrote {out}")
        print(f"note: figures not written as PNG: {e}", file=sys.stderr)
    if getattr(args, "open", False):
        import webbrowser

        webbrowser.open(out.resolve().as_uri())
    return 0
