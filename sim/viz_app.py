"""The Solara page behind `pactsim view` (served by ``sim.view_server``; see ``sim.viz``).

``Page`` is rendered once per browser session and holds that session's own live run, so two people
looking at the same server never step each other's model. The scenario comes from the environment
(``PACTSIM_VIEW_SCENARIO``, or ``PACTSIM_VIEW_FROM`` and ``PACTSIM_VIEW_POINT`` for a stored design
point), set by `pactsim view`.

Only the components that show the run (status, network, charts, card) read the step counter, so a
step re-renders them and not the controls.
"""

from __future__ import annotations

import html
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import solara

from sim import view_charts as charts
from sim import view_controls as vc
from sim import view_text as text
from sim import viz
from sim.config import ROOT, Scenario
from sim.errors import ConfigError
from sim.metrics import Series
from sim.view_live import LiveRun
from sim.view_network import LEGEND, NET_PX, background_png
from sim.view_runs import Ensemble, StoredPoint, ensemble, one_run, stored_point

CSS = f"""
.pactsim-net {{ position: relative; width: min({NET_PX}px, 100%); aspect-ratio: 1; }}
.pactsim-net img {{ position: absolute; left: 0; top: 0; width: 100%; height: 100%; }}
.pactsim-chart {{ max-width: 100%; height: auto; }}
.pactsim-live {{ display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 16px; }}
.pactsim-card {{ font-size: 14px; line-height: 1.3; padding: 8px 12px; margin-bottom: 8px;
                 box-shadow: 0 1px 4px rgba(0,0,0,.25); border-radius: 4px; }}
.pactsim-card h3 {{ margin: 0 0 6px 0; font-weight: 500; }}
.pactsim-card th {{ text-align: left; padding-right: 8px; vertical-align: top; }}
.pactsim-legend span {{ margin-right: 12px; font-size: 13px; white-space: nowrap; }}
.pactsim-control .v-label {{ white-space: normal; height: auto; font-size: 13px; }}
"""
SPEEDS = {"5 weeks a second": 5.0, "10 weeks a second": 10.0, "20 weeks a second": 20.0}
N_SEEDS_MAX = 200
LIVE = "live run"


@dataclass(frozen=True)
class Setup:
    """What the page opens on: the scenario, and the stored design point when there is one."""

    base: Scenario
    stored: StoredPoint | None


def load_setup() -> Setup:
    folder, point = os.environ.get(viz.FROM_ENV), os.environ.get(viz.POINT_ENV)
    if folder and point is not None:
        sp = stored_point(folder, int(point))
        return Setup(sp.config, sp)
    return Setup(viz.load_scenario(os.environ.get(viz.SCENARIO_ENV, "baseline")), None)


@dataclass(frozen=True)
class Previous:
    """The previous run's curve, kept as a faded trace."""

    weeks: np.ndarray
    deployed: np.ndarray
    label: str
    settings: str


ACK_TIMEOUT = 2.0  # seconds Play waits for the browser to draw a week before it goes on


@solara.component_vue("view_ack.vue")
def Ack(week: int, event_drawn=None):
    """An invisible element that calls ``event_drawn(week)`` once the browser has drawn ``week``."""


def _drawn(flag: dict, week: int) -> None:
    flag["drawn"] = week
    if week >= flag["want"]:
        flag["ack"].set()


def _play_loop(live: LiveRun, flag: dict, tick: solara.Reactive, cancel: threading.Event) -> None:
    """Step ``live`` while ``flag["playing"]``, at most ``flag["rate"]`` weeks a second, bumping
    ``tick`` after each step (which renders the run's view) and waiting until the browser has drawn
    it (:class:`Ack`): the page never falls behind the model, so Pause stops what is on screen."""
    while flag["playing"] and not cancel.is_set():
        t0 = time.perf_counter()
        if not live.step():
            break
        flag["ack"].clear()
        flag["want"] = live.done
        t1 = time.perf_counter()
        tick.value = live.done  # renders the run's components, in this thread
        flag["render"].append(time.perf_counter() - t1)
        flag["ack"].wait(ACK_TIMEOUT)
        flag["step_total"].append(time.perf_counter() - t0)
        rate = flag["rate"]
        if rate > 0:
            pause = 1.0 / rate - (time.perf_counter() - t0)
            if pause > 0 and cancel.wait(pause):
                break
    flag["playing"] = False
    flag["set_playing"](False)


