"""The view's pieces without a browser: which values a lever mode ignores (and the command line's
warning), controls from the schema, validation of the page's inputs, the charts, the network
picture, the live run's card, the comparisons, the Host/Origin guard, the offline asset cache."""

import asyncio
import stat
import time

import numpy as np
import pytest

from sim import lever_modes, view_charts, view_controls, view_network, view_runs, view_server
from sim.assets import PACKAGES, AssetError, ensure_assets
from sim.errors import ConfigError
from sim.scenario_files import load_scenario
from tests.conftest import small


# --- which values a lever mode ignores: one rule, for the page and the command line ---
@pytest.mark.parametrize("mode, read, unread", [
    ("direct", ["levers.process", "levers.shape"], ["levers.budget.total",
                                                     "levers.schedule.starts.1"]),
    ("budget", ["levers.budget.culture", "levers.shape"], ["levers.culture",
                                                            "levers.schedule.order"]),
    ("schedule", ["levers.schedule.level_on", "levers.schedule.starts.0", "culture.p_share.1"],
     ["levers.technology", "levers.budget.total"]),
])
def test_each_lever_mode_ignores_the_other_modes_values(mode, read, unread):
    cfg = load_scenario("baseline", [f"levers.mode={mode!r}".replace("'", '"')])
    assert lever_modes.ignored(cfg, read + unread) == unread
    assert all(lever_modes.is_read(mode, k) for k in read)


def test_run_warns_on_stderr_when_set_changes_an_ignored_value(tmp_path, capsys):
    from sim.cli import main

    assert main(["run", "full_pact", "--steps", "2", "--out", str(tmp_path / "a"),
                 "--set", "levers.technology=1.0"]) == 0
    err = capsys.readouterr().err
    assert "warning: --set levers.technology: ignored" in err and "'schedule'" in err
    assert main(["run", "full_pact", "--steps", "2", "--out", str(tmp_path / "b"),
                 "--set", "levers.schedule.level_on=1.0"]) == 0
    assert "warning" not in capsys.readouterr().err
    # switching the mode in the same command makes the level count: no warning
    assert lever_modes.warn_ignored(load_scenario("full_pact", ["levers.mode=\"direct\"",
                                                                "levers.technology=1.0"]),
                                    ["levers.mode=\"direct\"", "levers.technology=1.0"]) is None


def test_sweep_warns_about_an_experiment_key_its_lever_mode_ignores(smoke, capsys):
    text = smoke.read_text().replace('[set]', '[set]\n"levers.budget.total" = 3.0', 1)
    smoke.write_text(text)
    message = lever_modes.warn_experiment(str(smoke))
    assert message and "levers.budget.total" in message and "'direct'" in message
    assert "levers.budget.total" in capsys.readouterr().err
    assert lever_modes.warn_experiment("pact_budget") is None  # simplex: budget mode implied


# --- controls from the schema ---
def test_controls_come_from_the_schema_and_the_scenario():
    cfg = load_scenario("culture_first")
    ctrls = {c.key: c for c in view_controls.controls(cfg)}
    culture = ctrls["levers.culture"]
    assert (culture.low, culture.high, culture.kind) == (0.0, 1.0, "float")
    assert culture.value(cfg) == 1.0 and "Culture investment" in culture.tooltip
    assert culture.label == "Culture" and "levers.culture" not in culture.label
    assert ctrls["behaviour.p_turnover"].step <= 0.0025 / 10
    assert ctrls["behaviour.n_flip_hero"].kind == "int"
    assert ctrls["levers.schedule.order"].kind == "order"
    assert len(view_controls.orders()) == 24
    assert ctrls["levers.budget.total"].text(2.0) == "2.00 levers' worth"
    assert ctrls["levers.process"].text(0.5) == "0.50 level"
    # a control the mode ignores is marked so (the page disables it)
    assert not view_controls.active(culture, "schedule")
    assert view_controls.active(ctrls["levers.schedule.starts.2"], "schedule")
    assert view_controls.active(ctrls["levers.shape"], "budget")


