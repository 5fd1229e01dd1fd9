"""pactsim: an agent-based simulator of Social Innovation Networks (Forrester's PACT).

``sim.simulate(config, seed=..., steps=...)`` runs one simulation; ``sim.load_scenario(name)`` reads
a scenario. Importing this package compiles nothing and prints nothing.
"""

from sim.config import Scenario
from sim.engine import RunResult, simulate
from sim.errors import ConfigError
from sim.scenario_files import load_scenario

__all__ = ["ConfigError", "RunResult", "Scenario", "load_scenario", "simulate"]
__version__ = "0.1.0"
