"""HTTP plumbing every module's REST routes share.

- `api_blueprint`: the blueprint routes are declared on; every route must be `validated`.
- `validated`: validates path, query, body and headers once, after the guards, and refuses
  query parameters the route does not declare.
- the shared response declarations (`SIGNED_IN`, `AUTH_ERRORS`, `BODY_ERRORS`, ...).
- pagination: `PageQuery`, the one `Pagination` shape, `paginate` / `page_of`.
- `created`: the 201 answer with its `Location`.
"""

from __future__ import annotations

from versehub.core.api.blueprint import (
    AUTH_ERRORS,
    BODY_ERRORS,
    CONFLICT,
    NOT_MODIFIED,
    OPTIONAL_AUTH,
    SIGNED_IN,
    ApiBlueprint,
    api_blueprint,
)
from versehub.core.api.pages import (
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    Page,
    PageQuery,
    Pagination,
    page_of,
    paginate,
    pagination,
)
from versehub.core.api.responses import created, list_answer, location
from versehub.core.api.validation import validated

__all__ = [
    "AUTH_ERRORS",
    "BODY_ERRORS",
    "CONFLICT",
    "NOT_MODIFIED",
    "OPTIONAL_AUTH",
    "PER_PAGE_DEFAULT",
    "PER_PAGE_MAX",
    "SIGNED_IN",
    "ApiBlueprint",
    "Page",
    "PageQuery",
    "Pagination",
    "api_blueprint",
    "created",
    "list_answer",
    "location",
    "page_of",
    "paginate",
    "pagination",
    "validated",
]
