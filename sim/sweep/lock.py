"""One writer per results folder: a lock file holding the holder's pid, host and start time.

The lock is an advisory ``flock`` on ``<folder>/.pactsim.lock``. The kernel releases it when the
holder exits, however it exits (SIGKILL, power loss of a client on NFS), so a lock file left behind
is *stale* by construction: the next sweep takes it over and says whose it was. The pid, host and
time in the file are only for the messages.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import stat
import sys
from pathlib import Path

from sim.errors import ConfigError, FolderBusy
from sim.provenance import now_iso

LOCK_NAME = ".pactsim.lock"
__all__ = ["LOCK_NAME", "FolderBusy", "FolderLock"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _describe(holder: dict) -> str:
    pid, host = holder.get("pid"), holder.get("host")
    since = f", since {holder['started']}" if holder.get("started") else ""
    return f"pid {pid} on {host}{since}"


def _read(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 1 << 16)
    try:
        holder = json.loads(raw.decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return holder if isinstance(holder, dict) else {}


_HELD: set[int] = set()


def held_fds() -> list[int]:
    """The file descriptors of the locks this process holds: a worker process forked from it
    closes them, so that the lock ends with the sweep (``flock`` locks are shared by forks)."""
    return sorted(_HELD)


class FolderLock:
    """``with FolderLock(folder):`` — hold ``folder`` for one sweep, or raise :class:`FolderBusy`.

    Creates ``folder`` when missing. ``stale`` is set to the previous holder's record when a lock
    file was left by a process that is gone (and taken over)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.fd: int | None = None
        self.stale: dict | None = None

    def __enter__(self) -> FolderLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            try:  # never through a link: a planted one would have us overwrite its target
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK,
                             0o644)
            except OSError as e:
                if e.errno not in (errno.ELOOP, errno.ENXIO, errno.EISDIR):
                    raise
                raise ConfigError(f"{self.path}: is not a lock file pactsim wrote (a symbolic "
                                  "link, folder or device); remove it, or use --out elsewhere") \
                    from None
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise ConfigError(f"{self.path}: is not a regular file; remove it, or use --out "
                                  "elsewhere")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                os.close(fd)
                raise FolderBusy(
                    f"{self.folder}: in use by another sweep ({_describe(holder)}); wait for it "
                    "to finish or stop it, or use --out elsewhere") from None
            except BaseException:
                os.close(fd)
                raise
            # the holder we waited on may have removed the file before we locked our open copy
            try:
                same = os.path.samestat(os.fstat(fd), os.lstat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        previous = _read(fd)
        if previous.get("pid") is not None:
            self.stale = previous
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": now_iso(),
                  "command": " ".join(sys.argv)}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(record) + "\n").encode())
        self.fd = fd
        _HELD.add(fd)
        return self

    def stale_note(self) -> str | None:
        """One line about a stale lock taken over, or ``None``."""
        if self.stale is None:
            return None
        pid = self.stale.get("pid")
        gone = ("no longer running" if isinstance(pid, int) and self.stale.get("host") ==
                socket.gethostname() and not _alive(pid) else "its lock released")
        return (f"{self.folder}: took over a stale lock left by {_describe(self.stale)} ({gone}); "
                "complete chunks it wrote are kept")

    def __exit__(self, *exc) -> bool:
        if self.fd is not None:
            # remove the file while still holding the lock: a waiter that opened it re-checks
            try:
                self.path.unlink(missing_ok=True)
            except OSError:  # e.g. the folder turned read-only: the next sweep finds it stale
                pass
            _HELD.discard(self.fd)
            os.close(self.fd)
            self.fd = None
        return False
