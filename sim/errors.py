"""The errors a user can fix, in one place. The command line (``sim.cli``) turns them into a message
on stderr and an exit status, never a traceback:

- :class:`ConfigError` (exit 2): a scenario, experiment, option or results folder that cannot be
  used. ``str()`` is the whole message: the file or option, the key, the value and what is allowed.
- :class:`ResultsError` (exit 1): results cannot be written now (disk full, read-only or busy
  folder); nothing earlier is lost.
- an ``OSError`` whose errno is in :data:`STORAGE_ERRNOS` (exit 1): a full disk or read-only folder
  met outside the sweep's own handling.
"""

from __future__ import annotations

import errno


class ConfigError(Exception):
    """A scenario, experiment, option or folder that cannot be used. ``str()`` is the whole
    user-facing message (the command line exits with status 2)."""


class ResultsError(Exception):
    """Results cannot be written now (disk full, read-only or busy folder); nothing earlier is
    lost. ``str()`` is the whole user-facing message (the command line exits with status 1)."""


class FolderBusy(ResultsError):
    """Another live process holds a results folder's lock (``sim.sweep.lock``)."""


# what writing to a full disk, over a quota, or to a read-only or foreign folder raises
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                            errno.EFBIG, errno.EIO})

def interrupted(e: BaseException | None) -> bool:
    """Whether ``e`` comes of a Ctrl-C (or a SIGTERM, which a sweep turns into one): an interrupt
    raised inside a Numba callback surfaces as a ``SystemError`` chained to it."""
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


EXIT_STATUS = {ConfigError: 2, ResultsError: 1}
"""Exit status of the command line per error type."""
