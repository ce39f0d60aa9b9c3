"""Page-based pagination shared by the list endpoints."""

from __future__ import annotations

import math


def pagination(*, page: int, per_page: int, total: int) -> dict[str, int]:
    """The `pagination` member of a page-based list."""
    return {
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": math.ceil(total / per_page),
    }
