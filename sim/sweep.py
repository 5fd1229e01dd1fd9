"""Sweeps: an experiment file (``experiments/*.toml``) expanded into runs, executed in-process, on
local processes or on a Dask cluster, and stored as Parquet that survives interruption.

The flow: :func:`load_experiment` validates the file (pydantic, unknown keys are errors);
:func:`expand` resolves the design into points, validates every point's scenario through
``sim.config`` and gives each run a seed (replicate ``r`` of every point shares seed ``r``: common
random numbers) and a run id (a hash of the config hash and the seed); :func:`run_experiment`
executes the runs still missing from the results folder in batches, writing each batch as one
chunk file (temporary name, then rename), and finally assembles ``runs.parquet`` (sorted by point
and replicate), ``timeseries.parquet`` (when asked) and ``manifest.json``.

Results do not depend on the executor, the worker count, the batch size or on interruptions: every
run is a pure function of its config and seed, and the final tables are sorted.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args, get_origin

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim import design
from sim.config import (
    ROOT,
    STORAGE_ERRNOS,
    ConfigError,
    ResultsError,
    Scenario,
    config_hash,
    format_validation_error,
    load_scenario,
    named_file,
    no_coercion,
    read_toml,
    resolve_path,
    shorten,
    validate,
)
from sim.metrics import OUTCOME_NAMES, SERIES_NAMES

if TYPE_CHECKING:  # pandas is imported where used: keeps `import sim.sweep` light
    import argparse

    import pandas as pd

EXPERIMENT_DIR = ROOT / "experiments"
RESULTS_DIR = ROOT / "results"

ENV_CHUNK = "PACTSIM_SWEEP_CHUNK"
"""Runs per task and chunk file (default: sized from a timed run so a task takes about 0.5 s)."""
ENV_CRASH = "PACTSIM_TEST_CRASH_ONCE"
"""Test hook, ``"<run index>:<marker file>"``: the process running that run exits abruptly
(``os._exit``) the first time, i.e. while the marker file does not exist yet; with no marker file
(``"<run index>:"``) every time."""

_TASK_SECONDS = 0.5  # target work per task: Dask costs about 3 ms per task (STACK.md)
_INT_OUTCOMES = ("innovation_speed", "launches")
_BOOL_OUTCOMES = ("innovation_censored",)


# --- the experiment file ----------------------------------------------------------------------

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


class GridDesign(_Strict):
    kind: Literal["grid"]
    factors: Annotated[dict[str, Annotated[list[Any], Field(min_length=1)]], Field(min_length=1)]

    @field_validator("factors")
    @classmethod
    def _distinct(cls, factors: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, levels in factors.items():
            shown = [json.dumps(v, sort_keys=True) for v in levels]
            if len(set(shown)) != len(shown):
                raise ValueError(f"levels of {key} repeat: {levels}")
        return factors


class LhsDesign(_Strict):
    kind: Literal["lhs"]
    samples: int = Field(ge=2, le=10_000_000)
    bounds: Annotated[dict[str, Bound], Field(min_length=1)]
    _bounds = field_validator("bounds")(_check_bounds)


class SobolDesign(_Strict):
    kind: Literal["sobol"]
    samples: int = Field(ge=2, le=2**24, description="N, a power of 2")
    bounds: Annotated[dict[str, Bound], Field(min_length=1)]
    _bounds = field_validator("bounds")(_check_bounds)

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            raise ValueError(f"samples = {n} must be a power of 2 (Sobol' sequences)")
        return n


def _check_step(step: float) -> float:
    n = round(1.0 / step)
    if abs(n * step - 1.0) > 1e-9:
        raise ValueError(f"step = {step}: 1/step must be a whole number (e.g. 0.1, 0.125, 0.25)")
    return step


class SimplexDesign(_Strict):
    kind: Literal["simplex"]
    step: float = Field(gt=0.0, le=1.0)
    _step = field_validator("step")(_check_step)


class OrdersDesign(_Strict):
    kind: Literal["orders"]


Design = Annotated[GridDesign | LhsDesign | SobolDesign | SimplexDesign | OrdersDesign,
                   Field(discriminator="kind")]


class CiSize(_Strict):
    replicates: int | None = Field(None, ge=1, le=1000)
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
    ci: CiSize | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        if self.outcomes is not None and len(set(self.outcomes)) != len(self.outcomes):
            raise ValueError(f"outcomes repeat: {list(self.outcomes)}")
        if self.outcomes is not None and not self.outcomes:
            raise ValueError("outcomes is empty: leave it out to keep all")
        if self.ci is not None:
            kind = self.design.kind
            if self.ci.samples is not None:
                if kind not in ("lhs", "sobol"):
                    raise ValueError(f"ci.samples applies to lhs and sobol designs, not {kind}")
                if kind == "sobol" and self.ci.samples & (self.ci.samples - 1):
                    raise ValueError(f"ci.samples = {self.ci.samples} must be a power of 2 (sobol)")
            if self.ci.step is not None and kind != "simplex":
                raise ValueError(f"ci.step applies to simplex designs, not {kind}")
        return self


def resolve_experiment(name_or_path: str | Path) -> Path:
    """An experiment name in ``experiments/`` (e.g. ``smoke``) or a path to a TOML file."""
    p = Path(name_or_path)
    candidate = (p if (p.suffix == ".toml" or p.exists())
                 else named_file(EXPERIMENT_DIR, str(name_or_path), "experiment"))
    if candidate.is_file():
        return candidate
    names = ", ".join(sorted(q.stem for q in EXPERIMENT_DIR.glob("*.toml"))) or "(none)"
    raise ConfigError(f"{name_or_path}: no such experiment file or name (experiments: {names})")


def load_experiment(name_or_path: str | Path) -> tuple[Path, str, Experiment]:
    """Read and validate an experiment file: ``(path, text, spec)``; raises :class:`ConfigError`."""
    path = resolve_experiment(name_or_path)
    data = read_toml(path)
    text = path.read_text(encoding="utf-8")
    try:
        return path, text, Experiment.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(str(path), e)) from None


# --- dotted keys into the scenario schema -----------------------------------------------------

def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def field_path(key: str) -> tuple[tuple[str | int, ...], Any]:
    """The path and type of a dotted scenario key such as ``levers.process`` or
    ``culture.p_share.1`` (a trailing number indexes a pair). Raises ``ValueError`` naming what
    is allowed where the key goes wrong."""
    node: Any = Scenario
    path: list[str | int] = []
    for part in key.split("."):
        node = _strip(node)
        if get_origin(node) is tuple:
            args = get_args(node)
            size = None if (len(args) == 2 and args[1] is Ellipsis) else len(args)
            if not part.isdigit() or (size is not None and int(part) >= size):
                raise ValueError(f"{'.'.join(map(str, path))} is a list of {size or 'any number of'} "
                                 f"values: index it with 0..{(size or 1) - 1}, got {part!r}")
            path.append(int(part))
            node = args[0] if size is None else args[int(part)]
            continue
        fields = getattr(node, "model_fields", None)
        if fields is None:
            raise ValueError(f"{'.'.join(map(str, path))} has no sub-keys")
        if part not in fields:
            where = ".".join(map(str, path)) or "the top level"
            raise ValueError(f"{part!r} is not a field of {where} (allowed: {', '.join(fields)})")
        path.append(part)
        node = fields[part].annotation
    node = _strip(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        raise ValueError(f"{key} is a section, not a value: name one of its fields "
                         f"({', '.join(node.model_fields)})")
    return tuple(path), node


def _put(data: dict, path: tuple[str | int, ...], value: Any) -> None:
    cur: Any = data
    for part in path[:-1]:
        cur = cur[part]
    cur[path[-1]] = value


def _get(data: dict, path: tuple[str | int, ...]) -> Any:
    cur: Any = data
    for part in path:
        cur = cur[part]
    return cur


def _config_value(key: str, value: Any) -> Any:
    """A design value as the schema takes it (orders are written ``"process>advocates>..."``)."""
    if key == design.ORDER_KEY and isinstance(value, str):
        return design.parse_order(value)
    return value


def _column_value(key: str, value: Any) -> Any:
    """A validated config value as a column of runs.parquet: scalars as they are, the order as
    ``"process>advocates>..."``, any other list as JSON."""
    if key == design.ORDER_KEY:
        return design.ORDER_SEP.join(value)
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    return value


# --- expanding an experiment into runs --------------------------------------------------------

@dataclass(frozen=True)
class RunSpec:
    """One run: position ``index`` in the sweep (point-major), its point and replicate."""

    index: int
    run_id: str
    point: int
    replicate: int
    seed: int


@dataclass(frozen=True)
class Plan:
    """An experiment resolved into runs, ready to execute (see :func:`expand`)."""

    name: str
    path: Path
    text: str
    file_hash: str
    spec: Experiment
    ci: bool
    steps: int
    replicates: int
    outcomes: tuple[str, ...]
    timeseries: bool
    design: dict  # the design as run (ci sizes applied)
    base: Scenario  # the base scenario with [set] applied, before the design
    columns: tuple[str, ...]  # varied parameters, by dotted key
    points: tuple[dict, ...]  # column values per point
    configs: tuple[Scenario, ...]  # per point
    seeds: tuple[int, ...]  # per replicate
    runs: tuple[RunSpec, ...] = field(repr=False)

    @property
    def design_hash(self) -> str:
        """Hash of every run id in order: changes with anything that changes what runs."""
        return hashlib.sha256("\n".join(r.run_id for r in self.runs).encode()).hexdigest()[:16]

    def frame(self) -> pd.DataFrame:
        """The runs as a table: run_id, point, replicate, seed, then one column per parameter."""
        import pandas as pd

        df = pd.DataFrame({
            "run_id": pd.array([r.run_id for r in self.runs], dtype="str"),
            "point": np.array([r.point for r in self.runs], dtype=np.int64),
            "replicate": np.array([r.replicate for r in self.runs], dtype=np.int64),
            "seed": np.array([r.seed for r in self.runs], dtype=np.int64),
        })
        params = pd.DataFrame(list(self.points), columns=list(self.columns))
        for col in self.columns:
            df[col] = params[col].to_numpy()[df["point"].to_numpy()]
        return df


def run_seeds(seed: int, replicates: int) -> list[int]:
    """Run seed of each replicate, in [0, 2**63): ``SeedSequence(seed).generate_state`` indexed by
    replicate, so replicate ``r`` has the same seed at every point and for any replicate count."""
    state = np.random.SeedSequence(seed).generate_state(replicates, np.uint64)
    return [int(s >> np.uint64(1)) for s in state]


def run_id(config_hash_: str, seed: int) -> str:
    """Stable id of a run: a hash of what determines its results (config hash and seed)."""
    return hashlib.sha256(f"{config_hash_}:{seed}".encode()).hexdigest()[:16]


def _keys_checked(source: str, table: str, keys: Iterable[str]) -> dict[str, tuple]:
    out = {}
    for key in keys:
        try:
            out[key] = field_path(key)
        except ValueError as e:
            raise ConfigError(f"{source}: {table}.\"{key}\": {e}") from None
    return out


def _base_scenario(source: Path, spec: Experiment) -> Scenario:
    name = spec.scenario
    p = Path(name)
    if p.suffix == ".toml":
        p = p if p.is_absolute() else source.parent / p
        if not p.is_file():
            raise ConfigError(f"{source}: scenario = {name!r}: no such file ({p})")
        return load_scenario(p)
    try:
        return load_scenario(resolve_path(name))
    except ConfigError as e:
        raise ConfigError(f"{source}: scenario = {name!r}: {e}") from None


def _sized(spec: Experiment, ci: bool, name: str, default: Any) -> Any:
    """A size setting (replicates, steps, samples, step): the [ci] table's when running the ci size
    and it sets one, else ``default``."""
    value = getattr(spec.ci, name) if ci and spec.ci is not None else None
    return default if value is None else value


def _design_points(spec: Experiment, ci: bool, integer: Callable[[Iterable[str]], frozenset[str]]
                   ) -> tuple[list[dict], dict, dict[str, Any]]:
    """(points as key -> value, the design as run, implicit fixed settings)."""
    d = spec.design
    run = d.model_dump()
    if isinstance(d, GridDesign):
        return design.grid(d.factors), run, {}
    if isinstance(d, LhsDesign | SobolDesign):
        n = _sized(spec, ci, "samples", d.samples)
        run["samples"] = n
        if isinstance(d, SobolDesign):  # what SALib's analyzer needs, in the sample's order
            run["problem"] = {"num_vars": len(d.bounds), "names": list(d.bounds),
                              "bounds": [list(b) for b in d.bounds.values()],
                              "calc_second_order": True}
        sampler = design.lhs if isinstance(d, LhsDesign) else design.sobol
        return sampler(d.bounds, n, spec.seed, integer(d.bounds)), run, {}
    if isinstance(d, SimplexDesign):
        step = _sized(spec, ci, "step", d.step)
        run["step"] = step
        return design.simplex(step), run, {"levers.mode": "budget"}
    return design.orders(), run, {"levers.mode": "schedule"}


def _point_count(spec: Experiment, ci: bool) -> int:
    """How many points the design has, known before any is made."""
    d = spec.design
    if isinstance(d, GridDesign):
        return math.prod(len(levels) for levels in d.factors.values())
    if isinstance(d, LhsDesign | SobolDesign):
        n = _sized(spec, ci, "samples", d.samples)
        return n * (2 * len(d.bounds) + 2) if isinstance(d, SobolDesign) else n
    if isinstance(d, SimplexDesign):
        return design.simplex_size(_sized(spec, ci, "step", d.step))
    return len(design.orders())


def expand(experiment: str | Path, ci: bool = False, max_memory: float | None = None) -> Plan:
    """Resolve an experiment file into runs, validating everything before anything runs.

    Every design point's scenario is validated through ``sim.config``; a bad key or value is a
    :class:`ConfigError` naming the file, the key, the value and what is allowed. A design whose
    plan and tables would not fit in memory (``max_memory`` bytes, default 90% of what is
    available) is refused before its points are made.
    """
    from sim.resources import check_memory, estimate_sweep_bytes

    path, text, spec = load_experiment(experiment)
    src = str(path)
    if ci and spec.ci is None:
        raise ConfigError(f"{src}: has no [ci] table, needed by --ci (a small size of the experiment)")
    size = spec.ci if ci else None
    base = _base_scenario(path, spec)
    n_points = _point_count(spec, ci)
    replicates = _sized(spec, ci, "replicates", spec.replicates)
    steps = _sized(spec, ci, "steps", spec.steps)
    need = estimate_sweep_bytes(n_points, n_points * replicates, steps or base.run.steps,
                                spec.timeseries)
    check_memory(need["total"], max_memory, f"{src}: {n_points} points x {replicates} replicates",
                 need, "use fewer points or replicates, or leave out timeseries")
    fixed = dict(spec.fixed)
    if size is not None:
        fixed.update(size.fixed)
    fixed_paths = _keys_checked(src, "set", fixed)
    if spec.design.kind == "grid":
        varied_paths = _keys_checked(src, "design.factors", spec.design.factors)
    elif spec.design.kind in ("lhs", "sobol"):
        varied_paths = _keys_checked(src, "design.bounds", spec.design.bounds)
        for key, (_, typ) in varied_paths.items():
            if typ not in (int, float):
                raise ConfigError(f"{src}: design.bounds.\"{key}\": is not a number field "
                                  f"(bounds need an int or float field)")
    else:
        varied_paths = {}

    def integer(keys: Iterable[str]) -> frozenset[str]:
        return frozenset(k for k in keys if varied_paths[k][1] is int)

    points, run_design, implicit = _design_points(spec, ci, integer)
    columns = tuple(points[0]) if points else ()
    varied_paths.update(_keys_checked(src, "design", [k for k in columns if k not in varied_paths]))
    owned = {**{k: "design" for k in columns}, **{k: f"the {spec.design.kind} design" for k in implicit}}
    for key in fixed:
        if key in implicit and fixed[key] == implicit[key]:
            continue  # stating what the design implies is harmless (e.g. levers.mode = "budget")
        for other, who in owned.items():
            if key == other or key.startswith(other + ".") or other.startswith(key + "."):
                raise ConfigError(f"{src}: set.\"{key}\": is also set by {who} ({other})")
    if steps is not None and "run.steps" in fixed:
        raise ConfigError(f"{src}: set.\"run.steps\": conflicts with steps = {steps}; use steps only")

    data = base.model_dump(mode="json")
    for key, value in {**implicit, **fixed}.items():
        _put(data, (fixed_paths.get(key) or field_path(key))[0], value)
    if steps is not None:
        data["run"]["steps"] = steps
    fixed_cfg = validate(data, f"{src} [set]")
    data = fixed_cfg.model_dump(mode="json")

    blob = json.dumps(data)  # json.loads of it copies the nested dict ~20x faster than deepcopy
    configs, rows, hashes = [], [], []
    for i, point in enumerate(points):
        pdata = json.loads(blob)
        for key, value in point.items():
            _put(pdata, varied_paths[key][0], _config_value(key, value))
        shown = shorten(", ".join(f"{k}={v!r}" for k, v in point.items()), 160)
        cfg = validate(pdata, f"{src} design point {i} ({shown})")
        dumped = cfg.model_dump(mode="json")
        configs.append(cfg)
        rows.append({k: _column_value(k, _get(dumped, varied_paths[k][0])) for k in columns})
        hashes.append(config_hash(cfg))
    if not configs:
        raise ConfigError(f"{src}: the design has no points")

    seeds = run_seeds(spec.seed, replicates)
    runs = []
    for p, h in enumerate(hashes):
        for r, s in enumerate(seeds):
            runs.append(RunSpec(len(runs), run_id(h, s), p, r, s))
    keep = tuple(n for n in OUTCOME_NAMES if spec.outcomes is None or n in spec.outcomes)
    return Plan(name=path.stem, path=path, text=text,
                file_hash=hashlib.sha256(text.encode()).hexdigest()[:16], spec=spec, ci=ci,
                steps=fixed_cfg.run.steps, replicates=replicates, outcomes=keep,
                timeseries=spec.timeseries, design=run_design, base=fixed_cfg, columns=columns,
                points=tuple(rows), configs=tuple(configs), seeds=tuple(seeds), runs=tuple(runs))


# --- executing runs ---------------------------------------------------------------------------

Item = tuple[int, str, Scenario, int]  # (run index, run id, config, seed)


def _crash_hook(index: int) -> None:
    spec = os.environ.get(ENV_CRASH)
    if not spec:
        return
    target, _, marker = spec.partition(":")
    if int(target) != index:
        return
    if marker:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
    os._exit(70)  # die like a killed worker: no clean-up, no exception to catch


def _outcome_frame(records: list[dict], outcomes: tuple[str, ...]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame.from_records(records, columns=["run_id", *outcomes, "error"])
    df["run_id"] = df["run_id"].astype("str")
    for name in outcomes:
        dtype = "Int64" if name in _INT_OUTCOMES else "boolean" if name in _BOOL_OUTCOMES \
            else "float64"
        df[name] = df[name].astype(dtype)
    df["error"] = df["error"].astype("str")
    return df


def execute_batch(items: list[Item], outcomes: tuple[str, ...], timeseries: bool,
                  on_run: Callable[[], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run ``items``; return ``(outcomes table, time series table or None)``.

    A run that raises is recorded with its error and null outcomes; the batch goes on.
    """
    import pandas as pd

    from sim import engine

    records, series = [], []
    for index, rid, cfg, seed in items:
        _crash_hook(index)
        try:
            result = engine.simulate(cfg, seed=seed)
        except Exception as e:  # noqa: BLE001 - any failure of one run is data, not a crash
            records.append({"run_id": rid, "error": f"{type(e).__name__}: {e}"})
        else:
            records.append({"run_id": rid, **{n: result.outcomes[n] for n in outcomes},
                            "error": None})
            if timeseries:
                ts = result.timeseries
                ts.insert(0, "run_id", rid)
                series.append(ts)
        if on_run is not None:
            on_run()
    ts_frame = None
    if timeseries:
        ts_frame = pd.concat(series, ignore_index=True) if series else \
            pd.DataFrame(columns=["run_id", "step", *SERIES_NAMES])
        ts_frame["run_id"] = ts_frame["run_id"].astype("str")
    return _outcome_frame(records, outcomes), ts_frame


