"""JWTs: strict decoding, every failure's code, rotation with reuse detection, revocation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TEST_JWT_SECRET
from tests.modules.accounts.support import assert_error, bearer, count, tokens_for
from versehub.modules.accounts.models import AuditEvent, RefreshToken

ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/refresh"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(user_id: int, **changes: Any) -> dict[str, Any]:
    """A complete, valid set of access-token claims."""
    now = int(time.time())
    base = {
        "sub": str(user_id),
        "jti": uuid.uuid4().hex,
        "type": "access",
        "fam": uuid.uuid4().hex,
        "gen": 0,
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "iss": "versehub",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict[str, Any], secret: str = TEST_JWT_SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def unsigned(payload: dict[str, Any]) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(payload).encode())}."


def rsa_keys() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def hs_with_public_key(payload: dict[str, Any], public_pem: bytes) -> str:
    """The RS/HS confusion attack: HMAC-sign with the server's public key as the secret."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


def tampered(token: str, **changes: Any) -> str:
    header, body, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data.update(changes)
    return f"{header}.{b64(json.dumps(data).encode())}.{signature}"


def test_valid_tokens_carry_the_claims(member: dict[str, Any], member_id: int) -> None:
    access = jwt.decode(member["access_token"], TEST_JWT_SECRET, ["HS256"], issuer="versehub")
    refresh = jwt.decode(member["refresh_token"], TEST_JWT_SECRET, ["HS256"], issuer="versehub")
    assert jwt.get_unverified_header(member["access_token"])["alg"] == "HS256"
    assert access["type"] == "access"
    assert refresh["type"] == "refresh"
    assert access["sub"] == refresh["sub"] == str(member_id)
    assert access["fam"] == refresh["fam"]
    assert access["gen"] == refresh["gen"] == 0
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    assert access["jti"] != refresh["jti"]


def test_crafted_valid_token_is_accepted(client: FlaskClient, member_id: int) -> None:
    # Control case for the table below: the crafting itself is right.
    assert client.get(ME, headers=bearer(signed(claims(member_id)))).status_code == 200


