"""The experiment file's schema (``experiments/*.toml``) and its design kinds.

Each design kind is a class that owns what differs between kinds: which keys it varies and where
they are written (:meth:`varied`), how many points it has before any is made (:meth:`count`), its
points (:meth:`points`), the design as run (:meth:`as_run`), the settings it implies
(``implicit``), which ``[ci]`` sizes apply to it (``ci_sizes``) and what a report makes of its
results (``analysis``, ``baseline``, ``per_point``, ``bootstrap``). Nothing else branches on a
design's kind: code that needs a kind's behaviour asks its class, found in :data:`DESIGNS`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim import design, keys
from sim.config import ROOT, no_coercion
from sim.errors import ConfigError
from sim.metrics import OUTCOME_NAMES
from sim.scenario_files import format_validation_error, parse_toml, read_config_text, resolve_named

EXPERIMENT_DIR = ROOT / "experiments"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _no_coercion(cls, data: Any) -> Any:
        # a model validator: a field validator may not touch the designs' discriminator, kind
        if isinstance(data, dict):
            for name, f in cls.model_fields.items():
                key = name if name in data else f.alias
                if key in data:
                    try:
                        no_coercion(f.annotation, data[key])
                    except ValueError as e:
                        raise ValueError(f"{key} = {json.dumps(data[key], default=str)}: {e}") \
                            from None
        return data


Bound = tuple[float, float]


def _check_bounds(bounds: dict[str, Bound]) -> dict[str, Bound]:
    for key, (lo, hi) in bounds.items():
        if not lo < hi:
            raise ValueError(f"bounds of {key} = [{lo}, {hi}]: the low end must be below the high end")
    return bounds


def _check_step(step: float) -> float:
    n = round(1.0 / step)
    if abs(n * step - 1.0) > 1e-9:
        raise ValueError(f"step = {step}: 1/step must be a whole number (e.g. 0.1, 0.125, 0.25)")
    return step


def keys_checked(source: str, table: str, names) -> dict[str, keys.Key]:
    """Each dotted key of ``names`` resolved (``sim.keys``), or a :class:`ConfigError` naming the
    file and the table it is in."""
    out = {}
    for name in names:
        try:
            out[name] = keys.resolve(name)
        except ValueError as e:
            raise ConfigError(f"{source}: {table}.\"{name}\": {e}") from None
    return out


class DesignBase(_Strict):
    """What every design kind answers; the defaults are those of a kind with fixed points."""

    implicit: ClassVar[dict[str, Any]] = {}
    """Settings the design implies (e.g. ``levers.mode = "budget"``)."""
    ci_sizes: ClassVar[frozenset[str]] = frozenset()
    """The ``[ci]`` size settings beyond replicates and steps that apply (``samples``, ``step``)."""
    analysis: ClassVar[str] = "points"
    """The report's section for its results: ``effects`` (lever effects of a factorial),
    ``mix`` (the best budget mix), ``orders`` (the ranking of orders), ``sobol`` (sensitivity
    indices) or ``points`` (outcome against each parameter)."""
    baseline: ClassVar[str | None] = None
    """Its reference point: ``middle`` (every factor at its middle level), ``even_mix`` (the
    budget mix nearest an even split), ``pact_order`` (P > A > C > T) or None."""
    per_point: ClassVar[bool] = True
    """Whether best, worst and baseline points are shown run by run (Kaplan-Meier, fans)."""
    bootstrap: ClassVar[bool] = True
    """Whether its intervals are the replicate bootstrap's (Sobol indices bring their own)."""

    def varied(self, source: str) -> dict[str, keys.Key]:
        """The keys the file names for the design to vary, resolved."""
        return {}

    def count(self, spec: Experiment, ci: bool) -> int:
        """How many points the design has, known before any is made."""
        raise NotImplementedError

    def points(self, spec: Experiment, ci: bool, varied: dict[str, keys.Key]) -> list[dict[str, Any]]:
        """The points, each ``dotted key -> value`` (values as the design writes them)."""
        raise NotImplementedError

    def as_run(self, spec: Experiment, ci: bool) -> dict:
        """The design as run (``[ci]`` sizes applied), for the manifest."""
        return self.model_dump()

    def check_ci(self, ci: CiSize) -> None:
        """Refuse ``[ci]`` settings that do not fit this design."""
        for name in ("samples", "step"):
            if getattr(ci, name) is not None and name not in self.ci_sizes:
                kinds = " and ".join(k for k, c in DESIGNS.items() if name in c.ci_sizes)
                raise ValueError(f"ci.{name} applies to {kinds} designs, not {self.kind}")


