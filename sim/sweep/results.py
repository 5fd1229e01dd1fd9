"""A sweep's results folder: what is in it, how it is written, resumed and read back.

The folder holds ``chunks/chunk-<first run index>.parquet`` (the outcomes of one batch) and
``chunks/ts-<...>.parquet`` (its time series), each written atomically as the batch ends, then
``runs.parquet`` (sorted by point and replicate), ``timeseries.parquet`` (when asked) and
``manifest.json`` (:mod:`sim.sweep.manifest`). A sweep that stops part-way leaves complete chunks
only; the next one skips their runs (resume). ``.pactsim.lock`` (:mod:`sim.sweep.lock`) keeps one sweep
per folder. :func:`load_results` reads a finished folder for the analysis and the report.

The folder is a trusted store: pactsim writes and deletes only inside it (no symbolic link is
followed: :func:`own_paths`), only what a sweep recorded as its own. Every chunk and result table
records, in its Parquet metadata, the experiment, size, design and code version that wrote it
(:func:`chunk_meta`): a resume onto chunks of another code version is refused, a manifest lost or
damaged is rebuilt from chunks that vouch for the sweep, and a chunk that is damaged or wrong
(:func:`_chunk_problem`) is dropped and its runs redone.
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

CHUNK_GLOBS = ("chunk-*.parquet", "ts-*.parquet")
"""The names of the chunk files a sweep writes in ``chunks/``."""


def chunk_meta(plan: Plan, runs: int) -> dict:
    """What a chunk records about what wrote it: the experiment, its size and design, the code
    version (``sim.provenance.code_version``) and its run count."""
    from sim.provenance import code_version

    return {"kind": "chunk", "experiment_hash": plan.file_hash, "ci": plan.ci,
            "design_hash": plan.design_hash, "code": code_version(), "runs": runs}


def _ours(meta: dict | None, plan: Plan | None = None) -> bool:
    """Whether a file's record says a sweep wrote it (of ``plan``'s size and design, when given:
    the same runs, whatever the experiment file's text)."""
    if not isinstance(meta, dict) or meta.get("kind") not in ("chunk", "sweep"):
        return False
    return plan is None or (meta.get("design_hash") == plan.design_hash
                            and meta.get("ci") == plan.ci)


def own_paths(out: Path) -> None:
    """Refuse a results folder whose lock, ``chunks`` or result files are symbolic links (or of
    the wrong type): pactsim writes and deletes only inside its folder, never where a link
    points."""
    from sim.sweep.lock import LOCK_NAME

    for name in (CHUNKS, LOCK_NAME, *WRITTEN):
        p = out / name
        if p.is_symlink():
            raise ConfigError(f"{p}: is a symbolic link (to {p.readlink()}); pactsim writes only "
                              "inside its results folder: remove the link, or use --out elsewhere")
        if p.exists() and (p.is_dir() != (name == CHUNKS)):
            kind = "a folder" if name == CHUNKS else "a file"
            raise ConfigError(f"{p}: is not {kind}; pactsim will not replace it: move it away, "
                              "or use --out elsewhere")
    chunks = out / CHUNKS
    if chunks.is_dir():
        for pattern in CHUNK_GLOBS:
            for p in chunks.glob(pattern):
                if p.is_symlink() or not p.is_file():
                    raise ConfigError(f"{p}: is not a chunk file pactsim wrote (a link or not a "
                                      "file); remove it, or use --out elsewhere")


def _chunk_files(out: Path, pattern: str = "chunk-*.parquet") -> list[Path]:
    chunks = out / CHUNKS
    return sorted(chunks.glob(pattern)) if chunks.is_dir() else []


def _readable_metas(paths: list[Path]) -> dict[Path, dict | None]:
    """Each readable file's pactsim record (None: it has none); unreadable files are left out
    (damaged: :func:`done_ids` drops them and their runs are redone)."""
    import json

    import pyarrow.parquet as pq

    from sim.storage import META_KEY

    out = {}
    for p in paths:
        try:
            raw = (pq.read_schema(p).metadata or {}).get(META_KEY)
        except Exception:  # noqa: BLE001 - pyarrow raises several types for a damaged file
            continue
        try:
            meta = json.loads(raw) if raw else None
        except ValueError:
            meta = None
        out[p] = meta if isinstance(meta, dict) else None
    return out


def _raw_manifest(out: Path) -> dict | None:
    """The folder's manifest as JSON (None: none); :class:`ConfigError` when unreadable."""
    p = out / mf.MANIFEST
    if not p.is_file():
        return None
    data = mf.read_raw(p)
    return data if isinstance(data, dict) else {"kind": None}


