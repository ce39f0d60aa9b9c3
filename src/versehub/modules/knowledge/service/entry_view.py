"""One entry as the reader page shows it: which text first, the switch, the sign video, moves.

The text shown is the one the reader asked for (`full` or `plain`), else the version their
reading level prefers (`versions.preferred`); the other version is offered when it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from versehub.core import sign_languages
from versehub.core.auth import Principal
from versehub.modules.knowledge.schemas import EntryPublic, SignVideo
from versehub.modules.knowledge.service import entries, permissions

Version = Literal["full", "plain"]
# Sanitised HTML (rendering.sanitise) has bare heading tags; the page's title is its one h1.
_HEADING = re.compile(r"<(/?)h([1-5])>")


@dataclass(frozen=True)
class EntryView:
    """What the entry page needs: the entry and the reader-specific choices made for it."""

    entry: EntryPublic
    shown: Version
    html: str
    level: int  # the reading level of the text shown
    other: Version | None  # the version the switch offers, when there is one
    video: SignVideo | None  # in the reader's sign language
    video_languages: list[str]  # names of the languages other videos are in
    moves: list[str]  # workflow states this viewer may move the entry to
    can_edit: bool
    language: str | None  # the entry's BCP 47 language when it is not English


def demote_headings(safe_html: str) -> str:
    """Headings of an entry's text one level down (h1 → h2 ... h5 → h6) under the page title."""
    return _HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}>", safe_html)


def _version(asked: str | None) -> Version | None:
    return "full" if asked == "full" else "plain" if asked == "plain" else None


def _video_language(video: SignVideo) -> str | None:
    found = sign_languages.resolve(video.language)
    return found.code if found else None


def entry_view(
    *,
    slug: str,
    viewer: Principal | None,
    reading_level: int | None,
    text: str | None = None,
    sign_language: str | None = None,
) -> EntryView:
    """The entry at `slug` for this reader; RES_NOT_FOUND when missing or hidden from them.

    `text` is the version the reader asked for ("full" or "plain"; anything else: none).
    """
    entry = entries.get_by_slug(slug=slug, viewer=viewer)
    public = entries.present(entry, reading_level=reading_level)
    has_plain = bool(public.plain_language and public.plain_language_html)
    shown: Version = _version(text) or public.preferred_version
    if shown == "plain" and not has_plain:
        shown = "full"
    if shown == "plain":
        html = public.plain_language_html or ""
        level = public.plain_language_reading_level or public.reading_level
    else:
        html, level = public.content_html, public.reading_level
    other: Version | None = None
    if has_plain:
        other = "full" if shown == "plain" else "plain"
    video = next(
        (v for v in public.sign_videos if sign_language and _video_language(v) == sign_language),
        None,
    )
    names = {
        sign_languages.name_of(_video_language(v)) or v.language
        for v in public.sign_videos
        if v is not video
    }
    language = getattr(entry, "language", None)
    if not isinstance(language, str) or not language or language.lower() == "en":
        language = None
    return EntryView(
        entry=public,
        shown=shown,
        html=demote_headings(html),
        level=level,
        other=other,
        video=video,
        video_languages=sorted(names),
        moves=entries.allowed_moves(entry=entry, viewer=viewer),
        can_edit=permissions.can_edit(viewer, entry),
        language=language,
    )
