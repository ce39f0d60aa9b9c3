"""Listing and full-text search of entries: one API, SQLite FTS5 or PostgreSQL tsvector below
(`search_backends`: the app's backend is chosen once, when the module initialises).

The query text is parsed once (`query_syntax`: words, "phrases", `or`, `-exclusions`) and written
out for the backend with every word quoted, so no user text becomes FTS5 or tsquery syntax and
both backends read a query the same way. Highlights are produced with private-use sentinel
characters, then the text is HTML-escaped and only the sentinels become <mark> tags: stored text
is never trusted as HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, func, null, or_, select
from sqlalchemy.orm import defer, joinedload, lazyload, load_only
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql.expression import Subquery

from versehub.core.auth import Principal
from versehub.core.errors import APIError, field_error
from versehub.core.text import nfc
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service.users import username_key
from versehub.modules.knowledge.models import Category, Entry, Tag
from versehub.modules.knowledge.schemas import EntryPage, EntrySummary, ListQuery, Sort
from versehub.modules.knowledge.schemas.api import MAX_ID
from versehub.modules.knowledge.service import cursors, permissions, query_syntax
from versehub.modules.knowledge.service import tags as tag_service
from versehub.modules.knowledge.service.rendering import highlight
from versehub.modules.knowledge.service.search_backends import (
    BM25_WEIGHTS,
    START,
    STOP,
    Match,
    current_search,
)

__all__ = ["BM25_WEIGHTS", "RANK_CANDIDATES", "count", "fetch", "list_", "search"]

MAX_QUERY_CHARS = 500
# Relevance order ranks at most this many matches: the newest the viewer may read that pass the
# filters. Ranking every match of a common word (half of a 1M-entry hub) took seconds; at 1M its
# page costs ~21 ms (SQLite) / ~25 ms (PostgreSQL) with 1,000 candidates, ~26 / ~38 ms with
# 2,000 and ~36 / ~86 ms with 5,000 (bench/RESULTS.md, "Search over 1,000,000 entries").
RANK_CANDIDATES = 1000


def clean_query(q: str | None) -> str:
    """Text safe to send to any driver (no NUL, no lone surrogates, bounded length), in NFC
    like every stored text (core.text), so `re\u0301sume\u0301` finds `résumé`."""
    if not q:
        return ""
    text = nfc(q.replace("\x00", " ").encode("utf-8", "ignore").decode("utf-8"))
    return text[:MAX_QUERY_CHARS].strip()


def _filters(query: ListQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.category:
        where.append(Entry.category_id == _category_id(query.category))
    if query.tag:
        where.append(Entry.tags.any(Tag.id == _tag_id(query.tag)))
    if query.author:
        where.append(Entry.author_id == _author_id(query.author))
    if query.status:
        where.append(Entry.status == query.status)
    if query.max_reading_level:
        where.append(Entry.reading_level <= query.max_reading_level)
    stamp = Entry.published_at if query.date_field == "published" else Entry.created_at
    if query.date_from:
        where.append(stamp >= datetime.combine(query.date_from, time(), UTC))
    if query.date_to:
        where.append(stamp < datetime.combine(query.date_to + timedelta(days=1), time(), UTC))
    return where


# Filters name a thing by slug (name, username) or id. One that names nothing is refused: an empty
# list would read as "nothing matches" when the caller misspelt the filter.
def _unknown(field: str, what: str) -> APIError:
    return APIError("VAL_INVALID", errors=[field_error(field, f"No such {what}")])


def _as_id(ref: str) -> int | None:
    # Ids beyond the column type would make PostgreSQL fail the query rather than find nothing.
    return int(ref) if ref.isdecimal() and int(ref) <= MAX_ID else None


def _by_name_or_id(id_column: Any, by_name: ColumnElement[bool] | None, ref: str) -> int | None:
    # A name wins over an id: a slug or tag may itself be made of digits.
    found = None if by_name is None else db.session.scalar(select(id_column).where(by_name))
    number = _as_id(ref)
    if found is None and number is not None:
        found = db.session.scalar(select(id_column).where(id_column == number))
    return cast(int | None, found)


def _category_id(ref: str) -> int:
    found = _by_name_or_id(Category.id, Category.slug == ref, ref)
    if found is None:
        raise _unknown("category", "category (give its slug or id)")
    return found


def _tag_id(ref: str) -> int:
    try:
        by_name: ColumnElement[bool] | None = Tag.name == tag_service.normalise(ref)
    except APIError:
        by_name = None
    found = _by_name_or_id(Tag.id, by_name, ref)
    if found is None:
        raise _unknown("tag", "tag (give its name or id)")
    return found


def _author_id(ref: str) -> int:
    number = _as_id(ref.strip())
    found = None
    if number is not None:
        found = db.session.scalar(select(User.id).where(User.id == number))
    if found is None:
        key = username_key(ref.strip())
        found = db.session.scalar(select(User.id).where(User.username_key == key))
    if found is None:
        raise _unknown("author", "author (give a username or user id)")
    return found


def _sort_key(sort: Sort) -> tuple[ColumnElement[Any], bool]:
    """The key column of a non-relevance sort and whether it runs descending (ties: id)."""
    if sort == "title":
        # Case-insensitive; the database computes the key, so cursors compare like the sort.
        return func.lower(Entry.title), False
    return Entry.created_at.expression, True


def _after(
    key: ColumnElement[Any], row_id: ColumnElement[int], desc: bool, cursor: cursors.Cursor
) -> ColumnElement[bool]:
    if desc:
        return or_(key < cursor.key, and_(key == cursor.key, row_id < cursor.id))
    return or_(key > cursor.key, and_(key == cursor.key, row_id > cursor.id))


def _relevance_page(
    match: Match, where: list[ColumnElement[bool]], query: ListQuery, cursor: cursors.Cursor | None
) -> Subquery:
    """(id, score) of one page, ranked among the newest RANK_CANDIDATES readable matches.

    The candidates are chosen first and the cursor applies to their ranking, so every page of a
    walk ranks the same candidates (while the hub does not change) and the walk ends after at
    most RANK_CANDIDATES hits; a hub with fewer matches is ranked in full.
    """
    # FTS5 walks its rowids backwards natively and stops early; PostgreSQL picks a backward walk
    # of the primary key or a bitmap of the index's matches. Not for a phrase: the planner
    # overestimates its matches and, for a rare phrase of common words, would walk (and
    # decompress the vector of) every row; `id + 0` leaves it the bitmap. On RUM that bitmap is
    # exact (positions are in the index); on GIN it holds the rows with all the words, each
    # rechecked, so there a common phrase pays where the walk would stop early (bench/RESULTS.md).
    newest = (
        select(match.id.label("id"))
        .select_from(match.source)
        .where(*where)
        .order_by((match.id + 0).desc() if match.rechecked else match.id.desc())
        .limit(RANK_CANDIDATES)
    )
    ranked, score, hits = current_search().score_candidates(newest, match)
    if cursor is not None:
        ranked = ranked.where(_after(score, hits.c.id, True, cursor))
    ranked = ranked.order_by(score.desc(), hits.c.id.desc()).limit(query.per_page + 1)
    if query.page:
        ranked = ranked.offset((query.page - 1) * query.per_page)
    return ranked.subquery("page")


def _details(match: Match, ids: list[int], *, scored: bool) -> dict[int, tuple[Any, str]]:
    """Score (unless `scored` already) and safe-HTML highlight of the page's rows only."""
    where: list[ColumnElement[bool]] = [match.id.in_(ids)]
    if match.context is not None:
        # One MATCH over the ids' range, filtered by an expression FTS5 cannot take as a rowid
        # constraint: for each value of a plain `rowid IN (...)` it would run the query again,
        # and bm25() would count the documents of every term again (~20 ms for a common word).
        where = [match.context, match.id.between(min(ids), max(ids)), (match.id + 0).in_(ids)]
    score = null() if scored else match.score
    stmt = select(match.id, score, match.highlight).select_from(match.table).where(*where)
    return {
        row_id: (value, highlight(marked or "", start=START, stop=STOP))
        for row_id, value, marked in db.session.execute(stmt).all()
    }