# --- the run's view ---
def status(live: LiveRun, flag: dict) -> None:
    """The week, the seed, the step times, and the finished state."""
    totals = flag["step_total"][-50:]
    timing = (f" · last {len(totals)} steps: {1000 * np.median(totals):.0f} ms a step (model "
              f"{1000 * np.median(live.step_seconds[-50:]):.0f} ms, page "
              f"{1000 * np.median(flag['render'][-50:] or [0]):.0f} ms)") if totals else ""
    line = (f"Week {live.done} of {live.horizon} · one run, seed {live.seed}: another seed gives "
            f"another course (Compare runs many){timing}")
    solara.Text(line, classes=["pactsim-status"])
    Ack(week=live.done, event_drawn=lambda week: _drawn(flag, week))
    if live.finished:
        why = ("the horizon" if live.done >= live.horizon
               else "March's equilibrium (every belief equals the code's)")
        solara.Success(f"Finished: the run stopped at week {live.done}, {why}. Press 'New run "
                       "from week 0' to run again.", classes=["pactsim-finished"])


def network_view(live: LiveRun) -> None:
    items = "".join(f'<span><b style="color:{colour}">{_mark(kind)}</b> {meaning}</span> '
                    for kind, colour, meaning in LEGEND)
    solara.HTML(unsafe_innerHTML=items + '<span style="color:#6baed6">— tie across units</span>'
                '<span style="color:#aaaaaa">— tie inside a unit</span>',
                classes=["pactsim-legend"])
    with solara.Div(classes=["pactsim-net"]):
        solara.Image(background_png(live.model.world), classes=["pactsim-net-ties"])
        solara.Image(live.network_png(), classes=["pactsim-net-dots"])


def Markdown(md: str, classes: list[str] | None = None):
    """Markdown as HTML (solara's Markdown component fetches mermaid from a CDN: not offline)."""
    import markdown

    return solara.HTML(unsafe_innerHTML=markdown.markdown(md, extensions=["tables"]),
                       classes=classes or [])


def _mark(kind: str) -> str:
    return {"dot": "●", "size": "•●", "diamond": "◆", "square": "▢", "halo": "◉",
            "ring": "◎"}[kind]


def fitness_chart(live: LiveRun, s: np.ndarray, previous: Previous | None,
                  stored: StoredPoint | None, title: str = "Fitness of the deployed solution"
                  ) -> str:
    """The live run's deployed and best-known fitness (``s``: its series so far), the target, the
    previous run, and the stored replicates' band of a design point."""
    weeks = np.arange(1, s.shape[0] + 1)
    deployed, best = s[:, Series.DEPLOYED_FITNESS], s[:, Series.BEST_FITNESS]
    target = live.config.run.target_fitness
    chart = charts.Chart(title, "week", "fitness (1 = best solution)", live.horizon, (0.0, 1.0))
    if stored is not None and stored.ensemble is not None:
        w, lo, mid, hi = stored.ensemble.band
        n = len(stored.ensemble.speed)
        chart.bands.append(charts.Band(f"stored point {stored.point}: 10-90% of {n} runs", w, lo,
                                       hi, "#9467bd", 0.2))
        chart.lines.append(charts.Line("stored median", w, mid, "#9467bd", 1.2, "4,3"))
    if previous is not None:
        chart.lines.append(charts.Line(previous.label, previous.weeks, previous.deployed,
                                       "#7f7f7f", 1.8, "", 0.45))
    chart.lines.append(charts.Line("deployed", weeks, deployed, "#1f77b4", 2.2))
    chart.lines.append(charts.Line("best known anywhere", weeks, best, "#2ca02c", 1.2, "2,2"))
    chart.rules.append(charts.Rule(f"target {target:g}", target, "#d62728"))
    return charts.svg(chart)


