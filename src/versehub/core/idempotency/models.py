"""The idempotency record: one row per (caller, route, key), shared by every process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from versehub.core.db import utcnow
from versehub.extensions import db

KEY_MAX = 255
ROUTE_MAX = 400


class IdempotencyRecord(db.Model):  # type: ignore[name-defined,misc]
    """A request made with an `Idempotency-Key`: in flight (`status` null) or its stored answer."""

    __tablename__ = "idempotency_keys"
    # The unique key is what makes two racing requests with one key produce one row.
    __table_args__ = (UniqueConstraint("caller", "route", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose key: `user:<id>`, `key:<api key id>`, or `ip:<address>` for anonymous routes.
    caller: Mapped[str] = mapped_column(String(200))
    # Method and path (`POST /api/v1/entries`): a key names one request to one resource.
    route: Mapped[str] = mapped_column(String(ROUTE_MAX))
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    # HMAC-SHA256 of the canonical request (query and JSON body), keyed by a secret: bodies
    # may hold passwords, which a plain hash would expose to guessing.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(default=None)
    # The response headers worth replaying (Location, ETag, ...) as a JSON object.
    headers: Mapped[str | None] = mapped_column(Text, default=None)
    # The response body, Fernet-encrypted: it may hold a secret shown once (a new API key).
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