def _tiny() -> Scenario:
    return Scenario.model_validate({"population": {"n_employees": 20, "n_units": 2, "n_customers": 20},
                                    "landscape": {"nk_n": 6, "nk_k": 2}})


def warm() -> float:
    """Compile or load the Numba kernels (a 2-step run of a tiny config); return seconds taken."""
    from sim import engine

    t = time.perf_counter()
    engine.simulate(_tiny(), seed=0, steps=2)
    return time.perf_counter() - t


def _batch_size(seconds_per_run: float, pending: int, workers: int) -> int:
    env = os.environ.get(ENV_CHUNK)
    if env:
        return max(1, int(env))
    per_run = max(seconds_per_run, 1e-4)
    size = math.ceil(_TASK_SECONDS / per_run)
    if workers > 1:
        # several tasks per worker balance the load, but no task under 0.1 s (Dask's overhead)
        size = max(min(size, math.ceil(pending / (4 * workers))), math.ceil(0.1 / per_run))
    return max(1, size)


class _Sink:
    """Writes each finished batch as chunk files and keeps the counts."""

    def __init__(self, out: Path, plan: Plan, progress):
        self.chunks = out / "chunks"
        self.plan = plan
        self.progress = progress
        self.done = 0
        self.failed = 0
        self.lost: dict[str, str] = {}

    def batch(self, items: list[Item], result, advance: bool = True) -> None:
        from sim.storage import write_parquet_durable

        frame, ts = result
        first = min(i for i, *_ in items)
        # the series first: a chunk file, once there, vouches for its runs' series too
        if ts is not None:
            write_parquet_durable(self.chunks / f"ts-{first:08d}.parquet", ts)
        write_parquet_durable(self.chunks / f"chunk-{first:08d}.parquet", frame)
        failed = int(frame["error"].notna().sum())
        self.failed += failed
        self.done += len(frame) - failed
        if advance:
            self.progress.advance(len(items))

    def lose(self, items: list[Item], why: str) -> None:
        for _, rid, *_ in items:
            self.lost[rid] = why
        self.progress.advance(len(items))


