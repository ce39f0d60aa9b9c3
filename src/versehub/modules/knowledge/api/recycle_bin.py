"""`/api/v1/recycle-bin`: deleted entries, restored by their author or an editor, purged by admins.

`DELETE /entries/{id}` moves an entry here; it is hidden from every read until restored. Entries
stay restorable for `recycle_bin_days`, then the hourly purge job deletes them with their
revisions. An expired or purged entry answers 404 here.
"""

from __future__ import annotations

from flask import Response

from versehub.core.api import AUTH_ERRORS, BODY_ERRORS, CONFLICT, SIGNED_IN, list_answer, validated
from versehub.core.auth import current_principal
from versehub.core.envelope import envelope
from versehub.core.openapi import Envelope
from versehub.modules.knowledge.api.common import (
    ENTRIES_TAG,
    bp,
    entry_response,
    expected_version,
    signed_in_read,
    write_access,
)
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import BinItem, BinQuery, VersionBody
from versehub.modules.knowledge.schemas.api import BinList, EntryEnvelope, EntryPath, IfMatchHeader
from versehub.modules.knowledge.service import recycle_bin

TAGS = [ENTRIES_TAG]


def _item(entry: Entry) -> BinItem:
    item = BinItem.model_validate(
        {
            **{name: getattr(entry, name) for name in BinItem.model_fields if name != "purge_at"},
            "purge_at": recycle_bin.purge_at(entry),
        }
    )
    return item


@bp.get(
    "/recycle-bin",
    tags=TAGS,
    security=SIGNED_IN,
    description="Deleted entries that can still be restored, most recently deleted first: "
    "editors and admins see all, others their own. `purge_at` says when each is deleted for "
    "good. API keys need `entries:read`.",
    responses={200: Envelope[BinList], **AUTH_ERRORS},
)
@signed_in_read
@validated
def list_bin(query: BinQuery) -> Response:
    """List the recycle bin."""
    page = recycle_bin.list_(viewer=current_principal(), page=query.page, per_page=query.per_page)
    return list_answer(page, lambda entry: _item(entry).model_dump(mode="json"))


@bp.post(
    "/recycle-bin/<int:entry_id>/restore",
    tags=TAGS,
    security=SIGNED_IN,
    description="Bring an entry back from the recycle bin as it was (its state, slug and "
    "revisions): its author or an editor, while it is restorable. `If-Match` or a body "
    "`version` guard against lost updates (409 RES_CONFLICT when stale).",
    responses={200: EntryEnvelope, **AUTH_ERRORS, **BODY_ERRORS, **CONFLICT},
)
@write_access
@validated
def restore_from_bin(path: EntryPath, header: IfMatchHeader, body: VersionBody) -> Response:
    """Restore an entry from the recycle bin."""
    entry = recycle_bin.restore(
        entry_id=path.entry_id,
        viewer=current_principal(),
        expected_version=expected_version(path.entry_id, header.if_match, body.version),
    )
    return entry_response(entry)


@bp.delete(
    "/recycle-bin/<int:entry_id>",
    tags=TAGS,
    security=SIGNED_IN,
    description="Purge an entry from the recycle bin now, with its revisions (admins only).",
    responses={200: Envelope[None], **AUTH_ERRORS},
)
@write_access
@validated
def purge_from_bin(path: EntryPath) -> Response:
    """Delete a binned entry for good."""
    recycle_bin.purge(entry_id=path.entry_id, viewer=current_principal())
    return envelope(None, message="Entry purged")
