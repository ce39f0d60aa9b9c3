"""The knowledge blueprint and what its routes share: guards, ETags and the entry answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Response
from flask_openapi3.models.tag import Tag
from werkzeug.http import parse_etags

from versehub.core.api import api_blueprint
from versehub.core.auth import (
    Principal,
    current_principal,
    require_scope,
    require_verified_email,
)
from versehub.core.envelope import envelope
from versehub.core.errors import APIError
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas.api import EntryData
from versehub.modules.knowledge.service import entries, versions

P = ParamSpec("P")
R = TypeVar("R")

READ_SCOPE, WRITE_SCOPE = "entries:read", "entries:write"

# Each route names its tag (entries, categories-tags, search). Entries hold up to 200 000
# characters of content plus a plain-language version: 2 MiB of body.
bp = api_blueprint("knowledge", __name__, url_prefix="/api/v1", max_body=2 * 1024 * 1024)

ENTRIES_TAG = Tag(name="entries", description="Knowledge entries, revisions and the workflow.")
TAXONOMY_TAG = Tag(name="categories-tags", description="Categories and tags of entries.")
SEARCH_TAG = Tag(name="search", description="Full-text search of entries.")

_ETAG = re.compile(r"e(\d+)-v(\d+)(?:-plain)?")


def read_access(view: Callable[P, R]) -> Callable[P, R]:
    """Guard: anonymous callers may read; an API key needs `entries:read`."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        principal = current_principal()
        if principal is not None and not principal.has_scope(READ_SCOPE):
            raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", details={"required_scope": READ_SCOPE})
        return view(*args, **kwargs)

    return wrapper


def signed_in_read(view: Callable[P, R]) -> Callable[P, R]:
    """Guard: a signed-in caller (an API key needs `entries:read`)."""
    return require_scope(READ_SCOPE)(view)


def write_access(view: Callable[P, R]) -> Callable[P, R]:
    """Guard: a signed-in caller (an API key needs `entries:write`) with a verified email."""
    return require_scope(WRITE_SCOPE)(require_verified_email(view))


def etag_of(entry: Entry, data: Mapping[str, Any] | None = None) -> str:
    """The strong ETag of an entry's current version as `data` (an entry answer) presents it.

    The plain-language representation has its own tag (`"e12-v3-plain"`): a reader whose level
    changed must not be told 304 for the full text they hold. Both name version 3 for If-Match.
    """
    plain = data is not None and data["entry"]["preferred_version"] == "plain"
    return f'"e{entry.id}-v{entry.version}{"-plain" if plain else ""}"'


def not_modified(
    etag: str, if_none_match: str | None, *, headers: Mapping[str, str] | None = None
) -> Response | None:
    """A 304 when `If-None-Match` names `etag` (the entry's current one) or `*`, compared weakly."""
    if not if_none_match:
        return None
    tags = parse_etags(if_none_match)
    if tags.star_tag or tags.contains_weak(etag.strip('"')):
        response = Response(status=304)
        response.headers.update(dict(headers or {}))
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    return None


def expected_version(
    entry_id: int, if_match: str | None, body_version: int | None = None
) -> int | None:
    """The version the caller saw: from `If-Match` when sent (it wins over a body `version`).

    `If-Match: *` only asks that the entry exists. Any other value that is not a strong ETag
    of this entry is stale by definition and answers RES_CONFLICT.
    """
    if if_match is None:
        return body_version
    tags = parse_etags(if_match)
    if tags.star_tag:
        return body_version
    for tag in sorted(tags.as_set()):
        found = _ETAG.fullmatch(tag)
        if found and int(found.group(1)) == entry_id:
            return int(found.group(2))
    raise APIError(
        "RES_CONFLICT",
        "If-Match does not name a version of this entry",
        details={"if_match": if_match[:200]},
    )


def entry_data(entry: Entry, viewer: Principal | None, reading_level: int | None) -> dict[str, Any]:
    """The `data` of an entry answer for this viewer: the entry (with the version a reader at
    `reading_level` prefers) and the moves they may make."""
    data = EntryData(
        entry=entries.present(entry, reading_level=reading_level),
        allowed_transitions=entries.allowed_moves(entry=entry, viewer=viewer),
    )
    return data.model_dump(mode="json")


def entry_envelope(
    data: dict[str, Any],
    etag: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The envelope of an entry answer with its ETag (`Cache-Control: private, no-cache`)."""
    return envelope(
        data,
        status=status,
        headers={**(headers or {}), "ETag": etag, "Cache-Control": "private, no-cache"},
    )


def entry_response(
    entry: Entry, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """The entry envelope with its ETag (the version the caller's preference picks)."""
    viewer = current_principal()
    level = versions.reader_level(viewer=viewer)
    data = entry_data(entry, viewer, level)
    return entry_envelope(data, etag_of(entry, data), status=status, headers=headers)