def _run_local(batches: list[list[Item]], plan: Plan, sink: _Sink) -> None:
    for items in batches:
        sink.batch(items, execute_batch(items, plan.outcomes, plan.timeseries,
                                        on_run=lambda: sink.progress.advance(1)), advance=False)


def _run_dask(client, batches: list[list[Item]], plan: Plan, sink: _Sink) -> None:
    """Submit batches; a batch whose workers keep dying (KilledWorker) is split into single runs,
    and a single run that keeps killing its workers is recorded as lost (retried on resume)."""
    from distributed import as_completed

    try:  # load the Numba cache on every worker, and find out early if they cannot run pactsim
        client.run(warm)
    except Exception as e:  # noqa: BLE001 - whatever it is, it is the workers' environment
        raise ConfigError(f"the Dask workers cannot run pactsim ({type(e).__name__}: {e}); install "
                          "the same pactsim in the workers' environment") from None
    pending = {}

    def submit(items: list[Item]):
        fut = client.submit(execute_batch, items, plan.outcomes, plan.timeseries, pure=False)
        pending[fut] = items
        return fut

    queue = as_completed([submit(items) for items in batches])
    cancelled: dict[int, int] = {}  # first run index -> times its task ended with no result
    for fut in queue:
        items = pending.pop(fut)
        status = fut.status
        if status == "finished":
            sink.batch(items, fut.result())
        elif status == "error":
            exc = fut.exception()
            if len(items) > 1:
                for item in items:
                    queue.add(submit([item]))
            else:
                sink.lose(items, f"lost: {type(exc).__name__}: {exc}")
        else:  # cancelled or lost by the cluster without an error of its own: try again
            key = items[0][0]
            cancelled[key] = cancelled.get(key, 0) + 1
            if cancelled[key] <= 3:
                queue.add(submit(items))
            else:
                sink.lose(items, f"lost: the cluster dropped the task ({status}) {cancelled[key]} times")
        fut.release()


