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
