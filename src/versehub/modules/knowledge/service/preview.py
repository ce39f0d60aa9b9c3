"""A preview of an entry being written: rendered and measured exactly as saving would."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from versehub.modules.knowledge.schemas import CONTENT_MAX, language_tag
from versehub.modules.knowledge.service.entry_view import demote_headings
from versehub.modules.knowledge.service.reading_level import reading_level
from versehub.modules.knowledge.service.rendering import render_markdown

LEVEL_NAMES: Mapping[int, str] = {
    1: "very easy",
    2: "easy",
    3: "standard",
    4: "hard",
    5: "specialist",
}


@dataclass(frozen=True)
class Rendered:
    """Safe HTML of one text and its reading level (None: no text, or too long to preview)."""

    html: str
    level: int | None
    too_long: bool = False

    @property
    def level_name(self) -> str:
        """The level's name ("standard"), or an empty string."""
        return LEVEL_NAMES.get(self.level or 0, "")


@dataclass(frozen=True)
class Preview:
    """The main text and the plain-language version, as the entry page would show them."""

    content: Rendered
    plain_language: Rendered


def render(text: str | None) -> Rendered:
    """One text rendered by knowledge.service.rendering and measured (the save path's calls)."""
    if not text or not text.strip():
        return Rendered(html="", level=None)
    if len(text) > CONTENT_MAX:
        return Rendered(html="", level=None, too_long=True)
    html = render_markdown(text)
    # Shown as the entry page shows it: the text's headings sit under the page's one h1.
    return Rendered(html=demote_headings(html), level=reading_level(html))


def preview(*, content: str | None, plain_language: str | None) -> Preview:
    """A preview of an entry's two texts."""
    return Preview(content=render(content), plain_language=render(plain_language))


def lang_attribute(raw: str | None) -> str | None:
    """The `lang` value for text written in `raw` (a BCP 47 tag), or None when it is not one."""
    try:
        return language_tag(raw or "")
    except ValueError:
        return None
