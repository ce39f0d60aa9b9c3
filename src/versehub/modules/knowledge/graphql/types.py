"""GraphQL object types of the knowledge module: entries, categories, tags, users, revisions.

Related rows are never read through the ORM relationships here: every resolver of a relation
(author, category, tags, revisions, a revision's user) goes through a request-scoped batch
loader, and a connection announces the keys of its whole page first. A page of 50 entries with
author, category and tags costs four queries whatever its size.

Users show public fields only (id and username): never email, roles or preferences.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from versehub.core.api import PER_PAGE_MAX
from versehub.core.errors import APIError, field_error
from versehub.modules.knowledge.events import sign_videos_for
from versehub.modules.knowledge.graphql import loaders
from versehub.modules.knowledge.models import Category, Entry, EntryRevision, Tag
from versehub.modules.knowledge.service import entries, permissions, versions

REVISIONS_DEFAULT = 20
READER_LEVEL = "knowledge.reader_level"  # request-scoped memo in info.context.loaders


@strawberry.enum(description="Where an entry is in the review workflow.")
class EntryStatus(Enum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


@strawberry.enum(description="Which version of an entry suits the reader.")
class PreferredVersion(Enum):
    FULL = "full"
    PLAIN = "plain"


@strawberry.type(name="User", description="A person, as anyone may see them.")
class UserNode:
    id: strawberry.ID
    username: str

    @classmethod
    def of(cls, user: loaders.PublicUser | None) -> UserNode | None:
        """The node of a loaded user (None once the account is gone)."""
        return None if user is None else cls(id=strawberry.ID(str(user.id)), username=user.username)


@strawberry.type(name="Category", description="A group of entries with an accessible colour.")
class CategoryNode:
    id: strawberry.ID
    name: str
    slug: str
    description: str
    colour: str = strawberry.field(description="Background colour, `#rrggbb`.")
    text_colour: str = strawberry.field(
        description="Text colour that meets WCAG AA contrast on `colour`."
    )

    @classmethod
    def of(cls, row: Category) -> CategoryNode:
        """The node of a category row."""
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            slug=row.slug,
            description=row.description,
            colour=row.colour,
            text_colour=row.text_colour,
        )


@strawberry.type(name="Tag", description="A normalised keyword.")
class TagNode:
    id: strawberry.ID
    name: str

    @classmethod
    def of(cls, row: Tag) -> TagNode:
        """The node of a tag row."""
        return cls(id=strawberry.ID(str(row.id)), name=row.name)


@strawberry.type(name="TagCount", description="A tag and how many entries carry it.")
class TagCountNode:
    tag: TagNode
    entries: int


@strawberry.type(name="SignVideo", description="A sign-language rendition of an entry.")
class SignVideoNode:
    language: str = strawberry.field(description="Sign language code, e.g. `bsl`, `asl`.")
    url: str
    captions_url: str | None


@strawberry.type(name="Revision", description="A stored snapshot of an entry after one change.")
class RevisionNode:
    _row: strawberry.Private[EntryRevision]
    id: strawberry.ID
    number: int
    created_at: datetime
    changed_fields: list[str]
    restored_from: int | None = strawberry.field(
        description="The revision number this one restored, if it was a restore."
    )
    snapshot: JSON = strawberry.field(
        description="The tracked fields after the change: title, content, summary, "
        "plain_language, category (slug) and tags."
    )

    @classmethod
    def of(cls, row: EntryRevision) -> RevisionNode:
        """The node of a revision row."""
        return cls(
            _row=row,
            id=strawberry.ID(str(row.id)),
            number=row.number,
            created_at=row.created_at,
            changed_fields=list(row.changed_fields),
            restored_from=row.restored_from,
            snapshot=cast(JSON, dict(row.snapshot)),
        )

    @strawberry.field(description="Who made the change (null once the account is gone).")
    def user(self, info: strawberry.Info) -> UserNode | None:
        return UserNode.of(loaders.users(info).load(self._row.user_id))


PageSize = Annotated[
    int, strawberry.argument(description=f"How many to return (1-{PER_PAGE_MAX}).")
]


@strawberry.type(
    name="Entry",
    description="A knowledge entry: Markdown as written, its sanitised HTML, reading levels, "
    "an optional plain-language version and sign-language videos.",
)
class EntryNode:
    _row: strawberry.Private[Entry]
    id: strawberry.ID
    slug: str = strawberry.field(description="Stable: chosen on create, never changed.")
    title: str
    summary: str
    content: str = strawberry.field(description="Markdown as written.")
    content_html: str = strawberry.field(description="`content` rendered to sanitised HTML.")
    plain_language: str | None = strawberry.field(
        description="The same knowledge in plain language (Markdown), when written."
    )
    plain_language_html: str | None
    reading_level: int = strawberry.field(
        description="1 (easiest) to 5 (hardest), computed from the text on every save."
    )
    plain_language_reading_level: int | None
    status: EntryStatus
    version: int = strawberry.field(description="Bumped on every change (optimistic locking).")
    is_public: bool
    language: str = strawberry.field(
        description="BCP 47 tag of the language the entry is written in (e.g. `en`, `pt-BR`)."
    )
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    review_note: str | None = strawberry.field(
        default=None,
        description="Why the last workflow move was made (an editor sending the entry back "
        "says why); cleared when the entry is published.",
    )
    score: float | None = strawberry.field(
        default=None, description="Search relevance (only in search results)."
    )
    highlight: str | None = strawberry.field(
        default=None,
        description="Matching snippet as safe HTML with <mark> (only in search results).",
    )
    # The reading level asked for (`entry(readingLevel:)`); None: the caller's preference.
    _reading_level: strawberry.Private[int | None] = None

    @classmethod
    def of(
        cls,
        row: Entry,
        *,
        score: float | None = None,
        highlight: str | None = None,
        reading_level: int | None = None,
    ) -> EntryNode:
        """The node of an entry row (relations are resolved lazily, through the loaders)."""
        return cls(
            _row=row,
            _reading_level=reading_level,
            id=strawberry.ID(str(row.id)),
            slug=row.slug,
            title=row.title,
            summary=row.summary,
            content=row.content,
            content_html=row.content_html,
            plain_language=row.plain_language,
            plain_language_html=row.plain_language_html,
            reading_level=row.reading_level,
            plain_language_reading_level=row.plain_language_reading_level,
            status=EntryStatus(row.status),
            version=row.version,
            is_public=row.is_public,
            language=row.language,
            created_at=row.created_at,
            updated_at=row.updated_at,
            published_at=row.published_at,
            review_note=row.review_note,
            score=score,
            highlight=highlight,
        )

    def _version(self, info: strawberry.Info) -> versions.Version:
        level = self._reading_level
        if level is None:
            # Looked up once per request, and only when a preferred field is asked for.
            memo: dict[str, int | None] = info.context.loaders.setdefault(READER_LEVEL, {})
            if "level" not in memo:
                memo["level"] = versions.reader_level(viewer=info.context.principal)
            level = memo["level"]
        return versions.preferred(self._row, level)

    @strawberry.field(
        description="The version for this reader: PLAIN when their reading level "
        "(`entry(readingLevel:)`, else a signed-in reader's preference) is below the entry's "
        "and a plain-language version exists, FULL otherwise."
    )
    def preferred_version(self, info: strawberry.Info) -> PreferredVersion:
        return PreferredVersion(self._version(info))

    @strawberry.field(description="Markdown of `preferredVersion` (the content to show).")
    def preferred_content(self, info: strawberry.Info) -> str:
        return versions.content_of(self._row, self._version(info))[0]

    @strawberry.field(description="Sanitised HTML of `preferredVersion` (the content to show).")
    def preferred_content_html(self, info: strawberry.Info) -> str:
        return versions.content_of(self._row, self._version(info))[1]

    @strawberry.field(description="Who wrote it (null once the account is gone).")
    def author(self, info: strawberry.Info) -> UserNode | None:
        return UserNode.of(loaders.users(info).load(self._row.author_id))

    @strawberry.field
    def category(self, info: strawberry.Info) -> CategoryNode | None:
        row = loaders.categories(info).load(self._row.category_id)
        return None if row is None else CategoryNode.of(row)

    @strawberry.field(description="Tags, by name.")
    def tags(self, info: strawberry.Info) -> list[TagNode]:
        return [TagNode.of(tag) for tag in loaders.tags(info).load(self._row.id) or []]

    @strawberry.field(description="The states the caller may move this entry to now.")
    def allowed_transitions(self, info: strawberry.Info) -> list[EntryStatus]:
        moves = entries.allowed_moves(entry=self._row, viewer=info.context.principal)
        return [EntryStatus(state) for state in moves]

    @strawberry.field(description="Sign-language videos of this entry, per language.")
    def sign_videos(self) -> list[SignVideoNode]:
        return [
            SignVideoNode(
                language=str(video["language"]),
                url=str(video["url"]),
                captions_url=video.get("captions_url"),
            )
            for video in sign_videos_for(self._row)
        ]

    @strawberry.field(
        description="The newest revisions first (the author and editors only; others get an "
        "AUTH_INSUFFICIENT_PERMISSIONS error on this field)."
    )
    def revisions(
        self, info: strawberry.Info, first: PageSize = REVISIONS_DEFAULT
    ) -> list[RevisionNode] | None:
        viewer = info.context.principal
        if not permissions.can_edit(viewer, self._row):
            code = "AUTH_REQUIRED" if viewer is None else "AUTH_INSUFFICIENT_PERMISSIONS"
            raise APIError(code, "Only the author or an editor may see revisions")
        first = _page_size(first)
        rows = loaders.revisions(info, first=first).load(self._row.id) or []
        return [RevisionNode.of(row) for row in rows]


def _page_size(first: int) -> int:
    if not 1 <= first <= PER_PAGE_MAX:
        raise APIError(
            "VAL_INVALID",
            errors=[field_error("first", f"Must be between 1 and {PER_PAGE_MAX}")],
        )
    return first


@strawberry.type(description="Where a page of a connection starts and stops.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="Whether `after` was given (cursors walk forward only)."
    )
    start_cursor: str | None
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page.")


@strawberry.type(description="An entry in a connection, with the cursor just after it.")
class EntryEdge:
    node: EntryNode
    cursor: str


@strawberry.type(description="A page of entries (Relay connection).")
class EntryConnection:
    edges: list[EntryEdge]
    page_info: PageInfo
