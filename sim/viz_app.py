"""The Solara app behind `pactsim view` (run by ``solara run sim/viz_app.py``; see ``sim.viz``).

``Page`` is rendered once per browser session and builds that session's own model, so two people
looking at the same server never step each other's model. The scenario comes from the environment
variable ``PACTSIM_VIEW_SCENARIO`` set by `pactsim view`.
"""

from __future__ import annotations

import os

import mesa.visualization.solara_viz as solara_viz
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim import viz

# Slider labels carry the schema's descriptions: give them a line of their own above the slider
# (Vuetify puts a label and its slider on one row, where long labels overlap).
CSS = """
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-label { white-space: normal; flex: 1 0 100%; max-width: 100%; height: auto;
                            line-height: 1.25; font-size: 13px; margin-bottom: 2px; }
"""


def _grid_layout(n: int) -> list[dict]:
    """Mesa's initial layout gives every component the same small cell (10 rows); the network and
    the plots need taller ones. (Mesa reads this function from its module at run time.)"""
    cells = [(0, 0, 6, 17), (6, 0, 6, 17), (0, 17, 6, 9)]  # x, y, width, height in grid units
    return [{"i": i, "x": x, "y": y, "w": w, "h": h, "moved": False}
            for i, (x, y, w, h) in enumerate(cells[:n])]


@solara.component
def NetworkView(model) -> None:
    update_counter.get()  # re-render after every step (Mesa bumps this counter)
    solara.Image(viz.network_png(model))


@solara.component
def ChartsView(model) -> None:
    update_counter.get()
    solara.FigureMatplotlib(viz.charts_figure(model), format="png",
                            dependencies=[update_counter.value, id(model)])


@solara.component
def OutcomesView(model) -> None:
    update_counter.get()
    with solara.Card("Outcomes so far"):
        for name, text in viz.outcome_rows(model):
            with solara.Row(classes=["pactsim-outcome"]):
                solara.Text(f"{name}:", style={"font-weight": "bold"})
                solara.Text(text)


def _network(model):
    return NetworkView(model)


def _charts(model):
    return ChartsView(model)


def _outcomes(model):
    return OutcomesView(model)


@solara.component
def Page() -> None:
    solara_viz.make_initial_grid_layout = _grid_layout
    base = os.environ.get(viz.SCENARIO_ENV, "baseline")
    view_model = viz.view_model_class()
    cfg = solara.use_memo(lambda: viz.load_scenario(base), [base])
    params = solara.use_memo(lambda: {"base": base, **viz.slider_params(cfg)}, [cfg])
    # one model per browser session (this component instance), built from the sliders' values
    model = solara.use_memo(lambda: view_model(base=base, seed=params["seed"]["value"]), [base])
    solara.Style(CSS)
    SolaraViz(model, components=[_network, _charts, _outcomes], model_params=params,
              name=f"pactsim: {cfg.name}")
