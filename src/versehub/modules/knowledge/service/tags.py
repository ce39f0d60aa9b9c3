"""Tags: normalised names, created on first use."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import cast

from sqlalchemy import Select, Table, func, select

from versehub.core import text
from versehub.core.api import Page, paginate
from versehub.core.auth import Principal
from versehub.core.db import insert_or_ignore
from versehub.core.errors import APIError, field_error
from versehub.extensions import db
from versehub.modules.knowledge.models import TAG_MAX, Entry, Tag, entry_tags
from versehub.modules.knowledge.service import permissions

TAG_MIN = 1
_SPACES = re.compile(r"\s+")
_DASHES = re.compile(r"-{2,}")


def normalise(raw: str) -> str:
    """NFKC, case-folded, trimmed, inner whitespace as '-'; VAL_INVALID when empty, too long or
    holding what `core.text.tag_problem` refuses (emoji ZWJ sequences are fine)."""
    # NFKC again after casefold: folding can produce text NFKC would change (idempotence).
    name = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).casefold()).strip()
    name = _DASHES.sub("-", _SPACES.sub("-", name))
    if not TAG_MIN <= len(name) <= TAG_MAX:
        raise APIError(
            "VAL_INVALID",
            errors=[field_error("tags", f"A tag must be {TAG_MIN}-{TAG_MAX} characters")],
        )
    problem = text.tag_problem(name)
    if problem is not None:
        raise APIError("VAL_INVALID", errors=[field_error("tags", f"A tag {problem}")])
    return name


def get_by_name(*, name: str) -> Tag | None:
    """A tag by (any spelling of) its name."""
    return db.session.scalars(select(Tag).where(Tag.name == normalise(name))).one_or_none()


def resolve(*, names: Iterable[str]) -> list[Tag]:
    """Tags for `names` (normalised, de-duplicated), creating the missing ones (no commit).

    Missing ones are inserted-or-ignored, then selected: two writers adding the same new tag
    at once both get it (the second waits for the first and skips its insert) instead of one
    failing. Existing tags cost no write.
    """
    wanted = sorted({normalise(n) for n in names})
    if not wanted:
        return []
    found = _by_names(wanted)
    missing = [name for name in wanted if name not in found]
    if missing:
        table = cast(Table, Tag.__table__)
        insert_or_ignore(db.session, table, [{"name": name} for name in missing], unique=["name"])
        found.update(_by_names(missing))
    return [found[name] for name in wanted]


def _by_names(names: Sequence[str]) -> dict[str, Tag]:
    return {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}


def list_(*, viewer: Principal | None, limit: int = 100) -> list[tuple[Tag, int]]:
    """Tags on entries the viewer may read, with how many of those carry each, most used first.

    Counted over `permissions.visible_clause`, the rule of the entry lists: a tag that only an
    unreadable entry carries (another person's private draft) is not listed at all.
    """
    rows = db.session.execute(_usage(viewer).limit(limit)).all()
    return [(tag, int(count)) for tag, count in rows]


def page(*, viewer: Principal | None, page: int, per_page: int) -> Page[tuple[Tag, int]]:
    """One page of `list_`'s tags with their uses, most used first."""
    return paginate(_usage(viewer), page=page, per_page=per_page)


def _usage(viewer: Principal | None) -> Select[Tag, int]:
    uses = func.count(entry_tags.c.entry_id)
    return (
        select(Tag, uses)
        .join(entry_tags, entry_tags.c.tag_id == Tag.id)
        .join(Entry, Entry.id == entry_tags.c.entry_id)
        .where(permissions.visible_clause(viewer))
        .group_by(Tag.id)
        .order_by(uses.desc(), Tag.name)
    )


def for_entries(*, entry_ids: Sequence[int]) -> dict[int, list[Tag]]:
    """Each entry's tags by name, in one query."""
    if not entry_ids:
        return {}
    rows = db.session.execute(
        select(entry_tags.c.entry_id, Tag)
        .join(Tag, Tag.id == entry_tags.c.tag_id)
        .where(entry_tags.c.entry_id.in_(entry_ids))
        .order_by(entry_tags.c.entry_id, Tag.name)
    )
    found: dict[int, list[Tag]] = {}
    for entry_id, tag in rows:
        found.setdefault(entry_id, []).append(tag)
    return found