def test_page_values_are_validated_by_the_schema_with_a_message():
    base = load_scenario("full_pact")
    cfg = view_controls.page_config(base, "schedule", {
        "levers.schedule.order": "culture → advocates → technology → process",
        "levers.schedule.starts.1": 4})
    assert cfg.levers.schedule.order == ("culture", "advocates", "technology", "process")
    assert cfg.levers.schedule.starts == (0, 4, 16, 24)
    with pytest.raises(ConfigError, match="starts"):
        view_controls.page_config(base, "schedule", {"levers.schedule.starts.0": 30})
    with pytest.raises(ConfigError, match="sum to 1"):
        view_controls.page_config(base, "budget", {"levers.budget.culture": 0.5})
    with pytest.raises(ConfigError, match="levers.process"):
        view_controls.page_config(base, "direct", {"levers.process": 1.5})
    with pytest.raises(ConfigError, match="lever mode"):
        view_controls.page_config(base, "bogus", {})
    assert view_controls.changed(cfg, base) == ["Order in which the levers switch on",
                                                "Week the 2nd lever switches on"]


@pytest.mark.parametrize("text, ok", [("0", True), ("17", True), (str(2**63 - 1), True),
                                      ("-1", False), (str(2**64), False), ("1.5", False),
                                      ("", False), ("seven", False)])
def test_seeds_typed_in_the_page_are_whole_numbers_in_the_schemas_range(text, ok):
    if ok:
        assert view_controls.parse_seed(text) == int(text)
    else:
        with pytest.raises(ConfigError, match="seed"):
            view_controls.parse_seed(text)
    with pytest.raises(ConfigError, match="from 2 to 200"):
        view_controls.parse_count("1", 2, 200, "seeds")


def test_moving_a_schedule_control_changes_the_run():
    from sim.engine import run
    from sim.metrics import Series

    base = small(levers={"mode": "schedule"})
    later = view_controls.page_config(base, "schedule", {"levers.schedule.starts.0": 30,
                                                         "levers.schedule.starts.1": 30,
                                                         "levers.schedule.starts.2": 30,
                                                         "levers.schedule.starts.3": 30})
    a = run(base, 0, 40)[0][:, Series.DEPLOYED_FITNESS]
    b = run(later, 0, 40)[0][:, Series.DEPLOYED_FITNESS]
    assert not np.array_equal(a, b)
    assert "Process from week 30" in view_controls.levers_text(later)


# --- charts, network, live run ---
def test_charts_carry_titles_units_target_and_legend():
    x = np.arange(1, 11)
    chart = view_charts.Chart("Fitness", "week", "fitness (1 = best solution)", 156, (0, 1),
                              lines=[view_charts.Line("deployed", x, x / 20, "#123456")],
                              bands=[view_charts.Band("10-90%", x, x / 40, x / 10, "#654321")],
                              rules=[view_charts.Rule("target 0.8", 0.8)])
    t = time.perf_counter()
    text = view_charts.svg(chart)
    assert time.perf_counter() - t < 0.05
    for part in ("Fitness", "week", "fitness (1 = best solution)", "target 0.8", "deployed",
                 "10-90%", "<polyline", "<polygon"):
        assert part in text
    hist = view_charts.histogram_svg("Weeks to target", "weeks", np.array([10, 12, 40]), 2, 156)
    assert hist.count("<rect") == 3 and "never" in hist  # two bins and the never bar
    assert view_charts.nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_network_layout_is_cached_and_the_overlay_is_fast_at_1000_employees():
    from sim.view_live import LiveRun

    live = LiveRun(load_scenario("baseline"), 0)
    first = view_network.layout(live.model.world)
    assert view_network.layout(live.model.world) is first
    pos, centres, intra, cross = first
    assert pos.shape == (1000, 2) and centres.shape == (10, 2) and len(intra) > len(cross) > 0
    d = np.linalg.norm(pos[:, None, :] - centres[None], axis=2)
    assert (d.argmin(axis=1) == live.model.world.population.unit).all()  # units apart
    assert view_network.background_png(live.model.world)[:8] == b"\x89PNG\r\n\x1a\n"
    for _ in range(3):
        live.step()
    t = time.perf_counter()
    png = live.network_png()
    elapsed = time.perf_counter() - t
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    assert elapsed < 0.05, f"drawing 1,000 employees took {elapsed:.3f} s"
    marks = live.marks()
    assert marks["platform"].any() and marks["advocate"].any()
    assert len(view_network.LEGEND) == 9