# --- the results folder -----------------------------------------------------------------------

def _read_manifest(out: Path) -> dict | None:
    p = out / "manifest.json"
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"{p}: unreadable manifest ({e}); use --fresh to start over") from None


def _clear(out: Path) -> None:
    """--fresh: remove what a sweep writes (and nothing else) from ``out``."""
    chunks = out / "chunks"
    if chunks.is_dir():
        for p in list(chunks.glob("*.parquet")) + list(chunks.glob(".*.tmp")):
            p.unlink()
        try:
            chunks.rmdir()
        except OSError:
            pass  # someone else's files are in there: leave them
    for name in ("runs.parquet", "timeseries.parquet", "manifest.json"):
        (out / name).unlink(missing_ok=True)


def _check_folder(out: Path, plan: Plan) -> dict | None:
    """Refuse to mix results of another experiment (or another version of it) into ``out``."""
    old = _read_manifest(out)
    chunks = out / "chunks"
    has_chunks = chunks.is_dir() and any(chunks.glob("chunk-*.parquet"))
    if old is None:
        if has_chunks:
            raise ConfigError(f"{out}: holds sweep chunks but no manifest.json; use --fresh to "
                              "discard them (or --out elsewhere)")
        return None
    hint = "; use --fresh to discard them (or --out elsewhere)"
    if old.get("kind") != "sweep":
        raise ConfigError(f"{out}: holds other results (manifest kind {old.get('kind')!r}){hint}")
    if old.get("experiment_hash") != plan.file_hash:
        raise ConfigError(f"{out}: holds results of {old.get('experiment')} with experiment file hash "
                          f"{old.get('experiment_hash')}, but {plan.path} now hashes to "
                          f"{plan.file_hash} (the file changed){hint}")
    if bool(old.get("ci")) != plan.ci:
        raise ConfigError(f"{out}: holds results of the {'ci' if old.get('ci') else 'full'} size of "
                          f"the experiment, not of the {'ci' if plan.ci else 'full'} size{hint}")
    if old.get("design_hash") != plan.design_hash:
        raise ConfigError(f"{out}: the experiment file is unchanged but its runs resolve differently "
                          "(the base scenario or the model's defaults changed)" + hint)
    return old


