"""A command line that never surprises (issue 15): names mean what they say, output paths checked
before any work, no traceback, clear messages (escaped, capped, naming the option)."""

import os
import typing

import pytest
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from sim.cli import main
from sim.config import Scenario
from tests.conftest import ROOT

SMALL = ["--steps", "2", "--set", "population.n_employees=30", "--set", "population.n_units=2",
         "--set", "population.n_customers=30"]


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return err


# --- names mean what they say -------------------------------------------------------------------

def test_a_bare_name_never_picks_a_file_or_folder_in_the_current_directory(tmp_path, monkeypatch,
                                                                            capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").write_text("[levers]\nprocess = 2.0\n")  # would be refused if read
    (tmp_path / "smoke").mkdir()  # a results folder named like the experiment
    from sim.scenario_files import resolve_path
    from sim.sweep import resolve_experiment

    assert resolve_path("baseline") == ROOT / "scenarios" / "baseline.toml"
    assert resolve_experiment("smoke") == ROOT / "experiments" / "smoke.toml"
    (tmp_path / "mine.toml").write_text("")
    assert resolve_path("mine.toml").resolve() == tmp_path / "mine.toml"  # a path: as given
    assert main(["run", "baseline", *SMALL, "--out", str(tmp_path / "o")]) == 0


@pytest.mark.parametrize(("argv", "hint"), [(["run", "baselin"], "did you mean baseline"),
                                            (["run", "tech-first"], "did you mean tech_first"),
                                            (["sweep", "smok"], "did you mean smoke"),
                                            (["run", "zzzzzz"], "scenarios in")])
def test_an_unknown_name_suggests_the_nearest(capsys, argv, hint):
    assert main(argv) == 2
    assert hint in _err(capsys)


# --- output paths checked before any work ---------------------------------------------------------

@pytest.mark.parametrize("case", ["file", "proc", "long_name", "long_path", "under_a_file",
                                  "unwritable", "json_folder"])
def test_bad_output_paths_are_refused_before_any_work(tmp_path, capsys, monkeypatch, case):
    import sim.engine

    monkeypatch.setattr(sim.engine, "simulate", lambda *a, **k: pytest.fail("work started"))
    plain = tmp_path / "plain"
    plain.write_text("x")
    out = {"file": plain, "proc": "/proc/self/x", "long_name": tmp_path / ("a" * 300),
           "long_path": "/tmp/" + "/".join(["b" * 200] * 25), "under_a_file": plain / "sub",
           "unwritable": tmp_path / "ro" / "x", "json_folder": None}[case]
    if case == "unwritable":
        if os.geteuid() == 0:  # root writes anywhere: a read-only bind is not available here
            (tmp_path / "ro").write_text("")  # a file where a folder is needed instead
        else:
            (tmp_path / "ro").mkdir(mode=0o500)
    if case == "json_folder":
        assert main(["validate", "--quick", "--json", str(tmp_path)]) == 2
        assert "is a folder, not a file" in _err(capsys)
        return
    for argv in (["run", "baseline", *SMALL, "--out", str(out)],
                 ["sweep", "smoke", "--ci", "--out", str(out)]):
        assert main(argv) in (1, 2), argv
        err = _err(capsys)
        assert err.startswith("error: --out "), err
    assert plain.read_text() == "x"


# --- config files: size and type checked before reading ---------------------------------------------

def test_configs_too_large_or_not_regular_are_refused_before_reading(tmp_path, capsys):
    from sim.scenario_files import MAX_BYTES

    big = tmp_path / "big.toml"
    with open(big, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: reading it would take the time, refusing does not
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # reading would block forever
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    for path, said in ((big, "a config file is at most"), (fifo, "is not a file"),
                       (folder, "is not a file")):
        for argv in (["run", str(path)], ["sweep", str(path)]):
            assert main(argv) == 2, argv
            assert said in _err(capsys)
    from sim.errors import ConfigError
    from sim.scenario_files import read_config_text

    with pytest.raises(ConfigError, match="is not a regular file"):  # the reader checks too
        read_config_text(fifo)


# --- clear messages ---------------------------------------------------------------------------

def test_set_errors_name_the_option_not_the_scenario_file(capsys):
    assert main(["run", "baseline", "--set", "levers.culture=2", "--steps", "2"]) == 2
    err = _err(capsys)
    assert err.startswith("error: --set levers.culture=2: levers.culture = 2") and "baseline.toml" \
        not in err, err
    # a problem of the file itself still names the file
    assert main(["run", str(ROOT / "scenarios" / "baseline.toml"), "--set",
                 "population.n_units=5000", "--steps", "2"]) == 2
    assert "--set population.n_units=5000" in _err(capsys)
    # a check across sections blames the option whose key it names
    assert main(["run", "baseline", "--set", "population.n_employees=3", "--steps", "2"]) == 2
    err = _err(capsys)
    assert err.startswith("error: --set population.n_employees=3: ") and \
        "population.n_units = 10 must be <= population.n_employees = 3" in err, err


def test_text_from_files_is_printed_with_control_characters_escaped(tmp_path, capsys):
    bad = tmp_path / "s.toml"
    bad.write_text('name = "x"\n[levers]\n"pro\\u001b]0;owned\\u0007c\\u202eess\\u00ad" = 1\n')
    assert main(["run", str(bad)]) == 2
    err = _err(capsys)
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err, err
    assert "\\x1b]0;owned\\x07c\\u202eess\u00ad" in err, err  # a soft hyphen is harmless


def test_error_output_is_capped(tmp_path, capsys):
    from sim.cli import MAX_ERROR_LINES

    bad = tmp_path / "s.toml"
    bad.write_text("[levers]\n" + "".join(f"k{i} = 1\n" for i in range(500)))
    assert main(["run", str(bad)]) == 2
    lines = _err(capsys).splitlines()
    assert len(lines) == MAX_ERROR_LINES + 1 and lines[-1].startswith("... and 460 more")


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("pactsim ")


# --- every numeric field has bounds -------------------------------------------------------------

def _numeric_leaves(model: type[BaseModel], prefix=""):
    for name, f in model.model_fields.items():
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _numeric_leaves(ann, f"{prefix}{name}.")
            continue
        parts = [(f"{prefix}{name}", ann, f.metadata)]
        if typing.get_origin(ann) is tuple:  # pairs and lists: each element's own bounds
            parts = []
            for i, a in enumerate(typing.get_args(ann)):
                if a is Ellipsis:
                    continue
                inner = typing.get_args(a)
                meta = [m for x in inner[1:] for m in getattr(x, "metadata", [x])]
                parts.append((f"{prefix}{name}.{i}", inner[0] if inner else a, meta))
        for key, a, meta in parts:
            if a in (int, float):
                yield key, meta


def test_every_numeric_field_of_the_schema_has_both_bounds():
    leaves = list(_numeric_leaves(Scenario))
    assert len(leaves) > 80  # the walk reaches the pairs' elements too
    for key, meta in leaves:
        assert any(isinstance(m, Ge | Gt) for m in meta), f"{key}: no lower bound"
        assert any(isinstance(m, Le | Lt) for m in meta), f"{key}: no upper bound"
    from sim.sweep.experiment import CiSize, Experiment

    for model in (Experiment, CiSize):
        for name, f in model.model_fields.items():
            if f.annotation in (int, int | None, float, float | None):
                assert any(isinstance(m, Le | Lt) for m in f.metadata), f"{model.__name__}.{name}"
