"""Results as data: Parquet tables plus a JSON manifest, written atomically (temp name, rename)."""

from __future__ import annotations

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


def write_parquet_durable(path: Path, df: pd.DataFrame) -> None:
    """Write ``df`` to ``path`` as Parquet, atomically and durably."""
    _atomic_write(path, lambda f: df.to_parquet(f, index=False))


def write_run(result: RunResult, out_dir: Path, backend: str = "numba") -> Path:
    """Write ``timeseries.parquet``, ``outcomes.json`` and ``manifest.json`` into ``out_dir``."""
    out_dir = Path(out_dir)
    write_parquet_durable(out_dir / "timeseries.parquet", result.timeseries)
    write_json(out_dir / "outcomes.json", result.outcomes)
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
    write_json(out_dir / "manifest.json", manifest)
    return out_dir


def frame_digest(df: pd.DataFrame) -> str:
    """sha256 of a table's content: column names and values, in row order, written as CSV with
    floats at full precision (17 significant digits). Unlike the Parquet file's bytes it ignores
    metadata (writer version, creation time), so equal tables give equal digests."""
    import hashlib

    text = df.to_csv(index=False, float_format="%.17g", na_rep="NA", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()
