"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitises (raw HTML is never trusted)."""

from __future__ import annotations

import html
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt

from versehub.core.text import strip_controls

# `html: False` makes markdown-it escape raw HTML as text; nh3 is the second, independent wall.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td",
        "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
# No `javascript:`, `data:`, `vbscript:` or `file:`: only these survive (relative URLs too).
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"
_SLUG_JUNK = re.compile(r"[^\w]+")


def render_markdown(text: str) -> str:
    """Sanitised HTML for Markdown `text` (never carrying control characters)."""
    # Inputs refuse controls already (core.text); this also covers text stored before that.
    return sanitise(_MARKDOWN.render(strip_controls(text)))


def sanitise(raw_html: str) -> str:
    """HTML reduced to the allowed tags, attributes and URL schemes; links get rel=noopener."""
    return nh3.clean(
        raw_html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def plain_text(safe_html: str) -> str:
    """The readable text of sanitised HTML (for reading-level measures)."""
    text = nh3.clean(safe_html.replace("</p>", "</p>\n").replace("<br>", "\n"), tags=set())
    return html.unescape(text)


def slugify(text: str, *, max_length: int, fallback: str = "entry") -> str:
    """A URL slug: NFKC, case-folded, letters and digits of any script, joined by '-'."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    slug = _SLUG_JUNK.sub("-", folded.replace("_", "-")).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or fallback


def highlight(marked: str, *, start: str, stop: str) -> str:
    """Escape `marked` text, then turn the `start`/`stop` sentinels into <mark> tags."""
    escaped = html.escape(marked, quote=True)
    return escaped.replace(start, "<mark>").replace(stop, "</mark>")