def _named(paths: list[Path], out: Path) -> str:
    shown = [p.relative_to(out).as_posix() for p in paths[:3]]
    return ", ".join(shown) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def _check_chunks(out: Path, plan: Plan) -> None:
    """Refuse to resume onto chunks of another experiment, size or design, or of another version
    of the code (one model version per result)."""
    from sim.provenance import code_version

    metas = _readable_metas(_chunk_files(out))
    foreign = [p for p, m in metas.items() if not _ours(m, plan)]
    if foreign:
        raise ConfigError(
            f"{out}: {_named(foreign, out)}: chunks this sweep cannot vouch for (written by "
            "another experiment or design, or by a pactsim that recorded none); use --fresh to "
            "discard them (or --out elsewhere)")
    other = sorted({m["code"] for m in metas.values() if m["code"] != code_version()})
    if other:
        n = sum(m["code"] != code_version() for m in metas.values())
        raise ConfigError(
            f"{out}: {n} chunk(s) were written by another version of pactsim's code "
            f"({', '.join(other)}; this one is {code_version()}): results of two model versions "
            "are never mixed. Finish the sweep with that version, or start over with --fresh, "
            "or use --out elsewhere")


def _foreign_results(out: Path) -> list[Path]:
    """``runs.parquet`` and ``timeseries.parquet`` in ``out`` that no sweep recorded as its own."""
    found = [out / n for n in WRITTEN[:2] if (out / n).exists()]
    metas = _readable_metas(found)
    return [p for p in found if not _ours(metas.get(p))]


def _manifest_or_why(out: Path) -> tuple[dict | None, str | None]:
    """The folder's raw manifest, or None with why it cannot be read (None when it has none)."""
    try:
        return _raw_manifest(out), None
    except ConfigError as e:
        return None, str(e)


def check_folder(out: Path, plan: Plan) -> tuple[mf.Manifest | None, str | None]:
    """Refuse to mix results of another experiment (or another version of it, or of the code) into
    ``out``; return its manifest when it holds an earlier part of this sweep, and a note when its
    manifest is missing or unreadable but its chunks vouch for the sweep (it is rebuilt)."""
    own_paths(out)
    data, broken = _manifest_or_why(out)
    if data is None:
        foreign = _foreign_results(out)
        if foreign:
            why = f" ({broken})" if broken else ""
            raise ConfigError(f"{out}: holds {_named(foreign, out)} but no sweep manifest{why}; "
                              "pactsim did not record writing them and will not overwrite them: "
                              "move them away, or use --out elsewhere")
        chunks = _chunk_files(out)
        _check_chunks(out, plan)
        if broken and not chunks:
            raise ConfigError(f"{broken}; no chunks remain to rebuild it from, and pactsim will "
                              "not overwrite a file it cannot read: remove it if it is a sweep's, "
                              "or use --out elsewhere")
        if chunks or broken:
            return None, (f"{out}: {'its manifest is unreadable' if broken else 'no manifest'}; "
                          f"rebuilt from {len(chunks)} chunk(s) of this sweep")
        return None, None
    old = _sweep_manifest(out, data, _HINT)
    changed = old.experiment_hash != plan.file_hash
    if bool(old.ci) != plan.ci:
        raise ConfigError(f"{out}: holds results of the {'ci' if old.ci else 'full'} size of "
                          f"the experiment, not of the {'ci' if plan.ci else 'full'} size{_HINT}")
    if old.design_hash != plan.design_hash and changed:
        raise ConfigError(f"{out}: holds results of {old.experiment} with experiment file hash "
                          f"{old.experiment_hash}, but {plan.path} now hashes to "
                          f"{plan.file_hash} (the file changed, and with it the runs){_HINT}")
    if old.design_hash != plan.design_hash:
        raise ConfigError(f"{out}: the experiment file is unchanged but its runs resolve differently "
                          "(the base scenario or the model's defaults changed)" + _HINT)
    _check_chunks(out, plan)
    if changed:  # a comment or a description edited: the same runs, the work kept
        return old, (f"{plan.path} changed since {out} was written, but its runs are the same "
                     "ones: resuming (the manifest records the new text)")
    return old, None


def _sweep_manifest(out: Path, data: dict, hint: str) -> mf.Manifest:
    if data.get("kind") != "sweep":
        raise ConfigError(f"{out}: holds other results (manifest kind {data.get('kind')!r}){hint}")
    return mf.parse(data, out / mf.MANIFEST)


