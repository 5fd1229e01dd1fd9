"""sim.report: the HTML report from stored results folders (synthetic ones, built to the sweep's contract)."""

import itertools
import json
import re

import numpy as np
import pandas as pd
import pytest

from sim import analysis as an
from sim import report
from sim.config import LEVERS
from sim.errors import ConfigError
from sim.metrics import OUTCOME_NAMES, SERIES_NAMES, TIME_COLUMNS

HORIZON = 52
URL = re.compile(r"https?://", re.I)


def _design(kind: str) -> tuple[list[dict], dict]:
    if kind == "grid":
        pts = [dict(zip([f"levers.{lv}" for lv in LEVERS], c, strict=True))
               for c in itertools.product((0.1, 0.5, 0.9), repeat=4)]
        return pts, {"kind": "grid"}
    if kind == "tech":
        pts = [{"levers.technology": t, "levers.culture": c} for t in (0.1, 0.9) for c in (0.1, 0.9)]
        return pts, {"kind": "grid"}
    if kind == "simplex":
        pts = [dict(zip(an.BUDGET_COLUMNS, (i / 4, j / 4, k / 4, (4 - i - j - k) / 4), strict=True))
               for i in range(5) for j in range(5 - i) for k in range(5 - i - j)]
        return pts, {"kind": "simplex", "step": 0.25}
    if kind == "orders":
        return [{an.ORDER_COLUMN: ">".join(o)} for o in itertools.permutations(LEVERS)], {"kind": "orders"}
    if kind == "sobol":
        from SALib.sample import sobol as sobol_sample

        bounds = {f"levers.{lv}": [0.0, 1.0] for lv in LEVERS} | {"behaviour.velocity": [0.1, 0.9]}
        problem = {"num_vars": 5, "names": list(bounds), "bounds": list(bounds.values())}
        x = sobol_sample.sample(problem, 8, calc_second_order=True, seed=2)
        return [dict(zip(bounds, xi, strict=True)) for xi in x], {"kind": "sobol", "bounds": bounds,
                                                                   "samples": 8}
    raise ValueError(kind)


def _levers(p: dict) -> np.ndarray:
    """Effective lever levels of a synthetic point (0.5 when not varied)."""
    if an.ORDER_COLUMN in p:  # earlier switched on = more weeks of investment
        order = p[an.ORDER_COLUMN].split(">")
        return np.array([1.0 - 0.25 * order.index(lv) for lv in LEVERS])
    if an.BUDGET_COLUMNS[0] in p:
        return np.minimum(1.0, 2 * np.array([p[c] for c in an.BUDGET_COLUMNS]))
    return np.array([p.get(f"levers.{lv}", 0.5) for lv in LEVERS])


