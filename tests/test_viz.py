"""The view's pieces without a browser: sliders generated from the schema, validation of slider
values, the cached layout, the pictures, the offline asset cache's errors."""

import stat
import time

import numpy as np
import pytest

from sim import viz
from sim.assets import PACKAGES, AssetError, ensure_assets
from sim.config import Scenario
from sim.errors import ConfigError
from sim.scenario_files import load_scenario


def test_sliders_come_from_the_schema_and_the_scenario():
    cfg = load_scenario("culture_first")
    params = viz.slider_params(cfg)
    for path in viz.SLIDERS:
        p = params[viz.param_key(path)]
        section, name = path.split(".")
        info = Scenario.model_fields[section].annotation.model_fields[name]
        lo = next(getattr(m, "ge", getattr(m, "gt", None)) for m in info.metadata
                  if hasattr(m, "ge") or hasattr(m, "gt"))
        hi = next(getattr(m, "le", getattr(m, "lt", None)) for m in info.metadata
                  if hasattr(m, "le") or hasattr(m, "lt"))
        assert (p["min"], p["max"]) == (lo, hi)
        assert info.description in p["label"]
        assert p["value"] == getattr(getattr(cfg, section), name)  # the scenario's, not a default
        assert p["type"] == ("SliderInt" if info.annotation is int else "SliderFloat")
        assert p["step"] == 1 if info.annotation is int else 0 < p["step"] <= (hi - lo) / 100
    assert params["levers__culture"]["value"] == 1.0
    assert params["behaviour__p_turnover"]["step"] <= 0.0025 / 10


def test_slider_values_are_validated_by_the_schema():
    cfg = viz.view_config("baseline", {"levers__process": 0.9, "behaviour__n_flip_hero": 3})
    assert cfg.levers.process == 0.9 and cfg.behaviour.n_flip_hero == 3
    with pytest.raises(ConfigError, match="levers.process"):
        viz.view_config("baseline", {"levers__process": 1.5})
    with pytest.raises(ConfigError, match="behaviour.velocity"):
        viz.view_config("baseline", {"behaviour__velocity": -0.1})
    with pytest.raises(ConfigError, match="not a slider"):
        viz.view_config("baseline", {"population__n_employees": 5})


def test_view_model_takes_slider_values_and_ignores_mesas_scenario():
    model_class = viz.view_model_class()
    model = model_class(base="baseline", seed=3, levers__technology=0.9, scenario=object())
    assert model.config.levers.technology == 0.9 and model.seed == 3
    with pytest.raises(ConfigError):
        model_class(base="baseline", levers__technology=2.0)


def test_layout_is_cached_per_graph_and_pictures_render_fast_at_1000_employees():
    model = viz.view_model_class()(base="baseline", seed=0)
    assert len(model.employees) == 1000
    first = viz.layout(model.world)
    assert viz.layout(model.world) is first  # computed once
    pos, centres, intra, cross = first
    assert pos.shape == (1000, 2) and centres.shape == (10, 2)
    assert np.isfinite(pos).all() and len(intra) > len(cross) > 0
    # units are apart: an employee is nearer its own unit's centre than any other
    d = np.linalg.norm(pos[:, None, :] - centres[None], axis=2)
    assert (d.argmin(axis=1) == model.world.population.unit).all()
    viz.network_png(model)  # the background is drawn once
    model.step()
    t = time.perf_counter()
    png = viz.network_png(model)
    elapsed = time.perf_counter() - t
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert elapsed < 0.5, f"drawing 1,000 employees took {elapsed:.2f} s"
    rows = dict(viz.outcome_rows(model))
    assert rows["weeks run"] == "1" and rows["launches"] == "0"
    fig = viz.charts_figure(model)
    assert len(fig.axes) == 3


def test_assets_error_clearly_without_npm(tmp_path):
    with pytest.raises(AssetError, match="not found"):
        ensure_assets(tmp_path / "cache", npm=str(tmp_path / "no-such-npm"), log=lambda _: None)
    fake = tmp_path / "npm"
    fake.write_text("#!/bin/sh\necho 'npm ERR! network unreachable' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(AssetError, match="(?s)npm pack .*failed.*network unreachable"):
        ensure_assets(tmp_path / "cache", npm=str(fake), log=lambda _: None)


def test_assets_already_complete_need_no_npm(tmp_path):
    for spec in PACKAGES:
        (tmp_path / spec).mkdir(parents=True)
        (tmp_path / spec / ".complete").write_text(spec)
    assert ensure_assets(tmp_path, npm=str(tmp_path / "no-such-npm")) == tmp_path
