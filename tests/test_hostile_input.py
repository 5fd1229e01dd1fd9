"""Property-based hostile input: generated scenarios, valid and invalid, through the TOML loader
and the CLI. Every invalid one is refused with status 2 and a message naming the key, with no
traceback; every valid one runs a few steps without NaN."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import sim
from sim.cli import main
from sim.config import ROOT, Scenario
from sim.errors import ConfigError
from sim.scenario_files import load_scenario

SMALL = {"population": {"n_employees": 40, "n_units": 4, "n_customers": 60}}


def _leaves(model: type[BaseModel], prefix: tuple[str, ...] = ()):
    for name, f in model.model_fields.items():
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _leaves(ann, (*prefix, name))
        else:
            yield (*prefix, name), f


LEAVES = [(p, f) for p, f in _leaves(Scenario) if p[0] not in ("name", "description")]
NUMERIC = [(p, f) for p, f in LEAVES if f.annotation in (int, float)]


def _bounds(field):
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        lo = getattr(m, "gt", None) if getattr(m, "gt", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    return lo, hi


def _q(text: str) -> str:
    """A TOML basic string (JSON escapes, plus DEL, which TOML forbids raw)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _q(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_q(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(data: dict) -> str:
    lines = [f"{_q(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"[{_q(k)}]")
            lines += [f"{_q(kk)} = {toml_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def _set(data: dict, path: tuple[str, ...], value: Any) -> dict:
    out = json.loads(json.dumps(data))
    cur = out
    for part in path[:-1]:
        cur = cur.setdefault(part, {})
        if not isinstance(cur, dict):
            return out
    cur[path[-1]] = value
    return out


junk = st.recursive(st.floats() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c,
                                                                          max_size=3), max_leaves=6)


@st.composite
def invalid_case(draw):
    """(data, key that must be named) for a config that must be refused."""
    kind = draw(st.sampled_from(["range", "type", "nan", "huge", "unknown", "unicode", "nested",
                                 "empty_section_value"]))
    if kind in ("range", "nan", "huge"):
        path, field = draw(st.sampled_from(NUMERIC))
        lo, hi = _bounds(field)
        if kind == "nan":
            value = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        elif kind == "huge":
            value = draw(st.sampled_from([10**30, -(10**30), 1e300]))
            if (hi is None or value <= hi) and (lo is None or value >= lo):
                value = -(10**30) if lo is not None else 10**30
        else:
            options = ([lo - draw(st.floats(1e-3, 1e6))] if lo is not None else []) + \
                      ([hi + draw(st.floats(1e-3, 1e6))] if hi is not None else [])
            if not options:
                options = [math.nan]
            value = draw(st.sampled_from(options))
            if field.annotation is int and not math.isnan(value):
                value = math.floor(value) if hi is not None and value > hi else math.floor(value)
                if lo is not None and lo <= value <= (hi if hi is not None else value):
                    value = (hi + 1) if hi is not None else (lo - 1)
        return _set(SMALL, path, value), ".".join(path)
    if kind == "type":
        path, _ = draw(st.sampled_from(LEAVES))
        value = draw(st.sampled_from([{"x": 1}, "not a value", [1, 2, 3, 4, 5]]))
        return _set(SMALL, path, value), ".".join(path)
    if kind in ("unknown", "unicode"):
        section = draw(st.sampled_from([None, "population", "levers", "culture", "graph"]))
        alphabet = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
        key = draw(st.text(alphabet, min_size=1, max_size=8)) if kind == "unicode" else \
            draw(st.sampled_from(["n_employes", "levers2", "proces", "x"]))
        known = set(Scenario.model_fields) if section is None else set(
            Scenario.model_fields[section].annotation.model_fields)
        if key in known:
            key = key + "_x"
        path = (key,) if section is None else (section, key)
        return _set(SMALL, path, 1), key
    if kind == "nested":
        section = draw(st.sampled_from(["population", "levers", "process"]))
        return _set(SMALL, (section, "junk"), draw(junk)), "junk"
    path, _ = draw(st.sampled_from([p for p in LEAVES if len(p[0]) == 2]))
    return _set(SMALL, path, {}), ".".join(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=invalid_case())
def test_invalid_configs_are_refused_naming_the_key(tmp_path_factory, capsys, case):
    data, key = case
    path = tmp_path_factory.mktemp("cfg") / "s.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    out = path.parent / "out"
    assert main(["run", str(path), "--steps", "2", "--out", str(out)]) == 2, data
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}") and "Traceback" not in err, err
    assert key in err, (key, err)
    assert not out.exists()


@st.composite
def valid_case(draw):
    data = json.loads(json.dumps(SMALL))
    for _ in range(draw(st.integers(1, 4))):
        path, field = draw(st.sampled_from(NUMERIC))
        if path[0] == "population" and path[1] in ("n_employees", "n_units", "n_customers"):
            continue  # keep runs small; sizes are covered by the invalid cases and numerics tests
        if path[0] == "run":
            continue
        lo, hi = _bounds(field)
        lo = 0 if lo is None else lo
        hi = lo + 100 if hi is None else min(hi, lo + 100)
        if field.annotation is int:
            value = draw(st.integers(int(math.ceil(lo)), int(hi)))
        else:
            value = draw(st.floats(lo, hi, allow_nan=False, exclude_min=True))
        data = _set(data, path, value)
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=valid_case())
def test_valid_configs_run_or_are_refused_cleanly(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "s.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    try:
        cfg = load_scenario(path)
    except ConfigError as e:  # a cross-field rule (e.g. shares summing over 1) names its keys
        assert str(path) in str(e)
        return
    r = sim.simulate(cfg, seed=1, steps=4)
    assert not r.timeseries.isna().any().any()


def test_cli_statuses_in_process(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[levers]\nprocess = nan\n"ünï" = 1\n', encoding="utf-8")
    assert main(["run", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "levers.process" in err and "ünï" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    (tmp_path / "empty.toml").write_text("")
    assert main(["run", str(tmp_path / "empty.toml"), "--steps", "2", "--set",
                 "population.n_employees=30", "--out", str(tmp_path / "e")]) == 0


# --- names and paths: nothing in a name reaches outside its folder; nothing is run as code ------

ESCAPES = ["../pyproject", "../../etc/passwd", "/nonexistent/abs", "canonical/../../README",
           "a\x00b"]


def test_names_cannot_reach_outside_their_folders(capsys, tmp_path, monkeypatch):
    from sim import sweep, viz
    from sim.scenario_files import resolve_path

    monkeypatch.chdir(tmp_path)  # where none of these exists as a path (a path is taken as given)

    for name in ESCAPES:
        for resolve, what in ((resolve_path, "scenario"), (sweep.resolve_experiment, "experiment")):
            try:
                found = resolve(name)
            except ConfigError as e:
                assert "cannot reach outside" in str(e) or "no such" in str(e), str(e)
            else:  # only an existing file given as a path resolves, never a name climbing out
                raise AssertionError(f"{what} {name!r} resolved to {found}")
        with pytest.raises(ConfigError):
            viz.view_config(name, {})  # the view's base scenario
        for argv in (["run", name], ["sweep", name], ["view", name]):
            assert main(argv) == 2, argv
            assert "Traceback" not in capsys.readouterr().err
    assert resolve_path("canonical/bass").name == "bass.toml"  # names with folders still work


def test_default_results_folders_stay_in_the_results_folder(tmp_path, monkeypatch):
    from sim import cli, sweep

    assert cli._slug("canonical/bass") == "canonical_bass"
    for name in ("../../../tmp/x", "..", "/abs/olute", ".hidden", "ü ñ", "a\\b"):
        slug = cli._slug(name)
        assert "/" not in slug and not slug.startswith(".") and slug
    # an experiment file named "...toml" has the stem "..": it cannot name results/..
    odd = tmp_path / "...toml"
    odd.write_text((ROOT / "experiments" / "smoke.toml").read_text())
    with pytest.raises(ConfigError, match="cannot name a results folder"):
        sweep.run_experiment(odd, ci=True, progress=False)
    assert not (ROOT / "manifest.json").exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["name", "description"] + [".".join(p) for p, _ in LEAVES]),
       code=st.sampled_from(['__import__("os").system("touch {m}")', "open('{m}','w')",
                             "exec(\"open('{m}','w')\")", "${{open('{m}','w')}}", "`touch {m}`",
                             "$(touch {m})"]))
def test_config_values_are_never_evaluated_as_code(tmp_path_factory, key, code):
    marker = tmp_path_factory.mktemp("code") / "marker"
    text = code.format(m=marker)
    overrides = [f"{key}={text}", f"{key}={json.dumps(text)}"]
    for item in overrides:
        try:
            cfg = load_scenario("baseline", [item])
        except ConfigError:
            pass  # refused: only name and description take text
        else:
            assert key in ("name", "description") and getattr(cfg, key) == text  # kept as text
            sim.simulate(cfg.model_copy(update={"population": cfg.population.model_copy(
                update={"n_employees": 20, "n_units": 2, "n_customers": 20})}), seed=0, steps=2)
    assert not marker.exists()


def test_no_eval_or_exec_in_the_package():
    """The static half of 'never evaluated as code': no call to eval, exec or compile."""
    import ast

    for path in (ROOT / "sim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile"), f"{path}:{node.lineno}"


@pytest.mark.parametrize("depth", [33, 900, 20_000])
def test_deeply_nested_junk_is_refused_not_a_recursion_error(tmp_path, capsys, depth):
    deep = "[" * depth + "]" * depth
    scenario = tmp_path / "s.toml"
    scenario.write_text(f"[levers]\nprocess = {deep}\n")
    experiment = tmp_path / "e.toml"
    experiment.write_text('scenario = "baseline"\nseed = 1\nreplicates = 1\n[design]\nkind = "grid"\n'
                          f'factors = {{ "levers.process" = {deep} }}\n')
    for argv, where in ((["run", str(scenario)], f"{scenario}: "),
                        (["sweep", str(experiment), "--out", str(tmp_path / "res")], f"{experiment}: "),
                        (["run", "baseline", "--set", f"levers.process={deep}"], "--set: ")):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"error: {where}") and "nested more than 32 levels deep" in err, err
    assert not (tmp_path / "res").exists()


@pytest.mark.slow
def test_bad_addresses_are_refused_before_anything_starts(tmp_path, capsys, monkeypatch):
    import socket

    from sim import sweep

    monkeypatch.setattr(sweep.executors, "_CONNECT_SECONDS", 1.0)  # the silent port below waits this long

    with socket.socket() as busy:  # a port in use
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for argv, said in ((["view", "baseline", "--port", "99999"], "--port 99999: must be in"),
                           (["view", "baseline", "--host", "no.such.host.invalid"],
                            "cannot listen there"),
                           (["view", "baseline", "--port", str(port)], "Address already in use"),
                           (["sweep", "smoke", "--ci", "--scheduler", "garbage", "--out",
                             str(tmp_path / "a")], "--scheduler garbage: cannot connect"),
                           # a port that accepts but never answers (distributed issue 8071)
                           (["sweep", "smoke", "--ci", "--scheduler", f"tcp://127.0.0.1:{port}",
                             "--out", str(tmp_path / "b")], "nothing answered as a Dask scheduler")):
            assert main(argv) == 2, argv
            err = capsys.readouterr().err
            assert said in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []  # no results folder was made


def test_a_run_never_overwrites_a_sweeps_manifest(tmp_path, capsys):
    folder = tmp_path / "sweep"
    folder.mkdir()
    manifest = folder / "manifest.json"
    manifest.write_text('{"kind": "sweep", "experiment": "x"}')
    assert main(["run", "baseline", "--steps", "2", "--out", str(folder)]) == 2
    assert "manifest kind 'sweep'" in capsys.readouterr().err
    assert manifest.read_text() == '{"kind": "sweep", "experiment": "x"}'
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json"]
    run = tmp_path / "run"  # an earlier run's folder is fine to write again
    assert main(["run", "baseline", "--steps", "2", "--out", str(run)]) == 0
    assert main(["run", "baseline", "--steps", "3", "--out", str(run)]) == 0
