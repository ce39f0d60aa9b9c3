"""What the reader pages show: recent and featured entries, categories with counts, tag pages.

Every list goes through `search.fetch` or `permissions.visible_clause`, the same rule as the
API, so a page never lists what its viewer may not read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from versehub.core.auth import Principal
from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.knowledge.models import Category, Entry, Tag
from versehub.modules.knowledge.schemas import ListQuery
from versehub.modules.knowledge.service import permissions, search
from versehub.modules.knowledge.service import tags as tag_service
from versehub.modules.knowledge.service.search import SUMMARY_LOADING, Hit

HOME_RECENT = 8
HOME_FEATURED = 6
LIST_PER_PAGE = 20


@dataclass(frozen=True)
class CategoryCount:
    """A category with how many entries the viewer may read in it."""

    category: Category
    entries: int


def recent(*, viewer: Principal | None, limit: int = HOME_RECENT) -> list[Entry]:
    """The newest published entries the viewer may read."""
    query = ListQuery(status="published", per_page=limit)
    return [
        hit.entry for hit in search.fetch(query=query, viewer=viewer, options=SUMMARY_LOADING).hits
    ]


def featured(*, viewer: Principal | None, limit: int = HOME_FEATURED) -> list[Entry]:
    """Per category, its most recently published entry the viewer may read (newest first).

    "Featured" is a category's latest news: a reader sees at a glance what each part of the hub
    has published lately, rather than one busy category filling the list.
    """
    rank = (
        func.row_number()
        .over(partition_by=Entry.category_id, order_by=(Entry.published_at.desc(), Entry.id.desc()))
        .label("rank")
    )
    latest = (
        select(Entry.id.label("id"), Entry.published_at.label("published_at"), rank)
        .where(
            permissions.visible_clause(viewer),
            Entry.status == "published",
            Entry.category_id.is_not(None),
        )
        .subquery("latest")
    )
    ids = select(latest.c.id).where(latest.c.rank == 1)
    stmt = (
        select(Entry)
        .where(Entry.id.in_(ids))
        .order_by(Entry.published_at.desc(), Entry.id.desc())
        .limit(limit)
        .options(*SUMMARY_LOADING)
    )
    return list(db.session.scalars(stmt))


def category_counts(*, viewer: Principal | None) -> list[CategoryCount]:
    """Every category by name, with the number of entries in it the viewer may read."""
    visible = and_(Entry.category_id == Category.id, permissions.visible_clause(viewer))
    stmt = (
        select(Category, func.count(Entry.id))
        .outerjoin(Entry, visible)
        .group_by(Category.id)
        .order_by(Category.name, Category.id)
    )
    return [CategoryCount(category, int(count)) for category, count in db.session.execute(stmt)]


def category(*, slug: str) -> Category:
    """A category by slug, or RES_NOT_FOUND."""
    found = db.session.scalars(select(Category).where(Category.slug == slug)).one_or_none()
    if found is None:
        raise APIError("RES_NOT_FOUND", "No such category")
    return found


def tag(*, name: str, viewer: Principal | None) -> Tag:
    """A tag by (any spelling of) its name that the viewer sees on an entry, or RES_NOT_FOUND.

    A tag carried only by entries the viewer may not read is not found: its name could tell
    what another person's private draft is about.
    """
    try:
        found = tag_service.get_by_name(name=name)
    except APIError:  # not a possible tag name at all
        found = None
    if found is not None:
        seen = db.session.scalar(
            select(func.count())
            .select_from(Entry)
            .where(Entry.tags.any(Tag.id == found.id), permissions.visible_clause(viewer))
        )
        if seen:
            return found
    raise APIError("RES_NOT_FOUND", "No such tag")


def tags_for_filter(*, viewer: Principal | None, limit: int = 100) -> list[str]:
    """The names of the most used tags the viewer sees, alphabetically (a filter's choices)."""
    return sorted(found.name for found, _ in tag_service.list_(viewer=viewer, limit=limit))


def hits_of(entries: list[Entry]) -> list[Hit]:
    """Plain entries as hits (no score, no highlight), for the shared list item."""
    return [Hit(entry, None) for entry in entries]
