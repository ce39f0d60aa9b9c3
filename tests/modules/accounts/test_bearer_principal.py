"""The bearer principal: one SQL statement per request, and the same refusals as before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import assert_error, bearer, make_user, tokens_for
from tests.sql import sql_statements
from versehub.core.auth import Principal
from versehub.core.db import utcnow
from versehub.core.errors import APIError
from versehub.extensions import cache, db
from versehub.modules.accounts.api.resolvers import bearer_principal
from versehub.modules.accounts.models import RevokedToken, User, UserModuleAccess
from versehub.modules.accounts.service import revocation

ME = "/api/v1/auth/me"


def _resolve(app: Flask, token: str) -> tuple[Principal | None, list[str]]:
    with app.test_request_context(ME, headers=bearer(token)), sql_statements(app) as seen:
        principal = bearer_principal()
        db.session.remove()
    return principal, seen


def _refusal(app: Flask, token: str) -> tuple[str, list[str]]:
    with app.test_request_context(ME, headers=bearer(token)), sql_statements(app) as seen:
        with pytest.raises(APIError) as refused:
            bearer_principal()
        db.session.remove()
    return refused.value.code, seen


def _revoke_in_table(app: Flask, token_id: str, expires_in: timedelta) -> None:
    """A revocation row written by another process: this one's cache has not heard of it."""
    with app.app_context():
        now = utcnow()
        db.session.add(
            RevokedToken(
                token_id=token_id, kind="access", revoked_at=now, expires_at=now + expires_in
            )
        )
        db.session.commit()


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_one_statement_carries_roles_grants_and_verification(
    app: Flask, client: FlaskClient
) -> None:
    user_id = make_user(app, roles=("editor", "member"))
    with app.app_context():
        db.session.add_all(
            [
                UserModuleAccess(user_id=user_id, module="knowledge", allowed=True),
                UserModuleAccess(user_id=user_id, module="media", allowed=False),
                UserModuleAccess(user_id=user_id, module="agents", allowed=False),
            ]
        )
        db.session.get_one(User, user_id).email_verified_at = utcnow()
        db.session.commit()
    token = tokens_for(client)["access_token"]
    principal, seen = _resolve(app, token)
    assert len(seen) == 1, seen
    assert principal is not None
    assert principal.user_id == user_id
    assert principal.roles == frozenset({"editor", "member"})
    assert principal.modules_granted == frozenset({"knowledge"})
    assert principal.modules_denied == frozenset({"media", "agents"})
    assert principal.email_verified is True
    assert principal.token is not None
    assert principal.token.jti == _claims(token)["jti"]
    assert principal.token.family_id == _claims(token)["fam"]
    assert int(principal.token.expires_at.timestamp()) == _claims(token)["exp"]


def test_a_user_without_grants_or_verification(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    principal, seen = _resolve(app, tokens_for(client)["access_token"])
    assert len(seen) == 1
    assert principal is not None
    assert principal.roles == frozenset({"member"})
    assert principal.modules_granted == frozenset()
    assert principal.modules_denied == frozenset()
    assert principal.email_verified is False


@pytest.mark.parametrize("revoked", ["jti", "family"])
def test_a_revocation_only_in_the_table_is_refused_then_cached(
    app: Flask, client: FlaskClient, revoked: str
) -> None:
    make_user(app)
    token = tokens_for(client)["access_token"]
    claims = _claims(token)
    token_id = claims["jti"] if revoked == "jti" else revocation.family_key(claims["fam"])
    _revoke_in_table(app, token_id, timedelta(minutes=20))
    code, seen = _refusal(app, token)
    assert (code, len(seen)) == ("AUTH_TOKEN_REVOKED", 1)
    code, seen = _refusal(app, token)  # the principal cache answers now: no SQL at all
    assert (code, seen) == ("AUTH_TOKEN_REVOKED", [])


def test_an_expired_revocation_row_does_not_refuse(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    token = tokens_for(client)["access_token"]
    _revoke_in_table(app, _claims(token)["jti"], timedelta(seconds=-1))
    principal, _ = _resolve(app, token)
    assert principal is not None
    with app.app_context():
        assert cache.get(revocation.CACHE_PREFIX + _claims(token)["jti"]) is None


def test_a_disabled_account_and_an_old_generation_are_refused(
    app: Flask, client: FlaskClient
) -> None:
    user_id = make_user(app)
    token = tokens_for(client)["access_token"]
    with app.app_context():
        db.session.get_one(User, user_id).token_generation += 1
        db.session.commit()
    assert _refusal(app, token)[0] == "AUTH_TOKEN_REVOKED"
    fresh = tokens_for(client)["access_token"]
    with app.app_context():
        db.session.get_one(User, user_id).is_active = False
        db.session.commit()
    assert_error(client.get(ME, headers=bearer(fresh)), 401, "AUTH_TOKEN_REVOKED")


def test_a_deleted_user_makes_the_token_invalid(app: Flask, client: FlaskClient) -> None:
    user_id = make_user(app)
    token = tokens_for(client)["access_token"]
    with app.app_context():
        db.session.delete(db.session.get_one(User, user_id))
        db.session.commit()
    assert _refusal(app, token)[0] == "AUTH_TOKEN_INVALID"