class GridDesign(DesignBase):
    kind: Literal["grid"]
    factors: Annotated[dict[str, Annotated[list[Any], Field(min_length=1)]], Field(min_length=1)]
    analysis: ClassVar[str] = "effects"
    baseline: ClassVar[str | None] = "middle"

    @field_validator("factors")
    @classmethod
    def _distinct(cls, factors: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, levels in factors.items():
            shown = [json.dumps(v, sort_keys=True) for v in levels]
            if len(set(shown)) != len(shown):
                raise ValueError(f"levels of {key} repeat: {levels}")
        return factors

    def varied(self, source: str) -> dict[str, keys.Key]:
        return keys_checked(source, "design.factors", self.factors)

    def count(self, spec: Experiment, ci: bool) -> int:
        return math.prod(len(levels) for levels in self.factors.values())

    def points(self, spec: Experiment, ci: bool, varied: dict[str, keys.Key]) -> list[dict[str, Any]]:
        return design.grid(self.factors)


class _Sampled(DesignBase):
    """A sample over bounds: Latin hypercube or Sobol'."""

    ci_sizes: ClassVar[frozenset[str]] = frozenset({"samples"})
    per_point: ClassVar[bool] = False

    def varied(self, source: str) -> dict[str, keys.Key]:
        found = keys_checked(source, "design.bounds", self.bounds)
        for name, key in found.items():
            if key.annotation not in (int, float):
                raise ConfigError(f"{source}: design.bounds.\"{name}\": is not a number field "
                                  f"(bounds need an int or float field)")
        return found

    def _n(self, spec: Experiment, ci: bool) -> int:
        return spec.sized(ci, "samples", self.samples)

    def _integer(self, varied: dict[str, keys.Key]) -> frozenset[str]:
        return frozenset(k for k in self.bounds if varied[k].annotation is int)

    def as_run(self, spec: Experiment, ci: bool) -> dict:
        return {**self.model_dump(), "samples": self._n(spec, ci)}


class LhsDesign(_Sampled):
    kind: Literal["lhs"]
    samples: int = Field(ge=2, le=10_000_000)
    bounds: Annotated[dict[str, Bound], Field(min_length=1)]
    _bounds = field_validator("bounds")(_check_bounds)

    def count(self, spec: Experiment, ci: bool) -> int:
        return self._n(spec, ci)

    def points(self, spec: Experiment, ci: bool, varied: dict[str, keys.Key]) -> list[dict[str, Any]]:
        return design.lhs(self.bounds, self._n(spec, ci), spec.seed, self._integer(varied))


class SobolDesign(_Sampled):
    kind: Literal["sobol"]
    samples: int = Field(ge=2, le=2**24, description="N, a power of 2")
    bounds: Annotated[dict[str, Bound], Field(min_length=1)]
    _bounds = field_validator("bounds")(_check_bounds)
    analysis: ClassVar[str] = "sobol"
    bootstrap: ClassVar[bool] = False

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            raise ValueError(f"samples = {n} must be a power of 2 (Sobol' sequences)")
        return n

    def check_ci(self, ci: CiSize) -> None:
        super().check_ci(ci)
        if ci.samples is not None and ci.samples & (ci.samples - 1):
            raise ValueError(f"ci.samples = {ci.samples} must be a power of 2 (sobol)")

    def count(self, spec: Experiment, ci: bool) -> int:
        return self._n(spec, ci) * (2 * len(self.bounds) + 2)

    def points(self, spec: Experiment, ci: bool, varied: dict[str, keys.Key]) -> list[dict[str, Any]]:
        return design.sobol(self.bounds, self._n(spec, ci), spec.seed, self._integer(varied))

    def as_run(self, spec: Experiment, ci: bool) -> dict:
        # what SALib's analyzer needs, in the sample's order
        return {**super().as_run(spec, ci),
                "problem": {"num_vars": len(self.bounds), "names": list(self.bounds),
                            "bounds": [list(b) for b in self.bounds.values()],
                            "calc_second_order": True}}


class SimplexDesign(DesignBase):
    kind: Literal["simplex"]
    step: float = Field(gt=0.0, le=1.0)
    implicit: ClassVar[dict[str, Any]] = {"levers.mode": "budget"}
    ci_sizes: ClassVar[frozenset[str]] = frozenset({"step"})
    analysis: ClassVar[str] = "mix"
    baseline: ClassVar[str | None] = "even_mix"
    _step = field_validator("step")(_check_step)

    def _step_run(self, spec: Experiment, ci: bool) -> float:
        return spec.sized(ci, "step", self.step)

    def count(self, spec: Experiment, ci: bool) -> int:
        return design.simplex_size(self._step_run(spec, ci))

    def points(self, spec: Experiment, ci: bool, varied: dict[str, keys.Key]) -> list[dict[str, Any]]:
        return design.simplex(self._step_run(spec, ci))

    def as_run(self, spec: Experiment, ci: bool) -> dict:
        return {**self.model_dump(), "step": self._step_run(spec, ci)}


class OrdersDesign(DesignBase):
    kind: Literal["orders"]
    implicit: ClassVar[dict[str, Any]] = {"levers.mode": "schedule"}
    analysis: ClassVar[str] = "orders"
    baseline: ClassVar[str | None] = "pact_order"

    def count(self, spec: Experiment, ci: bool) -> int:
        return len(design.orders())

    def points(self, spec: Experiment, ci: bool, varied: dict[str, keys.Key]) -> list[dict[str, Any]]:
        return design.orders()


DESIGNS: dict[str, type[DesignBase]] = {
    c.model_fields["kind"].annotation.__args__[0]: c
    for c in (GridDesign, LhsDesign, SobolDesign, SimplexDesign, OrdersDesign)}
"""Each design kind's class, by the name an experiment file gives it (``kind = "grid"``)."""

Design = Annotated[GridDesign | LhsDesign | SobolDesign | SimplexDesign | OrdersDesign,
                   Field(discriminator="kind")]


class Uncertainties(_Strict):
    """``[uncertainties]``: plausible worlds sampled beside the levers. Every lever setting of the
    design runs in every sampled world, on the same seeds there (common random numbers): replicate
    ``r`` of world ``j`` is replicate ``j * replicates + r`` at every point. ``parameters``: see
    :mod:`sim.uncertainty`."""

    scenarios: int = Field(ge=2, le=100_000, description="plausible worlds sampled")
    sampler: Literal["lhs", "sobol"] = "lhs"
    parameters: Annotated[dict[str, Any], Field(min_length=1)]

    @model_validator(mode="after")
    def _sobol_power(self) -> Uncertainties:
        if self.sampler == "sobol" and self.scenarios & (self.scenarios - 1):
            raise ValueError(f"scenarios = {self.scenarios} must be a power of 2 with sampler = "
                             "\"sobol\"")
        return self


class CiSize(_Strict):
    replicates: int | None = Field(None, ge=1, le=1000)
    scenarios: int | None = Field(None, ge=2, le=100_000)
    steps: int | None = Field(None, ge=1, le=5200)
    samples: int | None = Field(None, ge=2, le=2**24)
    step: float | None = Field(None, gt=0.0, le=1.0)
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    _step = field_validator("step")(lambda v: v if v is None else _check_step(v))


class Experiment(_Strict):
    """The schema of an experiment file; see ``experiments/smoke.toml`` for an example."""

    description: str = ""
    scenario: str = Field(min_length=1)
    seed: int = Field(ge=0, le=2**63 - 1)
    replicates: int = Field(ge=1, le=100_000)
    steps: int | None = Field(None, ge=1, le=5200)
    outcomes: tuple[Literal[OUTCOME_NAMES], ...] | None = None  # type: ignore[valid-type]
    timeseries: bool = False
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    design: Design
    uncertainties: Uncertainties | None = None
    ci: CiSize | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        if self.outcomes is not None and len(set(self.outcomes)) != len(self.outcomes):
            raise ValueError(f"outcomes repeat: {list(self.outcomes)}")
        if self.outcomes is not None and not self.outcomes:
            raise ValueError("outcomes is empty: leave it out to keep all")
        if self.ci is not None:
            self.design.check_ci(self.ci)
            if self.ci.scenarios is not None and self.uncertainties is None:
                raise ValueError("ci.scenarios applies to an experiment with [uncertainties]")
            if (self.ci.scenarios is not None and self.uncertainties.sampler == "sobol"
                    and self.ci.scenarios & (self.ci.scenarios - 1)):
                raise ValueError(f"ci.scenarios = {self.ci.scenarios} must be a power of 2 (sobol)")
        return self

    def sized(self, ci: bool, name: str, default: Any) -> Any:
        """A size setting (replicates, steps, samples, step, scenarios): the [ci] table's when running the ci
        size and it sets one, else ``default``."""
        value = getattr(self.ci, name) if ci and self.ci is not None else None
        return default if value is None else value


def resolve_experiment(name_or_path: str | Path) -> Path:
    """An experiment name in ``experiments/`` (e.g. ``smoke``) or a path to a ``.toml`` file."""
    names = sorted(q.stem for q in EXPERIMENT_DIR.glob("*.toml"))
    return resolve_named(EXPERIMENT_DIR, name_or_path, "experiment", names)


def load_experiment(name_or_path: str | Path) -> tuple[Path, str, Experiment]:
    """Read and validate an experiment file: ``(path, text, spec)``; raises :class:`ConfigError`."""
    path = resolve_experiment(name_or_path)
    text = read_config_text(path)
    data = parse_toml(text, path)
    try:
        return path, text, Experiment.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(str(path), e)) from None
