"""Bans: rows in the database (every process and the CLI see them), cached in each process.

The hot path (is this caller banned?) reads a per-process snapshot of the active bans, reloaded
at most every `cache_ttl` seconds and at once after a change made in any process: a ban or a
lift announces itself on the change bus (`core.changes`), and applies in another process or
after the CLI within `cache_ttl` only while the bus is not listening. When the database is
unreachable, the last snapshot keeps applying, and bans made meanwhile hold in this process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import RowMapping, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from versehub.core.limits.models import BanRecord
from versehub.core.limits.violations import Violations
from versehub.extensions import db

log = structlog.get_logger(__name__)

Clock = Callable[[], float]

# Default seconds a process trusts its snapshot of the bans (setting `ban_cache_ttl`).
CACHE_TTL = 5.0
SYSTEM = "system"
CLI = "cli"
AUTO_REASON = "rate_limit"

# Raised when the ban table cannot be read or written (outage, missing schema).
StoreError = SQLAlchemyError


@dataclass(frozen=True)
class Ban:
    """A caller (`key`: `ip:..`, `user:..`, `key:..`) refused until `until` (Unix time)."""

    key: str
    created_at: float
    until: float
    violations: int
    reason: str = AUTO_REASON
    actor: str = SYSTEM

    @property
    def until_iso(self) -> str:
        """`until` as ISO 8601 UTC."""
        return iso(self.until)

    def remaining(self, now: float) -> int:
        """Whole seconds left (at least 1 while banned)."""
        return max(1, int(self.until - now + 0.999))


def iso(timestamp: float) -> str:
    """A Unix time as ISO 8601 UTC with a `Z`."""
    moment = datetime.fromtimestamp(timestamp, UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


@dataclass(frozen=True)
class BanPolicy:
    """`threshold` violations within `window` seconds ban for `duration` seconds."""

    threshold: int
    window: int
    duration: int


def _by_until(ban: Ban) -> tuple[float, str]:
    return (ban.until, ban.key)


def _ban_from(row: RowMapping) -> Ban:
    return Ban(
        key=row["target"],
        created_at=row["created_at"].timestamp(),
        until=row["until"].timestamp(),
        violations=row["violations"],
        reason=row["reason"],
        actor=row["actor"],
    )


def _table() -> Table:
    table: Table = BanRecord.__table__
    return table


class BanStore:
    """Bans in the database behind a per-process snapshot; violations in `violations`."""

    def __init__(
        self, violations: Violations, *, cache_ttl: float = CACHE_TTL, clock: Clock = time.time
    ) -> None:
        self.violations = violations
        self._ttl = cache_ttl
        self._clock = clock
        self._snapshot: dict[str, Ban] = {}
        self._loaded_at: float | None = None
        # Bans made while the database was unreachable: they hold in this process.
        self._local: dict[str, Ban] = {}
        self._unreachable = False
        self._lock = threading.Lock()
        # Tells every other process that the bans changed (the change bus, set by init_limits).
        self.announce: Callable[[], None] = lambda: None

    @property
    def backend(self) -> str:
        """Where violations are counted now: memory, redis, or redis-unreachable."""
        return self.violations.backend

    # --- the hot path -----------------------------------------------------------------------
    def get(self, key: str) -> Ban | None:
        """The active ban of `key`, from this process's snapshot (reloaded when stale)."""
        self._refresh_if_stale()
        now = self._clock()
        ban = self._snapshot.get(key) or self._local.get(key)
        return ban if ban is not None and ban.until > now else None

    def invalidate(self) -> None:
        """Reload the snapshot on the next check (after a change made in this process)."""
        self._loaded_at = None

    def _refresh_if_stale(self) -> None:
        loaded_at = self._loaded_at
        if loaded_at is not None and time.monotonic() - loaded_at < self._ttl:
            return
        with self._lock:
            if self._loaded_at is not None and time.monotonic() - self._loaded_at < self._ttl:
                return  # another thread reloaded meanwhile
            try:
                self._store_local()
                bans = self._load()
            except StoreError as exc:
                # Keep the last snapshot; try again after the TTL, not on every request.
                self._loaded_at = time.monotonic()
                self._report_unreachable(exc)
                return
            self._snapshot = {ban.key: ban for ban in bans}
            self._loaded_at = time.monotonic()
            self._report_recovered()

    def _store_local(self) -> None:
        # Bans made during an outage are written once the database answers again, so that
        # they apply in every process from then on (the lock is held by the caller).
        if self._local:
            self._purge_expired()
        for key, ban in list(self._local.items()):
            if ban.until > self._clock():
                self._insert(ban)
            del self._local[key]

    def _load(self) -> list[Ban]:
        table = _table()
        query = select(table).where(table.c.until > _moment(self._clock()))
        with db.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return sorted((_ban_from(row) for row in rows), key=_by_until)

    def _report_unreachable(self, exc: Exception) -> None:
        if not self._unreachable:
            self._unreachable = True
            log.warning(
                "rate_limit_bans_database_unavailable",
                error=type(exc).__name__,
                fallback="last known bans, and new bans in this process only",
            )

    def _report_recovered(self) -> None:
        if self._unreachable:
            self._unreachable = False
            log.info("rate_limit_bans_database_recovered")

    # --- changes ----------------------------------------------------------------------------
    def record_violation(self, key: str, policy: BanPolicy) -> Ban | None:
        """Count one violation; the new Ban when this one crossed the threshold."""
        if self.get(key) is not None:
            return None
        count = self.violations.count(key, policy.window)
        if count < policy.threshold:
            return None
        now = self._clock()
        ban = Ban(key, now, now + policy.duration, count)
        try:
            created = self.add(ban)
        except StoreError as exc:
            self._report_unreachable(exc)
            with self._lock:
                self._local[key] = ban
            created = True
        self.violations.forget(key)
        return ban if created else None

    def add(self, ban: Ban) -> bool:
        """Store `ban`; False when `ban.key` is banned already (raises StoreError)."""
        try:
            self._purge_expired()
            return self._insert(ban)
        finally:
            self.invalidate()
            self.announce()

    def _purge_expired(self) -> None:
        table = _table()
        with db.engine.begin() as connection:
            # Expired rows would block a new ban of the same caller; bans are rare, so this
            # is also the table's only clean-up.
            connection.execute(delete(table).where(table.c.until <= _moment(self._clock())))

    def _insert(self, ban: Ban) -> bool:
        table = _table()
        try:
            with db.engine.begin() as connection:
                connection.execute(
                    insert(table).values(
                        target=ban.key,
                        reason=ban.reason,
                        violations=ban.violations,
                        actor=ban.actor,
                        created_at=_moment(ban.created_at),
                        until=_moment(ban.until),
                    )
                )
        except IntegrityError:
            # The primary key: when several processes cross the threshold together (or the
            # caller is banned already), exactly one ban is made and reported.
            return False
        return True

    def list(self) -> list[Ban]:
        """Every active ban, soonest to end first (read now, not from the snapshot)."""
        self.invalidate()
        self._refresh_if_stale()
        now = self._clock()
        merged = {k: b for k, b in self._local.items() if b.until > now}
        merged.update(self._snapshot)
        return sorted((b for b in merged.values() if b.until > now), key=_by_until)

    def lift(self, key: str) -> Ban | None:
        """End the ban of `key` and forget its violations; raises StoreError when unreachable."""
        table = _table()
        with db.engine.begin() as connection:
            row = connection.execute(select(table).where(table.c.target == key)).mappings().first()
            # The rowcount decides who lifted: two admins lifting together report it once.
            deleted = connection.execute(delete(table).where(table.c.target == key)).rowcount
        with self._lock:
            local = self._local.pop(key, None)
        self.invalidate()
        self.announce()
        self.violations.forget(key)
        now = self._clock()
        if row is not None and deleted and row["until"].timestamp() > now:
            return _ban_from(row)
        return local if local is not None and local.until > now else None

    def probe(self) -> bool:
        """Whether the violation counter is usable right now (tries Redis again)."""
        return self.violations.probe()
