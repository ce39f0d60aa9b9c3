"""PostgreSQL's full-text index on `entries.search_vector`: RUM when it can be had, else GIN.

Both answer `@@` and give the same matches, so searches are written once and run on either;
what differs is the work behind a phrase. GIN knows which rows hold every word of a phrase, and
each of those rows is fetched and its vector rechecked; RUM (the `rum` extension, Debian's
`postgresql-15-rum`) stores the word positions and answers the phrase in the index. RUM is
optional: the extension is not in PostgreSQL itself and needs a superuser to create. The
`search_index` setting says which one the migration and `versehub search reindex` build (`auto`:
RUM when the extension is available); the index that exists is the one in use, and health says
which it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import structlog
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from versehub.modules.knowledge.models import (
    SEARCH_INDEX,
    SEARCH_RUM_INDEX,
    SEARCH_VECTOR,
    Entry,
)

log = structlog.get_logger(__name__)

IndexKind = Literal["rum", "gin"]
Choice = Literal["auto", "rum", "gin"]
ExtensionState = Literal["installed", "available", "missing"]

ENTRIES = Entry.__tablename__
GIN_INDEX = SEARCH_INDEX
RUM_INDEX = SEARCH_RUM_INDEX
KINDS: tuple[IndexKind, ...] = ("rum", "gin")
INDEX_NAMES: dict[IndexKind, str] = {"rum": RUM_INDEX, "gin": GIN_INDEX}
# rum_tsvector_ops keeps each word's positions (phrases, ranking) in the index. The addon
# classes that order matches by an attached id were measured and left out: the packaged RUM
# 1.3 sorts every match inside the index before returning the first (bench/RESULTS.md).
_USING: dict[IndexKind, str] = {
    "rum": f"rum ({SEARCH_VECTOR} rum_tsvector_ops)",
    "gin": f"gin ({SEARCH_VECTOR})",
}


class SearchIndexError(Exception):
    """The requested index cannot be built here (e.g. `rum` without the extension)."""


@dataclass(frozen=True)
class IndexState:
    """The search indexes entries have (valid ones only) and whether RUM could be used."""

    indexes: tuple[IndexKind, ...]
    rum_extension: ExtensionState

    @property
    def in_use(self) -> IndexKind | None:
        """The index searches use: RUM when both exist (the planner prefers its exact bitmap)."""
        return "rum" if "rum" in self.indexes else "gin" if "gin" in self.indexes else None

    @property
    def rum_unused(self) -> bool:
        """The extension could serve searches but the RUM index is not built."""
        return self.rum_extension != "missing" and "rum" not in self.indexes


def create_statement(kind: IndexKind, *, concurrently: bool = False) -> str:
    """The CREATE INDEX statement of one kind (`concurrently`: outside a transaction)."""
    how = " CONCURRENTLY" if concurrently else ""
    return f"CREATE INDEX{how} {INDEX_NAMES[kind]} ON {ENTRIES} USING {_USING[kind]}"


def state(conn: Connection) -> IndexState:
    """Which search indexes exist (valid) and the RUM extension's state, in two catalog reads."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname IN (:rum, :gin) AND i.indisvalid"
        ),
        {"rum": RUM_INDEX, "gin": GIN_INDEX},
    ).scalars()
    present = set(rows)
    installed = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'rum'), "
            "(SELECT count(*) FROM pg_available_extensions WHERE name = 'rum')"
        )
    ).one()
    extension: ExtensionState = (
        "installed" if installed[0] else "available" if installed[1] else "missing"
    )
    kinds = tuple(k for k in KINDS if INDEX_NAMES[k] in present)
    return IndexState(indexes=kinds, rum_extension=extension)


def wanted(choice: Choice, current: IndexState) -> IndexKind:
    """The index a setting asks for here: `auto` is RUM when the extension is available."""
    if choice == "auto":
        return "gin" if current.rum_extension == "missing" else "rum"
    return choice


def _create_extension(conn: Connection, *, required: bool, savepoint: bool) -> bool:
    """CREATE EXTENSION rum; False (logged) when refused and not `required`.

    In a transaction (`savepoint`) it runs in a savepoint, so a refusal leaves it usable.
    """
    statement = text("CREATE EXTENSION IF NOT EXISTS rum")
    try:
        if savepoint:
            with conn.begin_nested():
                conn.execute(statement)
        else:
            conn.execute(statement)
    except DBAPIError as exc:  # not installed on the server, or not a superuser
        if required:
            raise SearchIndexError(f"the rum extension cannot be created: {exc.orig}") from exc
        log.warning("search.rum_unavailable", error=str(exc.orig))
        return False
    return True


def build(conn: Connection, *, choice: Choice) -> IndexKind:
    """Inside a transaction: make `choice`'s index the only search index (the migration)."""
    current = state(conn)
    kind = wanted(choice, current)
    if kind == "rum" and not _create_extension(conn, required=choice == "rum", savepoint=True):
        kind = "gin"
    if kind not in current.indexes:
        conn.execute(text(create_statement(kind)))
    other: IndexKind = "gin" if kind == "rum" else "rum"
    conn.execute(text(f"DROP INDEX IF EXISTS {INDEX_NAMES[other]}"))
    return kind


def switch(conn: Connection, *, choice: Choice) -> IndexKind:
    """On an AUTOCOMMIT connection: build `choice`'s index concurrently, then drop the other.

    Searches keep an index throughout and writes are not blocked while it builds (minutes at a
    million entries). A failed concurrent build leaves an invalid index behind: dropped first.
    """
    current = state(conn)
    kind = wanted(choice, current)
    if kind == "rum" and not _create_extension(conn, required=choice == "rum", savepoint=False):
        kind = "gin"
    if kind not in current.indexes:
        conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX_NAMES[kind]}"))
        conn.execute(text(create_statement(kind, concurrently=True)))
    other: IndexKind = "gin" if kind == "rum" else "rum"
    conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX_NAMES[other]}"))
    return kind
