"""The schema: documented fields, clear errors for bad input, exit status 2, no traceback."""

import json

import pytest
from pydantic import BaseModel

import sim
from sim.config import Scenario, config_hash
from sim.errors import ConfigError
from sim.scenario_files import load_scenario
from tests.conftest import run_cli


def _fields(model, prefix=""):
    for name, f in model.model_fields.items():
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _fields(ann, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", f


def test_every_field_is_documented():
    for key, f in _fields(Scenario):
        assert f.description, key
        extra = f.json_schema_extra or {}
        assert "unit" in extra and "source" in extra, key


def _inside(value, rng) -> bool:
    if isinstance(value, tuple):  # a pair (or tuple) has a range per element
        return len(value) == len(rng) and all(_inside(v, r) for v, r in zip(value, rng, strict=True))
    lo, hi = rng
    return lo <= value <= hi


def test_every_assumed_number_states_a_plausible_range_around_its_default():
    """An assumption's value is not a source: its plausible (low, high) range is kept in the schema
    for robustness studies, and the default lies inside it. Choices (text) need none."""
    missing, outside = [], []
    for key, f in _fields(Scenario):
        extra = f.json_schema_extra or {}
        if not str(extra["source"]).startswith("assumption") or isinstance(f.default, str):
            continue
        rng = extra.get("plausible")
        if rng is None:
            missing.append(key)
        elif not _inside(f.default, rng):
            outside.append((key, f.default, rng))
    assert not missing, missing
    assert not outside, outside


def test_hash_is_stable_and_sensitive():
    a = load_scenario("baseline")
    assert config_hash(a) == config_hash(load_scenario("baseline"))
    assert config_hash(a) != config_hash(load_scenario("baseline", ["levers.culture=0.6"]))
    assert config_hash(a) == config_hash(load_scenario("budget_equal", ["levers.mode='direct'"]))


def test_set_overrides_and_extends():
    cfg = load_scenario("tech_first", ["levers.culture=0.9", "rules.adoption=threshold"])
    assert cfg.levers.technology == 1.0 and cfg.levers.culture == 0.9
    assert cfg.rules.adoption == "threshold"
    assert load_scenario("tech_first").population == Scenario().population


BAD = [
    ("[population]\nn_employees = -5\n", "population.n_employees", "-5"),
    ("[culture]\np_share = [1.5, 0.2]\n", "culture.p_share.0", "1.5"),
    ("[levers]\nprocess = 1.5\n", "levers.process", "1.5"),
    ("[levers]\nprocess = 'high'\n", "levers.process", "high"),
    ("[population]\nn_employees = 5\nn_units = 10\n", "n_units", "10"),
    ("[population]\nshare_hero = 0.6\nshare_locked = 0.6\n", "share_hero", "1.33"),
    ("[levers]\nmode = 'budget'\n[levers.budget]\nprocess = 0.9\n", "sum to", "1.65"),
    ("[levers.schedule]\norder = ['process', 'process', 'culture', 'technology']\n", "order",
     "process"),
    ("[landscape]\nnk_n = 10\nnk_k = 10\n", "nk_k", "10"),
    ("[rules]\nfunnel = 'magic'\n", "rules.funnel", "magic"),
    ("[landscape]\nexponent = nan\n", "landscape.exponent", "NaN"),
    ("[bogus]\nx = 1\n", "bogus", "unknown key"),
    ("[population]\nn_employes = 10\n", "population.n_employes", "unknown key"),
    ("[population\nn_employees = 10\n", "line 1, column", "TOML"),
    ("", None, None),  # an empty file is the default scenario: valid
]


@pytest.mark.parametrize("text,key,value", BAD)
def test_bad_input_is_named(tmp_path, text, key, value):
    p = tmp_path / "s.toml"
    p.write_text(text)
    if key is None:
        assert load_scenario(p) == Scenario(name="s")
        return
    with pytest.raises(ConfigError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert str(p) in msg and key in msg and value in msg, msg


@pytest.mark.slow  # a subprocess each (in-process: test_hostile_input.test_cli_statuses_in_process)
@pytest.mark.parametrize("args,needle", [
    (["run", "no_such_scenario"], "no such scenario"),
    (["run", "baseline", "--set", "levers.cultur=1"], "levers.cultur names no field"),
    (["run", "baseline", "--set", "levers.culture=1.5"], "levers.culture = 1.5"),
    (["run", "baseline", "--set", "population.n_employees=-1"], "population.n_employees = -1"),
    (["run", "baseline", "--seed", "-3"], "--seed -3"),
    (["run", "baseline", "--set", "levers"], "expected key=value"),
])
def test_cli_rejects_with_status_2_and_no_traceback(tmp_path, args, needle):
    out = tmp_path / "out"
    r = run_cli(*args, "--out", str(out))
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not out.exists()  # nothing written for a rejected config


@pytest.mark.slow
def test_cli_rejects_a_directory_and_binary_file(tmp_path):
    (tmp_path / "d.toml").mkdir()
    r = run_cli("run", str(tmp_path / "d.toml"))
    assert r.returncode == 2 and "not a file" in r.stderr
    (tmp_path / "b.toml").write_bytes(b"\x00\xff\xfe binary")
    r = run_cli("run", str(tmp_path / "b.toml"))
    assert r.returncode == 2 and "UTF-8" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_cli_run_writes_results(tmp_path):
    out = tmp_path / "run"
    r = run_cli("run", "baseline", "--steps", "30", "--seed", "5", "--set", "levers.culture=0.7",
                "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "innovation_speed" in r.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["steps"] == 30
    assert manifest["config"]["levers"]["culture"] == 0.7
    assert manifest["config_hash"] == config_hash(load_scenario("baseline",
                                                                ["levers.culture=0.7"]))
    assert "numba" in manifest["versions"] and "commit" in manifest["git"]
    import pandas as pd
    ts = pd.read_parquet(out / "timeseries.parquet")
    direct = sim.simulate(load_scenario("baseline", ["levers.culture=0.7"]), seed=5, steps=30)
    assert ts.equals(direct.timeseries)
    outcomes = json.loads((out / "outcomes.json").read_text())
    assert outcomes["launches"] == direct.outcomes["launches"]
    assert not list(out.glob(".*tmp"))
    # results are shared data: written with the umask's permissions, not mkstemp's private 0600
    import os
    mask = os.umask(0o022)
    os.umask(mask)  # run_cli's child inherits this process's umask
    for name in ("manifest.json", "outcomes.json", "timeseries.parquet"):
        assert (out / name).stat().st_mode & 0o777 == 0o666 & ~mask, name
