"""Random bytes for per-request values (CSP nonces, request ids), read from the kernel in blocks.

`os.urandom` is a system call that releases the GIL; under load a request thread that makes one
then waits for another thread's switch interval to get the GIL back (py-spy, 2026-12-07: the
nonce and the request id were a third of the time request threads spent not idle). Reading 4 KiB
at a time makes that one call per 256 values. The bytes are the kernel's, each handed out once;
a forked child (a gunicorn worker) drops what it inherited, so no two processes share any.
"""

from __future__ import annotations

import base64
import os
import threading

BLOCK = 4096


class RandomPool:
    """Kernel random bytes handed out in small pieces, each once."""

    def __init__(self, block: int = BLOCK) -> None:
        self._block = block
        self._buffer = b""
        self._position = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bytes:
        """`size` random bytes never handed out before (in this process)."""
        with self._lock:
            if self._position + size > len(self._buffer):
                self._buffer = os.urandom(max(self._block, size))
                self._position = 0
            start = self._position
            self._position += size
            return self._buffer[start : self._position]

    def reset(self) -> None:
        """Forget the unread bytes (after a fork: the parent may hand out the same ones)."""
        self._lock = threading.Lock()
        self._buffer, self._position = b"", 0


POOL = RandomPool()
os.register_at_fork(after_in_child=POOL.reset)


def token_hex(size: int) -> str:
    """`size` random bytes as hex (like `secrets.token_hex`)."""
    return POOL.take(size).hex()


def token_urlsafe(size: int) -> str:
    """`size` random bytes, URL-safe base64 without padding (like `secrets.token_urlsafe`)."""
    return base64.urlsafe_b64encode(POOL.take(size)).rstrip(b"=").decode("ascii")
