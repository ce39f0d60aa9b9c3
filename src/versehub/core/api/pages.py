"""Pagination: the one query shape (`page`, `per_page`) and the one `pagination` shape of lists.

Every list under /api/ answers `data = {items, pagination}` with the same `pagination` keys,
each always present: `page` and `per_page` as asked, `total` and `pages` where the list is
counted, `has_more`, and `next_cursor` for lists walked by cursor (entries, search). A key that
does not apply to a list is null, never missing, so a client reads every list the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select

from versehub.extensions import db

T = TypeVar("T")

PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 100
PAGE_MAX = 100_000


class PageQuery(BaseModel):
    """`page` and `per_page`, accepted by every list (subclasses add the list's filters)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    page: int = Field(1, ge=1, le=PAGE_MAX, description="Page number, from 1.")
    per_page: int = Field(
        PER_PAGE_DEFAULT, ge=1, le=PER_PAGE_MAX, description="Items per page (1-100)."
    )


class Pagination(BaseModel):
    """The `pagination` member of every list; every key is present, null where it does not apply."""

    page: int | None = Field(description="This page's number; null in a cursor walk.")
    per_page: int
    total: int | None = Field(description="Items in the whole list; null where not counted.")
    pages: int | None = Field(description="Pages in the whole list; null where not counted.")
    has_more: bool = Field(description="Whether a later page holds more.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page of a cursor walk; null otherwise."
    )


def pagination(
    *,
    per_page: int,
    page: int | None = None,
    total: int | None = None,
    has_more: bool | None = None,
    next_cursor: str | None = None,
) -> dict[str, Any]:
    """The `pagination` member: counted lists give `page` and `total`, cursor walks `has_more`."""
    pages = math.ceil(total / per_page) if total is not None else None
    if has_more is None:
        has_more = page is not None and pages is not None and page < pages
    return {
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
        "has_more": has_more,
        "next_cursor": next_cursor,
    }


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a counted list."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def has_more(self) -> bool:
        """Whether a later page holds more."""
        return self.page * self.per_page < self.total

    def pagination(self) -> dict[str, Any]:
        """This page's `pagination` member."""
        return pagination(page=self.page, per_page=self.per_page, total=self.total)


def paginate(statement: Select[*tuple[Any, ...]], *, page: int, per_page: int) -> Page[Any]:
    """Run `statement` (ordered) for one page, and count the whole list in a second query.

    A one-column statement gives its objects; a wider one gives row tuples.
    """
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    result = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    items: list[Any] = (
        list(result.scalars()) if len(statement.column_descriptions) == 1 else list(result.all())
    )
    return Page(items=items, page=page, per_page=per_page, total=total or 0)


def page_of(items: Sequence[T], *, page: int, per_page: int) -> Page[T]:
    """One page of a list held in memory (already in its order)."""
    start = (page - 1) * per_page
    return Page(
        items=list(items[start : start + per_page]), page=page, per_page=per_page, total=len(items)
    )
