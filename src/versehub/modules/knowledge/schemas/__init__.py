"""Wire shapes of the knowledge module (inputs forbid unknown fields; outputs read ORM rows).

The REST API's path, header and answer models are in `schemas.api`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from versehub.core.api import PER_PAGE_DEFAULT, PER_PAGE_MAX, PageQuery
from versehub.core.text import Text
from versehub.core.validation import NotNull
from versehub.modules.knowledge.models import (
    CATEGORY_NAME_MAX,
    DEFAULT_LANGUAGE,
    LANGUAGE_MAX,
    SLUG_MAX,
    SUMMARY_MAX,
    TAG_MAX,
    TITLE_MAX,
)

CONTENT_MAX = 200_000
QUERY_MAX = 500
MAX_TAGS = 20
REVIEW_NOTE_MAX = 2000

Sort = Literal["relevance", "newest", "title"]
DateField = Literal["created", "published"]
# Text rules (NFC; controls, bidi overrides, visibility) are core.text's: one place for all.
Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX), Text(visible=True)]
Content = Annotated[
    str, Field(min_length=1, max_length=CONTENT_MAX), Text(multiline=True, visible=True)
]
Summary = Annotated[str, Field(max_length=SUMMARY_MAX), Text()]
TagInput = Annotated[str, Field(max_length=TAG_MAX)]  # further checked by tags.normalise
# A filter may name a tag as typed (longer spellings normalise to a stored name, or find none).
TagFilter = Annotated[str, Field(max_length=TAG_MAX * 4)]
SlugInput = Annotated[str, Field(min_length=1, max_length=SLUG_MAX), Text()]
CategoryName = Annotated[str, Field(min_length=1, max_length=CATEGORY_NAME_MAX), Text(visible=True)]
Description = Annotated[str, Field(max_length=2000), Text(multiline=True)]

# BCP 47 as used on the web: language (2-3 letters), optional script (4 letters), optional
# region (2 letters or 3 digits), then variants; private-use and extensions are not needed here.
_LANGUAGE_TAG = re.compile(
    r"^(?P<language>[a-z]{2,3})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)$"
)


def language_tag(value: str) -> str:
    """A BCP 47 language tag in its usual case (`en`, `pt-BR`, `zh-Hant-TW`), or ValueError."""
    match = _LANGUAGE_TAG.match(value.strip().replace("_", "-").lower())
    if match is None:
        raise ValueError("Use a language tag such as en, de, pt-BR or zh-Hant")
    parts = [match["language"]]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts) + match["variants"]


Language = Annotated[
    str,
    Field(min_length=2, max_length=LANGUAGE_MAX, description="BCP 47 tag, e.g. `en`, `pt-BR`."),
    AfterValidator(language_tag),
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EntryCreate(_Input):
    """A new entry; the slug is generated from the title unless given."""

    title: Title
    content: Content
    summary: Summary = ""
    plain_language: Content | None = None
    category: SlugInput | None = None
    tags: list[TagInput] = Field(default_factory=list, max_length=MAX_TAGS)
    is_public: bool = True
    language: Language = DEFAULT_LANGUAGE
    slug: SlugInput | None = None


class EntryUpdate(_Input):
    """Changed fields of an entry; `version` (when given) must match the stored one."""

    title: NotNull[Title] = None
    content: NotNull[Content] = None
    summary: Summary | None = None
    plain_language: Content | None = None
    category: SlugInput | None = None
    tags: list[TagInput] | None = Field(default=None, max_length=MAX_TAGS)
    is_public: NotNull[bool] = None
    language: NotNull[Language] = None
    version: int | None = None


class VersionBody(_Input):
    """An optional body of a write that sends nothing else: the version the caller saw."""

    # Optional: `validated` reads no body when none is sent (the OpenAPI says so too).
    model_config = ConfigDict(  # type: ignore[typeddict-unknown-key]
        extra="forbid", str_strip_whitespace=True, openapi_extra={"required": False}
    )

    version: int | None = None


class EntryTransition(_Input):
    """A workflow move: the target state, the version the caller saw and, when an editor sends
    an entry back to its author (in_review → draft), the reason the author will see."""

    to: Literal["draft", "in_review", "published", "archived"]
    version: int | None = None
    reason: Annotated[str, Field(min_length=1, max_length=REVIEW_NOTE_MAX)] | None = None


class CategoryCreate(_Input):
    """A new category; `colour` is `#rrggbb` with an AA-contrast text colour."""

    name: CategoryName
    colour: Annotated[str, Field(min_length=1, max_length=20)]
    description: Description = ""


class CategoryPublic(_Output):
    """A category as shown to everyone."""

    id: int
    name: str
    slug: str
    description: str
    colour: str
    text_colour: str


class TagPublic(_Output):
    """A tag."""

    id: int
    name: str


class SignVideo(BaseModel):
    """A sign-language rendition of an entry, supplied by a registered provider."""

    model_config = ConfigDict(extra="allow")

    language: str
    url: str
    captions_url: str | None = None


def _tag_names(value: Any) -> Any:
    # ORM rows carry Tag objects; the wire carries their names.
    if isinstance(value, list):
        return [getattr(v, "name", v) for v in value]
    return value


TagNames = Annotated[list[str], BeforeValidator(_tag_names)]


class EntrySummary(_Output):
    """An entry in a list or search result (no bodies); `highlight` is safe HTML."""

    id: int
    slug: str
    title: str
    summary: str
    status: str
    version: int
    is_public: bool
    language: str = Field(description="BCP 47 tag of the language the entry is written in.")
    reading_level: int
    category: CategoryPublic | None
    tags: TagNames
    author_id: int | None
    author_username: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    score: float | None = None
    highlight: str | None = None


class EntryPublic(EntrySummary):
    """A whole entry: Markdown as written, its sanitised HTML and accessibility extras."""

    content: str
    content_html: str
    plain_language: str | None
    plain_language_html: str | None
    plain_language_reading_level: int | None
    review_note: str | None = Field(
        default=None,
        description="Why the last workflow move was made (an editor sending the entry back "
        "says why); cleared when the entry is published.",
    )
    sign_videos: list[SignVideo] = Field(default_factory=list)
    preferred_version: Literal["full", "plain"] = Field(
        default="full",
        description="The version for this reader: `plain` when their reading level (the "
        "`reading_level` parameter, else a signed-in reader's preference) is below the entry's "
        "and a plain-language version exists; `full` otherwise.",
    )
    preferred_content: str = Field(
        default="", description="Markdown of `preferred_version` (the content to show)."
    )
    preferred_content_html: str = Field(
        default="", description="Sanitised HTML of `preferred_version` (the content to show)."
    )


class BinItem(_Output):
    """An entry in the recycle bin: what it was, who binned it and when it is purged."""

    id: int
    slug: str
    title: str
    status: str
    version: int
    is_public: bool
    author_id: int | None
    author_username: str | None
    deleted_at: datetime
    deleted_by_id: int | None
    purge_at: datetime


class BinQuery(PageQuery):
    """Paging of the recycle bin (most recently deleted first)."""


class RevisionsQuery(PageQuery):
    """Paging of an entry's revisions (newest first)."""


