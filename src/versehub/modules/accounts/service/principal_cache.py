"""What resolving a caller needs, cached in each process: users (with revocations) and API keys.

A cached user is the `Person` (active, token generation, verified email, roles, module grants)
and every live revocation of their tokens, so a bearer request is judged with no SQL. It stays
exact across processes through the change bus (`core.changes`): any write to a user, their roles
or grants, a revocation of one of their tokens (`accounts.user`) or an API key
(`accounts.api_key`) drops the entry in every process when the transaction commits. While the bus
is not listening (`down`, `resyncing`, `off`) the cache is bypassed: the database answers, as
before. An entry is filled only if no message arrived while it was read (`version`), so a read
that raced a change is never kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from flask import Flask, current_app
from sqlalchemy import select

from versehub.core.changes import ChangeBus, Message, bus_for, watch
from versehub.extensions import db
from versehub.modules.accounts.models import ApiKey, RevokedToken, User, UserModuleAccess, UserRole
from versehub.modules.accounts.service.principals import Person, person
from versehub.modules.accounts.service.revocation import USER_TOPIC

EXTENSION = "versehub.accounts.principal_cache"
KEY_TOPIC = "accounts.api_key"
MAX_ENTRIES = 10_000
# A safety net for changes made outside the app (raw SQL): entries are read again this often.
MAX_AGE = 300.0
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class CachedUser:
    """A person, with every token id of theirs on the revocation list when read."""

    person: Person
    loaded_at: float

    def revoked(self, token_ids: Sequence[str]) -> bool:
        """Whether one of `token_ids` is revoked.

        A revocation lasts until its tokens expire (plus a margin), so an id read as revoked
        stays refused for as long as the entry lives: its token cannot be valid again.
        """
        return not self.person.revoked_ids.isdisjoint(token_ids)


@dataclass(frozen=True, slots=True)
class CachedKey:
    """What checking an API key needs of its row."""

    id: int
    user_id: int
    key_hash: str
    scopes: tuple[str, ...]
    revoked: bool
    expires_at: datetime | None
    last_used_at: datetime | None
    loaded_at: float


class PrincipalCache:
    """Per app and process; filled by requests, emptied by the change bus."""

    def __init__(self, bus: ChangeBus) -> None:
        self.bus = bus
        self.version = 0
        self._users: dict[int, CachedUser] = {}
        self._keys: dict[str, CachedKey] = {}  # by key prefix
        self._lock = threading.Lock()

    def usable(self) -> bool:
        """Whether cached entries may answer this request."""
        return self.bus.ready()

    def user(self, user_id: int) -> CachedUser | None:
        """The cached user, if fresh."""
        found = self._users.get(user_id)
        if found is None or time.monotonic() - found.loaded_at > MAX_AGE:
            return None
        return found

    def key(self, prefix: str) -> CachedKey | None:
        """The cached key row, if fresh."""
        found = self._keys.get(prefix)
        if found is None or time.monotonic() - found.loaded_at > MAX_AGE:
            return None
        return found

    def store_user(self, version: int, entry: CachedUser) -> None:
        """Keep `entry` unless a message arrived since `version` was read."""
        with self._lock:
            if version == self.version and self.bus.state == "connected":
                _bounded(self._users)[entry.person.id] = entry

    def store_key(self, version: int, prefix: str, entry: CachedKey) -> None:
        """Keep `entry` unless a message arrived since `version` was read."""
        with self._lock:
            if version == self.version and self.bus.state == "connected":
                _bounded(self._keys)[prefix] = entry

    def key_used(self, prefix: str, key: CachedKey, now: datetime) -> None:
        """The key's use was recorded at `now` (so it is not recorded again for a while)."""
        with self._lock:
            if self._keys.get(prefix) is key:
                self._keys[prefix] = replace(key, last_used_at=now)

    def on_user_change(self, message: Message) -> None:
        """Drop the user named by the message (no id: every user)."""
        user_id = message.payload.get("id")
        with self._lock:
            self.version += 1
            if isinstance(user_id, int):
                self._users.pop(user_id, None)
            else:
                self._users.clear()

    def on_key_change(self, message: Message) -> None:
        """Drop the key named by the message (no id: every key)."""
        key_id = message.payload.get("id")
        with self._lock:
            self.version += 1
            if isinstance(key_id, int):
                for prefix in [p for p, k in self._keys.items() if k.id == key_id]:
                    del self._keys[prefix]
            else:
                self._keys.clear()

    def flush(self) -> None:
        """Drop everything (the bus may have missed messages)."""
        with self._lock:
            self.version += 1
            self._users.clear()
            self._keys.clear()


def _bounded(entries: dict[K, V]) -> dict[K, V]:
    # Oldest first out: enough to keep memory bounded; hot callers are filled again at once.
    while len(entries) >= MAX_ENTRIES:
        del entries[next(iter(entries))]
    return entries


def init_app(app: Flask) -> None:
    """Create the app's cache and have the change bus report what invalidates it."""
    bus = bus_for(app)
    cache = PrincipalCache(bus)
    app.extensions[EXTENSION] = cache
    bus.subscribe(USER_TOPIC, cache.on_user_change)
    bus.subscribe(KEY_TOPIC, cache.on_key_change)
    bus.on_resync(cache.flush)
    watch(app, User, USER_TOPIC, lambda row: {"id": row.id})
    watch(app, UserRole, USER_TOPIC, lambda row: {"id": row.user_id})
    watch(app, UserModuleAccess, USER_TOPIC, lambda row: {"id": row.user_id})
    # `revocation.revoke` inserts with ON CONFLICT (not an ORM write) and publishes itself; the
    # hourly purge deletes only rows whose tokens have expired: nothing cached changes.
    watch(app, RevokedToken, USER_TOPIC, _revoked_row_user, bulk=False)
    watch(app, ApiKey, KEY_TOPIC, lambda row: {"id": row.id})


def _revoked_row_user(row: RevokedToken) -> dict[str, int]:
    return {} if row.user_id is None else {"id": row.user_id}


def current() -> PrincipalCache:
    """The current app's principal cache."""
    cache: PrincipalCache = current_app.extensions[EXTENSION]
    return cache


def cached_user(*, user_id: int, now: datetime) -> CachedUser | None:
    """The user from the cache, else read (one statement) and kept; None: no such user."""
    cache = current()
    found = cache.user(user_id)
    if found is not None:
        return found
    version = cache.version
    loaded = person(user_id=user_id, token_ids=(), now=now)
    if loaded is None:
        return None
    entry = CachedUser(person=loaded, loaded_at=time.monotonic())
    cache.store_user(version, entry)
    return entry


def cached_key(*, prefix: str) -> CachedKey | None:
    """The API key row with this prefix from the cache, else read and kept; None: unknown."""
    cache = current()
    found = cache.key(prefix)
    if found is not None:
        return found
    version = cache.version
    row = db.session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if row is None:
        return None
    entry = CachedKey(
        id=row.id,
        user_id=row.user_id,
        key_hash=row.key_hash,
        scopes=tuple(row.scopes),
        revoked=row.revoked_at is not None,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        loaded_at=time.monotonic(),
    )
    cache.store_key(version, prefix, entry)
    return entry


def used(*, prefix: str, key: CachedKey, now: datetime) -> None:
    """Remember that this process recorded the key's use (`api_keys.touch`) at `now`."""
    current().key_used(prefix, key, now)
