"""Ban records: one row per banned caller, shared by every process on the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from versehub.core.db import utcnow
from versehub.extensions import db


class BanRecord(db.Model):  # type: ignore[name-defined,misc]
    """A caller refused until `until`; the row is deleted when the ban is lifted."""

    __tablename__ = "rate_limit_bans"

    # The rate-limit key (`ip:<address>`, `user:<id>`, `key:<id>`): one ban per caller at a time.
    target: Mapped[str] = mapped_column(String(200), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64))
    violations: Mapped[int] = mapped_column(default=0)
    # Who banned: "system" (auto-ban), "cli", or the admin's key (`user:<id>`, `key:<id>`).
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    until: Mapped[datetime] = mapped_column(index=True)
