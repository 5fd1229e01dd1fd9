"""Provenance for manifests: git commit and dirty flag, package versions, host, time."""

from __future__ import annotations

import datetime as _dt
import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path

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
    return {"git": git_state(), "code": code_version(), "versions": package_versions(),
            "host": platform.node(), "platform": platform.platform()}


@functools.cache
def code_version() -> str:
    """A digest of the package's source (every ``sim/**/*.py``, by path and content): the code
    version a result was produced by. Unlike a commit it covers uncommitted edits and an installed
    copy without git; any edit of the package changes it (a conservative notion of "the model
    changed")."""
    import hashlib

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
