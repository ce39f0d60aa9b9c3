"""Which process holds which broker rows: one lock file per consuming process, held until it dies.

A worker marks the rows it fetched with its lease token. The kernel drops an `flock` when its
process ends in any way (SIGKILL included), so "can I lock that token's file?" tells whether the
owner is gone and its rows must be queued again. Several workers may share one broker file.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import threading
import time
import uuid
from pathlib import Path

# A lease file is created under a temporary name and renamed only once locked; a temporary
# file older than this belongs to a process that died in between and may be removed.
STALE_TEMP_SECONDS = 60.0
SUFFIX = ".lock"


class Lease:
    """This process's claim on the broker rows it fetches: an exclusive lock on its own file."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(exist_ok=True)
        self.directory = directory
        self.token = uuid.uuid4().hex
        temp = directory / f".{self.token}.tmp"
        self._fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        # Renamed only once locked: nobody can see the file unlocked and take it for dead.
        self.path = directory / f"{self.token}{SUFFIX}"
        os.rename(temp, self.path)

    def release(self) -> None:
        """Give the lease up (at exit, once every row it held was acknowledged or restored)."""
        if self._fd < 0:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = -1


_LEASES: dict[Path, Lease] = {}
_LOCK = threading.Lock()
_FORK_HOOK_INSTALLED = False


def _forget_after_fork() -> None:
    # A forked child shares the parent's locks; it must take its own lease if it consumes.
    _LEASES.clear()


def lease_for(directory: Path) -> Lease:
    """This process's lease in `directory` (created on first use, kept until exit)."""
    global _FORK_HOOK_INSTALLED
    with _LOCK:
        lease = _LEASES.get(directory)
        if lease is None:
            lease = _LEASES[directory] = Lease(directory)
        if not _FORK_HOOK_INSTALLED:
            os.register_at_fork(after_in_child=_forget_after_fork)
            atexit.register(release_all)
            _FORK_HOOK_INSTALLED = True
        return lease


def release_all() -> None:
    """Release every lease of this process (tests, clean interpreter exit)."""
    with _LOCK:
        for lease in _LEASES.values():
            lease.release()
        _LEASES.clear()


def owner_alive(directory: Path, token: str) -> bool:
    """Whether the process holding `token` still runs (its lock file is locked)."""
    path = directory / f"{token}{SUFFIX}"
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def forget_owner(directory: Path, token: str) -> None:
    """Delete a dead owner's lock file (after its rows were queued again)."""
    with contextlib.suppress(FileNotFoundError):
        (directory / f"{token}{SUFFIX}").unlink()


def dead_owner_files(directory: Path) -> list[str]:
    """Tokens of lock files whose process is gone, and stale temporary files removed."""
    if not directory.is_dir():
        return []
    dead = []
    now = time.time()
    for path in directory.iterdir():
        name = path.name
        if name.endswith(".tmp"):
            with contextlib.suppress(FileNotFoundError):
                if now - path.stat().st_mtime > STALE_TEMP_SECONDS:
                    path.unlink()
        elif name.endswith(SUFFIX):
            token = name.removesuffix(SUFFIX)
            if not owner_alive(directory, token):
                dead.append(token)
    return dead
