"""Idempotency records in the database, each change in its own short transaction.

The records live beside the app's data so every process (gunicorn workers, job workers, other
instances) sees the same keys, and they survive restarts. Each step commits at once on its own
connection: a reservation must be visible to the other processes before the request's work
starts, and must not be rolled back with that work when it fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Insert, RowMapping, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from versehub.core.idempotency.models import IdempotencyRecord
from versehub.extensions import db

# The unique columns: one record per caller, route and key.
UNIQUE = ("caller", "route", "key")


@dataclass(frozen=True)
class Claimed:
    """This request holds the key: it runs, then completes or releases record `record_id`."""

    record_id: int


@dataclass(frozen=True)
class Stored:
    """A finished first request with this key and the same body: its answer, to replay."""

    status: int
    headers: dict[str, str]
    body: bytes


Outcome = Claimed | Stored | Literal["in_flight", "mismatch"]


def _table() -> Table:
    table: Table = IdempotencyRecord.__table__
    return table


def _insert_ignoring(connection: Connection, values: Mapping[str, Any]) -> Insert:
    table = _table()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return (
            postgresql.insert(table)
            .values(dict(values))
            .on_conflict_do_nothing(index_elements=list(UNIQUE))
        )
    if dialect == "sqlite":
        return (
            sqlite.insert(table)
            .values(dict(values))
            .on_conflict_do_nothing(index_elements=list(UNIQUE))
        )
    raise NotImplementedError(f"idempotency records do not know the dialect {dialect!r}")


def reserve(
    *,
    caller: str,
    route: str,
    key: str,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
    abandon_after: timedelta,
) -> Outcome:
    """Claim `key` for this request, or say why not: a stored answer, in flight, or mismatch.

    A record older than `ttl` acts as if it did not exist, and so does one still in flight after
    `abandon_after` (the process that ran it died): either is deleted and the key claimed anew.
    """
    table = _table()
    values = {
        "caller": caller,
        "route": route,
        "key": key,
        "fingerprint": fingerprint,
        "created_at": now,
    }
    same = (table.c.caller == caller) & (table.c.route == route) & (table.c.key == key)
    # Two rounds cover "delete the expired record, then insert"; a third loser of a race
    # for an expired key finds the winner's record in flight.
    for _round in range(3):
        with db.engine.begin() as connection:
            # ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit,
            # then skips: exactly one request claims a key, the others read its record.
            claimed = connection.execute(
                _insert_ignoring(connection, values).returning(table.c.id)
            ).scalar()
            if claimed is not None:
                return Claimed(int(claimed))
            row = connection.execute(select(table).where(same)).mappings().first()
            if row is None:
                continue  # released between the two statements: claim it again
            expired = table.c.created_at <= now - ttl
            abandoned = table.c.status.is_(None) & (table.c.created_at <= now - abandon_after)
            if row["created_at"] > now - ttl and not (
                row["status"] is None and row["created_at"] <= now - abandon_after
            ):
                return _existing(row, fingerprint)
            connection.execute(delete(table).where(table.c.id == row["id"], expired | abandoned))
    return "in_flight"


def _existing(row: RowMapping, fingerprint: str) -> Outcome:
    if row["fingerprint"] != fingerprint:
        return "mismatch"
    if row["status"] is None:
        return "in_flight"
    return Stored(
        status=int(row["status"]),
        headers=dict(json.loads(row["headers"] or "{}")),
        body=bytes(row["body"] or b""),
    )


def complete(*, record_id: int, status: int, headers: Mapping[str, str], body: bytes) -> bool:
    """Store the answer of the request holding record `record_id`; False if it lost the key."""
    table = _table()
    with db.engine.begin() as connection:
        result = connection.execute(
            update(table)
            .where(table.c.id == record_id, table.c.status.is_(None))
            .values(status=status, headers=json.dumps(dict(headers)), body=body)
        )
    return bool(result.rowcount)


def release(*, record_id: int) -> None:
    """Forget the claim of a request that failed, so a retry runs afresh."""
    table = _table()
    with db.engine.begin() as connection:
        connection.execute(delete(table).where(table.c.id == record_id, table.c.status.is_(None)))


def purge_expired(*, now: datetime, ttl: timedelta) -> int:
    """Delete records older than `ttl` in the current session (the caller commits)."""
    table = _table()
    result = db.session.execute(delete(table).where(table.c.created_at <= now - ttl))
    return int(getattr(result, "rowcount", 0) or 0)