def funnel_chart(live: LiveRun, s: np.ndarray) -> str:
    chart = charts.Chart("Ideas in the innovation funnel", "week", "ideas", live.horizon)
    w = np.arange(1, s.shape[0] + 1)
    for col, label, colour in ((Series.IDEAS_SCREEN, "screening", "#ff7f0e"),
                               (Series.IDEAS_DEVELOP, "development", "#8c564b"),
                               (Series.IDEAS_PILOT, "pilot", "#9467bd")):
        chart.lines.append(charts.Line(label, w, s[:, col], colour, 1.6))
    chart.lines.append(charts.Line("launches so far", w, np.cumsum(s[:, Series.LAUNCHES]),
                                   "#2ca02c", 2.0))
    return charts.svg(chart)


def shares_chart(live: LiveRun, s: np.ndarray) -> str:
    chart = charts.Chart("Employees and customers", "week", "% of employees / customers",
                         live.horizon, (0.0, 100.0))
    w = np.arange(1, s.shape[0] + 1)
    for col, label, colour in ((Series.PLATFORM_USERS, "platform users (% of employees)",
                                "#111111"),
                               (Series.HERO_SHARE, "HEROes (% of employees)", "#d62728"),
                               (Series.CUSTOMER_ADOPTION, "customers who adopted (%)",
                                "#17becf")):
        chart.lines.append(charts.Line(label, w, 100 * s[:, col], colour, 1.6))
    return charts.svg(chart)


def charts_view(live: LiveRun, previous: Previous | None, stored: StoredPoint | None) -> None:
    s = live.snapshot()
    solara.HTML(unsafe_innerHTML=fitness_chart(live, s, previous, stored),
                classes=["pactsim-fitness"])
    if previous is not None:
        solara.Text(f"Grey: {previous.label}, {previous.settings}.", classes=["pactsim-previous"],
                    style={"font-size": "12px", "color": "#666666"})
    solara.HTML(unsafe_innerHTML=funnel_chart(live, s))
    solara.HTML(unsafe_innerHTML=shares_chart(live, s))


def outcome_card(live: LiveRun) -> None:
    """The outcome card as one HTML table (one widget: a step updates one value)."""
    rows = "".join(f'<tr class="pactsim-outcome"><th>{html.escape(name)}:</th>'
                   f"<td>{html.escape(value)}</td></tr>" for name, value in live.outcome_rows())
    solara.HTML(unsafe_innerHTML=f'<h3>This run so far</h3><table>{rows}</table>',
                classes=["pactsim-card"])


@solara.component
def LiveView(live: LiveRun, tick: solara.Reactive, flag: dict, previous: Previous | None,
             stored: StoredPoint | None) -> None:
    """Everything that shows the run: the one component that reads ``tick``, so a step is one
    render pass (reacton walks the tree once per subscribed component: four cost 0.15 s)."""
    tick.value  # noqa: B018  (subscribes: re-render after every step)
    status(live, flag)
    with solara.Div(classes=["pactsim-live"]):  # plain elements: each costs a step's render
        with solara.Div():
            outcome_card(live)
            network_view(live)
        with solara.Div():
            charts_view(live, previous, stored)


# --- controls ---
@solara.component
def ControlWidget(c: vc.Control, value: Any, on_value, enabled: bool) -> None:
    label = f"{c.label}: {c.text(value)}"
    with solara.Tooltip(c.tooltip):
        with solara.Div(classes=["pactsim-control", "pactsim-key-" + c.key.replace(".", "-")]):
            if c.kind == "order":
                solara.Select(label=c.label, values=vc.orders(), value=value, on_value=on_value,
                              disabled=not enabled)
            elif c.kind == "int":
                solara.SliderInt(label, value=int(value), min=int(c.low), max=int(c.high),
                                 step=1, on_value=on_value, disabled=not enabled,
                                 thumb_label=False)
            else:
                solara.SliderFloat(label, value=float(value), min=c.low, max=c.high, step=c.step,
                                   on_value=on_value, disabled=not enabled, thumb_label=False)


