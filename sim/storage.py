"""Results as data: Parquet tables plus a JSON manifest, written atomically (temp name, rename)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import pandas as pd

from sim.config import config_hash
from sim.engine import RunResult
from sim.provenance import now_iso, provenance


def _json_safe(value):
    """NaN and infinity are not JSON: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    return value


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(_json_safe(obj), indent=2, sort_keys=False) + "\n")
                       .encode())


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame to Parquet atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_run(result: RunResult, out_dir: Path, backend: str = "numba") -> Path:
    """Write ``timeseries.parquet``, ``outcomes.json`` and ``manifest.json`` into ``out_dir``."""
    out_dir = Path(out_dir)
    write_parquet(out_dir / "timeseries.parquet", result.timeseries)
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