class TaxonomyQuery(PageQuery):
    """Paging of the categories (by name) and of the tags (most used first)."""


class RevisionPublic(_Output):
    """One stored revision of an entry."""

    id: int
    entry_id: int
    number: int
    user_id: int | None
    created_at: datetime
    changed_fields: list[str]
    snapshot: dict[str, Any]
    restored_from: int | None


SEARCH_SYNTAX = (
    'Search text: every word is required, "quoted words" are a phrase, `or` between terms '
    'offers alternatives, `-word` or `-"a phrase"` excludes; no other character has a meaning.'
)


class ListQuery(_Input):
    """Filters, sort and paging of the entry list (`q` makes it a search)."""

    q: Annotated[str, Field(max_length=QUERY_MAX, description=SEARCH_SYNTAX)] | None = None
    category: SlugInput | None = None
    tag: TagFilter | None = None
    author: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    status: Literal["draft", "in_review", "published", "archived"] | None = None
    max_reading_level: Annotated[int, Field(ge=1, le=5)] | None = None
    date_field: DateField = "created"
    date_from: date | None = None
    date_to: date | None = None
    sort: Sort | None = None
    per_page: Annotated[int, Field(ge=1, le=PER_PAGE_MAX)] = PER_PAGE_DEFAULT
    cursor: Annotated[str, Field(max_length=1000)] | None = None
    page: Annotated[int, Field(ge=1, le=100_000)] | None = None

    @model_validator(mode="after")
    def _one_paging_style(self) -> ListQuery:
        if self.cursor is not None and self.page is not None:
            raise ValueError("give either cursor or page, not both")
        return self

    @property
    def effective_sort(self) -> Sort:
        """Relevance when searching (unless asked otherwise); newest otherwise."""
        if self.sort == "relevance" and not self.q:
            return "newest"
        return self.sort or ("relevance" if self.q else "newest")


class SearchQuery(ListQuery):
    """A search: like the list, with a required query."""

    q: Annotated[str, Field(min_length=1, max_length=QUERY_MAX, description=SEARCH_SYNTAX)]


class EntryPage(BaseModel):
    """One page of entries; `next_cursor` continues a cursor walk, `page` an offset walk."""

    items: list[EntrySummary]
    per_page: int
    next_cursor: str | None = None
    page: int | None = None
    has_more: bool = False
