"""In-process fixed-window counters for Flask-Limiter, without a timer thread.

The `limits` library's own memory storage expires keys from a `threading.Timer` that it starts
again on a counted request whenever the previous one has run out (10 ms later): under steady
traffic that is a new thread every few requests, which cost more than the rest of the limiter.
Here a counter expires when it is read after its window, and a sweep every `SWEEP_EVERY`
seconds, made by whichever request comes then, drops the windows nobody read again, so memory
stays bounded by the callers of the last few windows.

Registered as `versehub-memory://` (the `limits` registry finds a storage by its scheme).
Fixed-window only: it is the strategy `init_limits` uses.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from limits.storage import Storage

SCHEME = "versehub-memory"
SWEEP_EVERY = 5.0  # seconds


class LocalCounters(Storage):
    """Fixed-window counters in a dict: key -> [window end (Unix time), count]."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 - the registry of `limits` reads this list

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = time.time() + SWEEP_EVERY

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """Nothing here talks to a server: only programming errors can raise."""
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count `amount` in the key's window (a new one of `expiry` seconds when it ended)."""
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            window = self._windows.get(key)
            if window is None or window[0] <= now:
                window = self._windows[key] = [now + expiry, 0]
            window[1] += amount
            return int(window[1])

    def get(self, key: str) -> int:
        """The count of the key's current window (0 when it has none)."""
        window = self._windows.get(key)
        if window is None or window[0] <= time.time():
            return 0
        return int(window[1])

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (now when it has none)."""
        now = time.time()
        window = self._windows.get(key)
        return window[0] if window is not None and window[0] > now else now

    def check(self) -> bool:
        """Always healthy: nothing to reach."""
        return True

    def reset(self) -> int | None:
        """Forget every window; the number forgotten."""
        with self._lock:
            count = len(self._windows)
            self._windows.clear()
        return count

    def clear(self, key: str) -> None:
        """Forget one key's window."""
        with self._lock:
            self._windows.pop(key, None)

    def _sweep(self, now: float) -> None:
        # Called with the lock held.
        self._windows = {key: w for key, w in self._windows.items() if w[0] > now}
        self._next_sweep = now + SWEEP_EVERY
