"""`/api/v1/auth/api-keys`: create (shown once), list, revoke."""

from __future__ import annotations

from flask import Response
from flask_openapi3.types import ResponseDict

from versehub.core.api import AUTH_ERRORS, BODY_ERRORS, SIGNED_IN, created, list_answer, validated
from versehub.core.auth import login_required, require_verified_email
from versehub.core.envelope import envelope
from versehub.core.idempotency import idempotent
from versehub.core.openapi import Envelope, ErrorEnvelope
from versehub.modules.accounts.api.blueprint import (
    API_KEYS_TAG,
    bp,
    person,
    person_required,
    request_meta,
)
from versehub.modules.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    ApiKeysQuery,
)
from versehub.modules.accounts.schemas.api import (
    ApiKeyCreatedData,
    ApiKeyData,
    ApiKeyList,
    ApiKeyPath,
)
from versehub.modules.accounts.service import api_keys, users

TAGS = [API_KEYS_TAG]
# Another user's keys, or a user or key that does not exist (users.get_visible).
HIDDEN: ResponseDict = {404: ErrorEnvelope}


@bp.post(
    "/auth/api-keys",
    tags=TAGS,
    security=SIGNED_IN,
    responses={201: Envelope[ApiKeyCreatedData], **AUTH_ERRORS, **BODY_ERRORS, **HIDDEN},
)
@login_required
@person_required
@require_verified_email
@idempotent
@validated
def create_api_key(body: ApiKeyCreate) -> Response:
    """Create a key; the response is the only time the key is shown.

    Needs a verified email (403 AUTH_EMAIL_UNVERIFIED) while `require_verified_email_for_writes`
    is on: a key writes with its owner's verification.
    """
    principal = person()
    owner = users.get_visible(
        user_id=body.user_id or principal.user_id,
        viewer_id=principal.user_id,
        viewer_is_admin="admin" in principal.roles,
    )
    row, key = api_keys.create(
        owner=owner,
        actor_id=principal.user_id,
        actor_is_admin="admin" in principal.roles,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        meta=request_meta(),
    )
    answer = ApiKeyCreated(**ApiKeyPublic.model_validate(row).model_dump(), key=key)
    return created(
        {"api_key": answer.model_dump(mode="json")},
        endpoint="accounts.get_api_key",
        values={"key_id": row.id},
    )


@bp.get(
    "/auth/api-keys",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[ApiKeyList], **AUTH_ERRORS, **HIDDEN},
)
@login_required
@person_required
@validated
def list_api_keys(query: ApiKeysQuery) -> Response:
    """The caller's keys without secrets (admins: `?user_id=` for someone else's, else 404)."""
    principal = person()
    owner = users.get_visible(
        user_id=query.user_id or principal.user_id,
        viewer_id=principal.user_id,
        viewer_is_admin="admin" in principal.roles,
    )
    page = api_keys.page(user_id=owner.id, page=query.page, per_page=query.per_page)
    return list_answer(page, lambda row: ApiKeyPublic.model_validate(row).model_dump(mode="json"))


@bp.get(
    "/auth/api-keys/<int:key_id>",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[ApiKeyData], **AUTH_ERRORS, **HIDDEN},
)
@login_required
@person_required
@validated
def get_api_key(path: ApiKeyPath) -> Response:
    """One of the caller's keys without its secret (admins: anyone's; others' keys are 404)."""
    principal = person()
    row = api_keys.get_visible(
        key_id=path.key_id,
        viewer_id=principal.user_id,
        viewer_is_admin="admin" in principal.roles,
    )
    return envelope({"api_key": ApiKeyPublic.model_validate(row).model_dump(mode="json")})


@bp.delete(
    "/auth/api-keys/<int:key_id>",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[ApiKeyData], **AUTH_ERRORS, **HIDDEN},
)
@login_required
@person_required
@validated
def revoke_api_key(path: ApiKeyPath) -> Response:
    """Revoke a key at once (it stays listed with `revoked_at`)."""
    principal = person()
    row = api_keys.revoke(
        key_id=path.key_id,
        actor_id=principal.user_id,
        actor_is_admin="admin" in principal.roles,
        meta=request_meta(),
    )
    return envelope({"api_key": ApiKeyPublic.model_validate(row).model_dump(mode="json")})
