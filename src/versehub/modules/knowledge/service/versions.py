"""Which version of an entry a reader gets: the full text, or its plain-language version.

The reader's reading level (1-5) is, in order: the level the request asks for (REST
`?reading_level=`, GraphQL `readingLevel:`), else the signed-in person's preference, else none
(anonymous: the full text). The plain-language version is preferred when the reader's level is
below the entry's measured level and that version exists; the full text is always sent as well.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select

from versehub.core.auth import Principal
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.knowledge.models import Entry

Version = Literal["full", "plain"]


def reader_level(*, viewer: Principal | None, asked: int | None = None) -> int | None:
    """The reading level to serve: `asked` when given, else the caller's preference, else None."""
    if asked is not None:
        return asked
    if viewer is None:
        return None
    # One indexed column: the bearer path's principal does not load preferences.
    level: int | None = db.session.scalar(
        select(User.reading_level).where(User.id == viewer.user_id)
    )
    return level


def preferred(entry: Entry, level: int | None) -> Version:
    """`plain` when the reader's level is below the entry's and a plain version exists."""
    if level is not None and entry.plain_language and level < entry.reading_level:
        return "plain"
    return "full"


def content_of(entry: Entry, version: Version) -> tuple[str, str]:
    """(Markdown, safe HTML) of the chosen version."""
    if version == "plain" and entry.plain_language and entry.plain_language_html:
        return entry.plain_language, entry.plain_language_html
    return entry.content, entry.content_html
