"""A sweep's ``manifest.json``, typed: what the sweep writes is the contract, and what it reads
back (to resume, to refuse a foreign folder, to report) is exactly that.

Every field is what the sweep writes; a manifest written by an earlier sweep of this format reads
unchanged. Reading is strict about types and unknown keys; a field left out reads as None (a
folder assembled by hand for a report may give only what the report shows).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.errors import ConfigError
from sim.scenario_files import format_validation_error

MANIFEST = "manifest.json"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Git(_Record):
    commit: str | None = None
    dirty: bool | None = None


class DesignPoint(_Record):
    point: int
    scenario: int | None = None  # the sampled world, with [uncertainties]
    config_hash: str
    params: dict[str, Any]


class DesignRun(_Record):
    """The design as run: the experiment file's ``[design]`` with its ``[ci]`` sizes applied, the
    SALib problem (sobol), and the points; with ``[uncertainties]``, the space as run
    (``scenarios``, ``sampler``, ``parameters``: key -> its range or choices) and each sampled
    world's values (``scenarios``), the points listed once per world."""

    kind: str
    factors: dict[str, list[Any]] | None = None
    samples: int | None = None
    bounds: dict[str, list[float]] | None = None
    step: float | None = None
    problem: dict[str, Any] | None = None
    columns: list[str] | None = None
    points: list[DesignPoint] | None = None
    uncertainties: dict[str, Any] | None = None
    scenarios: list[dict[str, Any]] | None = None


class Session(_Record):
    """One call of ``pactsim sweep`` on the folder."""

    started: str
    ended: str
    executor: str
    runs_executed: int
    runs_lost: int
    wall_time_s: float
    git: Git


class ResultFiles(_Record):
    runs: str
    timeseries: str | None


class Manifest(_Record):
    kind: Literal["sweep"] | None = None
    experiment: str | None = None
    description: str | None = None
    ci: bool | None = None
    experiment_file: str | None = None
    experiment_hash: str | None = None
    experiment_text: str | None = None
    design_hash: str | None = None
    scenario: str | None = None
    base_config: dict[str, Any] | None = None
    steps: int | None = None
    replicates: int | None = None
    outcomes: list[str] | None = None
    timeseries: bool | None = None
    design: DesignRun | None = None
    experiment_seed: int | None = None
    seeds: list[int] | None = None
    runs: int | None = None
    results: ResultFiles | None = None
    created: str | None = None
    started: str | None = None
    ended: str | None = None
    status: Literal["running", "complete", "incomplete"] | None = None
    runs_done: int | None = None
    runs_failed: int | None = None
    wall_time_s: float | None = None
    sessions: list[Session] = []
    git: Git | None = None
    code: str | None = None
    """The code version that wrote it (``sim.provenance.code_version``)."""
    versions: dict[str, str | None] | None = None
    host: str | None = None
    platform: str | None = None

    def to_json(self) -> dict:
        """The manifest as written: every field, in the order above."""
        return self.model_dump(mode="json")


def read_raw(path: Path) -> Any:
    """The JSON in ``path``; :class:`ConfigError` when it cannot be read."""
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read ({e})") from None


def parse(data: Any, where: Path) -> Manifest:
    """``data`` as a :class:`Manifest`; :class:`ConfigError` naming the key that is wrong."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object, not {type(data).__name__}")
    try:
        return Manifest.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(str(where), e)) from None


def read(folder: Path) -> Manifest | None:
    """The manifest of a results folder, None when it has none."""
    path = folder / MANIFEST
    return parse(read_raw(path), path) if path.is_file() else None
