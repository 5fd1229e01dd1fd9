"""An experiment resolved into runs (:func:`expand`): every point's scenario validated through
``sim.config``, each run given a seed (replicate ``r`` of every point shares seed ``r``: common
random numbers) and a run id (a hash of the config hash and the seed).

With ``[uncertainties]`` every design point runs in every sampled world (``sim.uncertainty``):
world ``j``'s replicate ``r`` is replicate ``j * replicates + r``, with that replicate's seed at
every point, so lever settings stay paired inside a world and the analysis of the design sees
the worlds as its replicates."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import design, keys
from sim.config import Scenario, config_hash
from sim.errors import ConfigError
from sim.metrics import OUTCOME_NAMES
from sim.scenario_files import load_scenario, resolve_path, shorten, validate
from sim.sweep.experiment import Experiment, keys_checked, load_experiment

if TYPE_CHECKING:  # pandas is imported where used: keeps `import sim.sweep` light
    import pandas as pd


@dataclass(frozen=True)
class RunSpec:
    """One run: position ``index`` in the sweep (point-major), its point and replicate."""

    index: int
    run_id: str
    point: int
    replicate: int
    seed: int
    scenario: int = 0  # the sampled world ([uncertainties]); 0 without


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
    configs: tuple[Scenario, ...]  # per point and world: point * len(worlds) + world
    seeds: tuple[int, ...]  # per replicate
    runs: tuple[RunSpec, ...] = field(repr=False)
    uncertain: tuple[str, ...] = ()  # sampled parameters, by dotted key
    worlds: tuple[dict, ...] = ({},)  # their column values per world
    space: dict = field(default_factory=dict)  # the uncertainties as run (manifest)

    def config_of(self, run: RunSpec) -> Scenario:
        """The config a run uses: its point's, in its world."""
        return self.configs[run.point * len(self.worlds) + run.scenario]

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
        if self.uncertain:
            world = np.array([r.scenario for r in self.runs], dtype=np.int64)
            df["scenario"] = world
            values = pd.DataFrame(list(self.worlds), columns=list(self.uncertain))
            for col in self.uncertain:
                df[col] = values[col].to_numpy()[world]
        return df


def run_seeds(seed: int, replicates: int) -> list[int]:
    """Run seed of each replicate, in [0, 2**63): ``SeedSequence(seed).generate_state`` indexed by
    replicate, so replicate ``r`` has the same seed at every point and for any replicate count."""
    state = np.random.SeedSequence(seed).generate_state(replicates, np.uint64)
    return [int(s >> np.uint64(1)) for s in state]


def run_id(config_hash_: str, seed: int) -> str:
    """Stable id of a run: a hash of what determines its results (config hash and seed)."""
    return hashlib.sha256(f"{config_hash_}:{seed}".encode()).hexdigest()[:16]


def field_path(key: str) -> tuple[keys.Path, Any]:
    """The path and type of a dotted scenario key (``sim.keys``); ``ValueError`` when it names
    no value."""
    k = keys.resolve(key)
    return k.path, k.annotation


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


def _check_fixed(src: str, spec: Experiment, fixed: dict, columns, steps: int | None) -> None:
    """Refuse [set] keys that the design sets too (its columns or what it implies)."""
    implicit = spec.design.implicit
    owned = {**{k: "design" for k in columns}, **{k: f"the {spec.design.kind} design" for k in implicit}}
    for key in fixed:
        if key in implicit and fixed[key] == implicit[key]:
            continue  # stating what the design implies is harmless (e.g. levers.mode = "budget")
        for other, who in owned.items():
            if key == other or key.startswith(other + ".") or other.startswith(key + "."):
                raise ConfigError(f"{src}: set.\"{key}\": is also set by {who} ({other})")
    if steps is not None and "run.steps" in fixed:
        raise ConfigError(f"{src}: set.\"run.steps\": conflicts with steps = {steps}; use steps only")
    # settings the experiment states elsewhere: a design varying them would make them lie
    stated = {"run.steps": f"steps = {steps}" if steps is not None else
              "one horizon for all its runs (steps =, else the scenario's run.steps)",
              "run.seed": f"seed = {spec.seed} (each run's seed comes from it and its replicate)"}
    for key, where in stated.items():
        if key in columns:
            raise ConfigError(f"{src}: design varies {key!r}, which the experiment sets with "
                              f"{where}; vary it in separate experiments")


def _point_configs(src: str, points: list[dict], fixed_cfg: Scenario, varied: dict[str, keys.Key],
                   columns: tuple[str, ...], worlds: int = 1) -> tuple[list[Scenario], list[dict], list[str]]:
    """Each point's validated config, its row of column values and its config hash (``points``
    point-major over ``worlds`` sampled worlds)."""
    blob = json.dumps(fixed_cfg.model_dump(mode="json"))  # json.loads copies ~20x faster than deepcopy
    configs, rows, hashes = [], [], []
    for i, point in enumerate(points):
        pdata = json.loads(blob)
        for key, value in point.items():
            keys.put(pdata, varied[key].path, _config_value(key, value))
        shown = shorten(", ".join(f"{k}={v!r}" for k, v in point.items()), 160)
        where = f"design point {i}" if worlds == 1 else f"design point {i // worlds}, world {i % worlds}"
        cfg = validate(pdata, f"{src} {where} ({shown})")
        dumped = cfg.model_dump(mode="json")
        configs.append(cfg)
        rows.append({k: _column_value(k, keys.get(dumped, varied[k].path)) for k in columns})
        hashes.append(config_hash(cfg))
    return configs, rows, hashes


