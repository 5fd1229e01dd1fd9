"""Numba's ``njit`` for pactsim's compiled code, with an on-disk cache keyed by every file compiled
code is built from (:data:`SOURCES`), not only by the function's own.

Why: Numba keys a cached function by the stamp (modification time and size) of its own source
file. The kernel's phases inline the rules (``inline="always"``), the rules inline the draws and
the enums are compiled in as constants, so after an edit of ``sim/rules/search.py`` alone the
cached ``run_phase`` of ``sim/phases.py`` kept the old rule: the kernel ran the old code while the
Mesa agents, compiled from the edited file, ran the new (seen while measuring: the same source ran
3.5-6.6% slower from a stale cache than freshly compiled). Here every cached function's stamp
also holds the stamps of all of :data:`SOURCES`, so an edit of any of them recompiles the kernels
once (about a minute) and a cache never serves code older than its sources.
``tests/test_jit.py`` checks that the list holds every module with compiled code or enums read by
it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numba

# the modules of compiled code and of the constants it inlines, relative to the package
SOURCES = (
    "bits.py", "enums.py", "graph.py", "kernel.py", "landscape.py", "measure.py", "metrics.py",
    "params.py", "phases.py", "rng.py", "state.py", "world.py", "rules/advocates.py",
    "rules/beliefs.py", "rules/culture.py", "rules/market.py", "rules/process.py",
    "rules/search.py", "rules/technology.py", "rules/ties.py",
)
PACKAGE = Path(__file__).resolve().parent

_stamps: dict[Path, tuple] = {}  # per package folder, taken once per process


def sources_stamp(package: Path = PACKAGE) -> tuple:
    """The (path, modification time in ns, size in bytes) of each of :data:`SOURCES` under
    ``package``, taken once per process: when the first compiled function is defined, on import
    (a stat per file, as Numba takes one of each cached function's own file; nothing compiles)."""
    if package not in _stamps:
        rows = []
        for name in SOURCES:
            st = os.stat(package / name)
            rows.append((name, st.st_mtime_ns, st.st_size))
        _stamps[package] = tuple(rows)
    return _stamps[package]


def _key_by_sources(dispatcher) -> None:
    """Add :func:`sources_stamp` to the stamp a cached dispatcher's index is checked against."""
    index = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if index is not None:  # no cache: the JIT is disabled (plain Python) or caching is off
        index._source_stamp = (index._source_stamp, sources_stamp())


def njit(*args, **kwargs):
    """``numba.njit`` (the same arguments); a function compiled with ``cache=True`` is cached under
    the stamps of all of :data:`SOURCES` (module docstring)."""
    if args and callable(args[0]):  # used bare: @njit
        return njit(**kwargs)(args[0])

    def decorate(fn):
        dispatcher = numba.njit(*args, **kwargs)(fn)
        if kwargs.get("cache"):
            _key_by_sources(dispatcher)
        return dispatcher

    return decorate
