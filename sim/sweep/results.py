"""A sweep's results folder: what is in it, how it is written, resumed and read back.

The folder holds ``chunks/chunk-<first run index>.parquet`` (the outcomes of one batch) and
``chunks/ts-<...>.parquet`` (its time series), each written atomically as the batch ends, then
``runs.parquet`` (sorted by point and replicate), ``timeseries.parquet`` (when asked) and
``manifest.json`` (:mod:`sim.sweep.manifest`). A sweep that stops part-way leaves complete chunks
only; the next one skips their runs (resume). ``.pactsim.lock`` (:mod:`sim.sweep.lock`) keeps one sweep
per folder. :func:`load_results` reads a finished folder for the analysis and the report.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.config import ROOT, config_hash
from sim.errors import ConfigError
from sim.metrics import OUTCOME_NAMES, SERIES_NAMES
from sim.sweep import manifest as mf
from sim.sweep.experiment import DESIGNS, DesignBase

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from sim.sweep.executors import Item
    from sim.sweep.plan import Plan

CHUNKS = "chunks"
WRITTEN = ("runs.parquet", "timeseries.parquet", mf.MANIFEST)
"""The files a sweep writes at the top of its folder (besides ``chunks/`` and the lock)."""
_HINT = "; use --fresh to discard them (or --out elsewhere)"


# --- the folder before a sweep: whose it is, what is done ---------------------------------------

def _raw_manifest(out: Path) -> dict | None:
    p = out / mf.MANIFEST
    if not p.is_file():
        return None
    try:
        data = mf.read_raw(p)
    except ConfigError as e:
        raise ConfigError(f"{e}; use --fresh to start over") from None
    return data if isinstance(data, dict) else {"kind": None}


def _sweep_manifest(out: Path, data: dict, hint: str) -> mf.Manifest:
    if data.get("kind") != "sweep":
        raise ConfigError(f"{out}: holds other results (manifest kind {data.get('kind')!r}){hint}")
    return mf.parse(data, out / mf.MANIFEST)


def check_folder(out: Path, plan: Plan) -> mf.Manifest | None:
    """Refuse to mix results of another experiment (or another version of it) into ``out``;
    return its manifest when it holds an earlier part of this sweep."""
    data = _raw_manifest(out)
    chunks = out / CHUNKS
    if data is None:
        if chunks.is_dir() and any(chunks.glob("chunk-*.parquet")):
            raise ConfigError(f"{out}: holds sweep chunks but no manifest.json{_HINT}")
        return None
    old = _sweep_manifest(out, data, _HINT)
    if old.experiment_hash != plan.file_hash:
        raise ConfigError(f"{out}: holds results of {old.experiment} with experiment file hash "
                          f"{old.experiment_hash}, but {plan.path} now hashes to "
                          f"{plan.file_hash} (the file changed){_HINT}")
    if bool(old.ci) != plan.ci:
        raise ConfigError(f"{out}: holds results of the {'ci' if old.ci else 'full'} size of "
                          f"the experiment, not of the {'ci' if plan.ci else 'full'} size{_HINT}")
    if old.design_hash != plan.design_hash:
        raise ConfigError(f"{out}: the experiment file is unchanged but its runs resolve differently "
                          "(the base scenario or the model's defaults changed)" + _HINT)
    return old


def clear(out: Path) -> None:
    """--fresh: remove what a sweep writes (and nothing else) from ``out``; refuse a folder whose
    manifest is another tool's."""
    try:
        data = _raw_manifest(out)
    except ConfigError:  # unreadable: clearing it is what its message asks for
        data = None
    if data is not None and data.get("kind") != "sweep":
        raise ConfigError(f"{out}: holds other results (manifest kind {data.get('kind')!r}), "
                          "not a sweep's; --fresh only clears sweep folders: use --out elsewhere")
    chunks = out / CHUNKS
    if chunks.is_dir():
        for p in list(chunks.glob("*.parquet")) + list(chunks.glob(".*.tmp")):
            p.unlink()
        try:
            chunks.rmdir()
        except OSError:
            pass  # someone else's files are in there: leave them
    for name in WRITTEN:
        (out / name).unlink(missing_ok=True)


def remove_partial(folder: Path) -> int:
    """Delete the temporary files an interrupted writer left in ``folder``; return how many."""
    from sim.storage import TMP_SUFFIX

    if not folder.is_dir():
        return 0
    count = 0
    for p in folder.glob(f".*{TMP_SUFFIX}"):
        p.unlink(missing_ok=True)
        count += 1
    return count