def expand(experiment: str | Path, ci: bool = False, max_memory: float | None = None) -> Plan:
    """Resolve an experiment file into runs, validating everything before anything runs.

    Every design point's scenario is validated through ``sim.config``; a bad key or value is a
    :class:`ConfigError` naming the file, the key, the value and what is allowed. A design whose
    plan and tables would not fit in memory (``max_memory`` bytes, default 90% of what is
    available) is refused before its points are made.
    """
    return expand_spec(*load_experiment(experiment), ci=ci, max_memory=max_memory)


def expand_spec(path: Path, text: str, spec: Experiment, ci: bool = False,
                max_memory: float | None = None, name: str | None = None) -> Plan:
    """:func:`expand` of an experiment already read: ``path`` and ``text`` are its file's (what
    the manifest records), ``name`` the plan's (default: the file's stem)."""
    from sim.resources import check_memory, estimate_sweep_bytes

    src = str(path)
    if ci and spec.ci is None:
        raise ConfigError(f"{src}: has no [ci] table, needed by --ci (a small size of the experiment)")
    base = _base_scenario(path, spec)
    n_worlds = spec.sized(ci, "scenarios", spec.uncertainties.scenarios) if spec.uncertainties else 1
    n_points = spec.design.count(spec, ci) * n_worlds
    replicates = spec.sized(ci, "replicates", spec.replicates)
    steps = spec.sized(ci, "steps", spec.steps)
    need = estimate_sweep_bytes(n_points, n_points * replicates, steps or base.run.steps,
                                spec.timeseries)
    check_memory(need["total"], max_memory, f"{src}: {n_points} points x {replicates} replicates",
                 need, "use fewer points or replicates, or leave out timeseries")
    fixed = dict(spec.fixed)
    if ci and spec.ci is not None:
        fixed.update(spec.ci.fixed)
    fixed_keys = keys_checked(src, "set", fixed)
    varied = spec.design.varied(src)
    points = spec.design.points(spec, ci, varied)
    columns = tuple(points[0]) if points else ()
    varied.update(keys_checked(src, "design", [k for k in columns if k not in varied]))
    _check_fixed(src, spec, fixed, columns, steps)

    data = base.model_dump(mode="json")
    for key, value in {**spec.design.implicit, **fixed}.items():
        keys.put(data, (fixed_keys.get(key) or keys.resolve(key)).path, value)
    if steps is not None:
        data["run"]["steps"] = steps
    fixed_cfg = validate(data, f"{src} [set]")
    space, worlds = _worlds(src, spec, columns, fixed, n_worlds)
    uncertain = tuple(space)
    varied.update(keys_checked(src, "uncertainties.parameters", uncertain))
    cells = [{**p, **w} for p in points for w in worlds]
    configs, rows, hashes = _point_configs(src, cells, fixed_cfg, varied, columns + uncertain,
                                           len(worlds))
    if not configs:
        raise ConfigError(f"{src}: the design has no points")

    seeds = run_seeds(spec.seed, replicates * len(worlds))
    runs = []
    for c, h in enumerate(hashes):
        p, j = divmod(c, len(worlds))
        for r in range(replicates):
            g = j * replicates + r
            runs.append(RunSpec(len(runs), run_id(h, seeds[g]), p, g, seeds[g], j))
    keep = tuple(n for n in OUTCOME_NAMES if spec.outcomes is None or n in spec.outcomes)
    return Plan(name=name or path.stem, path=path, text=text,
                file_hash=hashlib.sha256(text.encode()).hexdigest()[:16], spec=spec, ci=ci,
                steps=fixed_cfg.run.steps, replicates=replicates, outcomes=keep,
                timeseries=spec.timeseries, design=spec.design.as_run(spec, ci), base=fixed_cfg,
                columns=columns, configs=tuple(configs), seeds=tuple(seeds), runs=tuple(runs),
                points=tuple({k: row[k] for k in columns} for row in rows[::len(worlds)]),
                uncertain=uncertain,
                worlds=tuple({k: row[k] for k in uncertain} for row in rows[:len(worlds)]),
                space=_space_as_run(spec, space, len(worlds)))


def _worlds(src: str, spec: Experiment, columns, fixed: dict, n: int) -> tuple[dict, list[dict]]:
    """The uncertainty space (``sim.uncertainty``) and its ``n`` sampled worlds; ``({}, [{}])``
    without ``[uncertainties]``."""
    from sim import uncertainty

    if spec.uncertainties is None:
        return {}, [{}]
    taken = {**{k: "the design" for k in columns},
             **{k: f"the {spec.design.kind} design" for k in spec.design.implicit},
             **{k: "[set]" for k in fixed}}
    space = uncertainty.resolve(src, spec.uncertainties.parameters, taken)
    return space, design.scenarios(space, n, spec.seed, spec.uncertainties.sampler)


def _space_as_run(spec: Experiment, space: dict, n: int) -> dict:
    if spec.uncertainties is None:
        return {}
    return {"scenarios": n, "sampler": spec.uncertainties.sampler,
            "parameters": {k: dim.as_run() for k, dim in space.items()}}