@dataclass(frozen=True)
class Hit:
    """One entry of a page, with its sort key and (when searching) score and safe-HTML snippet."""

    entry: Entry
    sort_key: Any
    score: float | None = None
    highlight: str | None = None


@dataclass(frozen=True)
class HitPage:
    """A page of hits in order; `cursor(hit)` continues a cursor walk right after `hit`."""

    hits: list[Hit]
    sort: Sort
    has_more: bool

    def cursor(self, hit: Hit) -> str:
        """The signed cursor of the position just after `hit`."""
        return cursors.encode(cursors.Cursor(sort=self.sort, key=hit.sort_key, id=hit.entry.id))


def fetch(
    *, query: ListQuery, viewer: Principal | None, options: Sequence[ORMOption] = ()
) -> HitPage:
    """Entries the viewer may read, filtered, sorted and paged (a search when `query.q`).

    Relevance ranks the newest RANK_CANDIDATES matches only (see `_relevance_page`).
    `options` are loader options for the entries (GraphQL turns the eager loads of author,
    category and tags off and batches them itself).
    """
    q = clean_query(query.q)
    sort = query.effective_sort
    if not q and sort == "relevance":  # the query held nothing searchable once cleaned
        sort = "newest"
    cursor = cursors.decode(query.cursor, sort=sort) if query.cursor else None
    where = [permissions.visible_clause(viewer), *_filters(query)]
    match: Match | None = None
    if q:
        parsed = query_syntax.parse(q)
        if parsed is None:  # nothing searchable in the text (punctuation, exclusions only)
            return HitPage(hits=[], sort=sort, has_more=False)
        match = current_search().match(parsed)
        where.append(match.condition)
    stmt: Select[Any]
    if match is not None and sort == "relevance":
        page = _relevance_page(match, where, query, cursor)
        stmt = (
            select(Entry, page.c.score.label("sort_key"))
            .join(page, page.c.id == Entry.id)
            .order_by(page.c.score.desc(), Entry.id.desc())
        )
    else:
        key, desc = _sort_key(sort)
        stmt = select(Entry, key.label("sort_key")).where(*where)
        if match is not None:
            stmt = stmt.select_from(match.source)
        if cursor is not None:
            stmt = stmt.where(_after(key, Entry.id.expression, desc, cursor))
        order = (key.desc(), Entry.id.desc()) if desc else (key.asc(), Entry.id.asc())
        stmt = stmt.order_by(*order).limit(query.per_page + 1)
        if query.page:
            stmt = stmt.offset((query.page - 1) * query.per_page)
    rows = db.session.execute(stmt.options(*options)).all()
    shown = rows[: query.per_page]
    found = [Hit(row[0], row.sort_key) for row in shown]
    if match is not None and shown:
        ranked = sort == "relevance"  # the sort key is the score
        details = _details(match, [row[0].id for row in shown], scored=ranked)
        found = [
            Hit(
                hit.entry,
                hit.sort_key,
                float(hit.sort_key if ranked else details[hit.entry.id][0]),
                details[hit.entry.id][1],
            )
            for hit in found
        ]
    return HitPage(hits=found, sort=sort, has_more=len(rows) > query.per_page)


