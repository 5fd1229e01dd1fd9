"""`pactsim view`: explore a scenario live in the browser (Mesa's SolaraViz over ``sim.model``).

The page (``sim/viz_app.py``) shows the social network of employees (colour: HERO Index group; star:
advocate; black ring: active platform user; units on a circle), live plots, the outcome figures so
far, Step / Play / Reset (Mesa), and sliders for the four PACT levers and the main behavioural
parameters. The sliders are generated from the scenario schema (``sim.config``): bounds, type and
description come from the field, the starting value from the scenario being viewed; a model is
built only from a scenario the schema validates. Slider changes take effect on Reset.

The server binds to 127.0.0.1 unless told otherwise, gives each browser session its own model, and
needs no internet: the page's JavaScript comes from a local cache (``sim.assets``).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import keys
from sim.config import ROOT, Scenario
from sim.errors import ConfigError
from sim.scenario_files import load_scenario, validate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.model import InnovationModel
    from sim.world import World

APP = Path(__file__).with_name("viz_app.py")
SCENARIO_ENV = "PACTSIM_VIEW_SCENARIO"
# parameters the page offers as sliders, as dotted paths into the schema
SLIDERS = (
    "levers.process", "levers.advocates", "levers.culture", "levers.technology",
    "behaviour.velocity", "behaviour.q_adopt", "behaviour.n_flip_hero", "behaviour.rel_share_hero",
    "behaviour.copy_error", "behaviour.p_turnover", "customers.q_wom", "landscape.p_turbulence",
)
SEED_MAX = 999  # the schema allows seeds up to 2**63 - 1; a slider offers the first thousand
GROUP_COLOURS = np.array(["#d62728", "#1f77b4", "#ff7f0e", "#b0b0b0"])  # Group order
GROUP_NAMES = ("HERO", "locked-down", "rogue", "disenfranchised")


# --- sliders from the schema ---
def slider_key(path: str) -> keys.Key:
    """The resolved key of a slider (``sim.keys``' syntax, as ``--set`` and experiment files)."""
    try:
        return keys.resolve(path)
    except ValueError as e:
        raise ConfigError(f"view: {e}") from None


def field_info(path: str) -> Any:
    """The pydantic FieldInfo of a dotted path such as ``levers.process``."""
    return slider_key(path).field


def bounds(info: Any) -> tuple[float, float]:
    """(low, high) of a field (or a :class:`sim.keys.Key`) from its ge/gt/le/lt constraints; both
    must exist."""
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    if lo is None or hi is None:
        raise ValueError(f"field {info!r} has no bounds: it cannot be a slider")
    return lo, hi


def param_key(path: str) -> str:
    """Keyword name of a slider (``levers.process`` -> ``levers__process``): Mesa passes sliders
    to the model as keyword arguments."""
    return path.replace(".", "__")


def _step(lo: float, hi: float, value: float) -> float:
    """A slider step fine enough for the value (p_turnover = 0.0025 needs 1e-4)."""
    step = (hi - lo) / 100
    if value > 0:
        step = min(step, 10 ** math.floor(math.log10(value)) / 10)
    return step


def slider_params(cfg: Scenario, sliders: tuple[str, ...] = SLIDERS) -> dict[str, dict]:
    """Mesa ``model_params`` for the page: one slider per key of ``sliders`` (bounds, type and
    description from the schema, value from ``cfg``), the seed, and the scenario as a fixed value."""
    params: dict[str, Any] = {}
    current = cfg.model_dump(mode="json")
    for path in sliders:
        key = slider_key(path)
        info = key.field
        try:
            lo, hi = bounds(key)
        except ValueError:
            raise ConfigError(f"view: {path} has no bounds: it cannot be a slider") from None
        value = keys.get(current, key.path)
        unit = (info.json_schema_extra or {}).get("unit", "")
        label = f"{path}: {info.description}" + (f" ({unit})" if unit else "")
        if key.annotation is int:
            params[param_key(path)] = {"type": "SliderInt", "value": int(value), "label": label,
                                       "min": int(lo), "max": int(hi), "step": 1}
        else:
            params[param_key(path)] = {"type": "SliderFloat", "value": float(value), "label": label,
                                       "min": float(lo), "max": float(hi),
                                       "step": _step(lo, hi, value)}
    seed_info = field_info("run.seed")
    params["seed"] = {"type": "SliderInt", "value": min(cfg.run.seed, SEED_MAX),
                      "label": f"run.seed: {seed_info.description}", "min": 0, "max": SEED_MAX,
                      "step": 1}
    return params


def view_config(base: Scenario | str, values: dict[str, Any],
                sliders: tuple[str, ...] = SLIDERS) -> Scenario:
    """The scenario ``base`` with slider values (keyed by :func:`param_key`) applied, validated
    by the schema: a value outside a field's bounds raises :class:`ConfigError`."""
    cfg = base if isinstance(base, Scenario) else load_scenario(base)
    data = cfg.model_dump(mode="json")
    by_key = {param_key(p): p for p in sliders}
    for name, value in values.items():
        if name not in by_key:
            raise ConfigError(f"view: {name} is not a slider of the page ({', '.join(by_key)})")
        keys.put(data, slider_key(by_key[name]).path, value)
    return validate(data, f"view of {cfg.name}")


def _model_class():
    """``ViewModel``, defined on first use so importing this module does not import Mesa."""
    from sim.model import InnovationModel

    class ViewModel(InnovationModel):
        """The model of one browser session: a scenario plus the page's slider values."""

        def __init__(self, base: str = "baseline", seed: int = 0, **sliders: Any) -> None:
            # Mesa's Reset passes its own (empty) experiment Scenario along; ours is `base`.
            sliders.pop("scenario", None)
            super().__init__(view_config(base, sliders), seed=int(seed))

    return ViewModel


_VIEW_MODEL = None


def view_model_class() -> type[InnovationModel]:
    global _VIEW_MODEL
    if _VIEW_MODEL is None:
        _VIEW_MODEL = _model_class()
    return _VIEW_MODEL


# --- drawing ---
_LAYOUTS: dict[str, tuple] = {}


def graph_digest(indptr: np.ndarray, nbr: np.ndarray, n_emp: int) -> str:
    """A hash of the employee part of a CSR graph (the layout's cache key)."""
    h = hashlib.sha1(np.int64(n_emp).tobytes())
    h.update(indptr[:n_emp + 1].tobytes())
    h.update(nbr[:indptr[n_emp]].tobytes())
    return h.hexdigest()


def layout(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Employee positions (n_emp, 2), unit centres (n_units, 2), and line segments of intra-unit
    and cross-unit colleague ties; computed once per graph and cached.

    Units sit on a circle; a unit's employees sit on a small circle in node order, the order of the
    small-world ring lattice, so lattice ties are short chords and rewired or cross ties stand out.
    """
    g, unit = world.graph, world.population.unit
    n_emp = unit.shape[0]
    key = graph_digest(g.indptr, g.nbr, n_emp)
    if key in _LAYOUTS:
        return _LAYOUTS[key]
    n_units = int(unit.max()) + 1
    angle = 2 * np.pi * np.arange(n_units) / n_units
    centres = np.c_[np.cos(angle), np.sin(angle)] * (1.0 if n_units > 1 else 0.0)
    start = np.searchsorted(unit, np.arange(n_units))
    size = np.bincount(unit, minlength=n_units)
    k = np.arange(n_emp) - start[unit]
    theta = 2 * np.pi * k / size[unit]
    radius = min(0.9 * np.sin(np.pi / n_units), 0.45) if n_units > 1 else 1.0
    pos = centres[unit] + radius * np.c_[np.cos(theta), np.sin(theta)]
    src = np.repeat(np.arange(n_emp), np.diff(g.indptr[:n_emp + 1]))
    dst = g.nbr[:g.indptr[n_emp]]
    kind = g.kind[:g.indptr[n_emp]]
    keep = (dst < n_emp) & (src < dst) & (kind != 2)  # each colleague tie once; latent platform ties
    src, dst = src[keep], dst[keep]                   # change with adoption: left out
    segs = np.stack([pos[src], pos[dst]], axis=1)
    same = unit[src] == unit[dst]
    if len(_LAYOUTS) > 16:
        _LAYOUTS.clear()
    _LAYOUTS[key] = (pos, centres, segs[same], segs[~same])
    return _LAYOUTS[key]


def steps_done(model: InnovationModel) -> int:
    """Steps the model has run (it may stop before its horizon, e.g. at March's equilibrium)."""
    from sim.metrics import Tally

    return int(model.tally[Tally.STEPS_RUN])


NET_PX = 560  # side of the network picture, pixels


def _background(world: World) -> tuple:
    """The static part of the network picture (ties, unit labels, legend) as a PIL image, and the
    employees' pixel positions; drawn once per graph with matplotlib and cached."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from PIL import Image

    pos, centres, intra, cross = layout(world)
    key = graph_digest(world.graph.indptr, world.graph.nbr, pos.shape[0]) + ":background"
    if key in _LAYOUTS:
        return _LAYOUTS[key]
    dpi = 100
    fig = Figure(figsize=(NET_PX / dpi, NET_PX / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.88))
    ax.add_collection(LineCollection(intra, colors="#dddddd", linewidths=0.3))
    ax.add_collection(LineCollection(cross, colors="#a6cee3", linewidths=0.3))
    for u, (x, y) in enumerate(centres):
        ax.text(x, y, f"unit {u}", ha="center", va="center", fontsize=7, color="#666666")
    span = np.abs(pos).max() * 1.06 + 1e-9
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Line2D([], [], ls="", marker="o", color=c, label=n)
               for c, n in zip(GROUP_COLOURS, GROUP_NAMES, strict=True)]
    handles += [Line2D([], [], ls="", marker="o", mfc="white", mec="black", label="platform user"),
                Line2D([], [], ls="", marker="D", mfc="white", mec="black", label="advocate")]
    fig.legend(handles=handles, loc="upper center", ncol=3, fontsize=8, frameon=False)
    canvas.draw()
    xy = ax.transData.transform(pos)
    xy[:, 1] = fig.bbox.height - xy[:, 1]  # image rows grow downwards
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    _LAYOUTS[key] = (image, xy)
    return _LAYOUTS[key]


def network_png(model: InnovationModel) -> bytes:
    """PNG of the employees on the social graph at the model's current step: fill colour = HERO
    Index group, black ring = active platform user, diamond = advocate. Only the agents are drawn
    per step (a few milliseconds at 1,000 employees); ties come from the cached background."""
    import io

    from PIL import ImageDraw

    from sim.enums import Platform

    background, xy = _background(model.world)
    image = background.copy()
    draw = ImageDraw.Draw(image)
    n = len(model.employees)
    r = 3.5 if n <= 2000 else 2.0
    for e, (x, y) in zip(model.employees, xy.tolist(), strict=True):
        colour = GROUP_COLOURS[e.group]
        ring = "black" if e.platform == Platform.ACTIVE else None
        if e.is_advocate:
            draw.regular_polygon((x, y, 2.2 * r), 4, rotation=45, fill=colour, outline="black")
        else:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour, outline=ring)
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1)
    return buf.getvalue()


def charts_figure(model: InnovationModel) -> Figure:
    """Live plots of the series so far (a matplotlib Figure with three panels)."""
    from matplotlib.figure import Figure

    from sim.metrics import Series

    done = steps_done(model)
    s = model.series[:done]
    t = np.arange(1, done + 1)
    fig = Figure(figsize=(6.2, 6.6), dpi=80)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.95, bottom=0.07, hspace=0.45)
    axes = fig.subplots(3, 1, sharex=True)
    panels = (
        ("fitness", ((Series.DEPLOYED_FITNESS, "deployed"), (Series.BEST_FITNESS, "best known"))),
        ("ideas per funnel stage", ((Series.IDEAS_SCREEN, "screen"),
                                    (Series.IDEAS_DEVELOP, "develop"), (Series.IDEAS_PILOT, "pilot"))),
        ("share of employees / customers", ((Series.PLATFORM_USERS, "platform users"),
                                            (Series.HERO_SHARE, "HEROes"),
                                            (Series.CUSTOMER_ADOPTION, "customers adopted"))),
    )
    for ax, (title, lines) in zip(axes, panels, strict=True):
        for col, label in lines:
            ax.plot(t, s[:, col], lw=1.3, label=label)
        ax.set_title(title, fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    axes[0].set_xlim(0, max(model.horizon, 1))
    axes[0].set_ylim(0, 1)
    axes[2].set_ylim(0, 1)
    axes[2].set_xlabel("week", fontsize=8)
    return fig


def outcome_rows(model: InnovationModel) -> list[tuple[str, str]]:
    """The outcome figures so far as (name, text) rows."""
    done = steps_done(model)
    lv = model.config.levers
    levers = (f"{lv.process:.2f}, {lv.advocates:.2f}, {lv.culture:.2f}, {lv.technology:.2f}"
              + ("" if lv.mode == "direct" else f" ({lv.mode} mode)"))
    if done == 0:
        return [("weeks run", "0"), ("levers P, A, C, T", levers)]
    out = model.outcomes()

    def num(x: float, unit: str = "") -> str:
        return "—" if x != x else f"{x:.3g}{unit}"

    speed = (f"> {out['innovation_speed']} weeks (target not reached)" if out["innovation_censored"]
             else f"{out['innovation_speed']} weeks")
    return [
        ("weeks run", str(done)),
        ("levers P, A, C, T", levers),
        ("launches", str(out["launches"])),
        ("lead time, median / p90", f"{num(out['lead_time_median'])} / {num(out['lead_time_p90'])} weeks"),
        ("innovation speed", speed),
        ("deployed fitness", num(out["final_fitness"])),
        ("platform adoption", num(100 * out["final_platform_adoption"], " %")),
        ("HERO share", num(100 * out["final_hero_share"], " %")),
        ("customer value", num(out["customer_value"])),
    ]


# --- the command ---
def command(args: argparse.Namespace) -> int:
    """`pactsim view [SCENARIO] [--host H] [--port P]`: serve the page until Ctrl-C."""
    from sim.assets import AssetError, ensure_assets, solara_env

    cfg = load_scenario(args.scenario)  # a bad name fails here, before any server starts
    _check_address(args.host, args.port)
    try:
        cache = ensure_assets()
    except AssetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    warm_up(cfg)
    env = solara_env(cache)
    env[SCENARIO_ENV] = str(args.scenario)
    cmd = [sys.executable, "-m", "solara", "run", str(APP), "--host", args.host,
           "--port", str(args.port), "--production", "--no-open", "--log-level", "warning"]
    print(f"pactsim view: {cfg.name} at http://{args.host}:{args.port}/  (Ctrl-C stops)", flush=True)
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return _stop(proc)
    finally:
        if proc.poll() is None:
            _stop(proc)


def _check_address(host: str, port: int) -> None:
    """Fail before starting the server when it could not listen at ``host:port`` (an unknown
    address, a port in use), with the reason instead of the server's traceback."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            s.bind((host, port))
    except (OSError, UnicodeError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        hint = "" if host == "127.0.0.1" else ", or --host 127.0.0.1"
        raise ConfigError(f"--host {host} --port {port}: cannot listen there ({reason}); "
                          f"pass another --port{hint}") from None


def _stop(proc: subprocess.Popen) -> int:
    """Stop the server. A terminal's Ctrl-C has already reached it (same process group): give it
    a moment to shut down, then SIGINT (uvicorn shuts down cleanly), SIGTERM, SIGKILL."""
    for sig, wait in ((None, 3), (signal.SIGINT, 5), (signal.SIGTERM, 3), (signal.SIGKILL, 3)):
        if proc.poll() is not None:
            break
        if sig is not None:
            proc.send_signal(sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    print("pactsim view: stopped", file=sys.stderr)
    return 0


def warm_up(cfg: Scenario) -> None:
    """Load (or compile, the first time) the rules as the Mesa model calls them, on a tiny copy of
    the scenario, so the first page does not wait for Numba."""
    from sim.model import InnovationModel

    small = validate({**cfg.model_dump(mode="python"),
                      "population": {**cfg.population.model_dump(), "n_employees": 20,
                                     "n_units": 2, "n_customers": 20},
                      "technology": {**cfg.technology.model_dump(), "n_seed_users": 2}},
                     "warm-up")
    model = InnovationModel(small, seed=0, steps=2)
    model.step()
    network_png(model)


__all__ = ["charts_figure", "command", "layout", "network_png", "slider_params", "view_config",
           "view_model_class"]
