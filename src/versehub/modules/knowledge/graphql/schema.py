"""The knowledge module's GraphQL queries and mutations.

Every resolver calls the same service functions as the REST routes, with the same caller
(`info.context.principal`: session, bearer token or API key), so the rules are one set: anyone
reads published public entries, API keys need `entries:read` to read and `entries:write` to
write, authors edit their own entries, editors any. Inputs are validated by the same Pydantic
models as REST; their field errors come back in `extensions.errors`, named as in GraphQL
(`first`, `after`, `filter.maxReadingLevel`, `input.title`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import lazyload

from versehub.core.api import PER_PAGE_DEFAULT
from versehub.core.auth import Principal, check_verified_email
from versehub.core.errors import APIError, field_error
from versehub.core.validation import invalid
from versehub.modules.knowledge.graphql import loaders
from versehub.modules.knowledge.graphql.types import (
    CategoryNode,
    EntryConnection,
    EntryEdge,
    EntryNode,
    EntryStatus,
    PageInfo,
    TagCountNode,
    TagNode,
)
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import (
    SEARCH_SYNTAX,
    EntryCreate,
    EntryTransition,
    EntryUpdate,
    ListQuery,
)
from versehub.modules.knowledge.service import categories, entries, recycle_bin, search
from versehub.modules.knowledge.service import tags as tag_service

READ_SCOPE, WRITE_SCOPE = "entries:read", "entries:write"
M = TypeVar("M", bound=BaseModel)
# ListQuery's fields as the GraphQL arguments name them.
LIST_FIELDS = {
    "per_page": "first",
    "cursor": "after",
    "sort": "sort",
    "q": "filter.search",
    "max_reading_level": "filter.maxReadingLevel",
}
# The page of a connection never reads the eager relations: the loaders batch them.
LAZY_RELATIONS = (lazyload(Entry.author), lazyload(Entry.category), lazyload(Entry.tags))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@contextmanager
def _renamed_fields(rename: Callable[[str], str]) -> Iterator[None]:
    """Field errors raised inside, with field names as the GraphQL caller wrote them."""
    try:
        yield
    except APIError as exc:
        for error in exc.errors:
            if error.get("field"):
                first, _, rest = str(error["field"]).partition(".")
                error["field"] = rename(first) + (f".{rest}" if rest else "")
        raise


def _list_field(name: str) -> str:
    return LIST_FIELDS.get(name, f"filter.{_camel(name)}")


def _input_field(name: str) -> str:
    return f"input.{_camel(name)}"


def _validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from exc


def _set(data: object) -> dict[str, Any]:
    """The fields of a GraphQL input the caller gave (an explicit null counts, omitted not)."""
    return {
        name: value.value if isinstance(value, Enum) else value
        for name, value in vars(data).items()
        if value is not strawberry.UNSET
    }


def _entry_id(value: strawberry.ID, field: str = "id") -> int:
    text = str(value).strip()
    if not text.isdecimal() or not 0 < int(text) < 2**63:
        raise APIError("VAL_INVALID", errors=[field_error(field, "Not an entry id")])
    return int(text)


def _reader(info: strawberry.Info) -> Principal | None:
    """The caller, who may be anonymous; an API key needs `entries:read`."""
    principal: Principal | None = info.context.principal
    if principal is not None and not principal.has_scope(READ_SCOPE):
        raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", details={"required_scope": READ_SCOPE})
    return principal


def _writer(info: strawberry.Info) -> Principal:
    """A signed-in caller with a verified email; an API key needs `entries:write`."""
    principal: Principal | None = info.context.principal
    if principal is None:
        raise APIError("AUTH_REQUIRED")
    if not principal.has_scope(WRITE_SCOPE):
        raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", details={"required_scope": WRITE_SCOPE})
    check_verified_email(principal)
    return principal


@strawberry.enum(description="How entries are ordered.")
class EntrySort(Enum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    TITLE = "title"


@strawberry.input(description="Filters of an entry list; `search` makes it a full-text search.")
class EntryFilter:
    search: str | None = strawberry.field(default=None, description=SEARCH_SYNTAX)
    category: str | None = strawberry.field(default=None, description="Category slug.")
    tag: str | None = None
    author: str | None = strawberry.field(default=None, description="Author id or username.")
    status: EntryStatus | None = None
    max_reading_level: int | None = strawberry.field(
        default=None, description="Only entries at this reading level (1-5) or easier."
    )


@strawberry.input(description="A new entry (a draft by the caller).")
class CreateEntryInput:
    title: str
    content: str = strawberry.field(description="Markdown (raw HTML is never trusted).")
    summary: str | None = strawberry.UNSET
    plain_language: str | None = strawberry.UNSET
    category: str | None = strawberry.field(default=strawberry.UNSET, description="A slug.")
    tags: list[str] | None = strawberry.UNSET
    is_public: bool | None = strawberry.UNSET
    language: str | None = strawberry.field(
        default=strawberry.UNSET, description="BCP 47 tag (default `en`)."
    )
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="Made from the title when not given."
    )


@strawberry.input(description="Changed fields of an entry; omitted fields stay as they are.")
class UpdateEntryInput:
    title: str | None = strawberry.UNSET
    content: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    plain_language: str | None = strawberry.field(
        default=strawberry.UNSET, description="null removes the plain-language version."
    )
    category: str | None = strawberry.field(
        default=strawberry.UNSET, description="A slug; null removes the category."
    )
    tags: list[str] | None = strawberry.UNSET
    is_public: bool | None = strawberry.UNSET
    language: str | None = strawberry.field(default=strawberry.UNSET, description="BCP 47 tag.")
    version: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="The version you saw; a stale one is RES_CONFLICT (lost-update guard).",
    )


First = Annotated[int, strawberry.argument(description="Page size, 1-100.")]
After = Annotated[
    str | None, strawberry.argument(description="`pageInfo.endCursor` of the previous page.")
]
Version = Annotated[
    int | None, strawberry.argument(description="The version you saw (RES_CONFLICT if stale).")
]


def _list_query(
    first: int, after: str | None, filter: EntryFilter | None, sort: EntrySort | None
) -> ListQuery:
    data: dict[str, Any] = {"per_page": first, "cursor": after}
    if sort is not None:
        data["sort"] = sort.value
    if filter is not None:
        given = {k: v for k, v in _set(filter).items() if v is not None}
        if "search" in given:
            given["q"] = given.pop("search")
        data.update(given)
    return _validate(ListQuery, {k: v for k, v in data.items() if v is not None})


def _connection(
    info: strawberry.Info, query: ListQuery, viewer: Principal | None
) -> EntryConnection:
    page = search.fetch(query=query, viewer=viewer, options=LAZY_RELATIONS)
    loaders.announce(info, (hit.entry for hit in page.hits))
    edges = [
        EntryEdge(
            node=EntryNode.of(hit.entry, score=hit.score, highlight=hit.highlight),
            cursor=page.cursor(hit),
        )
        for hit in page.hits
    ]
    return EntryConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_more,
            has_previous_page=query.cursor is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


@strawberry.type
class KnowledgeQuery:
    """Reading the knowledge vault."""

    @strawberry.field(
        description="Entries the caller may read: published public ones for everyone, also "
        "their own for signed-in people, everything for editors. Newest first, or by relevance "
        "when searching."
    )
    def entries(
        self,
        info: strawberry.Info,
        first: First = PER_PAGE_DEFAULT,
        after: After = None,
        filter: EntryFilter | None = None,
        sort: EntrySort | None = None,
    ) -> EntryConnection:
        viewer = _reader(info)
        with _renamed_fields(_list_field):
            query = _list_query(first, after, filter, sort)
            return _connection(info, query, viewer)

    @strawberry.field(
        description="One entry by `id` or `slug` (exactly one); RES_NOT_FOUND when it does not "
        "exist or the caller may not see it."
    )
    def entry(
        self,
        info: strawberry.Info,
        id: strawberry.ID | None = None,
        slug: str | None = None,
        reading_level: Annotated[
            int | None,
            strawberry.argument(
                description="Your reading level (1-5) for `preferredVersion`; signed-in "
                "readers default to their preference."
            ),
        ] = None,
    ) -> EntryNode | None:
        viewer = _reader(info)
        if reading_level is not None and not 1 <= reading_level <= 5:
            raise APIError("VAL_INVALID", errors=[field_error("readingLevel", "Must be 1-5")])
        if (id is None) == (slug is None):
            raise APIError(
                "VAL_INVALID",
                "Give either id or slug",
                errors=[field_error("id", "Give id or slug")],
            )
        if id is not None:
            row = entries.get(entry_id=_entry_id(id), viewer=viewer)
        else:
            row = entries.get_by_slug(slug=str(slug).strip(), viewer=viewer)
        return EntryNode.of(row, reading_level=reading_level)

    @strawberry.field(description="Every category, by name.")
    def categories(self, info: strawberry.Info) -> list[CategoryNode]:
        _reader(info)
        return [CategoryNode.of(row) for row in categories.list_()]

    @strawberry.field(description="One category by slug; RES_NOT_FOUND when there is none.")
    def category(self, info: strawberry.Info, slug: str) -> CategoryNode | None:
        _reader(info)
        row = categories.get_by_slug(slug=slug.strip())
        if row is None:
            raise APIError("RES_NOT_FOUND", "No such category")
        return CategoryNode.of(row)

    @strawberry.field(
        description="Tags on entries the caller may read, with how many of those carry each, "
        "most used first."
    )
    def tags(
        self,
        info: strawberry.Info,
        limit: Annotated[int, strawberry.argument(description="1-100.")] = 100,
    ) -> list[TagCountNode]:
        viewer = _reader(info)
        if not 1 <= limit <= 100:
            raise APIError("VAL_INVALID", errors=[field_error("limit", "Must be 1-100")])
        return [
            TagCountNode(tag=TagNode.of(tag), entries=uses)
            for tag, uses in tag_service.list_(viewer=viewer, limit=limit)
        ]


@strawberry.type
class KnowledgeMutation:
    """Writing the knowledge vault (the same service calls, rules and errors as REST)."""

    @strawberry.mutation(description="Write a new draft (any signed-in person).")
    def create_entry(self, info: strawberry.Info, input: CreateEntryInput) -> EntryNode:
        viewer = _writer(info)
        with _renamed_fields(_input_field):
            data = _validate(EntryCreate, {k: v for k, v in _set(input).items() if v is not None})
            return EntryNode.of(entries.create(data=data, viewer=viewer))

    @strawberry.mutation(description="Change fields of an entry (its author or an editor).")
    def update_entry(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateEntryInput
    ) -> EntryNode:
        viewer = _writer(info)
        entry_id = _entry_id(id)
        with _renamed_fields(_input_field):
            data = _validate(EntryUpdate, _set(input))
            return EntryNode.of(entries.update(entry_id=entry_id, data=data, viewer=viewer))

    @strawberry.mutation(
        description="Move an entry through the workflow (draft → in_review → published → "
        "archived; authors submit their own drafts and may withdraw them from review; editors "
        "do the rest, and sending an entry back from review to draft needs a `reason`, shown "
        "to the author as `reviewNote`). An illegal move is RES_CONFLICT."
    )
    def transition_entry(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        to: EntryStatus,
        version: Version = None,
        reason: Annotated[
            str | None,
            strawberry.argument(description="Why (required when an editor sends it back)."),
        ] = None,
    ) -> EntryNode:
        viewer = _writer(info)
        entry_id = _entry_id(id)
        move = _validate(EntryTransition, {"to": to.value, "version": version, "reason": reason})
        row = entries.change_status(
            entry_id=entry_id,
            to=move.to,
            viewer=viewer,
            expected_version=move.version,
            reason=move.reason,
        )
        return EntryNode.of(row)

    @strawberry.mutation(
        description="Bring back a revision's content as a new revision (author or editor)."
    )
    def restore_revision(
        self, info: strawberry.Info, id: strawberry.ID, number: int, version: Version = None
    ) -> EntryNode:
        viewer = _writer(info)
        row = entries.restore_revision(
            entry_id=_entry_id(id), number=number, viewer=viewer, expected_version=version
        )
        return EntryNode.of(row)

    @strawberry.mutation(
        description="Move an entry to the recycle bin (author or editor): hidden at once, "
        "restorable (`restoreDeletedEntry`, REST `/api/v1/recycle-bin`) by its author or an "
        "editor until it is purged; answers the deleted id."
    )
    def delete_entry(
        self, info: strawberry.Info, id: strawberry.ID, version: Version = None
    ) -> strawberry.ID:
        viewer = _writer(info)
        entry_id = _entry_id(id)
        entries.delete(entry_id=entry_id, viewer=viewer, expected_version=version)
        return strawberry.ID(str(entry_id))

    @strawberry.mutation(
        description="Bring an entry back from the recycle bin in the state it had (its author "
        "or an editor, within the retention period); RES_NOT_FOUND when it is not in the bin."
    )
    def restore_deleted_entry(
        self, info: strawberry.Info, id: strawberry.ID, version: Version = None
    ) -> EntryNode:
        viewer = _writer(info)
        row = recycle_bin.restore(entry_id=_entry_id(id), viewer=viewer, expected_version=version)
        return EntryNode.of(row)