def synthetic_results(path, kind: str, n_rep: int = 3, timeseries: bool = True, failed: int = 1):
    """A results folder with the sweep's contract; time to target falls with culture and with
    culture x technology, is censored at the horizon, and ``failed`` runs carry an error."""
    pts, design = _design(kind)
    rng = np.random.default_rng(7)
    shift = rng.normal(0, 4, n_rep)
    rows, series = [], []
    for pid, p in enumerate(pts):
        pr, ad, cu, te = _levers(p)
        mean = 60 - 12 * pr - 6 * ad - 30 * cu - 25 * cu * te + 10 * te * (1 - cu)
        for r in range(n_rep):
            t = max(1.0, mean + shift[r] + rng.normal(0, 5))
            speed, cens = (int(round(t)), False) if t < HORIZON else (HORIZON, True)
            row = {"run_id": f"{pid:04d}-{r:02d}", "point": pid, "replicate": r, "seed": 100 + r, **p}
            row.update({o: float(rng.uniform()) for o in OUTCOME_NAMES})
            for k, (time, flag) in enumerate(TIME_COLUMNS[1:]):  # earlier targets, earlier times
                tk = t * (0.4 + 0.05 * k)
                row[time], row[flag] = (int(round(tk)), False) if tk < HORIZON else (HORIZON, True)
            row.update(innovation_speed=speed, innovation_censored=cens, error=None,
                       final_fitness=0.9 * cu + 0.05 * te)
            rows.append(row)
            if timeseries:
                steps = np.arange(1, HORIZON + 1)
                ts = {name: np.zeros(HORIZON) for name in SERIES_NAMES}
                ts["deployed_fitness"] = 0.8 / (1 + np.exp(-(steps - t) / 4)) * (1 + 0.2 * cu)
                ts["platform_users"] = 1 - np.exp(-steps * (0.02 + 0.1 * te))
                series.append(pd.DataFrame({"run_id": row["run_id"], "point": pid, "replicate": r,
                                            "step": steps, **ts}))
    runs = pd.DataFrame(rows)
    for i in range(failed):
        j = (i * 7 + 3) % len(runs)
        flags = {flag for _, flag in TIME_COLUMNS}
        runs.loc[j, [o for o in OUTCOME_NAMES if o not in flags]] = np.nan
        runs.loc[j, "error"] = "ValueError: synthetic failure"
    path.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(path / "runs.parquet", index=False)
    if timeseries:
        pd.concat(series, ignore_index=True).to_parquet(path / "timeseries.parquet", index=False)
    manifest = {"experiment": f"synthetic_{kind}", "experiment_hash": "0123456789abcdef",
                "experiment_text": f'description = "synthetic {kind} experiment"\nscenario = "baseline"\n',
                "design": design, "git": {"commit": "feedbeef" * 5, "dirty": True},
                "versions": {"python": "3.12.1", "plotly": "7.1.0"}, "host": "testhost",
                "started": "2026-11-25T21:00:00+00:00", "ended": "2026-11-25T21:01:00+00:00",
                "steps": HORIZON, "replicates": n_rep, "ci": False, "runs": len(runs), "runs_failed": failed}
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


EXPECTED = {
    "grid": ["effects", "levels", "interactions", "cells", "simple_effects", "km", "km_targets", "fans"],
    "tech": ["effects", "levels", "cells", "simple_effects", "km", "km_targets", "fans"],
    "simplex": ["simplex", "mix_ranking", "km", "km_targets"],
    "orders": ["order_ranking", "order_diff", "km", "km_targets", "fans"],
    "sobol": ["sobol", "points"],
}


def _outside_plotlyjs(text: str) -> str:
    """The report without its embedded plotly.js, which must be the library's own bundle verbatim."""
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    assert text.count(js) == 1, "plotly.js must be embedded exactly once"
    return text.replace(js, "")


@pytest.mark.parametrize("kind", [k if k == "grid" else pytest.param(k, marks=pytest.mark.slow)
                                  for k in EXPECTED])
def test_report_builds_with_expected_figures(tmp_path, kind):
    folder = synthetic_results(tmp_path / kind, kind, timeseries=kind != "simplex")
    out = report.build_report(folder, n_boot=200)
    text = out.read_text()
    for fig in EXPECTED[kind]:
        assert f"id='fig-{fig}'" in text and f'id="plot-{fig}"' in text, fig
    assert text.count("class='figure'") == len(EXPECTED[kind])
    assert ("id='effects-table'" in text) == (kind in ("grid", "tech"))
    rest = _outside_plotlyjs(text)
    assert not URL.search(rest), URL.search(rest)
    assert "<script src" not in rest.lower() and "<link" not in rest.lower()
    # the manifest at the foot
    for item in ("synthetic_" + kind, "0123456789abcdef", "feedbeef", "(dirty)", "plotly 7.1.0",
                 "2026-11-25T21:00:00+00:00", '&quot;runs_failed&quot;: 1'):
        assert item in rest
    headline = re.search(r"id='headline'>(.*?)</p>", rest).group(1)
    assert re.search(r"\d", headline) and "95% CI" in headline or kind == "sobol"
    assert "failed runs (excluded, error recorded): 1." in rest


