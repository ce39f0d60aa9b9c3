"""The knowledge module's request-scoped batch loaders (one query per relation per request)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import strawberry
from sqlalchemy import select

from versehub.core.graphql_loaders import BatchLoader, request_loader
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.knowledge.models import Category, Entry, EntryRevision, Tag
from versehub.modules.knowledge.service import categories as category_service
from versehub.modules.knowledge.service import permissions
from versehub.modules.knowledge.service import revisions as revision_service
from versehub.modules.knowledge.service import tags as tag_service

EDITABLE = "knowledge.editable_entry_ids"


@dataclass(frozen=True)
class PublicUser:
    """What anyone may learn about an account: its id and username."""

    id: int
    username: str


def _fetch_users(ids: Sequence[int]) -> dict[int, PublicUser]:
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {row.id: PublicUser(id=row.id, username=row.username) for row in rows}


def users(info: strawberry.Info) -> BatchLoader[int, PublicUser]:
    """Public users by id."""
    return request_loader(info, "knowledge.users", _fetch_users)


def categories(info: strawberry.Info) -> BatchLoader[int, Category]:
    """Categories by id."""
    return request_loader(
        info, "knowledge.categories", lambda ids: category_service.by_ids(ids=ids)
    )


def tags(info: strawberry.Info) -> BatchLoader[int, list[Tag]]:
    """Each entry's tags by entry id."""
    return request_loader(
        info, "knowledge.tags", lambda ids: tag_service.for_entries(entry_ids=ids), default=list
    )


def revisions(info: strawberry.Info, *, first: int) -> BatchLoader[int, list[EntryRevision]]:
    """Each entry's newest `first` revisions by entry id (one loader per page size).

    Revisions are asked for entry by entry, so the loader itself wants every entry of the
    announced pages that the viewer may edit (the only ones whose revisions they may see).
    """

    def fetch(ids: Sequence[int]) -> dict[int, list[EntryRevision]]:
        found = revision_service.latest_for(entry_ids=ids, limit=first)
        users(info).want(r.user_id for rows in found.values() for r in rows)
        return found

    loader: BatchLoader[int, list[EntryRevision]] = request_loader(
        info, f"knowledge.revisions.{first}", fetch, default=list
    )
    loader.want(_editable(info))
    return loader


def _editable(info: strawberry.Info) -> set[int]:
    found: set[int] = info.context.loaders.setdefault(EDITABLE, set())
    return found


def announce(info: strawberry.Info, rows: Iterable[Entry]) -> None:
    """Tell the loaders which keys a page of entries will ask for (nothing is fetched yet)."""
    page = list(rows)
    users(info).want(e.author_id for e in page)
    categories(info).want(e.category_id for e in page)
    tags(info).want(e.id for e in page)
    viewer = info.context.principal
    _editable(info).update(e.id for e in page if permissions.can_edit(viewer, e))