def clear(out: Path) -> None:
    """--fresh: remove what a sweep wrote (and nothing else) from ``out``. A folder is cleared
    only when a sweep's manifest, or the records in its chunks, say a sweep wrote it; another
    tool's manifest, or result files no sweep recorded, are refused."""
    own_paths(out)
    data, broken = _manifest_or_why(out)
    if data is not None and data.get("kind") != "sweep":
        raise ConfigError(f"{out}: holds other results (manifest kind {data.get('kind')!r}), "
                          "not a sweep's; --fresh only clears sweep folders: use --out elsewhere")
    if data is None:
        foreign = _foreign_results(out)
        metas = _readable_metas(_chunk_files(out))
        unvouched = [p for p, m in metas.items() if not _ours(m)]
        if foreign or unvouched or (broken and not metas):
            what = broken or "no manifest.json"
            raise ConfigError(f"{out}: {what}, and {_named(foreign + unvouched, out) or 'nothing'} "
                              "that a sweep recorded as its own: --fresh clears only what a sweep "
                              "wrote; move the files away yourself, or use --out elsewhere")
    chunks = out / CHUNKS
    if chunks.is_dir():
        for pattern in (*CHUNK_GLOBS, ".chunk-*.tmp", ".ts-*.tmp"):
            for p in chunks.glob(pattern):
                p.unlink()
        try:
            chunks.rmdir()
        except OSError:
            pass  # someone else's files are in there: leave them
    for name in WRITTEN:
        (out / name).unlink(missing_ok=True)
    remove_partial(out)


def remove_partial(folder: Path) -> int:
    """Delete the temporary files an interrupted writer of pactsim left in ``folder`` (those of
    its chunk and result files only); return how many."""
    from sim.storage import TMP_SUFFIX

    if not folder.is_dir():
        return 0
    count = 0
    for prefix in (".chunk-", ".ts-", *(f".{n}." for n in WRITTEN)):
        for p in folder.glob(f"{prefix}*{TMP_SUFFIX}"):
            if p.is_file() and not p.is_symlink():
                p.unlink(missing_ok=True)
                count += 1
    return count


def clear_partial(out: Path) -> int:
    """:func:`remove_partial` in a results folder and its chunks; return how many."""
    return remove_partial(out) + remove_partial(out / CHUNKS)


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


