"""Applying content to an entry: rendering, reading levels, category and tags kept together."""

from __future__ import annotations

from typing import Any

from versehub.modules.knowledge.models import Category, Entry, Tag
from versehub.modules.knowledge.service.reading_level import reading_level
from versehub.modules.knowledge.service.rendering import render_markdown

# Fields `apply` understands (category is a Category or None, tags a list of Tag rows).
FIELDS = (
    "title",
    "content",
    "summary",
    "plain_language",
    "category",
    "tags",
    "is_public",
    "language",
)


def apply(entry: Entry, changes: dict[str, Any]) -> None:
    """Set `changes` on `entry`, re-rendering and re-measuring whatever depends on them."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"not entry content fields: {sorted(unknown)}")
    for name in ("title", "summary", "is_public", "language"):
        if name in changes:
            setattr(entry, name, changes[name])
    if "content" in changes:
        entry.content = changes["content"]
        entry.content_html = render_markdown(entry.content)
        # Measured on every save, so the stored level always matches the stored text.
        entry.reading_level = reading_level(entry.content_html)
    if "plain_language" in changes:
        set_plain_language(entry, changes["plain_language"])
    if "category" in changes:
        category: Category | None = changes["category"]
        entry.category = category
        entry.category_id = None if category is None else category.id
    if "tags" in changes:
        tags: list[Tag] = changes["tags"]
        entry.tags = tags
        entry.tags_text = " ".join(sorted(tag.name for tag in tags))


def set_plain_language(entry: Entry, text: str | None) -> None:
    """The plain-language version, its rendering and its own reading level."""
    if not text:
        entry.plain_language = entry.plain_language_html = None
        entry.plain_language_reading_level = None
        return
    entry.plain_language = text
    entry.plain_language_html = render_markdown(text)
    entry.plain_language_reading_level = reading_level(entry.plain_language_html)
