"""The search page: results as you type (HTMX), and an ordinary GET form without JavaScript."""

from __future__ import annotations

from flask import Response, request

from versehub.core.auth import current_principal
from versehub.core.pages import is_htmx, render_page
from versehub.modules.knowledge.service import browse, finding
from versehub.modules.knowledge.web.blueprint import bp


@bp.get("/search")
def search_page() -> Response:
    """Search text and filters from the query string; an HTMX request gets the results only."""
    viewer = current_principal()
    values = {name: request.args.get(name) for name in finding.FIELDS}
    findings = finding.find(values=values, viewer=viewer)
    fragment_request = is_htmx()
    return render_page(
        "knowledge/search.html",
        fragment="knowledge/_results.html",
        findings=findings,
        values=findings.values,
        # The filters' choices are only on the whole page.
        categories=[] if fragment_request else browse.category_counts(viewer=viewer),
        tags=[] if fragment_request else browse.tags_for_filter(viewer=viewer),
        fragment_request=fragment_request,
    )
