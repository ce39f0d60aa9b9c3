"""The full-text search backends: SQLite FTS5 and PostgreSQL tsvector, one chosen per app.

Each owns what differs between the databases: how a parsed query becomes a match clause, how
matches are scored and ranked, the highlighted snippet, and the health of its index. The
backend is chosen once, when the knowledge module initialises (`init_search`), and read by the
search code through `current_search()`; nothing else in search asks which database it runs on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Select, cast, func, literal_column, select, table, text
from sqlalchemy import column as sql_column
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION
from sqlalchemy.sql.expression import ColumnClause, FromClause, Subquery

from versehub.core.modules import Health
from versehub.extensions import db
from versehub.modules.knowledge.models import (
    FTS_SHADOW_TABLES,
    FTS_TABLE,
    SEARCH_VECTOR,
    Entry,
)
from versehub.modules.knowledge.service import query_syntax, search_index

EXTENSION = "versehub.search"
START, STOP = "\ue000", "\ue001"
# FTS5 column weights: title, summary, content, plain_language, tags_text.
BM25_WEIGHTS = (10.0, 4.0, 1.0, 1.0, 6.0)
PG_CONFIG: ColumnClause[Any] = literal_column("'english'::regconfig")
PG_HEADLINE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=10, MaxFragments=2, "
    'FragmentDelimiter=" … "'
)
ENTRIES = Entry.__tablename__
# The FTS5 shadow table with one row per indexed entry, keyed by its rowid (cheap max()).
_FTS_DOCSIZE = f"{FTS_TABLE}_docsize"
assert _FTS_DOCSIZE in FTS_SHADOW_TABLES


@dataclass(frozen=True)
class Match:
    """One backend's full-text pieces for a query."""

    table: FromClause  # where score and highlight can be computed (FTS5's need its MATCH)
    source: FromClause  # `table` joined to entries (or entries itself)
    id: ColumnElement[int]  # the entry id in `table`
    condition: ColumnElement[bool]  # the full-text match
    context: ColumnElement[bool] | None  # what score and highlight need (FTS5: its MATCH)
    score: ColumnElement[float]  # relevance, higher is better
    highlight: ColumnElement[str]  # matched text between the START/STOP sentinels
    rechecked: bool = False  # a required phrase: PostgreSQL takes its candidates by bitmap


class SearchBackend(Protocol):
    """What the search code needs from a database's full-text search."""

    name: str  # reported by health: "fts5" or "tsvector"

    def match(self, parsed: query_syntax.Query) -> Match:
        """The match clause, score and highlight of a parsed query."""
        ...

    def score_candidates(
        self, candidates: Select[Any], match: Match
    ) -> tuple[Select[Any], ColumnElement[Any], Subquery]:
        """(id, score) of the candidate ids, the score column and the candidates' subquery."""
        ...

    def backend_query(self, parsed: query_syntax.Query) -> str:
        """The query text sent to the database (FTS5 MATCH or to_tsquery syntax)."""
        ...

    def health(self) -> Health:
        """Whether the search structure is in place (and, where cheap, in sync)."""
        ...

    def reindex(self, *, choice: search_index.Choice) -> str:
        """Rebuild the search index (PostgreSQL: `choice`'s); returns the index now in use."""
        ...


class Fts5Search:
    """SQLite: an external-content FTS5 table kept in sync with entries by triggers."""

    name = "fts5"

    def match(self, parsed: query_syntax.Query) -> Match:
        """MATCH on the FTS5 table, weighted bm25() and snippet() (both need that MATCH)."""
        query = self.backend_query(parsed)
        fts = table(FTS_TABLE, sql_column("rowid"))
        ref: ColumnClause[Any] = literal_column(FTS_TABLE)
        return Match(
            table=fts,
            source=fts.join(Entry, Entry.id == fts.c.rowid),
            id=fts.c.rowid,
            condition=ref.op("MATCH")(query),
            context=ref.op("MATCH")(query),
            score=-func.bm25(ref, *BM25_WEIGHTS),
            highlight=func.snippet(ref, -1, START, STOP, "…", 24),
        )

    def score_candidates(
        self, candidates: Select[Any], match: Match
    ) -> tuple[Select[Any], ColumnElement[Any], Subquery]:
        """Scored in the candidates' query: bm25() must run in the query that does the MATCH."""
        hits = candidates.add_columns(match.score.label("score")).subquery("hits")
        return select(hits.c.id, hits.c.score), hits.c.score, hits

    def backend_query(self, parsed: query_syntax.Query) -> str:
        """The FTS5 MATCH text."""
        return query_syntax.to_fts5(parsed)

    def health(self) -> Health:
        """`fail` without the FTS5 table; `degraded` when its newest row is not the entries'."""
        with db.engine.connect() as conn:
            present = conn.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name IN (:t, :d)"),
                {"t": FTS_TABLE, "d": _FTS_DOCSIZE},
            )
            if present != 2:
                return Health(
                    "fail", {"search": self.name, "error": f"FTS5 table {FTS_TABLE} is missing"}
                )
            # Max rowids, not counts: O(log n) on both primary keys, so a probe stays cheap at
            # a million entries, and it still catches an index emptied or left behind.
            docsize = table(_FTS_DOCSIZE, sql_column("id"))
            indexed = conn.scalar(select(func.max(docsize.c.id)))
            newest = conn.scalar(select(func.max(Entry.id)))
        if indexed != newest:
            return Health(
                "degraded",
                {
                    "search": self.name,
                    "error": f"FTS5 table {FTS_TABLE} out of sync "
                    f"(newest indexed entry {indexed}, newest entry {newest})",
                },
            )
        return Health("ok", {"search": self.name})

    def reindex(self, *, choice: search_index.Choice) -> str:
        """Rebuild the FTS5 table from entries (`choice` is PostgreSQL's)."""
        with db.engine.begin() as conn:
            rebuild = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"  # noqa: S608 - constants
            conn.execute(text(rebuild))
        return self.name