@solara.component
def Controls(ctrls: list[vc.Control], values: dict, set_value, mode: str, set_mode) -> None:
    mode_names = {v: k for k, v in vc.MODE_LABELS.items()}
    with solara.Tooltip(text.mode_words()):
        solara.Select(label="How the levers are set (lever mode)",
                      values=list(vc.MODE_LABELS.values()), value=vc.MODE_LABELS[mode],
                      on_value=lambda label: set_mode(mode_names[label]))
    used = [c for c in ctrls if c.key.startswith("levers.") and vc.active(c, mode)]
    unused = [c for c in ctrls if c.key.startswith("levers.") and not vc.active(c, mode)]
    others = [c for c in ctrls if not c.key.startswith("levers.")]
    for c in used:
        ControlWidget(c, values[c.key], lambda v, k=c.key: set_value(k, v), True)
    if mode == "budget":
        total = sum(values[f"levers.budget.{n}"] for n in ("process", "advocates", "culture",
                                                          "technology"))
        solara.Button(f"Scale the shares to sum to 1 (now {total:.2f})", text=True,
                      disabled=abs(total - 1) < 1e-6, on_click=lambda: _normalise(values, set_value))
    with solara.Details(f"Other model settings ({len(others)})"):
        for c in others:
            ControlWidget(c, values[c.key], lambda v, k=c.key: set_value(k, v), True)
    with solara.Details(f"Settings the {vc.MODE_LABELS[mode].split()[0]} mode ignores "
                        f"({len(unused)}, disabled)"):
        for c in unused:
            ControlWidget(c, values[c.key], lambda v: None, False)


def _normalise(values: dict, set_value) -> None:
    names = ("process", "advocates", "culture", "technology")
    total = sum(values[f"levers.budget.{n}"] for n in names)
    if total <= 0:
        return
    # to the sliders' step (0.01): a slider rounds a value off its grid, and the sum would drift
    shares = [round(values[f"levers.budget.{n}"] / total, 2) for n in names]
    shares[-1] = round(1.0 - sum(shares[:-1]), 2)
    for n, share in zip(names, shares, strict=True):
        set_value(f"levers.budget.{n}", share)


# --- comparisons ---
def _ab_chart(a: Ensemble, b: Ensemble, horizon: int, target: float) -> str:
    chart = charts.Chart(f"A and B on seed {a.seeds[0]}: deployed fitness", "week",
                         "fitness (1 = best solution)", horizon, (0.0, 1.0))
    for e, colour in ((a, "#ff7f0e"), (b, "#1f77b4")):
        w, _, mid, _ = e.band
        chart.lines.append(charts.Line(e.label, w, mid, colour, 2.0))
    chart.rules.append(charts.Rule(f"target {target:g}", target, "#d62728"))
    return charts.svg(chart)


def _ensemble_chart(e: Ensemble, stored: StoredPoint | None, horizon: int) -> str:
    chart = charts.Chart(f"{len(e.speed)} seeds: deployed fitness", "week",
                         "fitness (1 = best solution)", horizon, (0.0, 1.0))
    if stored is not None and stored.ensemble is not None:
        w, lo, mid, hi = stored.ensemble.band
        chart.bands.append(charts.Band(f"stored point {stored.point}, 10-90%", w, lo, hi,
                                       "#9467bd", 0.2))
    w, lo, mid, hi = e.band
    chart.bands.append(charts.Band("10-90% of the runs", w, lo, hi, "#1f77b4", 0.25))
    chart.lines.append(charts.Line("median", w, mid, "#1f77b4", 2.0))
    chart.rules.append(charts.Rule(f"target {e.target:g}", e.target, "#d62728"))
    return charts.svg(chart)