BAD_TOKENS = {
    "alg-none": lambda uid, pub: unsigned(claims(uid)),
    "rs256": lambda uid, pub: jwt.encode(claims(uid), rsa_keys()[0], algorithm="RS256"),
    "hs-with-public-key": lambda uid, pub: hs_with_public_key(claims(uid), pub),
    "hs512": lambda uid, pub: jwt.encode(claims(uid), TEST_JWT_SECRET * 2, algorithm="HS512"),
    "other-secret": lambda uid, pub: signed(
        claims(uid), "another-secret-0123456789abcdef-0123456789"
    ),
    "tampered-sub": lambda uid, pub: tampered(signed(claims(uid)), sub=str(uid + 1)),
    "tampered-gen": lambda uid, pub: tampered(signed(claims(uid)), gen=5),
    "garbage": lambda uid, pub: "not-a-token",
    "three-dots": lambda uid, pub: "a.b.c",
    "huge": lambda uid, pub: "x" * 10_000,
    "no-jti": lambda uid, pub: signed(claims(uid, jti=None)),
    "no-fam": lambda uid, pub: signed(claims(uid, fam=None)),
    "no-gen": lambda uid, pub: signed(claims(uid, gen=None)),
    "no-type": lambda uid, pub: signed(claims(uid, type=None)),
    "no-exp": lambda uid, pub: signed(claims(uid, exp=None)),
    "no-sub": lambda uid, pub: signed(claims(uid, sub=None)),
    "no-iss": lambda uid, pub: signed(claims(uid, iss=None)),
    "no-iat": lambda uid, pub: signed(claims(uid, iat=None)),
    "int-sub": lambda uid, pub: signed(claims(uid, sub=uid)),
    "wrong-issuer": lambda uid, pub: signed(claims(uid, iss="evil")),
    "refresh-as-access": lambda uid, pub: signed(claims(uid, type="refresh")),
    "future-nbf": lambda uid, pub: signed(claims(uid, nbf=int(time.time()) + 600)),
    "unknown-user": lambda uid, pub: signed(claims(uid + 100)),
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_access_tokens_are_invalid(client: FlaskClient, member_id: int, kind: str) -> None:
    token = BAD_TOKENS[kind](member_id, rsa_keys()[1])
    assert_error(client.get(ME, headers=bearer(token)), 401, "AUTH_TOKEN_INVALID")


def test_expired_token(client: FlaskClient, member_id: int) -> None:
    past = int(time.time()) - 3600
    token = signed(claims(member_id, iat=past - 900, nbf=past - 900, exp=past))
    assert_error(client.get(ME, headers=bearer(token)), 401, "AUTH_TOKEN_EXPIRED")
    refresh = signed(claims(member_id, type="refresh", iat=past - 9, nbf=past - 9, exp=past))
    assert_error(client.post(REFRESH, headers=bearer(refresh)), 401, "AUTH_TOKEN_EXPIRED")


def test_expired_token_with_bad_signature_is_invalid(client: FlaskClient, member_id: int) -> None:
    past = int(time.time()) - 3600
    token = signed(claims(member_id, exp=past, iat=past - 9, nbf=past - 9), "x" * 40)
    assert_error(client.get(ME, headers=bearer(token)), 401, "AUTH_TOKEN_INVALID")


def test_no_credentials(client: FlaskClient) -> None:
    assert_error(client.get(ME), 401, "AUTH_REQUIRED")
    assert_error(client.post(REFRESH), 401, "AUTH_REQUIRED")
    assert_error(client.get(ME, headers={"Authorization": "Bearer "}), 401, "AUTH_TOKEN_INVALID")


def test_token_types_are_not_interchangeable(client: FlaskClient, member: dict[str, Any]) -> None:
    as_access = client.get(ME, headers=bearer(member["refresh_token"]))
    assert (
        assert_error(as_access, 401, "AUTH_TOKEN_INVALID")["message"] == "Expected an access token"
    )
    as_refresh = client.post(REFRESH, headers=bearer(member["access_token"]))
    assert (
        assert_error(as_refresh, 401, "AUTH_TOKEN_INVALID")["message"] == "Expected a refresh token"
    )


def test_refresh_rotates_within_the_family(
    app: Flask, client: FlaskClient, member: dict[str, Any]
) -> None:
    response = client.post(REFRESH, headers=bearer(member["refresh_token"]))
    assert response.status_code == 200
    pair = response.get_json()["data"]
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    family = jwt.decode(pair["refresh_token"], options={"verify_signature": False})["fam"]
    assert family == jwt.decode(member["access_token"], options={"verify_signature": False})["fam"]
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200
    again = client.post(REFRESH, headers=bearer(pair["refresh_token"]))
    assert again.status_code == 200
    assert count(app, RefreshToken) == 3
    assert count(app, RefreshToken, RefreshToken.used_at.is_not(None)) == 2
    with app.app_context():
        from versehub.extensions import db

        hashes = set(db.session.scalars(db.select(RefreshToken.jti_hash)))
    assert all(len(h) == 64 for h in hashes)
    assert member["refresh_token"] not in str(hashes)


def test_reused_refresh_token_revokes_the_whole_family(
    app: Flask, client: FlaskClient, member: dict[str, Any]
) -> None:
    other_login = tokens_for(client)  # a second device: a different family
    first = client.post(REFRESH, headers=bearer(member["refresh_token"])).get_json()["data"]
    reuse = client.post(REFRESH, headers=bearer(member["refresh_token"]))
    assert_error(reuse, 401, "AUTH_TOKEN_REVOKED")
    for token in (first["access_token"], member["access_token"]):
        assert_error(client.get(ME, headers=bearer(token)), 401, "AUTH_TOKEN_REVOKED")
    assert_error(
        client.post(REFRESH, headers=bearer(first["refresh_token"])), 401, "AUTH_TOKEN_REVOKED"
    )
    assert client.get(ME, headers=bearer(other_login["access_token"])).status_code == 200
    assert count(app, AuditEvent, AuditEvent.event == "security.token_reuse") == 1


def test_logout_revokes_access_and_refresh(client: FlaskClient, member: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": member["refresh_token"]},
        headers=bearer(member["access_token"]),
    )
    assert response.status_code == 200
    assert response.get_json()["warnings"] == []
    assert_error(client.get(ME, headers=bearer(member["access_token"])), 401, "AUTH_TOKEN_REVOKED")
    assert_error(
        client.post(REFRESH, headers=bearer(member["refresh_token"])), 401, "AUTH_TOKEN_REVOKED"
    )


def test_logout_without_body_ends_the_login_family(
    client: FlaskClient, member: dict[str, Any]
) -> None:
    assert (
        client.post("/api/v1/auth/logout", headers=bearer(member["access_token"])).status_code
        == 200
    )
    assert_error(
        client.post(REFRESH, headers=bearer(member["refresh_token"])), 401, "AUTH_TOKEN_REVOKED"
    )


def test_logout_with_a_foreign_refresh_token_warns(
    client: FlaskClient, member: dict[str, Any], admin_id: int
) -> None:
    root = tokens_for(client, "root")
    response = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": root["refresh_token"]},
        headers=bearer(member["access_token"]),
    )
    assert response.status_code == 200
    assert response.get_json()["warnings"]
    assert client.post(REFRESH, headers=bearer(root["refresh_token"])).status_code == 200


def test_logout_all_ends_every_token(client: FlaskClient, member: dict[str, Any]) -> None:
    phone = tokens_for(client)
    response = client.post("/api/v1/auth/logout-all", headers=bearer(member["access_token"]))
    assert response.status_code == 200
    for pair in (member, phone):
        assert_error(
            client.get(ME, headers=bearer(pair["access_token"])), 401, "AUTH_TOKEN_REVOKED"
        )
        assert_error(
            client.post(REFRESH, headers=bearer(pair["refresh_token"])), 401, "AUTH_TOKEN_REVOKED"
        )
    fresh = tokens_for(client)
    assert client.get(ME, headers=bearer(fresh["access_token"])).status_code == 200
