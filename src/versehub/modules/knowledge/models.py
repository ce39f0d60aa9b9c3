"""Tables of the knowledge module: entries, their revisions, categories and tags.

Full-text search lives outside the ORM because it differs per backend and is created by the
migration in raw SQL: on SQLite an FTS5 external-content table `entries_fts` kept in sync by
triggers, on PostgreSQL a generated `entries.search_vector` column with a GIN or RUM index
(`service/search_index.py`). Their names
are listed in `metadata.info[UNMANAGED_KEY]` so migration checks skip them (see migrations/env.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from versehub.core.db import UNMANAGED_KEY, TimestampMixin, utcnow
from versehub.core.states import ENTRY_WORKFLOW, StatefulMixin, Workflow
from versehub.extensions import db
from versehub.modules.accounts.models import User

TITLE_MAX = 200
SLUG_MAX = 220
SUMMARY_MAX = 500
TAG_MAX = 50
CATEGORY_NAME_MAX = 80
LANGUAGE_MAX = (
    35  # BCP 47 tags as used on the web are short; 35 covers language-script-region-variant
)
DEFAULT_LANGUAGE = "en"
FTS_TABLE = "entries_fts"
# FTS5 creates these shadow tables beside the virtual table (external content: no _content).
FTS_SHADOW_TABLES = tuple(f"{FTS_TABLE}_{s}" for s in ("data", "idx", "docsize", "config"))
SEARCH_VECTOR = "search_vector"
SEARCH_INDEX = "ix_entries_search_vector"  # GIN
SEARCH_RUM_INDEX = "ix_entries_search_rum"

db.metadata.info.setdefault(UNMANAGED_KEY, set()).update(
    {FTS_TABLE, *FTS_SHADOW_TABLES, f"entries.{SEARCH_VECTOR}", SEARCH_INDEX, SEARCH_RUM_INDEX}
)

entry_tags = Table(
    "entry_tags",
    db.metadata,
    Column("entry_id", ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Category(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A named group of entries with an accessible colour."""

    __tablename__ = "categories"

    name: Mapped[str] = mapped_column(String(CATEGORY_NAME_MAX), unique=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7))
    # The text colour (white or near-black) that meets WCAG AA on `colour`.
    text_colour: Mapped[str] = mapped_column(String(7))


class Tag(db.Model):  # type: ignore[name-defined,misc]
    """A normalised keyword, created on first use."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Entry(TimestampMixin, StatefulMixin, db.Model):  # type: ignore[name-defined,misc]
    """A knowledge article: Markdown as written, its safe HTML, reading levels and workflow."""

    __tablename__ = "entries"
    __table_args__ = (
        CheckConstraint("reading_level BETWEEN 1 AND 5", name="reading_level_range"),
        CheckConstraint(
            "plain_language_reading_level BETWEEN 1 AND 5", name="plain_reading_level_range"
        ),
    )
    workflow: ClassVar[Workflow] = ENTRY_WORKFLOW

    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    # Stable: chosen on create, never changed by later title edits (links must not break).
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    content: Mapped[str] = mapped_column(Text)
    content_html: Mapped[str] = mapped_column(Text)
    plain_language: Mapped[str | None] = mapped_column(Text, default=None)
    plain_language_html: Mapped[str | None] = mapped_column(Text, default=None)
    reading_level: Mapped[int] = mapped_column(index=True)
    plain_language_reading_level: Mapped[int | None] = mapped_column(default=None)
    # BCP 47 tag of the language the entry is written in (set as `lang` on its page).
    language: Mapped[str] = mapped_column(
        String(LANGUAGE_MAX), default=DEFAULT_LANGUAGE, server_default=DEFAULT_LANGUAGE
    )
    # Tag names joined by spaces: what the search index sees of the many-to-many tags.
    tags_text: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(default=True, index=True)
    published_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True, default=None
    )
    # SET NULL: knowledge outlives the account that wrote it.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    # Why the last workflow move was made (an editor sending the entry back must say why); shown
    # to the author and editors with the entry, cleared when it is published.
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
    # In the recycle bin since (None: live). Every read path hides binned entries
    # (permissions.visible_clause / can_read); the purge job deletes them after the retention.
    deleted_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # Who binned it: a plain id, no foreign key (see the migration: adding and dropping one
    # would rebuild `entries` on SQLite).
    deleted_by_id: Mapped[int | None] = mapped_column(default=None)

    category: Mapped[Category | None] = relationship(lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=entry_tags, lazy="selectin", order_by=Tag.name)
    author: Mapped[User | None] = relationship(lazy="joined")

    @property
    def tag_names(self) -> list[str]:
        """The tags' names, sorted."""
        return sorted(tag.name for tag in self.tags)

    @property
    def author_username(self) -> str | None:
        """The author's username (None once the account is gone)."""
        return None if self.author is None else self.author.username


class EntryRevision(db.Model):  # type: ignore[name-defined,misc]
    """A full snapshot of an entry's content after one change, and which fields changed."""

    __tablename__ = "entry_revisions"
    __table_args__ = (
        UniqueConstraint("entry_id", "number", name="uq_entry_revisions_entry_id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    # Set when this revision restored an older one.
    restored_from: Mapped[int | None] = mapped_column(default=None)
