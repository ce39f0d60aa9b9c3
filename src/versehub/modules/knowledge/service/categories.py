"""Categories: unique names, stable slugs and colours with WCAG AA contrast for their text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from versehub.core.api import Page, paginate
from versehub.core.auth import Principal
from versehub.core.errors import APIError, field_error
from versehub.extensions import db
from versehub.modules.knowledge.models import SLUG_MAX, Category
from versehub.modules.knowledge.schemas import CategoryCreate
from versehub.modules.knowledge.service import permissions, slugs

HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")
WHITE, NEAR_BLACK = "#ffffff", "#111111"
AA_NORMAL_TEXT = 4.5
NAME_TAKEN = "Name already used"
SLUG_TAKEN = "A category with the same slug was created at the same moment; try again"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1-21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour_for(colour: str) -> str:
    """White or near-black, whichever contrasts more; VAL_INVALID when the colour is bad."""
    value = colour.strip().lower()
    if not HEX_COLOUR.fullmatch(value):
        raise APIError("VAL_INVALID", errors=[field_error("colour", "Use a colour like #1f6feb")])
    best = max((WHITE, NEAR_BLACK), key=lambda text: contrast(value, text))
    if contrast(value, best) < AA_NORMAL_TEXT:
        raise APIError(
            "VAL_INVALID",
            errors=[
                field_error(
                    "colour",
                    "Neither white nor black text reaches 4.5:1 contrast on this colour",
                )
            ],
        )
    return best


def get_by_slug(*, slug: str) -> Category | None:
    """A category by slug."""
    return db.session.scalars(select(Category).where(Category.slug == slug)).one_or_none()


def require_by_slug(*, slug: str, field: str = "category") -> Category:
    """A category by slug, or VAL_INVALID naming `field` (a reference in an input)."""
    found = get_by_slug(slug=slug)
    if found is None:
        raise APIError("VAL_INVALID", errors=[field_error(field, "No such category")])
    return found


def list_() -> list[Category]:
    """Every category, by name."""
    return list(db.session.scalars(select(Category).order_by(Category.name)))


def page(*, page: int, per_page: int) -> Page[Category]:
    """One page of the categories, by name."""
    return paginate(
        select(Category).order_by(Category.name, Category.id), page=page, per_page=per_page
    )


def get(*, category_id: int) -> Category:
    """A category by id, or RES_NOT_FOUND."""
    found = db.session.get(Category, category_id)
    if found is None:
        raise APIError("RES_NOT_FOUND", "No such category")
    return found


def create(*, data: CategoryCreate, viewer: Principal | None) -> Category:
    """Create a category (editors); RES_ALREADY_EXISTS for a taken name; commits."""
    permissions.require_editor(viewer)
    text_colour = text_colour_for(data.colour)
    if _name_taken(data.name):
        raise APIError("RES_ALREADY_EXISTS", errors=[field_error("name", NAME_TAKEN)])
    base = slugs.base_slug(data.name, max_length=SLUG_MAX, fallback="category")
    category = Category(
        name=data.name,
        slug=slugs.free_slug(Category.slug, base),
        description=data.description,
        colour=data.colour.strip().lower(),
        text_colour=text_colour,
    )
    db.session.add(category)
    try:
        db.session.commit()
    except IntegrityError as exc:
        # Another editor created the same name (or slug) between the check and the commit.
        db.session.rollback()
        if _name_taken(data.name):
            raise APIError("RES_ALREADY_EXISTS", errors=[field_error("name", NAME_TAKEN)]) from exc
        raise APIError("RES_ALREADY_EXISTS", errors=[field_error("name", SLUG_TAKEN)]) from exc
    return category


def _name_taken(name: str) -> bool:
    found = db.session.scalar(select(func.count()).where(func.lower(Category.name) == name.lower()))
    return bool(found)


def by_ids(*, ids: Sequence[int]) -> dict[int, Category]:
    """Categories by id, in one query."""
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Category).where(Category.id.in_(ids)))}
