"""`/api/v1/entries/{entry_id}`: read, change, delete, move through the workflow, revisions.

Every answer about one entry carries a strong `ETag` (`"e{id}-v{version}"`). `GET` with a
matching `If-None-Match` answers 304 without a body. `PATCH`, `DELETE`, transitions and restores
accept `If-Match` or a body `version`, checked in one place (`expected_version`): a stale or
foreign one answers 409 RES_CONFLICT, and `If-Match` takes precedence when both are sent.
`GET` answers come from the response cache (`api/cache.py`) when they can; a 304 is then
decided from the cached ETag alone.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from versehub.core.api import (
    AUTH_ERRORS,
    BODY_ERRORS,
    CONFLICT,
    NOT_MODIFIED,
    OPTIONAL_AUTH,
    SIGNED_IN,
    list_answer,
    location,
    validated,
)
from versehub.core.auth import current_principal
from versehub.core.envelope import envelope
from versehub.core.idempotency import idempotent
from versehub.core.openapi import Envelope
from versehub.modules.knowledge.api.cache import cached_payload
from versehub.modules.knowledge.api.common import (
    ENTRIES_TAG,
    bp,
    entry_data,
    entry_envelope,
    entry_response,
    etag_of,
    expected_version,
    not_modified,
    read_access,
    signed_in_read,
    write_access,
)
from versehub.modules.knowledge.schemas import (
    EntryCreate,
    EntryTransition,
    EntryUpdate,
    RevisionPublic,
    RevisionsQuery,
    VersionBody,
)
from versehub.modules.knowledge.schemas.api import (
    EntryEnvelope,
    EntryPath,
    EntryReadQuery,
    IfMatchHeader,
    IfNoneMatchHeader,
    RevisionData,
    RevisionList,
    RevisionPath,
)
from versehub.modules.knowledge.service import entries, revisions, versions

TAGS = [ENTRIES_TAG]
IF_MATCH = (
    " Send `If-Match` with the entry's ETag to guard against lost updates (a stale one answers "
    "409 RES_CONFLICT; it takes precedence over a body `version`)."
)


@bp.post(
    "/entries",
    tags=TAGS,
    security=SIGNED_IN,
    responses={201: EntryEnvelope, **AUTH_ERRORS, **BODY_ERRORS, **CONFLICT},
)
@write_access
@idempotent
@validated
def create_entry(body: EntryCreate) -> Response:
    """Write a new draft (any signed-in person; API keys need `entries:write`); 201 + ETag and
    `Location`."""
    entry = entries.create(data=body, viewer=current_principal())
    where = location("knowledge.get_entry", entry_id=entry.id)
    return entry_response(entry, status=201, headers=where)


@bp.get(
    "/entries/<int:entry_id>",
    tags=TAGS,
    security=OPTIONAL_AUTH,
    responses={200: EntryEnvelope, **NOT_MODIFIED, **AUTH_ERRORS},
)
@read_access
@validated
def get_entry(path: EntryPath, query: EntryReadQuery, header: IfNoneMatchHeader) -> Response:
    """One entry (published public ones for everyone; 404 for what the caller may not see).

    Answers with an `ETag`; send it back as `If-None-Match` to get 304 while it is unchanged.
    `preferred_version` and `preferred_content(_html)` carry the version for the reader's
    reading level (`reading_level`, else a signed-in reader's preference); `content` is always
    the full text. API keys need `entries:read`. Answers are cached (see `X-Cache`); a change
    shows at once.
    """
    viewer = current_principal()
    level = versions.reader_level(viewer=viewer, asked=query.reading_level)

    def compute() -> dict[str, Any]:
        entry = entries.get(entry_id=path.entry_id, viewer=viewer)
        data = entry_data(entry, viewer, level)
        return {"data": data, "etag": etag_of(entry, data)}

    answer = cached_payload(
        endpoint="knowledge.get_entry",
        # The level changes the answer (preferred_version), so it is part of the key.
        params={**path.model_dump(mode="json"), "reading_level": level},
        viewer=viewer,
        compute=compute,
    )
    etag: str = answer.payload["etag"]
    return not_modified(etag, header.if_none_match, headers=answer.headers) or entry_envelope(
        answer.payload["data"], etag, headers=answer.headers
    )


@bp.patch(
    "/entries/<int:entry_id>",
    tags=TAGS,
    security=SIGNED_IN,
    description="Change fields of an entry (author or editor)." + IF_MATCH,
    responses={200: EntryEnvelope, **AUTH_ERRORS, **BODY_ERRORS, **CONFLICT},
)
@write_access
@validated
def update_entry(path: EntryPath, header: IfMatchHeader, body: EntryUpdate) -> Response:
    """Change an entry."""
    version = expected_version(path.entry_id, header.if_match, body.version)
    data = body.model_copy(update={"version": version})
    entry = entries.update(entry_id=path.entry_id, data=data, viewer=current_principal())
    return entry_response(entry)


@bp.delete(
    "/entries/<int:entry_id>",
    tags=TAGS,
    security=SIGNED_IN,
    description="Move an entry to the recycle bin (author or editor): hidden at once, "
    "restorable by its author or an editor for `recycle_bin_days`, then purged with its "
    "revisions (see `/recycle-bin`)." + IF_MATCH,
    responses={200: Envelope[None], **AUTH_ERRORS, **BODY_ERRORS, **CONFLICT},
)
@write_access
@validated
def delete_entry(path: EntryPath, header: IfMatchHeader, body: VersionBody) -> Response:
    """Delete an entry."""
    entries.delete(
        entry_id=path.entry_id,
        viewer=current_principal(),
        expected_version=expected_version(path.entry_id, header.if_match, body.version),
    )
    return envelope(None, message="Entry moved to the recycle bin")


@bp.post(
    "/entries/<int:entry_id>/transitions",
    tags=TAGS,
    security=SIGNED_IN,
    description="Move an entry through the workflow (draft → in_review → published → "
    "archived; authors submit their own drafts and may withdraw them from review (in_review → "
    "draft); editors do the rest: publish, archive (from in_review or published), unpublish "
    "(published → draft) and send back (in_review → draft, `reason` required, shown to the "
    "author as the entry's `review_note`). An illegal move answers 409 RES_CONFLICT." + IF_MATCH,
    responses={200: EntryEnvelope, **AUTH_ERRORS, **BODY_ERRORS, **CONFLICT},
)
@write_access
@validated
def transition_entry(path: EntryPath, header: IfMatchHeader, body: EntryTransition) -> Response:
    """Change an entry's status."""
    entry = entries.change_status(
        entry_id=path.entry_id,
        to=body.to,
        viewer=current_principal(),
        expected_version=expected_version(path.entry_id, header.if_match, body.version),
        reason=body.reason,
    )
    return entry_response(entry)


@bp.get(
    "/entries/<int:entry_id>/revisions",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[RevisionList], **AUTH_ERRORS},
)
@signed_in_read
@validated
def list_revisions(path: EntryPath, query: RevisionsQuery) -> Response:
    """An entry's revisions, newest first (author or editor; API keys need `entries:read`)."""
    page = revisions.page(
        entry_id=path.entry_id,
        viewer=current_principal(),
        page=query.page,
        per_page=query.per_page,
    )
    return list_answer(page, lambda row: RevisionPublic.model_validate(row).model_dump(mode="json"))


@bp.get(
    "/entries/<int:entry_id>/revisions/<int:number>",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[RevisionData], **AUTH_ERRORS},
)
@signed_in_read
@validated
def get_revision(path: RevisionPath) -> Response:
    """One revision by number (author or editor)."""
    row = revisions.get(entry_id=path.entry_id, number=path.number, viewer=current_principal())
    return envelope({"revision": RevisionPublic.model_validate(row).model_dump(mode="json")})


@bp.post(
    "/entries/<int:entry_id>/revisions/<int:number>/restore",
    tags=TAGS,
    security=SIGNED_IN,
    description="Bring back a revision's content as a new revision (author or editor)." + IF_MATCH,
    responses={200: EntryEnvelope, **AUTH_ERRORS, **BODY_ERRORS, **CONFLICT},
)
@write_access
@idempotent
@validated
def restore_revision(path: RevisionPath, header: IfMatchHeader, body: VersionBody) -> Response:
    """Restore a revision."""
    entry = entries.restore_revision(
        entry_id=path.entry_id,
        number=path.number,
        viewer=current_principal(),
        expected_version=expected_version(path.entry_id, header.if_match, body.version),
    )
    return entry_response(entry)
