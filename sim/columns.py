"""The stored types of outcomes and per-step series, declared once.

Outcomes are float64 except the counts, the times to target (steps)
and their censoring flags; the per-step series are float64
except the counts below. Stored tables use pandas' nullable types for outcomes (``Int64``,
``boolean``) because a failed run has no value.
"""

from __future__ import annotations

from sim.metrics import OUTCOME_NAMES, TIME_COLUMNS

_NON_FLOAT_OUTCOMES = {"launches": "int64",
                       **{time: "int64" for time, _ in TIME_COLUMNS},
                       **{flag: "bool" for _, flag in TIME_COLUMNS}}

OUTCOME_DTYPES: dict[str, str] = {name: _NON_FLOAT_OUTCOMES.get(name, "float64")
                                  for name in OUTCOME_NAMES}
"""numpy dtype of each outcome of a run (``sim.metrics.OUTCOME_NAMES`` order)."""

SERIES_INT_COLUMNS: tuple[str, ...] = ("ideas_screen", "ideas_develop", "ideas_pilot", "submissions",
                                       "launches", "lapses", "advocates", "turbulence", "converged")
"""Per-step series stored as int64 (the others are float64)."""

_NULLABLE = {"int64": "Int64", "bool": "boolean", "float64": "float64"}


def stored_outcome_dtype(name: str) -> str:
    """The dtype of an outcome column in a sweep's tables: nullable, since a failed run has none."""
    return _NULLABLE[OUTCOME_DTYPES[name]]
