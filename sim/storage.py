"""Results as data: Parquet tables plus a JSON manifest, written atomically (temp name, rename)."""

from __future__ import annotations

import errno
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from sim.config import config_hash
from sim.engine import RunResult
from sim.errors import ConfigError
from sim.provenance import now_iso, provenance


def json_safe(value):
    """NaN and infinity are not JSON: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return json_safe(value.item())
    return value


TMP_SUFFIX = ".tmp"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` atomically and durably: ``write`` fills a hidden temporary file in the same
    folder, which is flushed to disk and renamed. Readers see the old file or the whole new one; a
    process killed at any moment leaves at most one ``.<name>.*.tmp`` file, which
    ``sim.sweep.results.remove_partial`` cleans up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; results are not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably."""
    _atomic_write(path, lambda f: f.write(data))


def write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(json_safe(obj), indent=2, sort_keys=False) + "\n")
                       .encode())


META_KEY = b"pactsim"
"""The Parquet schema-metadata key under which pactsim records what wrote a file (JSON)."""


def write_parquet_durable(path: Path, df: pd.DataFrame, meta: dict | None = None) -> None:
    """Write ``df`` to ``path`` as Parquet, atomically and durably; ``meta`` (JSON) is kept in the
    file's schema metadata under :data:`META_KEY` (it changes no value of the table)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    if meta is not None:
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()})
    _atomic_write(path, lambda f: pq.write_table(table, f))


def read_meta(path: Path) -> dict | None:
    """What :func:`write_parquet_durable` recorded in ``path`` (None: nothing, or not readable)."""
    import pyarrow.parquet as pq

    try:
        raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
        meta = json.loads(raw) if raw else None
    except Exception:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        return None
    return meta if isinstance(meta, dict) else None


RUN_FILES = ("timeseries.parquet", "outcomes.json", "manifest.json")
"""The files of one run's folder (``pactsim run``), and nothing else."""


def check_run_folder(out: Path) -> None:
    """A run's folder may be new, empty or hold an earlier run (its three files, manifest kind
    ``run``): never a sweep's or another tool's files, which replacing the folder would lose."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is not a folder")
    if not out.is_dir():
        return
    entries = sorted(os.listdir(out))
    foreign = [e for e in entries if e not in RUN_FILES]
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ConfigError(f"--out {out}: holds files a run does not write ({shown}); a run "
                          "replaces its whole folder: use --out elsewhere (or an empty folder)")
    if not entries:
        return
    try:
        kind = json.loads((out / "manifest.json").read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        kind = None
    if kind != "run":
        raise ConfigError(f"--out {out}: holds other results ({', '.join(entries)}; manifest kind "
                          f"{kind!r}), not a run's; a run would overwrite them: use --out elsewhere")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the system or
    the file system has no such call."""
    import ctypes

    fn = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _remove_run_folder(folder: Path) -> None:
    """Delete a run's folder that pactsim wrote: its :data:`RUN_FILES` and temporary files, then
    the folder if nothing else is in it."""
    for name in os.listdir(folder):
        if name in RUN_FILES or (name.startswith(".") and name.endswith(TMP_SUFFIX)):
            (folder / name).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass  # something else is in there: leave it


def write_run(result: RunResult, out_dir: Path, backend: str = "numba") -> Path:
    """Write ``timeseries.parquet``, ``outcomes.json`` and ``manifest.json`` into ``out_dir`` as
    one unit: into a temporary folder beside it, then renamed over it (an earlier run there is
    swapped out atomically and deleted). An interruption or a full disk leaves the old result or
    the new one, never a mix; the temporary folder is removed on any exit Python sees."""
    out_dir = Path(os.path.realpath(out_dir))  # a symlinked results folder is the operator's
    check_run_folder(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.parent.glob(f".{out_dir.name}.*{TMP_SUFFIX}"):  # a killed run's
        if stale.is_dir() and not stale.is_symlink():
            _remove_run_folder(stale)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=TMP_SUFFIX, dir=out_dir.parent))
    try:
        write_parquet_durable(tmp / "timeseries.parquet", result.timeseries)
        write_json(tmp / "outcomes.json", result.outcomes)
        manifest = {
            "kind": "run",
            "scenario": result.config.name,
            "config": result.config.model_dump(mode="json"),
            "config_hash": config_hash(result.config),
            "seed": result.seed,
            "steps": result.steps,
            "backend": backend,
            "wall_time_s": round(result.wall_time, 4),
            "created": now_iso(),
            **provenance(),
        }
        write_json(tmp / "manifest.json", manifest)
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes the folder private; results are not
        if out_dir.is_dir() and os.listdir(out_dir) and _exchange(tmp, out_dir):
            pass  # tmp now holds the earlier run
        elif out_dir.is_dir() and os.listdir(out_dir):  # no exchange here: two renames
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=TMP_SUFFIX,
                                        dir=out_dir.parent))
            os.rename(out_dir, old)  # replaces the empty folder ``old``
            os.rename(tmp, out_dir)
            tmp = old
        else:
            os.rename(tmp, out_dir)  # onto nothing, or onto an empty folder
        _fsync_dir(out_dir.parent)
    finally:
        if tmp.exists():
            _remove_run_folder(tmp)
    return out_dir


def frame_digest(df: pd.DataFrame) -> str:
    """sha256 of a table's content: column names and values, in row order, written as CSV with
    floats at full precision (17 significant digits). Unlike the Parquet file's bytes it ignores
    metadata (writer version, creation time), so equal tables give equal digests."""
    import hashlib

    text = df.to_csv(index=False, float_format="%.17g", na_rep="NA", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()
