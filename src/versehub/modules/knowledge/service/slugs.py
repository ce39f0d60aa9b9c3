"""Unique slugs: the base, else the base with -2, -3, ... appended."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from versehub.extensions import db
from versehub.modules.knowledge.service.rendering import slugify

SUFFIX_ROOM = 8  # room kept under the column limit for "-<n>"


def base_slug(text: str, *, max_length: int, fallback: str) -> str:
    """The slug of `text`, short enough to take a numeric suffix."""
    return slugify(text, max_length=max_length - SUFFIX_ROOM, fallback=fallback)


def is_taken(column: InstrumentedAttribute[Any], slug: str) -> bool:
    """Whether some row already has `slug` in `column`."""
    return db.session.scalar(select(column).where(column == slug).limit(1)) is not None


def free_slug(column: InstrumentedAttribute[Any], base: str) -> str:
    """`base` if unused in `column`, else the first free `base-<n>` (n ≥ 2)."""
    # Slugs hold only letters, digits and '-', so LIKE needs no escaping here.
    taken = set(db.session.scalars(select(column).where(column.like(f"{base}%"))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug
