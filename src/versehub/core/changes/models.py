"""The change log SQLite processes read (PostgreSQL sends the same messages with NOTIFY)."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from versehub.extensions import db


class ChangeRecord(db.Model):  # type: ignore[name-defined,misc]
    """One change message, written in the transaction that made the change (SQLite only)."""

    __tablename__ = "change_log"

    # AUTOINCREMENT semantics on SQLite: ids are never reused, so a reader that finds its last
    # id pruned knows it missed messages and resyncs.
    __table_args__: ClassVar[dict[str, bool]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(Text)