@pytest.mark.slow
def test_headlines_state_the_computed_answer(tmp_path):
    grid = report.analyse(an.load_results(synthetic_results(tmp_path / "g", "grid", timeseries=False)),
                          n_boot=300)
    # culture has the largest planted speed-up (and culture x technology adds to it); runs split into
    # fast and censored, so the headline is about never reaching the target, the RMST second
    assert grid.split
    assert grid.headline.startswith("Raising culture from 0.1 to 0.9 lowers the share of runs that never "
                                    "reach the target within the 52-week horizon from ")
    assert grid.findings[0].startswith("Restricted mean view (secondary): Culture speeds up innovation "
                                       "most: raising it from 0.1 to 0.9 shortens the time to target by")
    tech = report.analyse(an.load_results(synthetic_results(tmp_path / "t", "tech", n_rep=6,
                                                            timeseries=False)), n_boot=300)
    # planted: technology slows innovation when culture is low and speeds it up when culture is high
    assert tech.split and tech.headline.startswith("With culture at 0.1, raising technology from 0.1 to 0.9 "
                                                   "raises the share of runs that never reach")
    rmst_view = tech.findings[0]
    assert rmst_view.startswith("Restricted mean view (secondary): Technology alone does not speed up "
                                "innovation: with culture low (0.1)")
    assert "culture changes what technology delivers" in rmst_view
    orders = report.analyse(an.load_results(synthetic_results(tmp_path / "o", "orders", timeseries=False)),
                            n_boot=300)
    assert "P→A→C→T" in orders.headline
    assert any("orders" in f for f in orders.findings[:1] + [orders.headline])
    mix = report.analyse(an.load_results(synthetic_results(tmp_path / "s", "simplex", timeseries=False)),
                         n_boot=300)
    assert "The best budget mix is " in mix.headline + " ".join(mix.findings)
    assert "indistinguishable" in mix.headline + " ".join(mix.findings)


def test_all_failed_and_missing_folder(tmp_path):
    folder = synthetic_results(tmp_path / "f", "tech", n_rep=1, timeseries=False, failed=4)
    text = report.build_report(folder, n_boot=50).read_text()
    assert "No usable runs: all 4 runs failed" in text
    with pytest.raises(ConfigError, match="no such results folder"):
        report.build_report(tmp_path / "missing")


