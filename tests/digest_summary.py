"""What a committed digest stands for, column by column, so that a mismatch can say what changed.

Beside ``tests/digests/<experiment>.sha256`` (the digest of runs.parquet, :func:`sim.storage.frame_digest`)
``scripts/update_digests.py`` writes ``tests/digests/<experiment>.json``: for every column of
runs.parquet its own digest and, when numeric, its sum, mean, min, max and values; for every series
column of timeseries.parquet (when the experiment keeps it) its digest, sum, mean, min and max.
:func:`explain` compares two such summaries and names each changed column with the size of the
change, e.g. ``innovation_speed: mean 41.2 → 43, min 20 → 22 (max |Δ| 6; first at row 3:
40 → 46; 5 of 12 rows differ)``, the min and max shown where they moved.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

VERSION = 1
SERIES_KEYS = ("run_id", "point", "replicate", "step")  # identify a row of timeseries.parquet


def column_digest(s: pd.Series) -> str:
    """sha256 of one column written as :func:`sim.storage.frame_digest` writes a table."""
    text = s.to_frame().to_csv(index=False, float_format="%.17g", na_rep="NA", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


def _json_number(x: float) -> float | int | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else float(x)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def summarize_column(s: pd.Series, keep_values: bool) -> dict:
    out: dict = {"dtype": str(s.dtype), "digest": column_digest(s)}
    if _is_numeric(s):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        ok = v[~np.isnan(v)]
        out["n_nan"] = int(len(v) - len(ok))
        if len(ok):
            out.update(sum=_json_number(float(ok.sum())), mean=float(ok.mean()),
                       min=_json_number(float(ok.min())), max=_json_number(float(ok.max())))
        if keep_values:
            out["values"] = [_json_number(float(x)) for x in v]
    else:
        out["distinct"] = int(s.nunique(dropna=False))
    return out


def summarize(runs: pd.DataFrame, series: pd.DataFrame | None = None, digest: str | None = None) -> dict:
    """The summary of a sweep's runs table (and its series table, if any)."""
    return {
        "version": VERSION,
        "digest": digest,
        "rows": len(runs),
        "runs": {c: summarize_column(runs[c], keep_values=_is_numeric(runs[c])) for c in runs.columns},
        "series": None if series is None else {
            "rows": len(series),
            "columns": {c: summarize_column(series[c], keep_values=False)
                        for c in series.columns if c not in SERIES_KEYS}},
    }


def summarize_results(folder: str | Path, digest: str | None = None) -> dict:
    """The summary of a results folder written by :func:`sim.sweep.run_experiment`."""
    folder = Path(folder)
    ts = folder / "timeseries.parquet"
    return summarize(pd.read_parquet(folder / "runs.parquet"),
                     pd.read_parquet(ts) if ts.is_file() else None, digest)


def dumps(summary: dict) -> str:
    """JSON with a line per column (diffs of a committed reference stay readable)."""
    def block(columns: dict, indent: str) -> str:
        rows = [f"{indent}{json.dumps(c)}: {json.dumps(s, allow_nan=False)}" for c, s in columns.items()]
        return "{\n" + ",\n".join(rows) + "\n" + indent[:-1] + "}"

    head = {k: v for k, v in summary.items() if k not in ("runs", "series")}
    parts = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in head.items()]
    parts.append(f' "runs": {block(summary["runs"], "  ")}')
    series = summary["series"]
    if series is None:
        parts.append(' "series": null')
    else:
        parts.append(f' "series": {{"rows": {series["rows"]}, "columns": {block(series["columns"], "   ")}}}')
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _fmt(x, digits: int = 4) -> str:
    if x is None:
        return "NaN"
    if isinstance(x, int) or float(x).is_integer():
        return str(int(x))
    return f"{x:.{digits}g}"


def _pair(a, b) -> str:
    """``a → b`` with enough digits to tell them apart."""
    for digits in (4, 6, 10, 17):
        if _fmt(a, digits) != _fmt(b, digits) or digits == 17:
            return f"{_fmt(a, digits)} → {_fmt(b, digits)}"
    raise AssertionError  # unreachable