def _done_ids(out: Path) -> set[str]:
    """Run ids in complete chunks. Clears what an interrupted sweep left: temporary files and time
    series chunks whose outcome chunk never landed."""
    from sim.storage import read_parquets, remove_partial

    chunks = out / "chunks"
    remove_partial(chunks)
    if not chunks.is_dir():
        return set()
    ids: set[str] = set()
    for chunk in sorted(chunks.glob("chunk-*.parquet")):
        try:
            found = read_parquets([chunk], columns=["run_id"])
        except Exception:  # noqa: BLE001 - e.g. truncated by a power cut despite fsync: redo its runs
            chunk.unlink()
            continue
        ids.update([] if found is None else found["run_id"])
    for ts in chunks.glob("ts-*.parquet"):
        if not (chunks / ts.name.replace("ts-", "chunk-", 1)).exists():
            ts.unlink()
    return ids


def _shown_path(path: Path) -> str:
    """Relative to the repository when inside it (manifests travel between machines)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _manifest(plan: Plan, out: Path, started: str, old: dict | None) -> dict:
    from sim.provenance import provenance

    return {
        "kind": "sweep",
        "experiment": plan.name,
        "description": plan.spec.description,
        "ci": plan.ci,
        "experiment_file": _shown_path(plan.path),
        "experiment_hash": plan.file_hash,
        "experiment_text": plan.text,
        "design_hash": plan.design_hash,
        "scenario": plan.spec.scenario,
        "base_config": plan.base.model_dump(mode="json"),
        "steps": plan.steps,
        "replicates": plan.replicates,
        "outcomes": list(plan.outcomes),
        "timeseries": plan.timeseries,
        "design": {**plan.design, "columns": list(plan.columns),
                   "points": [{"point": i, "config_hash": config_hash(c), "params": p}
                              for i, (p, c) in enumerate(zip(plan.points, plan.configs, strict=True))]},
        "experiment_seed": plan.spec.seed,
        "seeds": list(plan.seeds),
        "runs": len(plan.runs),
        "results": {"runs": "runs.parquet",
                    "timeseries": "timeseries.parquet" if plan.timeseries else None},
        "created": (old or {}).get("created", started),
        "started": started,
        "ended": None,
        "status": "running",
        "runs_done": None,
        "runs_failed": None,
        "sessions": (old or {}).get("sessions", []),
        **provenance(),
    }


def _assemble(out: Path, plan: Plan, lost: dict[str, str]) -> pd.DataFrame:
    """Join the chunks onto the run table; write runs.parquet (and timeseries.parquet)."""
    import pandas as pd

    from sim.storage import read_parquets, write_parquet_durable

    chunks = out / "chunks"
    runs = plan.frame()
    found = read_parquets(sorted(chunks.glob("chunk-*.parquet")))
    if found is None:
        found = _outcome_frame([], plan.outcomes)
    found = found.drop_duplicates("run_id")  # a rescheduled task may have written a run twice
    df = runs.merge(found, on="run_id", how="left", validate="many_to_one")
    missing = ~df["run_id"].isin(found["run_id"])
    df.loc[missing, "error"] = df.loc[missing, "run_id"].map(lost).fillna("not run")
    df = df.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    cols = list(runs.columns) + list(plan.outcomes) + ["error"]
    df = df[cols]
    df["error"] = df["error"].astype("str")
    write_parquet_durable(out / "runs.parquet", df)
    if plan.timeseries:
        ts = read_parquets(sorted(chunks.glob("ts-*.parquet")))
        if ts is None:
            ts = pd.DataFrame(columns=["run_id", "step", *SERIES_NAMES])
        ts = ts.drop_duplicates(["run_id", "step"])
        ts = runs[["run_id", "point", "replicate"]].merge(ts, on="run_id", how="inner")
        ts = ts.sort_values(["point", "replicate", "step"], kind="stable").reset_index(drop=True)
        ts = ts[["run_id", "point", "replicate", "step", *[c for c in ts.columns if c in SERIES_NAMES]]]
        write_parquet_durable(out / "timeseries.parquet", ts)
    return df


# --- the public entry points ------------------------------------------------------------------

def default_out(plan: Plan) -> Path:
    """``results/<experiment>``, or ``results/<experiment>-ci`` for the [ci] size."""
    if plan.name in ("", ".", ".."):  # a file named "...toml": results/.. is not a results folder
        raise ConfigError(f"{plan.path}: its name {plan.name!r} cannot name a results folder; "
                          "give one with --out")
    return RESULTS_DIR / (plan.name + ("-ci" if plan.ci else ""))


def run_experiment(path_or_spec: str | Path | Plan, *, workers: int | None = None,
                   scheduler: str | None = None, out: str | Path | None = None, fresh: bool = False,
                   ci: bool = False, progress: bool = True, max_memory: float | None = None) -> Path:
    """Run an experiment (a name in ``experiments/``, a TOML path, or a :class:`Plan`); return the
    results folder (default ``results/<experiment>`` or ``results/<experiment>-ci`` with ``ci``).

    workers: local worker processes (a Dask ``LocalCluster`` on loopback); default in-process.
    scheduler: address of a Dask scheduler (``tcp://host:8786``) whose workers have pactsim.
    fresh: discard earlier results in the folder; otherwise finished runs are skipped (resume).
    Runs that fail are recorded in runs.parquet's ``error`` column (see ``manifest.json``'s
    ``runs_failed``).
    max_memory: bytes this machine may use (default 90% of what is available); a sweep that
    would need more is refused before it starts.
    """
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: must be at least 1")
    if workers is not None and scheduler:
        raise ConfigError("--workers and --scheduler: give one or the other (the cluster decides "
                          "its own workers)")
    plan = (path_or_spec if isinstance(path_or_spec, Plan)
            else expand(path_or_spec, ci=ci, max_memory=max_memory))
    largest = _largest_run_bytes(plan)
    _check_memory(plan, largest, workers, scheduler, max_memory)
    out = Path(out) if out is not None else default_out(plan)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is not a folder")
    if not fresh:
        _check_folder(out, plan)  # refuse before connecting anywhere
    from sim.lock import FolderLock

    try:
        # one sweep per folder; a remote scheduler is connected now (a bad address writes
        # nothing); a LocalCluster starts only when there are runs to do
        with _terminate_as_interrupt(), _Executor(workers, scheduler) as executor, \
                FolderLock(out) as lock:
            if scheduler:
                _check_workers_memory(plan, largest, executor.client())
            return _sweep(plan, out, fresh, executor, progress, lock.stale_note())
    except OSError as e:
        if e.errno not in STORAGE_ERRNOS:
            raise
        raise ResultsError(_write_failed(out, e)) from None


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM (a batch scheduler's time limit, ``kill``) stops a sweep as Ctrl-C does: complete
    chunks saved, the folder released, how to resume printed. Main thread only (Python's rule)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _saved_runs(out: Path) -> int:
    """Runs in complete chunk files (read only: the folder may not be writable)."""
    import pyarrow.parquet as pq

    count = 0
    for chunk in (out / "chunks").glob("chunk-*.parquet"):
        try:
            count += pq.ParquetFile(chunk).metadata.num_rows
        except Exception:  # noqa: BLE001 - a damaged chunk is redone on resume, not counted here
            continue
    return count


def _write_failed(out: Path, e: OSError) -> str:
    where = f" ({e.filename})" if e.filename else ""
    fix = {errno.ENOSPC: "free some space", errno.EDQUOT: "free some space (disk quota)",
           errno.EFBIG: "free some space or raise the file size limit"}.get(
        e.errno, "make the folder writable (or use --out elsewhere)")
    return (f"{out}: cannot write results: {e.strerror}{where}. {_saved_runs(out)} runs are saved "
            f"in complete chunks and are kept; {fix}, then run the same command again to resume")


def _largest_run_bytes(plan: Plan) -> float:
    """The estimated peak memory of the plan's largest run (bytes)."""
    from sim.resources import estimate_run_bytes

    return max(estimate_run_bytes(c, plan.steps)["total"] for c in plan.configs)


