"""Wire shapes of the knowledge routes: path and header parameters, `data` of each answer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from versehub.core.api import Pagination
from versehub.core.openapi import Envelope
from versehub.modules.knowledge.schemas import (
    BinItem,
    CategoryPublic,
    EntryPublic,
    EntrySummary,
    RevisionPublic,
    TagPublic,
)

MAX_ID = 2**31 - 1


class IfMatchHeader(BaseModel):
    """Optimistic locking: the ETag of the version the caller saw."""

    model_config = ConfigDict(populate_by_name=True)

    if_match: str | None = Field(
        default=None,
        alias="If-Match",
        max_length=2000,
        description='The entry\'s ETag (e.g. `"e12-v3"`) or `*`. A stale or foreign one answers '
        "409 RES_CONFLICT; it takes precedence over a `version` in the body.",
    )


class IfNoneMatchHeader(BaseModel):
    """Conditional read: the ETag the caller holds."""

    model_config = ConfigDict(populate_by_name=True)

    if_none_match: str | None = Field(
        default=None,
        alias="If-None-Match",
        max_length=2000,
        description="When it names the entry's current ETag (or `*`) the answer is 304, no body.",
    )


class EntryPath(BaseModel):
    """`/entries/{entry_id}` (Werkzeug's `int` converter matches digits only)."""

    entry_id: int = Field(ge=0, le=MAX_ID)


class EntryReadQuery(BaseModel):
    """Options of reading one entry."""

    reading_level: int | None = Field(
        default=None,
        ge=1,
        le=5,
        description="Your reading level (1 easiest - 5); signed-in readers default to their "
        "preference. Picks `preferred_version`: `plain` when below the entry's level and a "
        "plain-language version exists.",
    )


class CategoryPath(BaseModel):
    """`/categories/{category_id}`."""

    category_id: int = Field(ge=0, le=MAX_ID)


class RevisionPath(BaseModel):
    """`/entries/{entry_id}/revisions/{number}`."""

    entry_id: int = Field(ge=0, le=MAX_ID)
    number: int = Field(ge=0, le=MAX_ID)


class EntryData(BaseModel):
    """`data` of answers about one entry; `allowed_transitions` are the caller's moves now."""

    entry: EntryPublic
    allowed_transitions: list[str]


class EntryEnvelope(Envelope[EntryData]):
    """One entry; the `ETag` header names its version."""

    # flask-openapi3 reads `openapi_extra` to document the response headers.
    model_config = ConfigDict(  # type: ignore[typeddict-unknown-key]
        openapi_extra={
            "headers": {
                "ETag": {
                    "description": 'Strong ETag of the entry\'s version, e.g. `"e12-v3"`.',
                    "schema": {"type": "string"},
                }
            }
        }
    )


class EntryList(BaseModel):
    """`data` of `GET /entries` and `GET /search`."""

    items: list[EntrySummary]
    pagination: Pagination


class RevisionData(BaseModel):
    """`data` of an answer about one revision."""

    revision: RevisionPublic


class RevisionList(BaseModel):
    """`data` of `GET /entries/{entry_id}/revisions`, newest first."""

    items: list[RevisionPublic]
    pagination: Pagination


class CategoryData(BaseModel):
    """`data` of an answer about one category."""

    category: CategoryPublic


class CategoryList(BaseModel):
    """`data` of `GET /categories`."""

    items: list[CategoryPublic]
    pagination: Pagination


class TagCount(TagPublic):
    """A tag with how many entries carry it."""

    entries: int


class TagList(BaseModel):
    """`data` of `GET /tags`, most used first."""

    items: list[TagCount]
    pagination: Pagination


class BinList(BaseModel):
    """`data` of `GET /recycle-bin`, most recently deleted first."""

    items: list[BinItem]
    pagination: Pagination