class PostgresSearch:
    """PostgreSQL: a generated, weighted tsvector column of entries with a RUM or GIN index.

    The statements are the same on both indexes (`search_index`): either answers `@@`, and
    the score is ts_rank_cd over the stored vector, so matches and their order do not depend on
    which one exists. A phrase's candidates still go through the bitmap (`Match.rechecked`):
    on RUM that bitmap is exact, on GIN its rows are rechecked.
    """

    name = "tsvector"

    def match(self, parsed: query_syntax.Query) -> Match:
        """`@@` on the tsvector column, ts_rank_cd() and ts_headline()."""
        vector: ColumnClause[Any] = literal_column(f"{ENTRIES}.{SEARCH_VECTOR}")
        tsquery = func.to_tsquery(PG_CONFIG, self.backend_query(parsed))
        body = func.concat_ws(" ", Entry.title, Entry.summary, Entry.content, Entry.plain_language)
        entries = Entry.__table__
        return Match(
            table=entries,
            source=entries,
            id=Entry.id.expression,
            condition=vector.op("@@")(tsquery),
            context=None,
            # real widened to double: a float4 read back as text is not the value the database
            # compares with, and a cursor holding it would repeat its page forever.
            score=cast(func.ts_rank_cd(vector, tsquery), DOUBLE_PRECISION),
            highlight=func.ts_headline(PG_CONFIG, body, tsquery, PG_HEADLINE_OPTIONS),
            rechecked=parsed.requires_phrase,
        )

    def score_candidates(
        self, candidates: Select[Any], match: Match
    ) -> tuple[Select[Any], ColumnElement[Any], Subquery]:
        """Scored after the LIMIT: ts_rank_cd reads the candidates' vectors only."""
        hits = candidates.subquery("hits")
        joined = hits.join(Entry.__table__, Entry.id == hits.c.id)
        ranked = select(hits.c.id, match.score.label("score")).select_from(joined)
        return ranked, match.score, hits

    def backend_query(self, parsed: query_syntax.Query) -> str:
        """The to_tsquery text."""
        return query_syntax.to_tsquery(parsed)

    def health(self) -> Health:
        """`fail` without the tsvector column; `degraded` without a search index (slow, works)
        or with another index than the `search_index` setting asks for; names the index."""
        with db.engine.connect() as conn:
            column = conn.scalar(
                text(
                    "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                    "current_schema() AND table_name = :t AND column_name = :c"
                ),
                {"t": ENTRIES, "c": SEARCH_VECTOR},
            )
            state = search_index.state(conn)
        choice = current_app.extensions["versehub.settings"].search_index
        details: dict[str, Any] = {
            "search": self.name,
            "index": state.in_use,
            "rum_extension": state.rum_extension,
            "search_index": choice,
        }
        if not column:
            error = f"tsvector column {ENTRIES}.{SEARCH_VECTOR} is missing"
            return Health("fail", {**details, "error": error})
        if state.in_use is None:
            error = (
                f"no search index on {ENTRIES}.{SEARCH_VECTOR} (GIN {search_index.GIN_INDEX} or "
                f"RUM {search_index.RUM_INDEX}): every search scans all entries; "
                "run `versehub search reindex`"
            )
            return Health("degraded", {**details, "error": error})
        if choice not in ("auto", state.in_use):
            error = (
                f"search_index is {choice} but the {state.in_use.upper()} index is in use: "
                "run `versehub search reindex`"
            )
            return Health("degraded", {**details, "error": error})
        if state.rum_unused:
            details["note"] = (
                "the rum extension is available but the GIN index is in use: "
                "`versehub search reindex` builds the RUM index"
            )
        return Health("ok", details)

    def reindex(self, *, choice: search_index.Choice) -> str:
        """Build `choice`'s index concurrently (writes go on), then drop the other one."""
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return search_index.switch(conn, choice=choice)


def backend_for(dialect: str) -> SearchBackend:
    """The search backend of a SQLAlchemy dialect name (`sqlite` or `postgresql`)."""
    if dialect == "sqlite":
        return Fts5Search()
    if dialect == "postgresql":
        return PostgresSearch()
    raise ValueError(f"no full-text search backend for the {dialect!r} database")


def init_search(app: Flask) -> None:
    """Choose the app's search backend once, from its database's dialect."""
    with app.app_context():  # the engine exists from db.init_app; nothing connects here
        app.extensions[EXTENSION] = backend_for(db.engine.dialect.name)


def current_search() -> SearchBackend:
    """The current app's search backend (chosen by `init_search`)."""
    backend: SearchBackend = current_app.extensions[EXTENSION]
    return backend


def health() -> Health:
    """The knowledge module's health: its search backend's."""
    return current_search().health()