@solara.component
def Compare(cfg: Scenario | None, seed: int | None, stored: StoredPoint | None, horizon: int,
            shown: bool = True) -> None:
    n_text, set_n_text = solara.use_state("20")
    result, set_result = solara.use_state({})  # "seeds": Ensemble, "ab": (A, B), "error": text
    busy, set_busy = solara.use_state("")
    pinned, set_pinned = solara.use_state(None)  # the settings kept as A
    n_error = None
    try:
        n = vc.parse_count(n_text, 2, N_SEEDS_MAX, "seeds")
    except ConfigError as e:
        n, n_error = None, str(e)
    ready = cfg is not None and seed is not None and not busy
    if not shown:  # keeps its state (A, the last result) while another tab is shown
        return

    def run_in_thread(what: str, work) -> None:
        def target():
            try:
                kind, data = work()
                set_result(lambda old: {**old, kind: data, "error": None})
            except Exception as e:  # a run that fails says so on the page
                message = f"{what} failed: {e}"
                set_result(lambda old: {**old, "error": message})
            finally:
                set_busy("")
        set_busy(what)
        threading.Thread(target=target, daemon=True).start()

    Markdown("#### Many seeds of the current settings")
    with solara.Row():
        solara.InputText("How many seeds", value=n_text, on_value=set_n_text, error=bool(n_error),
                         message=n_error, continuous_update=True, style={"max-width": "160px"})
        solara.Button(f"Run {n or '?'} seeds (from seed {seed})", color="primary",
                      disabled=not ready or n is None, classes=["pactsim-run-seeds"],
                      on_click=lambda: run_in_thread(f"running {n} seeds", lambda: (
                          "seeds", ensemble(cfg, seed, n, horizon, "these settings"))))
    Markdown("#### A/B: two settings on the same seed")
    with solara.Row():
        solara.Button("Keep the current settings as A", disabled=cfg is None,
                      classes=["pactsim-pin-a"], on_click=lambda: set_pinned(cfg))
        changes = vc.changed(cfg, pinned) if (cfg is not None and pinned is not None) else []
        solara.Button(f"Run A and B (current settings) on seed {seed}", color="primary",
                      disabled=not ready or pinned is None, classes=["pactsim-run-ab"],
                      on_click=lambda: run_in_thread("running A and B", lambda: (
                          "ab", (one_run(pinned, seed, horizon, "A"),
                                 one_run(cfg, seed, horizon, "B")))))
    if pinned is not None:
        solara.Text(f"A: {vc.levers_text(pinned)}. B differs from A in: "
                    f"{', '.join(changes) if changes else 'nothing yet (change a setting)'}.")
    if busy:
        solara.Info(f"{busy} ...")
    if result.get("error"):
        solara.Error(result["error"])
    with solara.Div(classes=["pactsim-live"]):
        with solara.Div():
            if "seeds" in result:
                data = result["seeds"]
                solara.HTML(unsafe_innerHTML=_ensemble_chart(data, stored, horizon),
                            classes=["pactsim-ensemble"])
                solara.HTML(unsafe_innerHTML=charts.histogram_svg(
                    f"Weeks until deployed fitness reaches {data.target:g}", "weeks to target",
                    data.speed[data.reached], int((~data.reached).sum()), horizon))
                solara.Text(data.summary(), classes=["pactsim-ensemble-summary"])
                if stored is not None and stored.ensemble is not None:
                    solara.Text(" " + stored.ensemble.summary())
        with solara.Div():
            if "ab" in result:
                a, b = result["ab"]
                solara.HTML(unsafe_innerHTML=_ab_chart(a, b, horizon, a.target),
                            classes=["pactsim-ab"])
                for e in (a, b):
                    with solara.Div():
                        solara.Text(e.summary(), classes=[f"pactsim-ab-{e.label.lower()}"])


@solara.component
def About(cfg: Scenario, stored: StoredPoint | None) -> None:
    Markdown(f"### This scenario: {cfg.name}\n\n{text.scenario_words(cfg)}")
    if stored is not None:
        shown = ", ".join(f"{k} = {v}" for k, v in stored.factors.items())
        Markdown(f"Opened from design point {stored.point} of the sweep "
                        f"{stored.experiment} ({stored.folder}): {shown}.")
    Markdown(f"### The model\n\n{text.MODEL}\n\n{text.READING}")
    Markdown("### The levers\n\n" + "\n".join(f"- **{name}**: {words}"
                                                    for name, words in text.lever_words()))
    Markdown(f"Lever mode: {text.mode_words()}.")
    Markdown("### What to try\n\n" + "\n".join(f"- {t}" for t in text.TRY))
    Markdown(text.ODD_NOTE)