def _chunk_problem(chunk: Path, plan: Plan, ids: set[str]) -> str | None:
    """What is wrong with a chunk and its series chunk (None: nothing): columns, types, run ids,
    counts, checked against the plan and the chunk's own record."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.storage import META_KEY
    from sim.sweep.executors import outcome_frame

    try:
        table = pq.read_table(chunk)
        meta = (table.schema.metadata or {}).get(META_KEY)
    except Exception as e:  # noqa: BLE001 - e.g. truncated by a power cut despite fsync
        return f"unreadable ({type(e).__name__})"
    want = pa.Schema.from_pandas(outcome_frame([], plan.outcomes), preserve_index=False)
    got = [(f.name, f.type) for f in table.schema]
    if got != [(f.name, f.type) for f in want]:
        return "its columns or types are not those of this sweep's outcomes"
    found = table.column("run_id").to_pylist()
    import json

    if meta is None or json.loads(meta).get("runs") != len(found) or len(set(found)) != len(found):
        return "its run count does not match its record"
    if not set(found) <= ids:
        return "it holds runs that are not this sweep's"
    if not plan.timeseries:
        return None
    ts = chunk.with_name(chunk.name.replace("chunk-", "ts-", 1))
    ok = {r for r, e in zip(found, table.column("error").to_pylist(), strict=True) if e is None}
    try:
        series = pq.read_table(ts, columns=["run_id", "step"])
    except Exception:  # noqa: BLE001 - missing or damaged
        return f"its series chunk {ts.name} is missing or unreadable"
    if set(series.column("run_id").to_pylist()) != ok:
        return f"its series chunk {ts.name} holds other runs"
    return None


def done_ids(out: Path, plan: Plan) -> tuple[set[str], list[str]]:
    """Run ids in complete, sound chunks, and a line for each chunk dropped (its runs are redone).
    Clears what an interrupted sweep left: temporary files, time series chunks whose outcome
    chunk never landed, and chunks that are damaged or wrong (:func:`_chunk_problem`)."""
    chunks = out / CHUNKS
    clear_partial(out)
    if not chunks.is_dir():
        return set(), []
    plan_ids = {r.run_id for r in plan.runs}
    ids: set[str] = set()
    dropped = []
    for chunk in sorted(chunks.glob("chunk-*.parquet")):
        problem = _chunk_problem(chunk, plan, plan_ids)
        if problem is None:
            import pyarrow.parquet as pq

            ids.update(pq.read_table(chunk, columns=["run_id"]).column("run_id").to_pylist())
            continue
        dropped.append(f"{chunk.relative_to(out)}: {problem}")
        chunk.unlink()
        chunk.with_name(chunk.name.replace("chunk-", "ts-", 1)).unlink(missing_ok=True)
    for ts in chunks.glob("ts-*.parquet"):
        if not (chunks / ts.name.replace("ts-", "chunk-", 1)).exists():
            ts.unlink()
    return ids, dropped


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

    def __init__(self, out: Path, progress, plan: Plan):
        own_paths(out)
        self.chunks = out / CHUNKS
        self.progress = progress
        self.plan = plan
        self.done = 0
        self.failed = 0
        self.lost: dict[str, str] = {}

    def batch(self, items: list[Item], result, advance: bool = True) -> None:
        from sim.storage import write_parquet_durable

        frame, ts = result
        first = min(i for i, *_ in items)
        if self.chunks.is_symlink():  # planted while the sweep ran: write nothing through it
            own_paths(self.chunks.parent)
        # the series first: a chunk file, once there, vouches for its runs' series too
        meta = chunk_meta(self.plan, len(frame))
        if ts is not None:
            write_parquet_durable(self.chunks / f"ts-{first:08d}.parquet", ts, meta)
        write_parquet_durable(self.chunks / f"chunk-{first:08d}.parquet", frame, meta)
        failed = int(frame["error"].notna().sum())
        self.failed += failed
        self.done += len(frame) - failed
        if advance:
            self.progress.advance(len(items))

    def note(self, text: str) -> None:
        """Say something about the sweep while it runs (above the progress bar)."""
        note = getattr(self.progress, "note", None)
        if note is not None:
            note(text)
        else:
            import sys

            print(f"note: {text}", file=sys.stderr)

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
    meta = {**chunk_meta(plan, len(df)), "kind": "sweep"}
    write_parquet_durable(out / "runs.parquet", df, meta)
    if plan.timeseries:
        ts = read_parquets(sorted(chunks.glob("ts-*.parquet")))
        if ts is None:
            ts = pd.DataFrame(columns=["run_id", "step", *SERIES_NAMES])
        ts = ts.drop_duplicates(["run_id", "step"])
        ts = runs[["run_id", "point", "replicate"]].merge(ts, on="run_id", how="inner")
        ts = ts.sort_values(["point", "replicate", "step"], kind="stable").reset_index(drop=True)
        ts = ts[["run_id", "point", "replicate", "step", *[c for c in ts.columns if c in SERIES_NAMES]]]
        write_parquet_durable(out / "timeseries.parquet", ts, meta)
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


def _unfinished(path: Path, manifest: mf.Manifest) -> str | None:
    """Why a sweep folder is not ready for a report (its last sweep is running or was
    interrupted), with how to finish it; None when it is ready."""
    if manifest.status != "running":
        return None
    from sim.sweep.lock import LOCK_NAME

    saved = saved_runs(path)
    again = (f"pactsim sweep {manifest.experiment_file or manifest.experiment} --out {path}"
             + (" --ci" if manifest.ci else ""))
    lock = path / LOCK_NAME
    busy = False
    if lock.is_file() and not lock.is_symlink():
        import fcntl
        import os

        fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            busy = True
        finally:
            os.close(fd)
    if busy:
        return (f"{path}: a sweep is still running here ({saved} of {manifest.runs} runs saved); "
                "report it when it ends")
    return (f"{path}: its sweep was interrupted ({saved} of {manifest.runs} runs saved in "
            f"chunks); finish it with `{again}` (it resumes), then report")


def load_results(path: str | Path) -> Results:
    """Read a results folder; :class:`ConfigError` when it is not one, or its sweep has not
    finished."""
    import pandas as pd

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path}: is not a folder (give the results folder a sweep wrote)")
    if not path.is_dir():
        raise ConfigError(f"{path}: no such results folder")
    manifest = mf.read(path) or mf.Manifest()
    unfinished = _unfinished(path, manifest)
    if unfinished:
        raise ConfigError(unfinished)
    tables = {}
    for name in ("runs.parquet", "timeseries.parquet"):
        p = path / name
        if name == "runs.parquet" and not p.is_file():
            raise ConfigError(f"{path}: no runs.parquet (is it a folder written by `pactsim sweep`?)")
        if not p.is_file():
            continue
        try:
            tables[name] = pd.read_parquet(p)
        except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a damaged file
            raise ConfigError(f"{p}: cannot read ({type(e).__name__}: {e}); if the sweep's chunks "
                              "are intact, running the sweep again rebuilds it") from None
    return Results.from_frame(tables["runs.parquet"], manifest, tables.get("timeseries.parquet"),
                              path)
