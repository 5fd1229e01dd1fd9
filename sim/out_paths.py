"""Checks of the paths a command will write (``--out``, ``--json``), made before any work starts:
a path too long for the system, inside a kernel file system (``/proc``, ``/sys``, ``/dev``), of the
wrong type (a file where a folder is wanted, or the reverse), or under a folder that cannot be
written is refused with the option, the path and the reason."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from sim.errors import ConfigError, ResultsError

PSEUDO = (Path("/proc"), Path("/sys"), Path("/dev"))
"""Kernel file systems: nothing pactsim writes belongs there."""


def check_output(option: str, path: str | Path, folder: bool) -> None:
    """Refuse ``path`` for ``option`` unless pactsim can create or replace it there: a folder when
    ``folder``, else a file. :class:`ConfigError` (exit 2) for a path that can never work,
    :class:`ResultsError` (exit 1) for a folder that cannot be written now."""
    text = os.fsencode(path)
    limit = os.pathconf("/", "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
    if not text or b"\0" in text:
        raise ConfigError(f"{option} {path!r}: not a path")
    if len(text) >= limit:
        raise ConfigError(f"{option} {str(path)[:60]}...: a path of {len(text)} bytes; the system "
                          f"allows at most {limit - 1}")
    p = Path(os.path.abspath(path))
    name_max = 255
    for part in p.parts:
        if len(os.fsencode(part)) > name_max:
            raise ConfigError(f"{option} {str(path)[:60]}...: a name of {len(os.fsencode(part))} "
                              f"bytes; the system allows at most {name_max} per name")
    real = Path(os.path.realpath(p))
    for pseudo in PSEUDO:
        if real == pseudo or real.is_relative_to(pseudo):
            raise ConfigError(f"{option} {path}: is in {pseudo}, a kernel file system, not a "
                              "place for results")
    if p.exists() or p.is_symlink():
        if folder and not p.is_dir():
            raise ConfigError(f"{option} {path}: is not a folder")
        if not folder and p.is_dir():
            raise ConfigError(f"{option} {path}: is a folder, not a file")
    ancestor = p if folder and p.is_dir() else p.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"{option} {path}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        read_only = bool(os.statvfs(ancestor).f_flag & os.ST_RDONLY)
        reason = os.strerror(errno.EROFS if read_only else errno.EACCES)
        raise ResultsError(f"--out {path}: cannot write results: {reason} ({ancestor}); nothing "
                           "was changed. Make it writable, then run the same command again, or "
                           f"choose another {'folder' if folder else 'file'}"
                           if option == "--out" else
                           f"{option} {path}: cannot write: {reason} ({ancestor})")