def _check_memory(plan: Plan, largest: float, workers: int | None, scheduler: str | None,
                  max_memory: float | None) -> None:
    """Refuse a sweep whose plan, final tables and runs in flight on this machine would not fit
    (runs on a remote scheduler's workers count against those machines, not this one)."""
    from sim.resources import RUNTIME_BYTES, check_memory, estimate_sweep_bytes

    need = estimate_sweep_bytes(len(plan.configs), len(plan.runs), plan.steps, plan.timeseries,
                                RUNTIME_BYTES if scheduler else largest, workers or 0)
    where = f" on {workers} local workers" if workers else ""
    check_memory(need["total"], max_memory, f"sweep {plan.name}{where}", need,
                 "use fewer or smaller runs, fewer --workers, or leave out timeseries")


def _check_workers_memory(plan: Plan, largest: float, client) -> None:
    """Refuse when the largest run would not fit in a remote worker's memory limit (Dask's
    nanny would restart the worker again and again instead)."""
    from sim.resources import check_memory

    workers = client.scheduler_info().get("workers", {})
    limits = {addr: w.get("memory_limit") or 0 for addr, w in workers.items()}
    for addr, limit in sorted(limits.items(), key=lambda kv: kv[1]):
        if limit:  # 0: the worker has no limit
            check_memory(largest, limit, f"sweep {plan.name}: a run on worker {addr}", None,
                         "start the workers with a larger --memory-limit, or use smaller runs",
                         "the worker's memory limit")
            break


