"""Request-scoped, synchronous batch loaders for GraphQL resolvers (no N+1 queries).

Strawberry's `DataLoader` is async-only and cannot run behind the sync Flask view. These loaders
work the same way without an event loop: a resolver that knows which keys a page will need
announces them (`want`), and the first `load` fetches every announced key in one query. Keys
asked for without being announced are fetched together with whatever else is pending, so the
worst case is one query per distinct resolver pass, never one per row. Results are kept for the
rest of the request (`info.context.loaders`), so the same key is never fetched twice.

    users = request_loader(info, "users", lambda ids: {...one query...})
    users.want(entry.author_id for entry in page)
    ...
    users.load(entry.author_id)      # the first call runs the one query
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import strawberry

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[[Sequence[K]], Mapping[K, V]]


class BatchLoader(Generic[K, V]):
    """Collects keys, fetches them in one call to `fetch`, remembers the answers.

    `fetch` gets the missing keys and returns what it found; a key it does not return gets
    `default()` (None unless given, e.g. `list` for one-to-many relations).
    """

    def __init__(self, fetch: Fetch[K, V], *, default: Callable[[], V | None] = lambda: None):
        self._fetch = fetch
        self._default = default
        self._found: dict[K, V | None] = {}
        self._pending: set[K] = set()
        self.batches = 0  # how many times `fetch` ran (for tests and debugging)

    def want(self, keys: Iterable[K | None]) -> None:
        """Announce keys that will be loaded soon (None is ignored)."""
        self._pending.update(k for k in keys if k is not None and k not in self._found)

    def prime(self, key: K, value: V) -> None:
        """Remember a value already at hand (no query for it later)."""
        self._found[key] = value
        self._pending.discard(key)

    def load(self, key: K | None) -> V | None:
        """The value for `key` (fetching it with every pending key on a miss)."""
        if key is None:
            return None
        if key not in self._found:
            self._pending.add(key)
            self._flush()
        return self._found[key]

    def load_many(self, keys: Iterable[K]) -> list[V | None]:
        """Values for `keys`, in order, in at most one fetch."""
        wanted = list(keys)
        self.want(wanted)
        return [self.load(key) for key in wanted]

    def _flush(self) -> None:
        keys = list(self._pending - self._found.keys())
        self._pending.clear()
        if not keys:
            return
        self.batches += 1
        found = self._fetch(keys)
        for key in keys:
            self._found[key] = found[key] if key in found else self._default()


def request_loader(
    info: strawberry.Info, name: str, fetch: Fetch[K, V], **options: Any
) -> BatchLoader[K, V]:
    """The loader `name` of this request, created with `fetch` on first use."""
    loaders: dict[str, Any] = info.context.loaders
    found = loaders.get(name)
    if found is None:
        found = loaders[name] = BatchLoader(fetch, **options)
    loader: BatchLoader[K, V] = found
    return loader