def count(*, query: ListQuery, viewer: Principal | None, cap: int | None = None) -> int:
    """How many entries `fetch` walks through for `query`, counted up to `cap + 1` (default
    RANK_CANDIDATES, the most a search ranks anyway; a page says "more than `cap`")."""
    cap = RANK_CANDIDATES if cap is None else cap
    q = clean_query(query.q)
    where = [permissions.visible_clause(viewer), *_filters(query)]
    ids: Select[Any]
    if q:
        parsed = query_syntax.parse(q)
        if parsed is None:
            return 0
        match = current_search().match(parsed)
        ids = select(match.id).select_from(match.source).where(*where, match.condition)
    else:
        ids = select(Entry.id).where(*where)
    found = db.session.scalar(select(func.count()).select_from(ids.limit(cap + 1).subquery()))
    return int(found or 0)


# What an EntrySummary shows, and no more: no bodies (the Markdown and its HTML, twice), and of
# the author only the id and name (not the password hash, nor roles and module grants, which
# the User's selectin loads would fetch in two more statements).
SUMMARY_LOADING: tuple[ORMOption, ...] = (
    defer(Entry.content),
    defer(Entry.content_html),
    defer(Entry.plain_language),
    defer(Entry.plain_language_html),
    defer(Entry.tags_text),
    joinedload(Entry.author).options(
        load_only(User.id, User.username), lazyload(User.role_rows), lazyload(User.module_rows)
    ),
)


def list_(*, query: ListQuery, viewer: Principal | None) -> EntryPage:
    """One page of entries as the REST API shows it (see `fetch`)."""
    page = fetch(query=query, viewer=viewer, options=SUMMARY_LOADING)
    next_cursor = None
    if page.has_more and not query.page and page.hits:
        next_cursor = page.cursor(page.hits[-1])
    return EntryPage(
        items=[_summary(hit) for hit in page.hits],
        per_page=query.per_page,
        next_cursor=next_cursor,
        page=query.page,
        has_more=page.has_more,
    )


def search(*, query: ListQuery, viewer: Principal | None) -> EntryPage:
    """Full-text search (relevance first unless another sort is asked for)."""
    return list_(query=query, viewer=viewer)


def _summary(hit: Hit) -> EntrySummary:
    summary = EntrySummary.model_validate(hit.entry)
    summary.score, summary.highlight = hit.score, hit.highlight
    return summary
