"""`pactsim compare`: two scenarios on common random numbers, paired differences and P(never)."""

from __future__ import annotations

import json

from sim.cli import main

SHORT = ["--steps", "25", "--replicates", "3"]
SMALL = ["--set", "population.n_employees=60", "--set", "population.n_units=2",
         "--set", "population.n_customers=60", *SHORT]  # with two scenarios --set applies to both


def _json(capsys, *args, size=SMALL) -> dict:
    assert main(["compare", *args, *size, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_scenario_against_itself_differs_by_exactly_zero(capsys):
    """Both sides run on the same seeds: with nothing changed every pair is identical."""
    out = _json(capsys, "baseline", "baseline")
    assert out["replicates"] == 3 and len(set(out["seeds"])) == 3
    for key, r in out["outcomes"].items():
        if r["n"]:
            assert r["diff"] == 0.0 and r["lo"] == 0.0 and r["hi"] == 0.0, key
    assert out["never_reach_target"]["a"] == out["never_reach_target"]["b"]


def test_one_scenario_and_overrides_is_paired_and_changes_the_runs(capsys):
    out = _json(capsys, "baseline", "--set", "levers.technology=1.0", size=SHORT)
    assert out["a"] == "baseline" and "levers.technology=1.0" in out["b"]
    adoption = out["outcomes"]["final_platform_adoption"]
    assert adoption["diff"] > 0 and adoption["lo"] <= adoption["diff"] <= adoption["hi"]
    p = out["never_reach_target"]["a"]
    assert 0 <= p["lo"] <= p["p"] <= p["hi"] <= 1 and p["n"] == 3


def test_compare_prints_a_table(capsys):
    assert main(["compare", "baseline", "tech_first", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "B − A" in out and "never reached target fitness 0.8" in out


def test_bad_compare_input_is_refused(capsys):
    assert main(["compare", "baseline"]) == 2
    assert "give a second scenario" in capsys.readouterr().err
    assert main(["compare", "baseline", "baseline", "--replicates", "1"]) == 2
    assert "--replicates 1" in capsys.readouterr().err
    assert main(["compare", "baseline", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err
    assert main(["compare", "baseline", "--set", "levers.culture=2"]) == 2
    assert "levers.culture" in capsys.readouterr().err


def test_an_override_the_lever_mode_ignores_is_warned(capsys):
    """full_pact runs in schedule mode: levers.technology is not read, so B equals A."""
    assert main(["compare", "full_pact", "--set", "levers.technology=1.0", *SHORT, "--json"]) == 0
    captured = capsys.readouterr()
    assert "levers.technology" in captured.err
    out = json.loads(captured.out)
    assert all(r["diff"] == 0.0 for r in out["outcomes"].values() if r["n"])
