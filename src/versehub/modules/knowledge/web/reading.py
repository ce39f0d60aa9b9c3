"""The reader's pages: home, one entry, the categories, one category and one tag.

Thin routes: read the path and query, call the knowledge services with the viewer and their
presentation, render. An entry, category or tag the viewer may not see answers 404, the same
page as a missing one (the services raise RES_NOT_FOUND; core.handlers renders it).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from versehub.core.auth import current_principal
from versehub.core.errors import APIError
from versehub.core.page_cache import cached_page
from versehub.core.pages import is_htmx, render_page
from versehub.core.presentation import current_presentation
from versehub.modules.knowledge.schemas import ListQuery
from versehub.modules.knowledge.service import browse, entry_view, search
from versehub.modules.knowledge.service.query_syntax import SYNTAX_HELP
from versehub.modules.knowledge.service.search import SUMMARY_LOADING
from versehub.modules.knowledge.web.blueprint import bp

CURSOR_MAX = 1000


@bp.context_processor
def _hub_context() -> dict[str, object]:
    # The search boxes (home and search page) explain the query syntax in one line.
    return {"syntax_help": SYNTAX_HELP}


@bp.get("/")
def home() -> Response:
    """Recent and featured entries, the categories and a search box."""
    viewer = current_principal()
    return render_page(
        "knowledge/home.html",
        recent=browse.hits_of(browse.recent(viewer=viewer)),
        featured=browse.hits_of(browse.featured(viewer=viewer)),
        categories=browse.category_counts(viewer=viewer),
    )


@bp.get("/entries/<slug>")
@cached_page  # anonymous readers only; any entry change empties it in every process
def entry_page(slug: str) -> Response:
    """One entry at the reader's reading level, with the switch between its two texts."""
    presentation = current_presentation()
    view = entry_view.entry_view(
        slug=slug,
        viewer=current_principal(),
        reading_level=presentation.reading_level,
        text=request.args.get("text"),
        sign_language=presentation.sign_language,
    )
    return render_page(
        "knowledge/entry.html",
        fragment={"entry-text": "knowledge/_entry_text.html"},
        view=view,
        entry=view.entry,
        fragment_request=is_htmx(),
    )


@bp.get("/categories")
def categories_page() -> Response:
    """Every category with how many entries the viewer may read in it."""
    return render_page(
        "knowledge/categories.html", categories=browse.category_counts(viewer=current_principal())
    )


def _cursor() -> str | None:
    raw = request.args.get("cursor", "")
    return raw if 0 < len(raw) <= CURSOR_MAX else None


def _listing(template_args: dict[str, Any], query: ListQuery) -> Response:
    """A list page (category or tag) with cursor paging; a stale cursor: the first page."""
    viewer = current_principal()
    expired = False
    try:
        page = search.fetch(query=query, viewer=viewer, options=SUMMARY_LOADING)
    except APIError as exc:
        if exc.code != "VAL_INVALID" or query.cursor is None:
            raise
        expired = True
        query = query.model_copy(update={"cursor": None})
        page = search.fetch(query=query, viewer=viewer, options=SUMMARY_LOADING)
    next_cursor = page.cursor(page.hits[-1]) if page.has_more and page.hits else None
    return render_page(
        "knowledge/listing.html",
        fragment={"results": "knowledge/_listing_results.html"},
        hits=page.hits,
        next_cursor=next_cursor,
        first_page=query.cursor is None,
        expired=expired,
        total=search.count(query=query.model_copy(update={"cursor": None}), viewer=viewer),
        **template_args,
    )


@bp.get("/categories/<slug>")
def category_page(slug: str) -> Response:
    """The entries of one category, newest first."""
    category = browse.category(slug=slug)
    query = ListQuery(category=category.slug, per_page=browse.LIST_PER_PAGE, cursor=_cursor())
    return _listing({"category": category, "tag": None}, query)


@bp.get("/tags/<name>")
def tag_page(name: str) -> Response:
    """The entries carrying one tag, newest first."""
    tag = browse.tag(name=name, viewer=current_principal())
    query = ListQuery(tag=tag.name, per_page=browse.LIST_PER_PAGE, cursor=_cursor())
    return _listing({"category": None, "tag": tag}, query)