def _sweep(plan: Plan, out: Path, fresh: bool, executor: _Executor, progress: bool,
           note: str | None = None) -> Path:
    from rich.console import Console

    from sim.provenance import git_state, now_iso
    from sim.storage import write_json

    console = Console(quiet=not progress)
    if note:
        console.print(f"[yellow]note[/]: {note}")
    if fresh:
        try:
            previous = _read_manifest(out)
        except ConfigError:  # unreadable: clearing it is what its message asks for
            previous = None
        if previous is not None and previous.get("kind") != "sweep":
            raise ConfigError(f"{out}: holds other results (manifest kind {previous.get('kind')!r}), "
                              "not a sweep's; --fresh only clears sweep folders: use --out elsewhere")
        _clear(out)
    old = _check_folder(out, plan)
    started = now_iso()
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(plan, out, started, old)
    write_json(out / "manifest.json", manifest)

    done = _done_ids(out)
    seen: set[str] = set()
    todo: list[Item] = []
    for r in plan.runs:  # identical configs share a run id: run each once
        if r.run_id in done or r.run_id in seen:
            continue
        seen.add(r.run_id)
        todo.append((r.index, r.run_id, plan.configs[r.point], r.seed))
    skipped = len({r.run_id for r in plan.runs} & done)

    sink = _Sink(out, plan, _progress(console, len(todo), plan.name, progress))
    try:
        with sink.progress:
            if todo:
                warm()
                # the first run, timed here, sizes the batches (and is kept: a chunk of one)
                t = time.perf_counter()
                sink.batch(todo[:1], execute_batch(todo[:1], plan.outcomes, plan.timeseries))
                per_run = time.perf_counter() - t
                rest = todo[1:]
                size = _batch_size(per_run, len(rest), executor.workers)
                batches = [rest[i:i + size] for i in range(0, len(rest), size)]
                if executor.local:
                    _run_local(batches, plan, sink)
                else:
                    _run_dask(executor.client(), batches, plan, sink)
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted[/]: {sink.done + sink.failed} runs saved in {out}; "
                      "run the same command again to resume")
        raise
    df = _assemble(out, plan, sink.lost)
    failed = int(df["error"].notna().sum())
    wall = time.perf_counter() - t0
    manifest.update(ended=now_iso(), status="complete" if not sink.lost else "incomplete",
                    runs_done=len(df) - failed, runs_failed=failed, wall_time_s=round(wall, 3))
    manifest["sessions"] = [*manifest["sessions"], {
        "started": started, "ended": manifest["ended"], "executor": executor.label,
        "runs_executed": sink.done + sink.failed, "runs_lost": len(sink.lost),
        "wall_time_s": round(wall, 3), "git": git_state()}]
    write_json(out / "manifest.json", manifest)
    _summary(console, plan, out, df, executed=sink.done + sink.failed, skipped=skipped,
             lost=len(sink.lost), wall=wall, executor=executor.label)
    return out


_CONNECT_SECONDS = 10.0


