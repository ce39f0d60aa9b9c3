"""`/api/v1/entries` (list and create are split: create lives with the entry routes),
`/api/v1/search`, `/api/v1/categories` and `/api/v1/tags`.

Entry lists and search answers go through the response cache (`api/cache.py`); categories and
tags do not (categories change without an entry event, and both are cheap).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from versehub.core.api import (
    AUTH_ERRORS,
    BODY_ERRORS,
    CONFLICT,
    OPTIONAL_AUTH,
    SIGNED_IN,
    created,
    list_answer,
    pagination,
    validated,
)
from versehub.core.auth import current_principal, require_role
from versehub.core.envelope import envelope
from versehub.core.idempotency import idempotent
from versehub.core.openapi import Envelope
from versehub.modules.knowledge.api.cache import cached_payload
from versehub.modules.knowledge.api.common import (
    ENTRIES_TAG,
    SEARCH_TAG,
    TAXONOMY_TAG,
    bp,
    read_access,
    write_access,
)
from versehub.modules.knowledge.models import Category
from versehub.modules.knowledge.schemas import (
    CategoryCreate,
    CategoryPublic,
    EntryPage,
    ListQuery,
    SearchQuery,
    TagPublic,
    TaxonomyQuery,
)
from versehub.modules.knowledge.schemas.api import (
    CategoryData,
    CategoryList,
    CategoryPath,
    EntryList,
    TagList,
)
from versehub.modules.knowledge.service import categories, search
from versehub.modules.knowledge.service import tags as tag_service

LIST_DOC = (
    "Filters: `category` (slug or id), `tag` (name or id), `author` (username or id; a filter "
    "naming nothing answers 422 VAL_INVALID), `status`, "
    "`max_reading_level` (1-5), `date_field`/`date_from`/`date_to`. `sort` is `relevance` "
    "(default with `q`), `newest` (default otherwise) or `title`. Page with `per_page` (1-100, "
    "default 20) and either `cursor` (the previous page's `pagination.next_cursor`) or `page`. "
    "Anonymous callers see published public entries; signed-in people also their own; editors "
    "everything. API keys need `entries:read`. Answers are cached (see `X-Cache`); any change to "
    "an entry shows on the next request."
)


def _page_data(page: EntryPage) -> dict[str, Any]:
    items = [item.model_dump(mode="json") for item in page.items]
    paging = pagination(
        per_page=page.per_page,
        page=page.page,
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )
    return {"items": items, "pagination": paging}


def _cached_page(endpoint: str, query: ListQuery, compute: Callable[[], EntryPage]) -> Response:
    """A page of entries from the response cache (`api/cache.py`), else computed."""
    answer = cached_payload(
        endpoint=endpoint,
        params=query.model_dump(mode="json"),
        viewer=current_principal(),
        compute=lambda: _page_data(compute()),
    )
    # The payload is the list's `data` ({items, pagination}), embedded as the JSON it was stored as.
    return envelope(answer.ready, headers=answer.headers)


@bp.get(
    "/entries",
    tags=[ENTRIES_TAG],
    security=OPTIONAL_AUTH,
    description="List entries (a full-text search when `q` is given). " + LIST_DOC,
    responses={200: Envelope[EntryList], **AUTH_ERRORS},
)
@read_access
@validated
def list_entries(query: ListQuery) -> Response:
    """List or search entries."""
    viewer = current_principal()
    return _cached_page(
        "knowledge.list_entries", query, lambda: search.list_(query=query, viewer=viewer)
    )


@bp.get(
    "/search",
    tags=[SEARCH_TAG],
    security=OPTIONAL_AUTH,
    description="Full-text search of entries (`q` required; any text is safe: it is never "
    "query syntax). Items carry `score` and a safe-HTML `highlight`. " + LIST_DOC,
    responses={200: Envelope[EntryList], **AUTH_ERRORS},
)
@read_access
@validated
def search_entries(query: SearchQuery) -> Response:
    """Search entries."""
    viewer = current_principal()
    return _cached_page(
        "knowledge.search_entries", query, lambda: search.search(query=query, viewer=viewer)
    )


@bp.get(
    "/categories",
    tags=[TAXONOMY_TAG],
    security=OPTIONAL_AUTH,
    responses={200: Envelope[CategoryList], **AUTH_ERRORS},
)
@read_access
@validated
def list_categories(query: TaxonomyQuery) -> Response:
    """The categories, by name, page by page."""
    page = categories.page(page=query.page, per_page=query.per_page)
    return list_answer(page, _category_json)


def _category_json(category: Category) -> dict[str, Any]:
    return CategoryPublic.model_validate(category).model_dump(mode="json")


@bp.get(
    "/categories/<int:category_id>",
    tags=[TAXONOMY_TAG],
    security=OPTIONAL_AUTH,
    responses={200: Envelope[CategoryData], **AUTH_ERRORS},
)
@read_access
@validated
def get_category(path: CategoryPath) -> Response:
    """One category."""
    category = categories.get(category_id=path.category_id)
    return envelope({"category": _category_json(category)})


@bp.post(
    "/categories",
    tags=[TAXONOMY_TAG],
    security=SIGNED_IN,
    responses={201: Envelope[CategoryData], **AUTH_ERRORS, **BODY_ERRORS, **CONFLICT},
)
@write_access
@require_role("editor")
@idempotent
@validated
def create_category(body: CategoryCreate) -> Response:
    """Create a category (editors; API keys need `entries:write`); 201."""
    category = categories.create(data=body, viewer=current_principal())
    return created(
        {"category": _category_json(category)},
        endpoint="knowledge.get_category",
        values={"category_id": category.id},
    )


@bp.get(
    "/tags",
    tags=[TAXONOMY_TAG],
    security=OPTIONAL_AUTH,
    responses={200: Envelope[TagList], **AUTH_ERRORS},
)
@read_access
@validated
def list_tags(query: TaxonomyQuery) -> Response:
    """Tags on entries the caller may read, with how many of those carry each, most used first."""
    page = tag_service.page(viewer=current_principal(), page=query.page, per_page=query.per_page)
    return list_answer(
        page,
        lambda row: {**TagPublic.model_validate(row[0]).model_dump(mode="json"), "entries": row[1]},
    )