def read_parquets(paths: list[Path], columns: list[str] | None = None) -> pd.DataFrame | None:
    """Concatenate Parquet files (in the given order); ``None`` when there are none."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    # one Arrow table, converted once: half the time of a pandas frame per file
    tables = [pq.read_table(p, columns=columns) for p in paths]
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return None
    try:
        return pa.concat_tables(tables).to_pandas()
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # the files' types differ: pandas reconciles
        return pd.concat([t.to_pandas() for t in tables], ignore_index=True)


def done_ids(out: Path) -> set[str]:
    """Run ids in complete chunks. Clears what an interrupted sweep left: temporary files and time
    series chunks whose outcome chunk never landed."""
    chunks = out / CHUNKS
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


def saved_runs(out: Path) -> int:
    """Runs in complete chunk files (read only: the folder may not be writable)."""
    import pyarrow.parquet as pq

    count = 0
    for chunk in (out / CHUNKS).glob("chunk-*.parquet"):
        try:
            count += pq.ParquetFile(chunk).metadata.num_rows
        except Exception:  # noqa: BLE001 - a damaged chunk is redone on resume, not counted here
            continue
    return count


def write_failed(out: Path, e: OSError) -> str:
    """The message for a write that failed for lack of space or permission."""
    where = f" ({e.filename})" if e.filename else ""
    fix = {errno.ENOSPC: "free some space", errno.EDQUOT: "free some space (disk quota)",
           errno.EFBIG: "free some space or raise the file size limit"}.get(
        e.errno, "make the folder writable (or use --out elsewhere)")
    return (f"{out}: cannot write results: {e.strerror}{where}. {saved_runs(out)} runs are saved "
            f"in complete chunks and are kept; {fix}, then run the same command again to resume")


# --- writing ----------------------------------------------------------------------------------

def _shown_path(path: Path) -> str:
    """Relative to the repository when inside it (manifests travel between machines)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def new_manifest(plan: Plan, started: str, old: mf.Manifest | None) -> mf.Manifest:
    """The manifest of a sweep session starting now (``old``: the folder's, when resuming)."""
    from sim.provenance import provenance

    n = len(plan.worlds)
    points = [{"point": i // n, **({"scenario": i % n} if plan.uncertain else {}),
               "config_hash": config_hash(c), "params": plan.points[i // n]}
              for i, c in enumerate(plan.configs)]
    worlds = ({"uncertainties": plan.space, "scenarios": list(plan.worlds)} if plan.uncertain
              else {})
    data = {
        "kind": "sweep", "experiment": plan.name, "description": plan.spec.description,
        "ci": plan.ci, "experiment_file": _shown_path(plan.path), "experiment_hash": plan.file_hash,
        "experiment_text": plan.text, "design_hash": plan.design_hash,
        "scenario": plan.spec.scenario, "base_config": plan.base.model_dump(mode="json"),
        "steps": plan.steps, "replicates": plan.replicates, "outcomes": list(plan.outcomes),
        "timeseries": plan.timeseries,
        "design": {**plan.design, "columns": list(plan.columns), "points": points, **worlds},
        "experiment_seed": plan.spec.seed, "seeds": list(plan.seeds), "runs": len(plan.runs),
        "results": {"runs": "runs.parquet",
                    "timeseries": "timeseries.parquet" if plan.timeseries else None},
        "created": old.created if old is not None else started, "started": started,
        "status": "running", "sessions": old.to_json()["sessions"] if old is not None else [],
        **provenance(),
    }
    # through JSON: tuples become lists, as a reader of the file sees them
    return mf.Manifest.model_validate_json(_json(data))


def _json(data: Any) -> str:
    import json

    from sim.storage import json_safe

    return json.dumps(json_safe(data))


def write_manifest(out: Path, manifest: mf.Manifest) -> None:
    from sim.storage import write_json

    write_json(out / mf.MANIFEST, manifest.to_json())


class Sink:
    """Writes each finished batch as chunk files and keeps the counts."""

    def __init__(self, out: Path, progress):
        self.chunks = out / CHUNKS
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


def assemble(out: Path, plan: Plan, lost: dict[str, str]) -> pd.DataFrame:
    """Join the chunks onto the run table; write runs.parquet (and timeseries.parquet)."""
    import pandas as pd

    from sim.storage import write_parquet_durable
    from sim.sweep.executors import outcome_frame

    chunks = out / CHUNKS
    runs = plan.frame()
    found = read_parquets(sorted(chunks.glob("chunk-*.parquet")))
    if found is None:
        found = outcome_frame([], plan.outcomes)
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


# --- reading a finished folder ----------------------------------------------------------------

CENSORED = "innovation_censored"
SPEED = "innovation_speed"
RUN_COLUMNS = ("run_id", "point", "replicate", "seed", "error")
ORDER_COLUMN = "levers.schedule.order"


def _empty_frame():
    import pandas as pd

    return pd.DataFrame()


@dataclass
class Results:
    """One experiment's stored results: valid runs, failed runs, manifest and optional series."""

    runs: pd.DataFrame
    failed: pd.DataFrame = field(default_factory=_empty_frame)
    manifest: mf.Manifest = field(default_factory=mf.Manifest)
    timeseries: pd.DataFrame | None = None
    path: Path | None = None

    @classmethod
    def from_frame(cls, runs: pd.DataFrame, manifest: mf.Manifest | dict | None = None,
                   timeseries: pd.DataFrame | None = None, path: Path | None = None) -> Results:
        """Split a ``runs.parquet`` table into valid and failed runs (a non-empty ``error``)."""
        import pandas as pd

        missing = [c for c in ("point", "replicate") if c not in runs.columns]
        if missing:
            raise ConfigError(f"runs table lacks column(s) {', '.join(missing)}")
        if "error" in runs.columns:
            err = runs["error"].notna() & (runs["error"].astype(str).str.len() > 0)
        else:
            err = pd.Series(False, index=runs.index)
        ok = runs.loc[~err].reset_index(drop=True)
        if CENSORED in ok.columns:
            ok[CENSORED] = ok[CENSORED].astype(bool)
        if not isinstance(manifest, mf.Manifest):
            manifest = mf.parse(manifest or {}, path / mf.MANIFEST if path else Path(mf.MANIFEST))
        return cls(ok, runs.loc[err].reset_index(drop=True), manifest, timeseries, path)

    @property
    def design(self) -> type[DesignBase]:
        """The design kind's class (``sim.sweep.experiment.DESIGNS``): the manifest's, or for
        tables with no manifest, what their columns show (an order column: orders; the four
        budget shares: simplex; else grid)."""
        from sim.design import BUDGET_KEYS

        if self.manifest.design is not None:
            kind = self.manifest.design.kind
            if kind not in DESIGNS:
                raise ConfigError(f"manifest design.kind = {kind!r}: allowed: {', '.join(DESIGNS)}")
            return DESIGNS[kind]
        cols = set(self.runs.columns) | set(self.failed.columns)
        if ORDER_COLUMN in cols:
            return DESIGNS["orders"]
        return DESIGNS["simplex" if set(BUDGET_KEYS) <= cols else "grid"]

    @property
    def kind(self) -> str:
        """The design kind (grid, lhs, sobol, simplex, orders)."""
        return self.design.model_fields["kind"].annotation.__args__[0]

    @property
    def name(self) -> str:
        return self.manifest.experiment or (self.path.name if self.path else "experiment")

    @property
    def uncertain(self) -> list[str]:
        """The sampled uncertainties (``[uncertainties]``): dotted column names, as run."""
        d = self.manifest.design
        names = list((d.uncertainties or {}).get("parameters", {})) if d is not None else []
        return [c for c in names if c in self.runs.columns]

    @property
    def factors(self) -> list[str]:
        """The varied parameters (the levers; not the uncertainties): dotted column names, in
        table order."""
        skip = set(self.uncertain)
        return [c for c in self.runs.columns if "." in c and c not in RUN_COLUMNS and c not in skip]

    @property
    def outcomes(self) -> list[str]:
        return [c for c in OUTCOME_NAMES if c in self.runs.columns]

    @property
    def n_runs(self) -> int:
        return len(self.runs) + len(self.failed)

    @property
    def horizon(self) -> float:
        """tau: the run horizon (manifest ``steps``), else the longest time to target seen. Censored
        runs sit at the horizon, so both agree when any run is censored; when none is, the RMST up
        to either is the plain mean."""
        if SPEED not in self.runs.columns or self.runs.empty:
            return float("nan")
        seen = float(self.runs[SPEED].max())
        steps = self.manifest.steps
        return max(seen, float(steps)) if steps is not None else seen

    def _ids(self, column: str) -> np.ndarray:
        import numpy as np
        import pandas as pd

        ids = pd.concat([self.runs[column], self.failed.get(column, pd.Series(dtype=int))])
        return np.sort(ids.dropna().astype(int).unique())

    @property
    def point_ids(self) -> np.ndarray:
        """Every design point, including those whose runs all failed."""
        return self._ids("point")

    @property
    def replicate_ids(self) -> np.ndarray:
        return self._ids("replicate")

    @property
    def points(self) -> pd.DataFrame:
        """One row per design point (index ``point``) with its factor values."""
        import pandas as pd

        both = pd.concat([self.runs, self.failed], ignore_index=True)
        cols = [c for c in self.factors if c in both.columns]
        table = both.drop_duplicates("point").set_index("point").sort_index()[cols]
        return table.reindex(self.point_ids)


def load_results(path: str | Path) -> Results:
    """Read a results folder; :class:`ConfigError` when it is not one."""
    import pandas as pd

    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"{path}: no such results folder")
    runs_path = path / "runs.parquet"
    if not runs_path.is_file():
        raise ConfigError(f"{path}: no runs.parquet (is it a folder written by `pactsim sweep`?)")
    try:
        runs = pd.read_parquet(runs_path)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise ConfigError(f"{runs_path}: cannot read ({e})") from None
    manifest = mf.read(path) or mf.Manifest()
    ts = pd.read_parquet(path / "timeseries.parquet") if (path / "timeseries.parquet").is_file() else None
    return Results.from_frame(runs, manifest, ts, path)