@solara.component
def OddText() -> None:
    odd = solara.use_memo(lambda: (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8"), [])
    Markdown(odd)


# --- the page ---
@solara.component
def Page() -> None:
    setup = solara.use_memo(load_setup, [])
    base = setup.base
    ctrls = solara.use_memo(lambda: vc.controls(base), [])
    mode, set_mode = solara.use_state(base.levers.mode)
    values, set_values = solara.use_state({c.key: c.value(base) for c in ctrls})
    seed_text, set_seed_text = solara.use_state(str(base.run.seed))
    first = solara.use_memo(lambda: LiveRun(base, base.run.seed), [])
    live, set_live = solara.use_state(first)
    previous, set_previous = solara.use_state(None)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state("10 weeks a second")
    tab, set_tab = solara.use_state(0)
    _, set_finished = solara.use_state(0)
    tick = solara.use_reactive(0)
    flag = solara.use_memo(lambda: {"playing": False, "rate": 10.0, "step_total": [],
                                    "set_playing": set_playing, "ack": threading.Event(),
                                    "want": 0, "drawn": -1, "render": []}, [])
    flag["rate"], flag["set_playing"] = SPEEDS[speed], set_playing

    def set_value(key: str, value: Any) -> None:
        set_values(lambda old: {**old, key: value})

    try:
        cfg, cfg_error = vc.page_config(base, mode, values), None
    except ConfigError as e:
        cfg, cfg_error = None, str(e)
    try:
        seed, seed_error = vc.parse_seed(seed_text), None
    except ConfigError as e:
        seed, seed_error = None, str(e)
    changes = vc.changed(cfg, live.config) if cfg is not None else []
    if seed is not None and seed != live.seed:
        changes = [*changes, "seed"]

    def play_work(cancel: threading.Event) -> None:
        if playing:
            _play_loop(live, flag, tick, cancel)

    solara.use_thread(play_work, dependencies=[playing, live], intrusive_cancel=False)

    def toggle_play() -> None:
        flag["playing"] = not playing
        set_playing(not playing)

    def step_once() -> None:
        t0 = time.perf_counter()
        if live.step():
            t1 = time.perf_counter()
            tick.value = live.done
            flag["render"].append(time.perf_counter() - t1)
            flag["step_total"].append(time.perf_counter() - t0)
        if live.finished:
            set_finished(live.done)  # the buttons grey out, with the finished message

    def new_run() -> None:
        if cfg is None or seed is None:
            return
        flag["playing"] = False
        set_playing(False)
        if live.done:
            weeks, deployed = live.series(Series.DEPLOYED_FITNESS)
            set_previous(Previous(weeks, deployed, f"previous run (seed {live.seed})",
                                  vc.levers_text(live.config)))
        flag["step_total"].clear()
        flag["render"].clear()
        set_live(LiveRun(cfg, seed))
        tick.value = 0

    solara.Style(CSS)
    solara.Title(f"pactsim: {base.name}")
    with solara.Sidebar():
        Markdown("**Settings** (a change takes effect in a new run from week 0)")
        solara.InputText("Seed (a whole number)", value=seed_text, on_value=set_seed_text,
                         error=bool(seed_error), message=seed_error, continuous_update=True,
                         classes=["pactsim-seed"])
        Controls(ctrls, values, set_value, mode, set_mode)
    with solara.Row(classes=["pactsim-buttons"]):
        solara.Button("Step one week", on_click=step_once, disabled=playing or live.finished,
                      classes=["pactsim-step"])
        solara.Button("Pause" if playing else "Play", on_click=toggle_play,
                      disabled=live.finished and not playing, color="primary",
                      classes=["pactsim-play"])
        solara.Select(label="Play speed", values=list(SPEEDS), value=speed, on_value=set_speed,
                      style={"max-width": "170px"})
        label = ("New run from week 0" + (f" with the new settings ({', '.join(changes)})"
                                          if changes else ""))
        solara.Button(label, on_click=new_run, disabled=cfg is None or seed is None,
                      color="warning" if changes else None, classes=["pactsim-new-run"])
    if cfg_error or seed_error:
        solara.Error(f"These settings cannot run: {cfg_error or seed_error}",
                     classes=["pactsim-config-error"], dense=True)
    elif changes and cfg is not None:
        solara.Warning(f"Not yet in the run: {', '.join(changes)}. The run on screen still uses "
                       "its own settings; 'New run from week 0' starts one with these.",
                       classes=["pactsim-pending"], dense=True)
    with solara.lab.Tabs(value=tab, on_value=set_tab):
        with solara.lab.Tab("Live run"):
            LiveView(live, tick, flag, previous, setup.stored)
        with solara.lab.Tab("Compare: seeds and A/B"):  # built while shown (a step walks the tree)
            Compare(cfg, seed, setup.stored, live.horizon, shown=tab == 1)
        with solara.lab.Tab("About this model"):
            if tab == 2:
                About(live.config, setup.stored)
        with solara.lab.Tab("Model specification (ODD)"):
            if tab == 3:
                OddText()


__all__ = ["Page"]
