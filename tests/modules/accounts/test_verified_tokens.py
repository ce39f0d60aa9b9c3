"""The verified-token cache: a token's signature is checked once per process, never trusted more."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.modules.accounts.support import assert_error, bearer, make_user, tokens_for
from tests.modules.accounts.test_tokens import claims, signed
from versehub.modules.accounts.service import tokens
from versehub.modules.accounts.service.tokens import VERIFIED_KEY, Claims
from versehub.modules.accounts.service.verified_tokens import VerifiedTokens

ME = "/api/v1/auth/me"


def verified(app: Flask) -> VerifiedTokens:
    """The app's cache of verified access tokens."""
    cache: VerifiedTokens = app.extensions[VERIFIED_KEY]
    return cache


def resign(token: str, *, payload: dict[str, Any] | None = None, secret: str = "x" * 32) -> str:
    """`token` with another signature (and, given, another payload)."""
    head, body, _ = token.split(".")
    sent = jwt.decode(token, options={"verify_signature": False})
    other = jwt.encode({**sent, **(payload or {})}, secret, algorithm="HS256")
    return other if payload else ".".join([head, body, other.split(".")[2]])


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token whose signature PyJWT checks from now on (the real check still runs)."""
    seen: list[str] = []
    real = tokens.jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(tokens.jwt, "decode", counting)
    return seen


def test_an_access_token_is_verified_once_per_process(
    app: Flask, client: FlaskClient, decodes: list[str]
) -> None:
    make_user(app)
    token = tokens_for(client)["access_token"]
    for _ in range(3):
        assert client.get(ME, headers=bearer(token)).status_code == 200
    assert decodes == [token]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(resign, id="other-secret"),
        pytest.param(lambda token: resign(token, payload={"sub": "999"}), id="other-claims"),
        pytest.param(lambda token: token[:-6] + "AAAAAA", id="cut-signature"),
        pytest.param(lambda token: token.rsplit(".", 1)[0] + ".", id="no-signature"),
    ],
)
def test_a_bad_signature_is_refused_after_the_good_token_was_cached(
    app: Flask, client: FlaskClient, forge: Any
) -> None:
    make_user(app)
    token = tokens_for(client)["access_token"]
    assert client.get(ME, headers=bearer(token)).status_code == 200
    assert verified(app).get(token, now=time.time()) is not None
    forged = forge(token)
    assert forged != token
    assert_error(client.get(ME, headers=bearer(forged)), 401, "AUTH_TOKEN_INVALID")
    assert_error(client.get(ME, headers=bearer(forged)), 401, "AUTH_TOKEN_INVALID")
    assert client.get(ME, headers=bearer(token)).status_code == 200


def test_an_expired_token_is_refused_though_it_was_cached_before(
    app: Flask, client: FlaskClient
) -> None:
    user_id = make_user(app)
    # Two seconds to live (the `exp` second itself already counts as expired).
    token = signed(claims(user_id, exp=int(time.time()) + 2))
    assert client.get(ME, headers=bearer(token)).status_code == 200
    assert verified(app).get(token, now=time.time()) is not None
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, exp - time.time()) + 0.01)
    assert_error(client.get(ME, headers=bearer(token)), 401, "AUTH_TOKEN_EXPIRED")
    assert verified(app).get(token, now=time.time()) is None


def test_revocation_is_still_asked_for_a_cached_token(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    token = tokens_for(client)["access_token"]
    assert client.get(ME, headers=bearer(token)).status_code == 200
    logout = client.post("/api/v1/auth/logout", json={}, headers=bearer(token))
    assert logout.status_code == 200
    assert_error(client.get(ME, headers=bearer(token)), 401, "AUTH_TOKEN_REVOKED")


def test_another_app_with_another_secret_does_not_trust_the_cache(
    app: Flask, client: FlaskClient, make_app: AppFactory
) -> None:
    make_user(app)
    token = tokens_for(client)["access_token"]
    assert client.get(ME, headers=bearer(token)).status_code == 200
    other = make_app(jwt_secret_key="another-secret-" + "y" * 32)
    assert_error(other.test_client().get(ME, headers=bearer(token)), 401, "AUTH_TOKEN_INVALID")


def test_refresh_tokens_are_not_cached(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    refresh = tokens_for(client)["refresh_token"]
    assert client.post("/api/v1/auth/refresh", headers=bearer(refresh)).status_code == 200
    assert verified(app).get(refresh, now=time.time()) is None
    assert_error(client.get(ME, headers=bearer(refresh)), 401, "AUTH_TOKEN_INVALID")


def _claims(exp: int, jti: str) -> Claims:
    return Claims.model_validate(
        {"sub": "1", "jti": jti, "type": "access", "fam": "a" * 32, "gen": 0, "iat": 0, "exp": exp}
    )


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache = VerifiedTokens(max_entries=2)
    cache.put("a", _claims(100, "a" * 16))
    cache.put("b", _claims(100, "b" * 16))
    assert cache.get("a", now=50) is not None  # "b" is now the least recently used
    cache.put("c", _claims(100, "c" * 16))
    assert len(cache) == 2
    assert cache.get("b", now=50) is None
    assert cache.get("a", now=50) is not None
    assert cache.get("c", now=50) is not None


@pytest.mark.parametrize(("now", "kept"), [(99.9, True), (100, False), (101, False)])
def test_an_entry_ends_at_its_exp(now: float, kept: bool) -> None:
    cache = VerifiedTokens()
    cache.put("t", _claims(100, "t" * 16))
    assert (cache.get("t", now=now) is not None) is kept
    assert len(cache) == (1 if kept else 0)
