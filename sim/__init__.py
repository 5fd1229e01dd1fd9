"""pactsim: an agent-based simulator of Social Innovation Networks (Forrester's PACT).

``sim.simulate(config, seed=..., steps=...)`` runs one simulation; ``sim.load_scenario(name)`` reads
a scenario. Importing this package compiles nothing, prints nothing and imports nothing heavy: the
public names are loaded when first used (so ``pactsim`` reacts to Ctrl-C from its first moment).
"""

from sim.errors import ConfigError

__all__ = ["ConfigError", "RunResult", "Scenario", "load_scenario", "simulate"]
__version__ = "0.1.0"

_LAZY = {"Scenario": "sim.config", "RunResult": "sim.engine", "simulate": "sim.engine",
         "load_scenario": "sim.scenario_files"}


def __getattr__(name: str):
    """The public names, imported on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