def _stats(old: dict, new: dict) -> str:
    """The mean, and the min and max where they moved."""
    parts = [f"mean {_pair(old.get('mean'), new.get('mean'))}"] if "mean" in old or "mean" in new else []
    parts += [f"{k} {_pair(old.get(k), new.get(k))}" for k in ("min", "max") if old.get(k) != new.get(k)]
    if old.get("n_nan") != new.get("n_nan"):
        parts.append(f"NaN count {old.get('n_nan')} → {new.get('n_nan')}")
    return ", ".join(parts)


def _value_change(old_v: list, new_v: list) -> str:
    if len(old_v) != len(new_v):
        return f"{len(old_v)} → {len(new_v)} values"
    a = np.array([np.nan if x is None else x for x in old_v], dtype=float)
    b = np.array([np.nan if x is None else x for x in new_v], dtype=float)
    differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    if not differ.any():
        return ""
    first = int(np.nonzero(differ)[0][0])
    delta = np.abs(a - b)[differ]
    both = delta[~np.isnan(delta)]
    size = f"max |Δ| {_fmt(float(both.max()))}" if len(both) else "NaN ↔ number"
    return (f"{size}; first at row {first}: {_fmt(old_v[first])} → {_fmt(new_v[first])}; "
            f"{int(differ.sum())} of {len(a)} rows differ")


def _explain_columns(old: dict, new: dict, label: str) -> list[str]:
    lines = []
    for c in [c for c in old if c not in new]:
        lines.append(f"{label}{c}: column removed")
    for c in [c for c in new if c not in old]:
        lines.append(f"{label}{c}: column added")
    for c in [c for c in old if c in new]:
        o, n = old[c], new[c]
        if o["digest"] == n["digest"] and o["dtype"] == n["dtype"]:
            continue
        parts = []
        if o["dtype"] != n["dtype"]:
            parts.append(f"dtype {o['dtype']} → {n['dtype']}")
        stats = _stats(o, n)
        if stats:
            parts.append(stats)
        if "values" in o and "values" in n:
            change = _value_change(o["values"], n["values"])
            if change:
                parts.append(f"({change})")
        if "distinct" in o or "distinct" in n:
            parts.append(f"values changed ({o.get('distinct')} → {n.get('distinct')} distinct)")
        lines.append(f"{label}{c}: " + (" ".join(parts) if parts else "values changed"))
    return lines


def explain(old: dict, new: dict) -> list[str]:
    """One line per column whose content differs between two summaries (empty: none differs)."""
    lines = []
    if old.get("rows") != new.get("rows"):
        lines.append(f"runs.parquet rows: {old.get('rows')} → {new.get('rows')}")
    lines += _explain_columns(old.get("runs", {}), new.get("runs", {}), "")
    if list(old.get("runs", {})) != list(new.get("runs", {})) and not lines:
        lines.append("column order changed: " + ", ".join(new.get("runs", {})))
    os_, ns = old.get("series"), new.get("series")
    if (os_ is None) != (ns is None):
        lines.append("timeseries.parquet: " + ("no longer written" if ns is None else "now written"))
    elif os_ is not None:
        if os_["rows"] != ns["rows"]:
            lines.append(f"timeseries.parquet rows: {os_['rows']} → {ns['rows']}")
        lines += _explain_columns(os_["columns"], ns["columns"], "series ")
    return lines


def mismatch_message(name: str, expected: str, got: str, old: dict | None, new: dict) -> str:
    """The failure message of the digest test: which columns changed and by how much."""
    head = f"{name} at its [ci] size: runs.parquet digest {expected[:12]}… → {got[:12]}…"
    if old is None:
        body = ["(no committed column summary to compare with: run scripts/update_digests.py)"]
    else:
        body = explain(old, new) or ["no column's values changed (formatting or column order?)"]
    return "\n  ".join([head, *body])
