"""The page's explanations: what the model is, what to try, how to read the page.

Prose about the model and the page only; every number the page shows comes from the scenario, the
schema or a run. The levers' own words are the schema's descriptions (``sim.config.Levers``).
"""

from __future__ import annotations

from sim.config import LEVERS, Levers, Scenario

MODEL = (
    "pactsim is an agent-based model of a Social Innovation Network. Employees (HEROes, "
    "locked-down, rogue and disenfranchised, after Forrester's HERO Index), advocates and "
    "customers interact on a social graph. Employees search for better solutions to the "
    "customers' problem (a rugged NK fitness landscape, where 1 is the best solution), share and "
    "copy them, and submit ideas that pass the gates of an innovation funnel; launched ideas are "
    "deployed and reach customers. Each PACT lever (Process, Advocates, Culture, Technology) moves "
    "documented mechanisms through a saturating response curve: what the levers achieve emerges "
    "from the agents, it is not written into the model."
)
READING = (
    "A run is one seed: one possible course of events. Another seed gives another course, so "
    "judge a setting by many seeds (Compare, 'Run seeds'), not by one run. Time to target is the "
    "number of weeks until the deployed solution reaches the target fitness; a run that never gets "
    "there within the horizon is counted as 'never'."
)
TRY = (
    "Move one lever at a time and start a new run: the previous run stays on the fitness chart "
    "as a faded line.",
    "Keep a setting as A, change one lever, and run A and B on the same seed (Compare).",
    "Run 20 seeds of a setting and look at how many reach the target and when.",
    "Switch the lever mode to budget (split a fixed total) or schedule (switch the levers on one "
    "after another, in an order you choose).",
)
ODD_NOTE = ("The full specification of the model (ODD protocol, every rule with an ID that the code "
            "cites) is docs/ODD.md, shown in the tab 'Model specification'.")


def lever_words() -> list[tuple[str, str]]:
    """(lever, what it moves) from the schema's descriptions."""
    return [(name.capitalize(), Levers.model_fields[name].description or "") for name in LEVERS]


def mode_words() -> str:
    """What the lever modes are, from the schema's description of ``levers.mode``."""
    return Levers.model_fields["mode"].description or ""


def scenario_words(cfg: Scenario) -> str:
    """The scenario's own description (its file's ``description``), or its name."""
    return cfg.description.strip() or f"Scenario {cfg.name} (its file has no description)."