def test_cli_report_missing_folder_exits_2(tmp_path):
    from sim.cli import main

    assert main(["report", str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize("manifest,said", [
    ("[1, 2]", "expected a JSON object, not list"),
    ('{"design": "x"}', 'design = "x": Input should be a valid dictionary'),
    ('{"steps": "104"}', 'steps = "104": Input should be a valid integer'),
    ('{"experiment": [1]}', "experiment = [1]: Input should be a valid string"),
    ('{"git": 3}', "git = 3: Input should be a valid dictionary"),
    ("{", "cannot read"),
    (b"\xff\xfe", "cannot read"),
])
def test_cli_report_refuses_a_hostile_manifest_naming_the_key(tmp_path, capsys, manifest, said):
    from sim.cli import main

    folder = synthetic_results(tmp_path / "h", "tech", n_rep=1, timeseries=False)
    path = folder / "manifest.json"
    path.write_bytes(manifest if isinstance(manifest, bytes) else manifest.encode())
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}") and said in err and "Traceback" not in err, err
    assert not (folder / "report.html").exists()


@pytest.mark.slow
def test_report_survives_a_hostile_stored_experiment_text(tmp_path):
    folder = synthetic_results(tmp_path / "t", "tech", n_rep=1, timeseries=False)
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    for text in ('description = 5\n[set]\n"run.target_fitness" = "x"\n', "set = 3\n",
                 "a = " + "[" * 5000 + "]" * 5000 + "\n", "not toml ["):
        path.write_text(json.dumps({**manifest, "experiment_text": text}))
        assert report.build_report(folder, n_boot=50).is_file()


@pytest.mark.slow
@pytest.mark.browser
def test_cli_report_renders_offline_in_chromium_with_pngs(tmp_path):
    from playwright.sync_api import sync_playwright

    from sim.cli import main

    folder = synthetic_results(tmp_path / "g", "grid", n_rep=2)
    assert main(["report", str(folder)]) == 0  # the command: HTML, then PNGs of every figure
    out = folder / "report.html"
    pngs = sorted((folder / "figures").glob("*.png"))
    assert [p.stem for p in pngs] == sorted(EXPECTED["grid"])
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    errors, requests = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=report.CHROMIUM, args=report.CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def route(r):  # record and refuse anything but the file itself
                if r.request.url != out.resolve().as_uri():
                    requests.append(r.request.url)
                    return r.abort()
                return r.continue_()

            page.route("**/*", route)
            page.goto(out.resolve().as_uri(), wait_until="load")
            page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 7")
            n_plots = page.evaluate("document.querySelectorAll('.js-plotly-plot').length")
        finally:
            browser.close()
    assert errors == [] and requests == []
    assert n_plots == len(EXPECTED["grid"])


@pytest.mark.slow
def test_report_on_a_real_ci_sweep(tmp_path):
    """End to end: the sweep runner's folder for tech_without_culture at ci size, then the report."""
    from sim.sweep import run_experiment

    out = run_experiment("tech_without_culture", ci=True, out=tmp_path / "twc", progress=False)
    res = an.load_results(out)
    assert res.kind == "grid" and set(res.factors) == {"levers.technology", "levers.culture"}
    assert len(res.runs) + len(res.failed) == 16 and res.horizon == 52
    text = report.build_report(out, n_boot=300).read_text()
    for fig in EXPECTED["tech"]:
        assert f"id='fig-{fig}'" in text, fig
    rest = _outside_plotlyjs(text)
    headline = re.search(r"id='headline'>(.*?)</p>", rest).group(1)
    # 2 x 2: each compared group is one point, so the rule reads each point's censored share
    split = bool((res.runs.groupby("point")["innovation_censored"].mean() >= an.SPLIT_SHARE).any())
    lead = "With culture at 0.1, raising technology from 0.1 to 0.9 " if split else "Technology alone do"
    assert headline.startswith(lead) and "95% CI" in headline
    assert ("Headline rule: in a compared group" in rest) == split
    assert "tech_without_culture (ci size)" in rest and res.manifest.experiment_hash in rest
    assert not URL.search(rest), URL.search(rest)


def test_orders_tied_in_every_replicate_are_reported_as_ties():
    rows = []
    for p, order in enumerate(itertools.permutations(LEVERS)):
        for r in range(6):  # time depends only on the first two levers: pairs of orders tie exactly
            t = 20 + 4 * LEVERS.index(order[0]) + LEVERS.index(order[1]) + r
            rows.append({"run_id": f"{p}-{r}", "point": p, "replicate": r, "seed": r,
                         an.ORDER_COLUMN: ">".join(order), "innovation_speed": t,
                         "innovation_censored": False, "error": None})
    rep = report.analyse(an.Results.from_frame(pd.DataFrame(rows)), n_boot=200)
    assert rep.headline.startswith("P→A→C→T is the fastest of the 24 orders (tied with P→A→T→C) (time to "
                                   "target 23.5 weeks")  # 20 + 0 + 1 + mean replicate offset 2.5
    assert "the next, P→C→A→T, differs by +1.0" in rep.headline
    ties = [f for f in rep.findings if "in every replicate" in f]
    assert len(ties) == 12 and all("position 3" in f for f in ties)


def test_report_without_innovation_speed_uses_another_outcome(tmp_path):
    folder = synthetic_results(tmp_path / "sub", "tech", n_rep=4, timeseries=False, failed=0)
    runs = pd.read_parquet(folder / "runs.parquet")
    runs.drop(columns=[o for o in OUTCOME_NAMES if o not in ("final_fitness", "customer_value")]).to_parquet(
        folder / "runs.parquet", index=False)
    rep = report.analyse(an.load_results(folder), n_boot=200)
    assert [f.id for f in rep.figures] == ["effects", "levels", "cells", "simple_effects"]
    # final_fitness = 0.9 culture + 0.05 technology: technology raises it by 0.04 whatever culture does
    assert rep.headline.startswith("Technology alone does improve the final deployed fitness: with culture")
    assert "changes the final deployed fitness by +0.04 (95% CI 0.04 to 0.04)" in rep.headline
    assert "no evidence that culture changes what technology delivers" in rep.headline


# --- the report says only what the data shows ------------------------------------------------

def _text(rep) -> str:
    return " ".join([rep.headline, *rep.findings])


def _tech_frame(censor: bool, factors=("levers.technology", "levers.culture"), n_rep: int = 6):
    """A grid over ``factors`` at 0.1/0.9; time to target 30 - 10 (culture x technology) + r;
    with ``censor``, technology 0.9 at culture 0.1 leaves a third of the runs stuck at the horizon."""
    rows = []
    for p, levels in enumerate(itertools.product((0.1, 0.9), repeat=len(factors))):
        f = dict(zip(factors, levels, strict=True))
        te, cu = f.get("levers.technology", 0.5), f.get("levers.culture", 0.5)
        for r in range(n_rep):
            stuck = censor and te == 0.9 and cu == 0.1 and r % 3 == 0
            t = HORIZON if stuck else int(30 - 10 * te * cu + r)
            rows.append({"run_id": f"{p}-{r}", "point": p, "replicate": r, "seed": r, **f,
                         "innovation_speed": t, "innovation_censored": stuck, "error": None})
    return pd.DataFrame(rows)


def test_split_rule_decides_the_headline():
    plain = report.analyse(an.Results.from_frame(_tech_frame(False), {"steps": HORIZON}), n_boot=200)
    assert plain.split is False and plain.headline.startswith("Technology alone")
    assert "never reach" not in plain.headline
    assert any(f.startswith("Headline rule: at most 0% ") and "plain mean" in f for f in plain.findings)
    split = report.analyse(an.Results.from_frame(_tech_frame(True), {"steps": HORIZON}), n_boot=200)
    assert split.split is True
    # technology at culture 0.1: from 0 of 6 runs stuck to 2 of 6 (every number from the runs)
    assert split.headline.startswith("With culture at 0.1, raising technology from 0.1 to 0.9 raises the "
                                     f"share of runs that never reach the target within the {HORIZON}-week "
                                     "horizon from 0% to 33% (+33 points")
    assert "median time of the runs that reach it" in split.headline
    assert "Restricted mean time to target (secondary" in split.headline
    assert split.findings[0].startswith("Restricted mean view (secondary): Technology alone")


def test_technology_alone_only_when_the_design_varies_just_technology_and_culture():
    four = _tech_frame(False, tuple(f"levers.{lv}" for lv in LEVERS), n_rep=3)
    rep = report.analyse(an.Results.from_frame(four, {"steps": HORIZON}), n_boot=100)
    text = _text(rep)
    # other levers vary: technology is not 'alone', and the averaging is said
    assert "Technology alone" not in text and "averaged over the other 2 factors" in text
    assert "The technology × culture interaction is" in text
    other = _tech_frame(False, ("levers.process", "levers.advocates"))
    text = _text(report.analyse(an.Results.from_frame(other, {"steps": HORIZON}), n_boot=100))
    assert "technology" not in text.lower() and "culture" not in text.lower()


def _orders_frame(time_of, starts=None):
    rows = []
    for p, order in enumerate(itertools.permutations(LEVERS)):
        for r in range(4):
            t = time_of(order, r)
            rows.append({"run_id": f"{p}-{r}", "point": p, "replicate": r, "seed": r,
                         an.ORDER_COLUMN: ">".join(order), "innovation_speed": min(t, HORIZON),
                         "innovation_censored": t >= HORIZON, "error": None})
    manifest = {"steps": HORIZON}
    if starts is not None:
        manifest["base_config"] = {"levers": {"schedule": {"starts": starts}}}
    return an.Results.from_frame(pd.DataFrame(rows), manifest)


def test_tied_orders_are_explained_only_when_the_data_says_why():
    # time depends on the first lever only; all stuck unless process or culture comes first
    def time_of(order, r):
        return {"process": 10, "culture": 12}.get(order[0], HORIZON) + (r if order[0] != "advocates" else 0)

    with_starts = report.analyse(_orders_frame(time_of, [0, 20, 30, 40]), n_boot=100)
    ties = [f for f in with_starts.findings if "in every replicate" in f]
    stuck = [f for f in ties if f.startswith("A→")]
    assert stuck and all("none of their runs reaches the target" in f and "too late" not in f
                         for f in stuck)
    # process or culture first: every run done by week 15 < 20, when position 2 switches on
    early = [f for f in ties if f[0] in "PC"]
    assert early and all("came too late to matter" in f and "(week 20)" in f for f in early)
    # without the schedule in the manifest the reason is not asserted
    bare = report.analyse(_orders_frame(time_of), n_boot=100)
    assert not any("too late" in f for f in bare.findings)
    # orders that differ from the first lever on: no claim about later positions
    assert not any("position 1" in f for f in with_starts.findings + bare.findings)


def test_counts_and_target_in_sentences_come_from_the_results(tmp_path):
    folder = synthetic_results(tmp_path / "s", "simplex", n_rep=2, timeseries=False, failed=0)
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(ci=True, description="every split of the budget in shares of 0.1 (286 mixes)",
                    design={"kind": "simplex", "step": 0.25},
                    base_config={"run": {"target_fitness": 0.5}},
                    experiment_text='description = "every split (286 mixes)"\n[set]\n'
                                    '"run.target_fitness" = 0.9\n')
    path.write_text(json.dumps(manifest))
    rest = _outside_plotlyjs(report.build_report(folder, n_boot=100).read_text())
    body = rest[:rest.index("<footer>")]
    assert "As run (the experiment&#x27;s ci size): 35 design points (budget shares in steps of 0.25) × " \
           "2 replicates, horizon 52 weeks." in body
    assert "<p class='question'>Question (from the experiment file, which describes its full size): " in body
    # the target as run (the resolved base configuration), not the [set] text or the default 0.8
    assert "first reaches 0.5." in body and "reaches 0.9" not in body and "reaches 0.8" not in body
    del manifest["base_config"]
    path.write_text(json.dumps(manifest))
    body = report.build_report(folder, n_boot=100).read_text()
    assert "its value is not recorded in the manifest" in body


def test_unresolved_sobol_indices_are_not_findings(tmp_path):
    folder = synthetic_results(tmp_path / "sob", "sobol", n_rep=1, timeseries=False, failed=0)
    rep = report.analyse(an.load_results(folder), n_boot=50)
    si = rep.sobol
    bad = si[~si["ST_resolved"]]
    assert len(bad)  # N = 8: some index is untrustworthy (the premise of the test)
    drivers = rep.headline.split("Unresolved")[0]
    for name in bad["name"]:
        assert f"by {an.short_name(name)} " not in drivers and f"and {an.short_name(name)} (" not in drivers
    table = report._sobol_table(rep)
    for r in bad.itertuples():
        assert f"unresolved ({r.ST:.2f} ± {r.ST_conf:.2f})" in table


@pytest.mark.slow
def test_a_choice_factor_gets_its_paired_effect_and_one_lever_its_own_lead(tmp_path):
    """A text factor with two levels (advocate placement) is reported as a paired contrast; with one
    lever varied, the lead names that lever instead of saying 'no lever'."""
    from sim.sweep import run_experiment

    out = run_experiment("advocate_placement", ci=True, out=tmp_path / "ap", progress=False)
    rep = report.analyse(an.load_results(out), n_boot=200)
    text = _text(rep)
    assert "Changing advocate_placement from centrality to random" in text
    assert "No lever helps" not in text and "the best, advocates,:" not in text
