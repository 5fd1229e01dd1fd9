"""Provenance for manifests: git commit and dirty flag, package versions, host, time."""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from importlib import metadata

from sim.config import ROOT

PACKAGES = ("pactsim", "numpy", "numba", "llvmlite", "pandas", "pyarrow", "pydantic", "mesa",
            "scipy", "networkx", "dask", "distributed", "SALib", "plotly", "rich")


def git_state() -> dict:
    """``{"commit": sha or None, "dirty": bool or None}`` of the source tree."""
    def git(*args):
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              timeout=10)
    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        status = git("status", "--porcelain", "--untracked-files=no")
        return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def provenance() -> dict:
    return {"git": git_state(), "versions": package_versions(), "host": platform.node(),
            "platform": platform.platform()}