def _probe(address: str, seconds: float) -> None:
    """Raise unless a Dask scheduler answers at a ``tcp://`` ``address`` within ``seconds``.

    Client's own timeout does not cover a port that accepts connections but never answers (a
    dashboard, another service: dask/distributed issue 8071) and waits forever. A scheduler
    speaks first (its handshake), so waiting for its first byte tells them apart."""
    import socket

    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    scheme, location = parse_address(address)
    if scheme != "tcp":  # tls://, ucx://: left to Client
        return
    host, port = parse_host_port(location)
    with socket.create_connection((host, port), timeout=seconds) as conn:
        try:
            first = conn.recv(1)
        except TimeoutError:
            raise TimeoutError(f"nothing answered as a Dask scheduler within {seconds:.0f} s; is "
                               "this the scheduler's port (usually 8786), not its dashboard's?") \
                from None
    if not first:
        raise ConnectionError("the server there closed the connection: not a Dask scheduler")


class _Executor:
    """Where runs execute: in-process, a LocalCluster of ``workers`` processes (started on first
    use), or the Dask scheduler at ``scheduler`` (connected on entry)."""

    def __init__(self, workers: int | None, scheduler: str | None):
        self.n_workers, self.scheduler = workers, scheduler
        self.local = workers is None and scheduler is None
        self.cluster = self._client = None
        self.label = (f"dask scheduler {scheduler}" if scheduler else
                      f"{workers} local process{'es' if workers > 1 else ''} (dask LocalCluster)"
                      if workers else "in-process")

    @property
    def workers(self) -> int:
        """Worker count, for sizing batches."""
        if self._client is not None and self.scheduler:
            return max(1, len(self._client.scheduler_info().get("workers", {})))
        return self.n_workers or 1

    def __enter__(self) -> _Executor:
        if self.scheduler:
            from distributed import Client

            try:
                _probe(self.scheduler, _CONNECT_SECONDS)
                self._client = Client(self.scheduler, timeout=f"{_CONNECT_SECONDS}s")
            except (OSError, TimeoutError, ValueError) as e:  # ValueError: a malformed address
                raise ConfigError(f"--scheduler {self.scheduler}: cannot connect ({e})") from None
        return self

    def client(self):
        if self._client is None:
            import logging

            from distributed import Client, LocalCluster

            # a terminal's Ctrl-C reaches every process of the group: the worker processes
            # inherit an ignored SIGINT (Python keeps it ignored), so the sweep alone stops,
            # saves what is done and closes the cluster, with no worker tracebacks
            main = threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                self.cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1,
                                            processes=True, host="127.0.0.1",
                                            dashboard_address=None, silence_logs=logging.CRITICAL)
            finally:
                if main:
                    signal.signal(signal.SIGINT, previous)
            self._client = Client(self.cluster)
        return self._client

    def __exit__(self, *exc) -> bool:
        if self._client is not None:
            self._client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False


def _progress(console, total: int, name: str, enabled: bool):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:.1f} runs/s" if task.speed else "– runs/s")

    bar = Progress(TextColumn(f"[bold]{name}"), BarColumn(), MofNCompleteColumn(), Rate(),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=console, disable=not enabled)
    task = bar.add_task("runs", total=total)

    class Handle:
        def __enter__(self):
            bar.__enter__()
            return self

        def __exit__(self, *exc):
            return bar.__exit__(*exc)

        def advance(self, n: int) -> None:
            bar.advance(task, n)

    return Handle()


def _summary(console, plan: Plan, out: Path, df, executed: int, skipped: int, lost: int,
             wall: float, executor: str) -> None:
    from rich.table import Table

    failed = int(df["error"].notna().sum())
    table = Table(show_header=False, box=None, title=f"sweep {plan.name}"
                  f"{' (ci size)' if plan.ci else ''}: {len(plan.points)} points × {plan.replicates} "
                  f"replicate{'s' if plan.replicates > 1 else ''}, {plan.steps} steps", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("runs", f"{len(df)} in all: {len(df) - failed} done, {failed} failed")
    table.add_row("this session", f"{executed} run, {skipped} already done (skipped)"
                  + (f", {lost} lost with their workers (run again to retry)" if lost else ""))
    rate = f", {executed / wall:.1f} runs/s" if executed and wall > 0 else ""
    table.add_row("wall time", f"{wall:.1f} s{rate} ({executor})")
    files = "runs.parquet" + (", timeseries.parquet" if plan.timeseries else "") + ", manifest.json"
    table.add_row("results", f"{out} ({files})")
    table.add_row("next", f"pactsim report {out}")
    console.print(table)
    if failed:
        errors = df.loc[df["error"].notna(), ["point", "replicate", "error"]].head(3)
        for row in errors.itertuples():
            console.print(f"[red]failed[/] point {row.point} replicate {row.replicate}: {row.error}")


def ci_digest(experiment: str | Path, workdir: str | Path) -> str:
    """Run an experiment at its [ci] size into ``workdir`` (in-process, quietly); return the digest
    of its runs.parquet content (:func:`sim.storage.frame_digest`)."""
    import pandas as pd

    from sim.storage import frame_digest

    out = run_experiment(experiment, ci=True, out=Path(workdir), fresh=True, progress=False)
    return frame_digest(pd.read_parquet(out / "runs.parquet"))


def command(args: argparse.Namespace) -> int:
    """``pactsim sweep``: 0 when every run succeeded, 1 when some failed."""
    from sim.resources import parse_size

    out = run_experiment(args.experiment, workers=args.workers, scheduler=args.scheduler,
                         out=args.out, fresh=args.fresh, ci=args.ci,
                         max_memory=parse_size(args.max_memory) if args.max_memory else None)
    manifest = _read_manifest(out) or {}
    return 1 if manifest.get("runs_failed") else 0