def test_live_run_card_has_units_and_the_finished_state():
    from sim.view_live import LiveRun

    live = LiveRun(small(run={"steps": 6}), 2)
    rows = dict(live.outcome_rows())
    assert rows["weeks run"] == "0 of 6" and rows["seed"] == "2"
    while live.step():
        pass
    assert live.finished and live.done == 6 and not live.step()
    rows = dict(live.outcome_rows())
    assert rows["weeks run"] == "6 of 6"
    assert rows["platform adoption"].endswith("% of employees")
    assert "(1 = the best solution)" in rows["deployed fitness"]
    assert "Process 0.50" in rows["levers"]


def test_ensembles_and_ab_runs_come_from_the_kernel():
    from sim.engine import simulate

    cfg = small()
    e = view_runs.ensemble(cfg, 5, 3, 30, "small")
    assert e.seeds == (5, 6, 7) and e.deployed.shape == (3, 30)
    direct = simulate(cfg, seed=6, steps=30)
    assert np.array_equal(e.deployed[1], direct.timeseries["deployed_fitness"].to_numpy())
    assert e.speed[1] == direct.outcomes["innovation_speed"]
    weeks, lo, mid, hi = e.band
    assert (lo <= mid).all() and (mid <= hi).all() and len(weeks) == 30
    assert e.summary().startswith("small: 3 runs, ")


@pytest.mark.slow
def test_a_stored_design_point_gives_its_settings_and_replicate_band(smoke, tmp_path):
    from sim.sweep import run_experiment

    out = run_experiment(str(smoke), out=tmp_path / "res", progress=False)
    point = view_runs.stored_point(out, 3)
    assert point.config.population.n_employees == 200
    assert set(point.factors) == {"levers.process", "levers.culture"}
    for key, value in point.factors.items():
        section, name = key.split(".")
        assert getattr(getattr(point.config, section), name) == value
    assert point.ensemble is not None and point.ensemble.deployed.shape[0] == 3
    with pytest.raises(ConfigError, match="no such design point"):
        view_runs.stored_point(out, 999)
    with pytest.raises(ConfigError, match="no such results folder"):
        view_runs.stored_point(tmp_path / "nothing", 0)


# --- the server's Host and Origin check ---
def _call(guard, scope):
    sent = []

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        sent.append(message)

    asyncio.run(guard(scope, receive, send))
    return sent


def test_host_guard_refuses_foreign_host_and_origin():
    reached = []

    async def app(scope, receive, send):
        reached.append(scope["type"])

    allowed = view_server.allowed_hosts("127.0.0.1", 8765)
    assert {"127.0.0.1:8765", "localhost:8765"} <= allowed
    guard = view_server.HostGuard(app, allowed)

    def scope(kind, host, origin=None):
        headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin else [])
        return {"type": kind, "headers": headers, "path": "/"}

    assert _call(guard, scope("http", "127.0.0.1:8765")) == [] and reached == ["http"]
    refused = _call(guard, scope("http", "evil.example"))
    assert refused[0]["status"] == 403
    assert _call(guard, scope("websocket", "127.0.0.1:8765", "http://evil.example")) == [
        {"type": "websocket.close", "code": 1008}]
    assert _call(guard, scope("websocket", "127.0.0.1:8765")) == [
        {"type": "websocket.close", "code": 1008}]  # a websocket must say where it comes from
    _call(guard, scope("websocket", "localhost:8765", "http://localhost:8765"))
    assert reached == ["http", "websocket"] and guard.refused == 3


# --- the offline asset cache ---
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


# --- the command: a warning off loopback, --from and --point checked before any server starts ---
def test_view_warns_off_loopback_and_checks_from_and_point(monkeypatch, capsys, tmp_path):
    import socket

    import sim.assets
    from sim.cli import main

    def no_assets(*args, **kwargs):
        raise AssetError("stop here")

    monkeypatch.setattr(sim.assets, "ensure_assets", no_assets)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["view", "baseline", "--host", "0.0.0.0", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert "warning: --host 0.0.0.0: the page is served to every machine" in err
    assert main(["view", "baseline", "--port", str(port)]) == 1
    assert "warning" not in capsys.readouterr().err  # loopback: nothing to warn about
    assert main(["view", "--point", "3", "--port", str(port)]) == 2
    assert "--from and --point go together" in capsys.readouterr().err
    assert main(["view", "--from", str(tmp_path), "--point", "3", "--port", str(port)]) == 2
    assert "no runs.parquet" in capsys.readouterr().err
